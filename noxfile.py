# The nox sessions of mlops.mlflow. Run nox from .venv (scripts/bootstrap.sh test), which
# holds the pinned nox and antsibull-nox (requirements/nox.txt):
#
#   . .venv/bin/activate
#   nox -l                                    every session, with its description
#   nox                                       the static checks (lint, ansible-lint, sanity, units)
#   nox -s ansible-test-sanity-2.21 -- --test pylint plugins/modules/s3_bucket.py
#   flock /tmp/mlops-integration.lock nox -s integration -- s3_bucket
#
# antsibull-nox.toml configures the sessions antsibull-nox defines (lint, ansible-lint); this
# file adds the ones that need this machine's facts: ansible-test runs --local (no container
# registry, so no --docker), ansible-core comes from PyPI at the pins in requirements/ (no
# GitHub), and the integration targets talk to the real services of tests/lab/services.sh.
# Every session makes its own virtual environment under .nox/ and installs into it only the
# pins of requirements/; environments are reused and reinstalled only when a pin changes.
# tests/run.sh runs these sessions, the lab builder and molecule in order (docs/development.md).

import concurrent.futures
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import nox

try:
    import antsibull_nox
    from antsibull_nox.sessions import prepare_collections
except ImportError:
    print("nox runs from .venv, which has antsibull-nox: scripts/bootstrap.sh test, then . .venv/bin/activate")
    sys.exit(1)

REPO = Path(__file__).resolve().parent
# The sessions' Python is the one running nox (.venv's, 3.12 or newer, which ansible-core
# 2.20 and 2.21 need on the controller); nox finds it on PATH as pythonX.Y.
PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"
# ansible-core lines that ansible-test sanity checks: one requirements/sanity-LINE.txt each.
SANITY_LINES = sorted(
    (path.stem.removeprefix("sanity-") for path in (REPO / "requirements").glob("sanity-*.txt")),
    key=lambda line: tuple(int(part) for part in line.split(".")),
)
# Each session leaves one line here: "<passed> <failed> <what ran>"; tests/run.sh prints them.
RESULTS = REPO / "tests" / "output" / "results"
INTEGRATION_CONFIG = REPO / "tests" / "integration" / "integration_config.yml"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")

nox.options.reuse_venv = "yes"
nox.options.default_venv_backend = "venv"
nox.options.error_on_external_run = True

antsibull_nox.load_antsibull_nox_toml()


