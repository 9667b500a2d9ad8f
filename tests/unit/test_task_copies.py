"""No task file is copied between roles (issue 14): shared steps live in roles/common."""

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("task_copies", REPO / "tests" / "tools" / "task_copies.py")
task_copies = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(task_copies)


def test_no_task_file_is_copied_between_roles():
    identical = [(str(a.relative_to(REPO)), str(b.relative_to(REPO))) for ratio, a, b in task_copies.similar_pairs(REPO / "roles", 1.0)]
    assert not identical, f"task files identical once role names are replaced (move them to roles/common): {identical}"


def test_the_comparison_replaces_role_names(tmp_path):
    # Two roles with the same file up to their names are copies; a different step is not.
    for role in ("first_role", "second_role"):
        (tmp_path / role / "tasks").mkdir(parents=True)
        (tmp_path / role / "tasks" / "install.yml").write_text(
            f"---\n# {role}\n- name: Pull\n  community.docker.docker_image_pull:\n    name: \"{{{{ {role}_image }}}}\"\n"
        )
    (tmp_path / "second_role" / "tasks" / "run.yml").write_text("---\n- name: Run\n  ansible.builtin.debug:\n")
    pairs = task_copies.similar_pairs(tmp_path, 1.0)
    assert [(a.parents[1].name, a.name, b.parents[1].name, b.name) for _ratio, a, b in pairs] == [
        ("first_role", "install.yml", "second_role", "install.yml")
    ]
    assert list(task_copies.copied_tasks(tmp_path).values()) == [["first_role", "second_role"]]
