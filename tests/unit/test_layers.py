"""Each layer knows only its own (issue 14): the product never runs test code.

The product is what a user runs or installs: roles, plugins, playbooks, the lab inventory and
scripts/. None of it may refer to a path under tests/ outside a comment.
"""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PRODUCT = ("roles", "plugins", "playbooks", "inventory", "scripts", "meta")


def references_to_tests(path):
    found = []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        code = line.strip()
        if not code or code.startswith("#"):
            continue
        if "tests/" in code.split(" #", 1)[0]:
            found.append(f"{path.relative_to(REPO)}:{number}: {code}")
    return found


def product_files():
    for top in PRODUCT:
        for path in sorted((REPO / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and ".secrets" not in path.parts:
                yield path


def test_product_files_exist():
    names = {str(path.relative_to(REPO)) for path in product_files()}
    assert {"scripts/deploy-lab.sh", "scripts/build-images.sh", "playbooks/site.yml"} <= names


def test_the_product_never_refers_to_test_code():
    found = [reference for path in product_files() for reference in references_to_tests(path)]
    assert not found, "product code refers to tests/ (move what it needs into the product):\n" + "\n".join(found)


def test_a_reference_in_code_is_found_and_a_comment_is_not(tmp_path, monkeypatch):
    monkeypatch.setattr(__import__(__name__), "REPO", tmp_path)
    script = tmp_path / "run.sh"
    script.write_text("# tests/lab/build.sh builds them\nexec tests/lab/build.sh\necho ok  # not tests/ here\n")
    assert references_to_tests(script) == ["run.sh:2: exec tests/lab/build.sh"]