def record(session: nox.Session, passed: int, failed: int, detail: str) -> None:
    """Leave the session's result line for tests/run.sh's summary."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{session.name}.txt").write_text(f"{passed} {failed} {detail}\n", encoding="utf-8")
    session.log(f"{session.name}: {passed} passed, {failed} failed; {detail}")


def install_pinned(session: nox.Session, *requirement_files: str) -> None:
    """pip install -r each file into the session's environment, unless it already holds exactly
    these pins: a reused environment costs no index look-up when nothing changed."""
    if isinstance(session.virtualenv, nox.virtualenv.PassthroughEnv):
        session.error("this session needs its own environment (do not run it with --no-venv)")
    digest = hashlib.sha256()
    # Files pull each other in (-r, -c): hash the whole folder.
    for path in sorted((REPO / "requirements").glob("*.txt")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update(" ".join(requirement_files).encode())
    stamp = Path(session.virtualenv.location) / ".mlops-requirements.sha256"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == digest.hexdigest():
        session.log(f"pins of {', '.join(requirement_files)} already installed")
        return
    args = []
    for requirement_file in requirement_files:
        args += ["-r", str(REPO / requirement_file)]
    session.install(*args)
    stamp.write_text(digest.hexdigest(), encoding="utf-8")


def site_collections() -> str:
    """The collections bundled with the ansible package of the environment running nox."""
    import ansible_collections  # noqa: PLC0415  (only where a session asks for it)

    return str(Path(next(iter(ansible_collections.__path__))).parent)


def collection_tree(session: nox.Session):
    """antsibull-nox's copy of the collection in an ansible_collections/mlops/mlflow tree (what
    ansible-test needs), with its dependency community.docker linked next to it. The sanity
    environments have ansible-core alone: community.docker comes from the ansible package of
    the environment running nox (no Galaxy here)."""
    saved = os.environ.get("ANSIBLE_COLLECTIONS_PATH")
    os.environ["ANSIBLE_COLLECTIONS_PATH"] = site_collections()
    try:
        tree = prepare_collections(session, install_in_site_packages=False, install_out_of_tree=True)
    finally:
        if saved is None:
            os.environ.pop("ANSIBLE_COLLECTIONS_PATH", None)
        else:
            os.environ["ANSIBLE_COLLECTIONS_PATH"] = saved
    if tree is None:
        session.error("antsibull-nox could not prepare the collection tree")
    return tree


def ansible_test_env(session: nox.Session) -> dict[str, str]:
    """ansible-test passes HOME and little else to what it runs: give it a HOME of its own in
    the session's environment that trusts the system CA bundle (HTTPS interception) and holds
    pip's bootstrap script, which it would otherwise download from a host that may be
    unreachable."""
    home = Path(session.virtualenv.location) / "home"
    (home / ".config" / "pip").mkdir(parents=True, exist_ok=True)
    cache = home / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    if CA_BUNDLE.is_file():
        (home / ".config" / "pip" / "pip.conf").write_text(f"[global]\ncert = {CA_BUNDLE}\n", encoding="utf-8")
    for requirements_py in Path(session.virtualenv.location).glob("lib/python3*/site-packages/ansible_test/_internal/python_requirements.py"):
        for version in re.findall(r"pip='([0-9.]+)'", requirements_py.read_text(encoding="utf-8")):
            shutil.copyfile(REPO / "tests" / "tools" / "get_pip.py", cache / f"get_pip_{version.replace('.', '_')}.py")
    return {"HOME": str(home)}


def copy_output_back(session: nox.Session, tree) -> None:
    """ansible-test writes tests/output in the copy; keep it in the checkout, as antsibull-nox does."""
    source = tree.current_path / "tests" / "output"
    if source.is_dir():
        shutil.copytree(source, REPO / "tests" / "output", dirs_exist_ok=True)


def add_sanity_session(line: str) -> str:
    name = f"ansible-test-sanity-{line}"

    def sanity(session: nox.Session) -> None:
        install_pinned(session, f"requirements/sanity-{line}.txt")
        tree = collection_tree(session)
        env = ansible_test_env(session)
        version = session.run("python", "-c", "import ansible; print(ansible.__version__)", silent=True).strip()
        with session.chdir(tree.current_path):
            listed = session.run("ansible-test", "sanity", "--list-tests", "--local", "--python", PYTHON, env=env, silent=True)
            tests = re.findall(r"^[a-z0-9-]+$", listed, re.MULTILINE)
            # --requirements: ansible-test installs its own pinned linters into this environment.
            session.run(
                "ansible-test", "sanity", "--local", "--requirements", "--python", PYTHON, "--color", "no",
                *session.posargs, env=env,
            )
        copy_output_back(session, tree)
        what = "the tests and files given" if session.posargs else f"{len(tests)} tests"
        record(session, 0 if session.posargs else len(tests), 0, f"ansible-core {version}: {what}, no ignore files")

    sanity.__doc__ = f"ansible-test sanity from ansible-core {line} (requirements/sanity-{line}.txt), no ignore files"
    nox.session(name=name, python=PYTHON, default=False, tags=["sanity"])(sanity)
    return name


@nox.session(name="ansible-test-sanity", python=False, requires=[add_sanity_session(line) for line in SANITY_LINES])
def sanity_all(session: nox.Session) -> None:
    """Meta session: ansible-test sanity for every supported ansible-core line."""
    passed = 0
    details = []
    for line in SANITY_LINES:
        result = (RESULTS / f"ansible-test-sanity-{line}.txt").read_text(encoding="utf-8").split(" ", 2)
        passed += int(result[0])
        details.append(result[2].strip())
    record(session, passed, 0, "; ".join(details))


@nox.session(python=PYTHON)
def units(session: nox.Session) -> None:
    """Unit tests (pytest tests/unit) of the modules' pure logic, the pins and the role argument specs."""
    install_pinned(session, "requirements/units.txt")
    tree = collection_tree(session)
    junit = Path(session.create_tmp()).resolve() / "units.xml"
    with session.chdir(tree.current_path):
        session.run(
            "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", "tests/unit", *session.posargs,
            env={"PYTHONPATH": str(tree.current_place)},
        )
    suite = ET.parse(junit).getroot()  # noqa: S314  (our own pytest junit file)
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    total, failures, errors, skipped = (int(suite.get(key, 0)) for key in ("tests", "failures", "errors", "skipped"))
    passed = total - failures - errors - skipped
    record(session, passed, failures + errors, f"pytest tests/unit: {passed} passed, {failures + errors} failed, {skipped} skipped")


