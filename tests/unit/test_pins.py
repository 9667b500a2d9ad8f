"""Pins live in one place each; where two files must agree, this keeps them agreeing."""

import os
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def _requirement(path, name):
    for line in (REPO / path).read_text().splitlines():
        match = re.match(rf"^{re.escape(name)}(\[[^\]]*\])?==(\S+)", line.strip())
        if match:
            return match.group(2)
    raise AssertionError(f"{name} is not pinned with == in {path}")


def test_mlflow_client_matches_server():
    defaults = yaml.safe_load((REPO / "roles/tracking_server/defaults/main.yml").read_text())
    assert _requirement("requirements/client.txt", "mlflow") == defaults["tracking_server_mlflow_version"]


def test_mlflow_is_at_least_the_security_release():
    defaults = yaml.safe_load((REPO / "roles/tracking_server/defaults/main.yml").read_text())
    version = tuple(int(part) for part in defaults["tracking_server_mlflow_version"].split("."))
    assert version >= (3, 16, 1)


def test_every_requirement_is_pinned():
    for path in sorted((REPO / "requirements").glob("*.txt")):
        for raw in path.read_text().splitlines():
            line = raw.split("#", 1)[0].strip()
            if not line or line.startswith("-r "):
                continue
            assert "==" in line, f"{path.name}: {line} is not pinned with =="


def test_postgres_major_is_supported():
    defaults = yaml.safe_load((REPO / "roles/backend_store/defaults/main.yml").read_text())
    tag = defaults["backend_store_image"].rsplit(":", 1)[1]
    assert int(tag.split(".")[0].split("-")[0]) >= 15, "PostgreSQL 14 and older are end-of-life"


def test_images_are_pinned_by_tag():
    for role in ("backend_store", "artifact_store", "tracking_server"):
        defaults = yaml.safe_load((REPO / f"roles/{role}/defaults/main.yml").read_text())
        for name, value in defaults.items():
            if name.endswith("_image") and isinstance(value, str) and "{{" not in value:
                tag = value.rsplit("/", 1)[-1].partition(":")[2]
                assert tag and tag != "latest", f"{role}: {name} must be pinned by tag, got {value!r}"


def test_minio_version_is_pinned_only_in_the_role_defaults():
    """The lab, the tests and the templates take the MinIO module version from the role defaults."""
    version = yaml.safe_load((REPO / "roles/artifact_store/defaults/main.yml").read_text())["artifact_store_minio_version"]
    # Prose may name it; argument_specs repeats every default (test_role_argument_specs keeps them equal).
    allowed = {"roles/artifact_store/defaults/main.yml", "roles/artifact_store/meta/argument_specs.yml", "roles/artifact_store/README.md"}
    skipped_dirs = {".git", ".venv", ".collections", ".cache", ".ruff_cache", "changelogs", "output", "__pycache__"}
    code = (".sh", ".py", ".j2", ".yml", ".yaml", ".cfg", ".toml")
    repeated = []
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in skipped_dirs and not d.startswith(".venv")]
        for name in files:
            path = Path(root, name)
            relative = path.relative_to(REPO).as_posix()
            if (name.endswith(code) or name.startswith("Dockerfile")) and relative not in allowed:
                if version in path.read_text(errors="replace"):
                    repeated.append(relative)
    assert not repeated, f"artifact_store_minio_version {version} is repeated in {repeated}: read it from the role defaults"
