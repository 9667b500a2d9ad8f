"""Task files copied between roles: the figures behind "one container lifecycle" (issue 14).

Every pair of task files of two different roles is compared after each role's own name is
replaced by ROLE (``backend_store_image`` and ``load_balancer_image`` are then the same word),
comments and blank lines dropped. Prints the line count of each role's tasks, then every pair at
least ``--threshold`` similar (difflib ratio, 1.0 = identical), and the single tasks written in
several roles. Exit status 1 when a pair is
identical, so that CI can run it; ``tests/unit/test_task_copies.py`` asserts the same.

    python3 tests/tools/task_copies.py [--threshold 0.8] [ROLES_DIR]
"""

import argparse
import collections
import difflib
import itertools
import json
import re
import sys
from pathlib import Path

import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"


def normalized(path, role):
    """The task file's lines without comments and blank lines, the role's name replaced by ROLE."""
    lines = []
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped == "---":
            continue
        lines.append(re.sub(rf"(?<![A-Za-z0-9]){re.escape(role)}", "ROLE", line.rstrip()))
    return lines


def task_files(roles_dir):
    """(role, path) of every task file of every role."""
    return [(p.parents[1].name, p) for p in sorted(roles_dir.glob("*/tasks/*.yml"))]


def similar_pairs(roles_dir, threshold):
    """(ratio, path a, path b) of task files of different roles at least threshold similar."""
    files = [(role, path, normalized(path, role)) for role, path in task_files(roles_dir)]
    pairs = []
    for (role_a, path_a, lines_a), (role_b, path_b, lines_b) in itertools.combinations(files, 2):
        if role_a == role_b or not lines_a or not lines_b:
            continue
        ratio = 1.0 if lines_a == lines_b else difflib.SequenceMatcher(None, lines_a, lines_b, autojunk=False).ratio()
        if ratio >= threshold:
            pairs.append((ratio, path_a, path_b))
    return sorted(pairs, key=lambda pair: (-pair[0], str(pair[1]), str(pair[2])))


def _tasks(items):
    """Every task of a task list, the tasks inside blocks too (a block itself is not counted)."""
    for item in items or []:
        if not isinstance(item, dict):
            continue
        if "block" in item:
            for key in ("block", "rescue", "always"):
                yield from _tasks(item.get(key))
        else:
            yield item


def copied_tasks(roles_dir):
    """{normalized task: [roles]} of single tasks that occur, role names replaced, in several roles."""
    where = collections.defaultdict(set)
    for role, path in task_files(roles_dir):
        for task in _tasks(yaml.safe_load(path.read_text())):
            text = json.dumps(task, sort_keys=True)
            where[re.sub(rf"(?<![A-Za-z0-9]){re.escape(role)}", "ROLE", text)].add(role)
    return {task: sorted(roles) for task, roles in where.items() if len(roles) > 1}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=0.8, help="report pairs at least this similar (0-1)")
    parser.add_argument("roles_dir", nargs="?", type=Path, default=ROLES)
    args = parser.parse_args()

    total = 0
    for role in sorted({role for role, _path in task_files(args.roles_dir)}):
        count = sum(len(p.read_text().splitlines()) for p in sorted(args.roles_dir.glob(f"{role}/tasks/*.yml")))
        files = len(list(args.roles_dir.glob(f"{role}/tasks/*.yml")))
        total += count
        print(f"{count:6d} lines in {files:2d} files  roles/{role}/tasks")
    print(f"{total:6d} lines in total")

    pairs = similar_pairs(args.roles_dir, args.threshold)
    identical = [pair for pair in pairs if pair[0] == 1.0]
    print(f"\n{len(identical)} identical and {len(pairs) - len(identical)} further pairs at least {args.threshold:.0%} similar (role names replaced):")
    for ratio, path_a, path_b in pairs:
        print(f"  {ratio:6.1%}  {path_a.relative_to(args.roles_dir)}  {path_b.relative_to(args.roles_dir)}")

    copies = copied_tasks(args.roles_dir)
    print(f"\n{len(copies)} tasks written in more than one role ({sum(map(len, copies.values()))} copies), role names replaced:")
    for task, roles in sorted(copies.items(), key=lambda item: (-len(item[1]), item[0])):
        print(f"  {len(roles)}x  {json.loads(task).get('name', '(unnamed)')}: {', '.join(roles)}")
    return 1 if identical else 0


if __name__ == "__main__":
    sys.exit(main())
