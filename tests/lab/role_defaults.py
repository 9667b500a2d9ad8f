"""Print role defaults as shell assignments, so the lab scripts never repeat a pin.

    eval "$(python tests/lab/role_defaults.py backend_store_image artifact_store_image)"

Each name is looked up in roles/*/defaults/main.yml; a missing name is an error.
"""

import shlex
import sys
from pathlib import Path

import yaml


def main(names):
    roles = Path(__file__).resolve().parents[2] / "roles"
    defaults = {}
    for path in sorted(roles.glob("*/defaults/main.yml")):
        defaults.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    missing = [name for name in names if name not in defaults]
    if missing:
        sys.exit(f"role_defaults.py: not in any roles/*/defaults/main.yml: {', '.join(missing)}")
    for name in names:
        print(f"{name}={shlex.quote(str(defaults[name]))}")


if __name__ == "__main__":
    main(sys.argv[1:])
