"""Our stack beside its peers, in one run: the figures of issue 12 (benchmarks/README.md).

    benchmarks/run.sh [--rounds 3] [--only P1,P2,P3,P4] [--multi-host] [--keep] ...

P1  fresh stack to a verified registry: playbooks/site.yml on a bench host that has Docker
    Engine and the images but no container or volume, against the course's stack done by
    hand with the same images (benchmarks/course_stack.sh), wall seconds.
P2  site.yml again with nothing to change: wall seconds, tasks, fact gatherings, changed
    (single host; the five-host layout of molecule/multi_host with --multi-host).
P3  one artifact (256 MiB and 1 GiB) up and down through our server (proxied) against the
    course's client, which writes straight to MinIO (S3) itself; MiB/s, and our server's
    peak memory.
P4  8 raw-HTTP clients doing log_batch (50 metrics) for 15 s, and registry reads
    (registered-models/get) at 50 requests/s (raw HTTP and the MLflow client), against the
    course's `mlflow server` flags on the same image and the same database.

The bench hosts are systemd containers like the molecule scenarios' (.config/molecule/
config.yml: no --privileged), named mlops-bench-*, each with its own Docker engine; the
first site.yml run on a new host (Docker install, image loading) is preparation, not timed.
Peers and ours take turns within a round (ABBA order), and every figure is the median over
the rounds; ratios are taken round by round, then their median. Clients run in the bench
host's network namespace (nsenter) and talk to its loopback only. Everything is bounded by
--rounds and --max-minutes; the bench hosts are removed at the end unless --keep.
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import secrets
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"
CACHE = Path(os.environ.get("MLOPS_LAB_CACHE") or Path.home() / ".cache/mlops-mlflow-lab")
STATE = CACHE / "bench"
NETWORK = "mlops-bench"
SINGLE_HOSTS = ["mlops-bench-host1"]
MULTI_HOSTS = ["mlops-bench-store1", "mlops-bench-store2", "mlops-bench-store3", "mlops-bench-mlflow1", "mlops-bench-mlflow2"]
HOST_IMAGE = "mlops-lab/systemd-debian:13"
# .config/molecule/config.yml's list: every capability but SYS_RESOURCE (and those Debian 12's
# engine rejects), since --privileged fails on this kind of machine.
CAPABILITIES = (
    "AUDIT_CONTROL AUDIT_READ AUDIT_WRITE BLOCK_SUSPEND CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID IPC_LOCK "
    "IPC_OWNER KILL LEASE LINUX_IMMUTABLE MAC_ADMIN MAC_OVERRIDE MKNOD NET_ADMIN NET_BIND_SERVICE NET_BROADCAST NET_RAW "
    "SETFCAP SETGID SETPCAP SETUID SYS_ADMIN SYS_BOOT SYS_CHROOT SYS_MODULE SYS_NICE SYS_PACCT SYS_PTRACE SYS_RAWIO "
    "SYS_TIME SYS_TTY_CONFIG SYSLOG WAKE_ALARM"
).split()
# Inside a bench host: everything the nested engine runs goes, its images stay.
RESET_SCRIPT = """
ids=$(docker ps -aq); [ -z "$ids" ] || docker rm -f $ids > /dev/null
vols=$(docker volume ls -q); [ -z "$vols" ] || docker volume rm $vols > /dev/null
docker network prune -f > /dev/null
"""
OUR_PORT, COURSE_PORT, MINIO_PORT = 5000, 5001, 9000
COURSE_FLAGS_CONTAINER = "mlops-bench-course-flags"
MIB = 1024 * 1024


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(argv, timeout, *, env=None, output=None, check=True, input_text=None):
    """Runs argv; returns (seconds, completed). output: a file the command's output goes to."""
    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(open(output, "a", encoding="utf-8")) if output else subprocess.PIPE
        completed = subprocess.run(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT if output else subprocess.PIPE,
            env=env,
            timeout=timeout,
            text=True,
            input=input_text,
            check=False,
        )
    seconds = time.perf_counter() - start
    if check and completed.returncode != 0:
        detail = f" (log: {output})" if output else f": {(completed.stderr or completed.stdout or '')[-2000:]}"
        raise RuntimeError(f"failed with status {completed.returncode}: {shlex.join(map(str, argv))}{detail}")
    return seconds, completed


