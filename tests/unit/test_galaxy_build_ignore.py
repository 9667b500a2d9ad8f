"""What git ignores (secrets, environments, caches, build output) stays out of the collection tarball."""

import fnmatch
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
# ansible-galaxy's own exclusions (ansible.galaxy.collection._build_files_manifest_walk).
GALAXY_ALWAYS = ["*.pyc", "*.retry", "tests/output", "__pycache__", ".git"]


def _gitignore_patterns():
    lines = (REPO / ".gitignore").read_text().splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")]


def test_build_ignore_covers_gitignore():
    build_ignore = yaml.safe_load((REPO / "galaxy.yml").read_text())["build_ignore"]
    missing = [p for p in _gitignore_patterns() if p not in build_ignore + GALAXY_ALWAYS]
    assert not missing, f"galaxy.yml build_ignore lacks what .gitignore ignores: {missing}"


def test_build_ignore_leaves_out_the_integration_secrets():
    build_ignore = yaml.safe_load((REPO / "galaxy.yml").read_text())["build_ignore"]
    for path in ("tests/integration/integration_config.yml", ".venv", ".venv-client", ".nox", "tests/output"):
        assert any(fnmatch.fnmatch(path, pattern) for pattern in build_ignore + GALAXY_ALWAYS), path