@nox.session(python=PYTHON, default=False)
def integration(session: nox.Session) -> None:
    """ansible-test integration against the real services of tests/lab/services.sh.

    Every target, or those given after --. The services (PostgreSQL, MinIO, MLflow) are started
    unless this checkout's are running (services.sh ensure); they are shared by every checkout on
    the machine: run it inside `flock /tmp/mlops-integration.lock`. MLOPS_IT_JOBS targets run at
    once (default 2; 1 runs them one after the other)."""
    install_pinned(session, "requirements/controller.txt")
    session.run(str(REPO / "tests" / "lab" / "services.sh"), "ensure", external=True)
    env = ansible_test_env(session)
    targets = session.posargs or sorted(p.name for p in (REPO / "tests" / "integration" / "targets").iterdir() if p.is_dir())
    # Each target in a tree of its own, so that MLOPS_IT_JOBS of them (default 2) run at once:
    # they share the services but touch only what they create (names with a random part), and
    # most of their time is spent waiting for servers to start.
    jobs = max(1, int(os.environ.get("MLOPS_IT_JOBS", "2")))
    trees = {target: collection_tree(session) for target in targets}
    for tree in trees.values():
        shutil.copy2(INTEGRATION_CONFIG, tree.current_path / "tests" / "integration" / INTEGRATION_CONFIG.name)
    logs = REPO / "tests" / "output" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    run_env = {**os.environ, **{k: v for k, v in session.env.items() if v is not None}, **env}
    # This session's ansible-test and ansible (session.run would put them first; subprocess does not).
    run_env["PATH"] = os.pathsep.join([session.bin, os.environ.get("PATH", os.defpath)])
    # ansible-test makes an SSH key in HOME on its first run and asks before it overwrites one:
    # make it once here, as its generate_key_pair does, or targets started together race for it
    # (the second one fails on a fresh clone).
    key = Path(env["HOME"]) / ".ansible" / "test" / "id_rsa"
    if not (key.is_file() and key.with_suffix(".pub").is_file()):
        key.parent.mkdir(parents=True, exist_ok=True)
        key.unlink(missing_ok=True)
        key.with_suffix(".pub").unlink(missing_ok=True)
        session.run("ssh-keygen", "-m", "PEM", "-q", "-t", "rsa", "-N", "", "-f", str(key), external=True, silent=True)
        key.write_text(re.sub(r"(BEGIN|END) PRIVATE KEY", r"\1 RSA PRIVATE KEY", key.read_text(encoding="utf-8")), encoding="utf-8")

    def run_target(target: str) -> tuple[int, float]:
        started = time.monotonic()
        command = ["ansible-test", "integration", target, "--local", "--python", PYTHON, "--color", "no"]
        with open(logs / f"integration-{target}.log", "w", encoding="utf-8") as log:
            rc = subprocess.run(command, cwd=trees[target].current_path, env=run_env, stdout=log, stderr=subprocess.STDOUT, check=False).returncode  # noqa: S603
        return rc, time.monotonic() - started

    session.log(f"{len(targets)} targets, {jobs} at a time; each one's output in tests/output/logs/integration-TARGET.log")
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        results = dict(zip(targets, pool.map(run_target, targets), strict=True))
    failed = [target for target, result in results.items() if result[0] != 0]
    for target, (rc, took) in results.items():
        session.log(f"integration target {target}: {'ok' if rc == 0 else f'FAILED (exit {rc})'} in {took:.0f}s")
        if rc != 0:
            print("".join((logs / f"integration-{target}.log").read_text(encoding="utf-8").splitlines(keepends=True)[-60:]))
        copy_output_back(session, trees[target])
    took = ", ".join(f"{target} {t:.0f}s{'' if rc == 0 else ' FAILED'}" for target, (rc, t) in results.items())
    record(session, len(targets) - len(failed), len(failed), f"targets ({jobs} at a time): {took} (real PostgreSQL, MinIO, MLflow)")
    if failed:
        session.error(f"integration targets failed: {', '.join(failed)}")