def role_defaults():
    defaults = {}
    for path in sorted((REPO / "roles").glob("*/defaults/main.yml")):
        defaults.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    version = defaults["tracking_server_mlflow_version"]
    defaults["mlflow_server_image"] = defaults["tracking_server_image"].replace("{{ tracking_server_mlflow_version }}", version)
    return defaults


def median(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def loadavg():
    return round(os.getloadavg()[0], 2)


class Host:
    """A bench host: a systemd container with its own Docker engine."""

    def __init__(self, name):
        self.name = name

    def exists(self):
        return run(["docker", "container", "inspect", self.name], 30, check=False)[1].returncode == 0

    def create(self):
        caps = [arg for cap in CAPABILITIES for arg in ("--cap-add", cap)]
        argv = ["docker", "run", "-d", "--name", self.name, "--hostname", self.name.removeprefix("mlops-bench-"), "--network", NETWORK]
        argv += ["--cgroupns", "host", *caps, "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined"]
        argv += ["--tmpfs", "/run", "--tmpfs", "/run/lock", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw"]
        argv += ["-v", f"{self.name}-docker:/var/lib/docker", "--label", "org.mlops-mlflow.bench=1", HOST_IMAGE, "/lib/systemd/systemd"]
        run(argv, 120)
        for _attempt in range(60):
            state = self.sh("systemctl is-system-running || true", check=False).stdout.strip()
            if state in ("running", "degraded"):
                return
            time.sleep(1)
        raise RuntimeError(f"{self.name}: systemd did not come up")

    def destroy(self):
        run(["docker", "rm", "-f", self.name], 120, check=False)
        run(["docker", "volume", "rm", f"{self.name}-docker"], 120, check=False)

    def sh(self, script, timeout=600, check=True, env=None):
        # -e NAME alone: the value comes from docker's environment, not its command line (ps).
        argv = ["docker", "exec", "-i"] + [arg for key in env or {} for arg in ("-e", key)]
        return run([*argv, self.name, "bash", "-euo", "pipefail", "-c", script], timeout, check=check, env={**os.environ, **(env or {})})[1]

    def engine_ready(self, images):
        result = self.sh("docker image inspect " + " ".join(map(shlex.quote, images)), check=False)
        return result.returncode == 0

    def pid(self):
        return run(["docker", "inspect", "-f", "{{.State.Pid}}", self.name], 30)[1].stdout.strip()

    def container_cgroup(self, container, controller):
        """The outer path of a nested container's cgroup (v1, host cgroup namespace)."""
        pid = self.sh(f"docker inspect -f '{{{{.State.Pid}}}}' {shlex.quote(container)}").stdout.strip()
        for line in self.sh(f"cat /proc/{pid}/cgroup").stdout.splitlines():
            _hierarchy, controllers, path = line.split(":", 2)
            if controller in controllers.split(","):
                return Path("/sys/fs/cgroup") / controller / path.lstrip("/")
        raise RuntimeError(f"no {controller} cgroup for {container} on {self.name}")


class Bench:
    def __init__(self, args):
        self.args = args
        self.defaults = role_defaults()
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        self.out = Path(args.output or STATE / "runs" / stamp)
        self.out.mkdir(parents=True, exist_ok=True)
        self.state = STATE / "state"
        self.state.mkdir(parents=True, exist_ok=True)
        self.deadline = time.monotonic() + args.max_minutes * 60
        self.loads = []
        self.results = {
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "command": "benchmarks/run.sh " + shlex.join(sys.argv[1:]),
            "commit": run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], 30, check=False)[1].stdout.strip(),
            "machine": machine(),
            "figures": [],
        }
        self.client_python = str(REPO / ".venv-client/bin/python")
        self.s3_client_python = str(REPO / ".venv-bench/bin/python")
        self.images = [
            self.defaults["backend_store_image"],
            self.defaults["artifact_store_image"],
            self.defaults["mlflow_server_image"],
        ]

    # ------------------------------------------------------------------ helpers
    def time_left(self):
        return self.deadline - time.monotonic()

    def rounds(self, minimum_seconds):
        """Round numbers while time is left for one more (at least one round)."""
        for index in range(self.args.rounds):
            if index > 0 and self.time_left() < minimum_seconds:
                log(f"time bound reached: {index} of {self.args.rounds} rounds")
                return
            yield index

    def sample_load(self):
        value = loadavg()
        self.loads.append(value)
        return value

    def ansible_env(self):
        env = dict(os.environ)
        env.update(
            {
                "PATH": f"{REPO / '.venv/bin'}:{env.get('PATH', '')}",
                "MLOPS_BENCH_STATE": str(self.state),
                "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
                "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "all",
                "ANSIBLE_NOCOLOR": "1",
            }
        )
        return env

    def site(self, inventory, log_name, timeout=1800):
        path = self.out / f"{log_name}.log"
        argv = [str(REPO / ".venv/bin/ansible-playbook"), "-i", str(BENCH / "inventory" / inventory), str(REPO / "playbooks/site.yml")]
        for extra in self.args.extra_vars:
            argv += ["--extra-vars", extra]
        seconds, _completed = run(argv, timeout, env=self.ansible_env(), output=path)
        return seconds, parse_play(path.read_text(encoding="utf-8"))

    def figure(self, **fields):
        self.results["figures"].append(fields)
        (self.out / "results.json").write_text(json.dumps(self.results, indent=2), encoding="utf-8")

    def secret(self, name):
        return (self.state / "secrets" / name).read_text(encoding="utf-8").strip()

    def client(self, python, host, args, timeout, env=None):
        """Runs load.py in host's network namespace; returns its JSON answer."""
        full_env = {key: value for key, value in os.environ.items() if not key.startswith(("MLFLOW_", "AWS_"))}
        full_env.update(env or {})
        argv = ["nsenter", "-t", host.pid(), "-n", python, str(BENCH / "load.py"), *args]
        _seconds, completed = run(argv, timeout, env=full_env)
        return json.loads(completed.stdout.strip().splitlines()[-1])

    # ------------------------------------------------------------------ hosts
    def ensure_network(self):
        if run(["docker", "network", "inspect", NETWORK], 30, check=False)[1].returncode != 0:
            run(["docker", "network", "create", NETWORK], 60)

    def prepare(self, names, inventory):
        """Hosts with Docker Engine and the images: created and deployed to once (not timed)."""
        self.ensure_network()
        hosts = [Host(name) for name in names]
        fresh = False
        for host in hosts:
            if not host.exists():
                log(f"creating bench host {host.name}")
                host.create()
                fresh = True
        if fresh or not all(host.engine_ready(self.images) for host in hosts):
            log(f"preparing {', '.join(names)}: site.yml installs Docker and loads the images (not timed)")
            seconds, play = self.site(inventory, f"prepare-{inventory}", timeout=3600)
            log(f"prepared in {seconds:.0f} s ({play['tasks']} tasks)")
        return hosts

    def destroy(self, names):
        for name in names:
            Host(name).destroy()

    # ------------------------------------------------------------------ P1
    def p1(self, host):
        course = host_path = "/root/course_stack.sh"
        run(["docker", "cp", str(BENCH / "course_stack.sh"), f"{host.name}:{host_path}"], 60)
        env = {
            "POSTGRES_IMAGE": self.defaults["backend_store_image"],
            "MINIO_IMAGE": self.defaults["artifact_store_image"],
            "MLFLOW_IMAGE": self.defaults["mlflow_server_image"],
        }
        ours, peer, ratios, loads, plays = [], [], [], [], []
        for index in self.rounds(180):
            # ABBA, ours last in odd-numbered rounds: with 1 or 3 rounds our stack stays deployed.
            order = ("peer", "ours") if index % 2 == 0 else ("ours", "peer")
            times = {}
            for side in order:
                host.sh(RESET_SCRIPT, timeout=300)
                loads.append(self.sample_load())
                if side == "ours":
                    seconds, play = self.site("single", f"p1-ours-{index + 1}")
                    plays.append(play)
                else:
                    argv = ["docker", "exec"] + [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
                    seconds, _completed = run([*argv, host.name, "bash", course, "up"], 600, output=self.out / f"p1-peer-{index + 1}.log")
                times[side] = seconds
                log(f"P1 round {index + 1}: {side} {seconds:.1f} s (load {loads[-1]})")
            ours.append(times["ours"])
            peer.append(times["peer"])
            ratios.append(times["ours"] / times["peer"])
        if order[-1] != "ours":
            # Leave our stack deployed for P2 to P4 (not timed).
            host.sh(RESET_SCRIPT, timeout=300)
            self.site("single", "p1-ours-final")
        self.figure(
            id="P1",
            what="fresh stack to a verified registry (s)",
            ours=median(ours),
            peer=median(peer),
            ratio=median(ratios),
            ratio_means="ours/peer time, lower is better",
            goal="<= 2.0",
            met=median(ratios) <= 2.0,
            samples={"ours": ours, "peer": peer, "ratios": ratios},
            tasks=median([play["tasks"] for play in plays]),
            fact_gatherings=median([play["fact_gatherings"] for play in plays]),
            ran=plays[-1]["ok"],
            skipped=plays[-1]["skipped"],
            profile=plays[-1]["profile"],
            load=median(loads),
        )

    # ------------------------------------------------------------------ P2
    def p2(self, inventory, figure_id, what, goal):
        samples, loads, plays = [], [], []
        for index in self.rounds(120):
            loads.append(self.sample_load())
            seconds, play = self.site(inventory, f"{figure_id.lower()}-{inventory}-{index + 1}")
            samples.append(seconds)
            plays.append(play)
            log(f"{figure_id} run {index + 1}: {seconds:.1f} s, {play['tasks']} tasks, changed={play['changed']} (load {loads[-1]})")
        self.figure(
            id=figure_id,
            what=what,
            ours=median(samples),
            peer=None,
            ratio=None,
            goal=f"<= {goal} s",
            met=median(samples) <= goal,
            samples={"ours": samples},
            tasks=plays[-1]["tasks"],
            fact_gatherings=plays[-1]["fact_gatherings"],
            changed=max(play["changed"] for play in plays),
            ran=plays[-1]["ok"],
            skipped=plays[-1]["skipped"],
            profile=plays[-1]["profile"],
            load=median(loads),
        )

    # ------------------------------------------------------------------ course flags on our stack
    def start_course_server(self, host):
        """The course's `mlflow server` flags, same image, on our database and our MinIO."""
        running = host.sh(f"docker ps -q --filter name=^{COURSE_FLAGS_CONTAINER}$").stdout.strip()
        if running:
            return
        uri = f"postgresql+psycopg2://mlflow:{self.secret('postgres_mlflow')}@mlflow-postgres:5432/mlflow"
        script = (
            f"docker run -d --name {COURSE_FLAGS_CONTAINER} --network mlflow -p 127.0.0.1:{COURSE_PORT}:5000"
            " -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e MLFLOW_S3_ENDPOINT_URL=http://mlflow-minio:9000"
            f" {shlex.quote(self.defaults['mlflow_server_image'])}"
            f' server --backend-store-uri "$COURSE_URI" --default-artifact-root s3://mlflow/ --host 0.0.0.0 > /dev/null\n'
            f"for _ in $(seq 300); do python3 -c 'import urllib.request; urllib.request.urlopen(\"http://127.0.0.1:{COURSE_PORT}/health\")'"
            " 2> /dev/null && exit 0; sleep 0.5; done; exit 1"
        )
        env = {"COURSE_URI": uri, "AWS_ACCESS_KEY_ID": "mlflow-admin", "AWS_SECRET_ACCESS_KEY": self.secret("minio_root")}
        host.sh(script, timeout=300, env=env)

    # ------------------------------------------------------------------ P3
    def p3(self, host):
        files = self.out / "files"
        files.mkdir(exist_ok=True)
        our_uri = f"http://127.0.0.1:{OUR_PORT}"
        course_uri = f"http://127.0.0.1:{COURSE_PORT}"
        s3_env = {
            "AWS_ACCESS_KEY_ID": "mlflow-admin",
            "AWS_SECRET_ACCESS_KEY": self.secret("minio_root"),
            "MLFLOW_S3_ENDPOINT_URL": f"http://127.0.0.1:{MINIO_PORT}",
        }
        memory = host.container_cgroup("mlflow-server", "memory")
        for size in self.args.sizes:
            path = files / f"artifact-{size}MiB.bin"
            with open(path, "wb") as handle:
                for _mebibyte in range(size):
                    handle.write(secrets.token_bytes(MIB))
            up = {"ours": [], "peer": []}
            down = {"ours": [], "peer": []}
            peaks = {"up": [], "down": []}
            loads = []
            for index in self.rounds(60 + size / 10):
                order = ("ours", "peer") if index % 2 == 0 else ("peer", "ours")
                for side in order:
                    loads.append(self.sample_load())
                    python, uri, env = (self.client_python, our_uri, {}) if side == "ours" else (self.s3_client_python, course_uri, s3_env)
                    env = {**env, "MLFLOW_TRACKING_URI": uri}
                    with MemoryPeak(memory if side == "ours" else None) as peak_up:
                        sent = self.client(
                            python, host, ["transfer-up", "--tracking-uri", uri, "--experiment", f"bench-p3-{side}", "--file", str(path)], 1800, env
                        )
                    with MemoryPeak(memory if side == "ours" else None) as peak_down:
                        got = self.client(
                            python,
                            host,
                            ["transfer-down", "--tracking-uri", uri, "--run-id", sent["run_id"], "--artifact", sent["artifact"], "--delete"],
                            1800,
                            env,
                        )
                    up[side].append(sent["mib_s"])
                    down[side].append(got["mib_s"])
                    if side == "ours":
                        peaks["up"].append(peak_up.result())
                        peaks["down"].append(peak_down.result())
                    log(f"P3 {size} MiB round {index + 1} {side}: up {sent['mib_s']} MiB/s, down {got['mib_s']} MiB/s (load {loads[-1]})")
            path.unlink()
            for direction, values in (("up", up), ("down", down)):
                ratios = [ours / peer for ours, peer in zip(values["ours"], values["peer"], strict=True)]
                peak = peaks[direction]
                self.figure(
                    id="P3",
                    what=f"{size} MiB artifact {direction} (MiB/s)",
                    ours=median(values["ours"]),
                    peer=median(values["peer"]),
                    ratio=median(ratios),
                    ratio_means="ours/peer throughput, higher is better",
                    goal=">= 0.9",
                    met=median(ratios) >= 0.9,
                    samples={**values, "ratios": ratios},
                    server_peak_rss_mib=max(item["rss_mib"] for item in peak),
                    server_rss_growth_mib=max(item["rss_growth_mib"] for item in peak),
                    server_peak_usage_mib=max(item["usage_mib"] for item in peak),
                    server_peak_with_cache_mib=max(item["max_usage_mib"] for item in peak),
                    load=median(loads),
                )

    # ------------------------------------------------------------------ P4
    def p4(self, host):
        urls = {"ours": f"http://127.0.0.1:{OUR_PORT}", "peer": f"http://127.0.0.1:{COURSE_PORT}"}
        kinds = [
            ("log-batch", ["log-batch", "--clients", "8", "--seconds", str(self.args.p4_seconds), "--metrics", "50"]),
            ("read-raw", ["registry-read", "--rps", "50", "--seconds", str(self.args.p4_seconds), "--client", "raw"]),
            ("read-mlflow", ["registry-read", "--rps", "50", "--seconds", str(self.args.p4_seconds), "--client", "mlflow"]),
        ]
        data = {kind: {"ours": [], "peer": []} for kind, _args in kinds}
        loads = {kind: [] for kind, _args in kinds}
        for index in self.rounds(6 * self.args.p4_seconds + 30):
            order = ("ours", "peer") if index % 2 == 0 else ("peer", "ours")
            for kind, args in kinds:
                for side in order:
                    loads[kind].append(self.sample_load())
                    answer = self.client(self.client_python, host, [args[0], "--url", urls[side], *args[1:]], 300)
                    data[kind][side].append(answer)
                    log(
                        f"P4 {kind} round {index + 1} {side}: {answer['rps']} req/s, p50 {answer['p50_ms']} ms,"
                        f" p99 {answer['p99_ms']} ms, errors {answer['errors']} (load {loads[kind][-1]})"
                    )
        batch = data["log-batch"]
        rps_ratios = [ours["rps"] / peer["rps"] for ours, peer in zip(batch["ours"], batch["peer"], strict=True)]
        self.figure(
            id="P4",
            what="log_batch, 8 clients x 50 metrics (req/s)",
            ours=median([item["rps"] for item in batch["ours"]]),
            peer=median([item["rps"] for item in batch["peer"]]),
            ratio=median(rps_ratios),
            ratio_means="ours/peer requests per second, higher is better",
            goal=">= 1.5",
            met=median(rps_ratios) >= 1.5,
            p99_ms={side: median([item["p99_ms"] for item in batch[side]]) for side in batch},
            errors={side: sum(item["errors"] for item in batch[side]) for side in batch},
            samples={**batch, "ratios": rps_ratios},
            load=median(loads["log-batch"]),
        )
        for kind, label in (("read-raw", "raw HTTP"), ("read-mlflow", "MLflow client")):
            reads = data[kind]
            ratios = [ours["p99_ms"] / peer["p99_ms"] for ours, peer in zip(reads["ours"], reads["peer"], strict=True)]
            ours_p99 = median([item["p99_ms"] for item in reads["ours"]])
            self.figure(
                id="P4",
                what=f"registered-models/get at 50 req/s, {label}: p99 ms",
                ours=ours_p99,
                peer=median([item["p99_ms"] for item in reads["peer"]]),
                ratio=median(ratios),
                ratio_means="ours/peer p99 latency, lower is better",
                goal="p99 <= 25 ms" if kind == "read-raw" else None,
                met=(ours_p99 <= 25) if kind == "read-raw" else None,
                p50_ms={side: median([item["p50_ms"] for item in reads[side]]) for side in reads},
                errors={side: sum(item["errors"] for item in reads[side]) for side in reads},
                samples={**reads, "ratios": ratios},
                load=median(loads[kind]),
            )

    # ------------------------------------------------------------------ main
    def main(self):
        only = set(self.args.only)
        log(f"results and logs: {self.out}")
        try:
            if only & {"P1", "P2", "P3", "P4"}:
                (host,) = self.prepare(SINGLE_HOSTS, "single")
                if "P1" in only:
                    self.p1(host)
                elif not host.engine_ready(self.images) or "mlflow-server" not in host.sh("docker ps --format '{{.Names}}'").stdout:
                    self.site("single", "deploy")
                if "P2" in only:
                    self.p2("single", "P2", "site.yml again, nothing to change, single host (s)", 15)
                if only & {"P3", "P4"}:
                    self.start_course_server(host)
                if "P3" in only:
                    self.p3(host)
                if "P4" in only:
                    self.p4(host)
                if not self.args.keep:
                    self.destroy(SINGLE_HOSTS)
            if self.args.multi_host:
                self.prepare(MULTI_HOSTS, "multi")
                self.p2("multi", "P2", "site.yml again, nothing to change, five hosts (s)", 60)
                if not self.args.keep:
                    self.destroy(MULTI_HOSTS)
        finally:
            self.results["machine"]["load_during_run"] = {
                "min": min(self.loads, default=None),
                "median": median(self.loads),
                "max": max(self.loads, default=None),
            }
            (self.out / "results.json").write_text(json.dumps(self.results, indent=2), encoding="utf-8")
            table = render(self.results)
            (self.out / "results.md").write_text(table, encoding="utf-8")
            print(table)
            log(f"results: {self.out / 'results.json'}, {self.out / 'results.md'}")


class MemoryPeak:
    """Samples a cgroup v1 memory controller while a transfer runs (none: does nothing)."""

    def __init__(self, path, interval=0.2):
        self.path = path
        self.interval = interval
        self.rss = self.usage = self.max_usage = 0
        self.baseline_rss = self.baseline_usage = 0
        self.stop = threading.Event()

    def _stat(self):
        stat = dict(line.split() for line in (self.path / "memory.stat").read_text().splitlines())
        usage = int((self.path / "memory.usage_in_bytes").read_text())
        return int(stat["total_rss"]), usage - int(stat["total_inactive_file"])

    def _sample(self):
        while not self.stop.wait(self.interval):
            rss, usage = self._stat()
            self.rss, self.usage = max(self.rss, rss), max(self.usage, usage)

    def __enter__(self):
        if self.path:
            # max_usage_in_bytes counts page cache too (the server's spool file): reset, read after.
            with contextlib.suppress(OSError):
                (self.path / "memory.max_usage_in_bytes").write_text("0")
            self.baseline_rss, self.baseline_usage = self._stat()
            self.thread = threading.Thread(target=self._sample, daemon=True)
            self.thread.start()
        return self

    def __exit__(self, *exc):
        if self.path:
            self.stop.set()
            self.thread.join()
            self.max_usage = int((self.path / "memory.max_usage_in_bytes").read_text())

    def result(self):
        return {
            "rss_mib": round(self.rss / MIB),
            "rss_growth_mib": round((self.rss - self.baseline_rss) / MIB),
            "usage_mib": round(self.usage / MIB),
            "max_usage_mib": round(self.max_usage / MIB),
        }


def parse_play(text):
    """Counts from an ansible-playbook log: tasks run, fact gatherings, the recap's sums."""
    recap = {"ok": 0, "changed": 0, "failed": 0, "skipped": 0}
    in_recap = False
    for line in text.splitlines():
        if line.startswith("PLAY RECAP"):
            in_recap = True
            continue
        if in_recap and ":" in line and "ok=" in line:
            for item in line.split(":", 1)[1].split():
                key, _equals, value = item.partition("=")
                if key in recap:
                    recap[key] += int(value)
    return {
        "tasks": sum(1 for line in text.splitlines() if line.startswith("TASK [")),
        "fact_gatherings": sum(1 for line in text.splitlines() if line.startswith("TASK [Gathering Facts]")),
        **recap,
        "profile": site_profile(text),
    }


# Where site.yml's time goes, by kind of task (first pattern that matches a task's name).
PROFILE_KINDS = (
    ("fact gathering", r"^Gathering Facts$"),
    ("schema probe container", r"Read the schema revision"),
    ("mlflow db upgrade container", r"Run mlflow db upgrade"),
    ("registry_check (role and controller)", r"Check the MLflow registry end to end|Check the MLflow server from the controller"),
    ("waits for health", r"healthy|Wait for"),
    ("docker/apt role", r"^mlops\.mlflow\.docker :"),
    ("container, network, volume modules", r"Run the .*container|Create the stack's network|Create the data volume"),
    ("database and bucket modules", r"database|bucket"),
    ("engine look-ups (image, container, socket)", r"Look (for|up)|Find "),
)


def site_profile(text):
    """The profile_tasks recap of a site.yml log: seconds by kind of task, and the slowest tasks."""
    if "TASKS RECAP" not in text:
        return None
    recap = text[text.index("TASKS RECAP") :]
    rows = [(name.strip(), float(seconds)) for name, seconds in re.findall(r"^(.*?) -+ ([0-9.]+)s$", recap, re.MULTILINE)]
    kinds = {}
    for name, seconds in rows:
        task = name.split(" : ", 1)[-1] if not name.startswith("mlops.mlflow.docker :") else name
        kind = next((label for label, pattern in PROFILE_KINDS if re.search(pattern, task)), "everything else")
        count, total = kinds.get(kind, (0, 0.0))
        kinds[kind] = (count + 1, round(total + seconds, 2))
    return {
        "total_s": round(sum(seconds for _name, seconds in rows), 1),
        "tasks_under_half_a_second": sum(1 for _name, seconds in rows if seconds < 0.5),
        "kinds": dict(sorted(kinds.items(), key=lambda item: -item[1][1])),
        "slowest": rows[:12],
    }


def machine():
    memory = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory.split()[1]) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "cpu": next(
            (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
            platform.machine(),
        ),
    }


