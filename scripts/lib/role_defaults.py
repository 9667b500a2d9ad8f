"""Print role defaults as shell assignments, so the image scripts and the lab never repeat a pin.

    eval "$(python scripts/lib/role_defaults.py backend_store_image artifact_store_image)"

Each name is looked up in roles/*/defaults/main.yml; a missing name is an error. A default
that refers to other defaults (artifact_store_image: "...:{{ artifact_store_minio_version }}")
is rendered with them, as Ansible would; only plain Jinja is available (no Ansible filters).
"""

import shlex
import sys
from pathlib import Path

import jinja2
import jinja2.meta
import yaml


def load_defaults(roles):
    defaults = {}
    for path in sorted(roles.glob("*/defaults/main.yml")):
        defaults.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return defaults


def render(name, defaults, depth=0):
    """The value of default NAME with the defaults it refers to filled in."""
    value = defaults[name]
    if not isinstance(value, str) or "{{" not in value:
        return value
    if depth > 10:
        raise ValueError(f"{name}: defaults refer to each other in a loop")
    # Values for shell assignments (quoted below), not HTML: nothing to escape.
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701
    template = environment.from_string(value)
    names = jinja2.meta.find_undeclared_variables(environment.parse(value))
    missing = sorted(names - set(defaults))
    if missing:
        raise ValueError(f"{name} refers to {', '.join(missing)}, which no role default defines")
    return template.render({ref: render(ref, defaults, depth + 1) for ref in names})


def main(names):
    roles = Path(__file__).resolve().parents[2] / "roles"
    defaults = load_defaults(roles)
    missing = [name for name in names if name not in defaults]
    if missing:
        sys.exit(f"role_defaults.py: not in any roles/*/defaults/main.yml: {', '.join(missing)}")
    try:
        values = {name: render(name, defaults) for name in names}
    except (ValueError, jinja2.TemplateError) as error:
        sys.exit(f"role_defaults.py: {error}")
    for name in names:
        print(f"{name}={shlex.quote(str(values[name]))}")


if __name__ == "__main__":
    main(sys.argv[1:])