@nox.session(python=PYTHON, default=False)
def collection(session: nox.Session) -> None:
    """The built collection installed into an empty path, ansible-doc, an FQCN playbook from outside.

    Builds the tarball, installs it into an empty collections path, renders ansible-doc for every
    module and role, and runs tests/collection/fqcn.yml by FQCN from a directory outside the
    repository against the integration services (services.sh ensure: inside
    `flock /tmp/mlops-integration.lock`, as the integration session)."""
    install_pinned(session, "requirements/controller.txt")
    session.run(str(REPO / "tests" / "lab" / "services.sh"), "ensure", external=True)
    work = Path(tempfile.mkdtemp(prefix="mlops-collection-"))
    try:
        collections = work / "collections"
        # A configuration of its own, so the repository's ansible.cfg (.collections) plays no part.
        (work / "ansible.cfg").write_text(f"[defaults]\ncollections_path = {collections}\n", encoding="utf-8")
        env = {"ANSIBLE_CONFIG": str(work / "ansible.cfg"), "ANSIBLE_COLLECTIONS_PATH": str(collections), "ANSIBLE_NOCOLOR": "1"}
        session.run("ansible-galaxy", "collection", "build", "--force", "--output-path", str(work), str(REPO), env=env)
        tarball = next(work.glob("mlops-mlflow-*.tar.gz"))
        with session.chdir(work):
            session.run(
                "ansible-galaxy", "collection", "install", "--offline", "--no-deps", "--force", "-p", str(collections), str(tarball),
                env=env,
            )
            if not (collections / "ansible_collections" / "mlops" / "mlflow" / "MANIFEST.json").is_file():
                session.error(f"{tarball.name} did not install into {collections}")
            modules = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if not p.name.startswith("_"))
            roles = sorted(p.name for p in (REPO / "roles").iterdir() if (p / "meta" / "argument_specs.yml").is_file())
            for module in modules:
                doc = session.run("ansible-doc", f"mlops.mlflow.{module}", env=env, silent=True)
                if "\nEXAMPLES" not in doc or "\nRETURN VALUES" not in doc:
                    session.error(f"ansible-doc mlops.mlflow.{module} lacks EXAMPLES or RETURN")
            for role in roles:
                session.run("ansible-doc", "-t", "role", f"mlops.mlflow.{role}", env=env, silent=True)
            # Filter and test plugins: one documented plugin per file.
            others = [(kind, p.stem) for kind in ("filter", "test") for p in sorted((REPO / "plugins" / kind).glob("*.py"))]
            for kind, name in others:
                doc = session.run("ansible-doc", "-t", kind, f"mlops.mlflow.{name}", env=env, silent=True)
                if "\nEXAMPLES" not in doc:
                    session.error(f"ansible-doc -t {kind} mlops.mlflow.{name} lacks EXAMPLES")
            shutil.copy2(REPO / "tests" / "collection" / "fqcn.yml", work / "fqcn.yml")
            session.run("ansible-playbook", "-i", "localhost,", "-c", "local", "-e", f"@{INTEGRATION_CONFIG}", "fqcn.yml", env=env)
        record(
            session, 1, 0,
            f"{tarball.name} installs; ansible-doc for {len(modules)} modules, {len(others)} filter/test plugins and {len(roles)} roles;"
            " FQCN playbook from outside the repo",
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


@nox.session(python=False, default=False)
def lab(session: nox.Session) -> None:
    """tests/lab/build.sh: the Docker engine and the lab images (incremental; seconds when built)."""
    session.run(str(REPO / "tests" / "lab" / "build.sh"), *session.posargs, external=True)


if __name__ == "__main__":
    nox.main()