def fmt(value, digits=1):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def render(results):
    m = results["machine"]
    load = m.get("load_during_run", {})
    lines = [
        f"date {results['date']}, commit {results['commit']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['cpu']}",
        f"load average (1 min) during the run: min {fmt(load.get('min'))}, median {fmt(load.get('median'))}, max {fmt(load.get('max'))}",
        f"command: {results['command']}",
        "",
        "| id | what | ours | peer | ratio | goal | met | load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for figure in results["figures"]:
        extra = []
        if "tasks" in figure:
            extra.append(f"{figure['ran']} tasks ran, {figure['skipped']} skipped, {figure['fact_gatherings']:.0f} fact gatherings")
        if figure.get("changed") is not None:
            extra.append(f"changed={figure['changed']}")
        if "p99_ms" in figure:
            extra.append("p99 ms ours/peer " + "/".join(fmt(figure["p99_ms"][side], 0) for side in ("ours", "peer")))
        if "p50_ms" in figure:
            extra.append("p50 ms ours/peer " + "/".join(fmt(figure["p50_ms"][side]) for side in ("ours", "peer")))
        if "server_peak_rss_mib" in figure:
            extra.append(
                f"server peak RSS {figure['server_peak_rss_mib']} MiB (+{figure['server_rss_growth_mib']} MiB over idle),"
                f" docker-stats {figure['server_peak_usage_mib']} MiB,"
                f" with page cache {figure['server_peak_with_cache_mib']} MiB"
            )
        if figure.get("errors") and any(figure["errors"].values()):
            extra.append(f"errors {figure['errors']}")
        what = figure["what"] + (f" ({'; '.join(extra)})" if extra else "")
        met = {True: "yes", False: "no", None: "-"}[figure.get("met")]
        lines.append(
            f"| {figure['id']} | {what} | {fmt(figure['ours'])} | {fmt(figure['peer'])} | {fmt(figure['ratio'], 2)} |"
            f" {figure.get('goal') or '-'} | {met} | {fmt(figure.get('load'))} |"
        )
    for figure in results["figures"]:
        profile = figure.get("profile")
        if not profile:
            continue
        lines += ["", f"{figure['id']}, {figure['what']}, last run: where site.yml spends {profile['total_s']} s (profile_tasks)", ""]
        lines += ["| kind of task | tasks | seconds |", "| --- | --- | --- |"]
        lines += [f"| {kind} | {count} | {seconds:.1f} |" for kind, (count, seconds) in profile["kinds"].items()]
        lines += ["", "slowest: " + "; ".join(f"{name} {seconds:.1f} s" for name, seconds in profile["slowest"][:8])]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each pair (1-10); figures are medians")
    parser.add_argument("--only", default="P1,P2,P3,P4", help="comma-separated subset of P1,P2,P3,P4")
    parser.add_argument("--sizes", default="256,1024", help="P3 artifact sizes in MiB (1-2048)")
    parser.add_argument("--p4-seconds", type=int, default=15, help="length of each P4 load (5-60 s)")
    parser.add_argument("--multi-host", action="store_true", help="P2 on the five-host layout of molecule/multi_host too (heavy)")
    parser.add_argument("--keep", action="store_true", help="keep the bench hosts (the next run skips their preparation)")
    parser.add_argument("--destroy", action="store_true", help="only remove every bench host, volume and the network, then exit")
    parser.add_argument("--max-minutes", type=float, default=60, help="stop starting new rounds after this long")
    parser.add_argument("--output", help="directory for results.json, results.md and the logs")
    parser.add_argument(
        "--extra-vars",
        action="append",
        default=[],
        metavar="VARS",
        help="passed to every site.yml run (-e), to measure a candidate setting before it goes into a role; repeatable",
    )
    args = parser.parse_args()
    args.only = [item.strip().upper() for item in args.only.split(",") if item.strip()]
    args.sizes = [int(item) for item in args.sizes.split(",") if item.strip()]
    if not 1 <= args.rounds <= 10:
        parser.error("--rounds must be between 1 and 10")
    if set(args.only) - {"P1", "P2", "P3", "P4"}:
        parser.error("--only takes P1, P2, P3 and P4")
    if not all(1 <= size <= 2048 for size in args.sizes):
        parser.error("--sizes must be between 1 and 2048 MiB")
    if not 5 <= args.p4_seconds <= 60:
        parser.error("--p4-seconds must be between 5 and 60")
    if os.geteuid() != 0:
        parser.error("run as root: it enters the bench host's network namespace (nsenter)")
    if args.destroy:
        for name in SINGLE_HOSTS + MULTI_HOSTS:
            Host(name).destroy()
        run(["docker", "network", "rm", NETWORK], 60, check=False)
        # The secrets belonged to the stacks just removed.
        shutil.rmtree(STATE / "state", ignore_errors=True)
        return
    Bench(args).main()


if __name__ == "__main__":
    main()
