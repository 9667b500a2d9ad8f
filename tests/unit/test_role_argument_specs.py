"""Every role default is described in meta/argument_specs.yml, with the same default."""

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ROLES = sorted(p.name for p in (REPO / "roles").iterdir() if (p / "defaults" / "main.yml").is_file())


def _load(path):
    return yaml.safe_load(path.read_text()) or {}


@pytest.mark.parametrize("role", ROLES)
def test_argument_specs_describe_every_default(role):
    defaults = _load(REPO / "roles" / role / "defaults" / "main.yml")
    specs_file = REPO / "roles" / role / "meta" / "argument_specs.yml"
    assert specs_file.is_file(), f"roles/{role}/meta/argument_specs.yml is missing"
    options = _load(specs_file)["argument_specs"]["main"]["options"]

    missing = sorted(set(defaults) - set(options))
    assert not missing, f"defaults of role {role} not in argument_specs: {missing}"

    for name, value in defaults.items():
        spec = options[name]
        assert spec.get("description"), f"{role}: {name} has no description"
        assert "type" in spec, f"{role}: {name} has no type"
        assert not spec.get("required"), f"{role}: {name} has a default but is marked required"
        if isinstance(value, str) and "{{" in value:
            # A templated default is documented as text, not evaluated here.
            continue
        assert spec.get("default") == value, f"{role}: default of {name} is {value!r} in defaults but {spec.get('default')!r} in argument_specs"


@pytest.mark.parametrize("role", ROLES)
def test_argument_specs_have_no_stale_options(role):
    defaults = _load(REPO / "roles" / role / "defaults" / "main.yml")
    options = _load(REPO / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    for name, spec in options.items():
        assert name.startswith(f"{role}_"), f"{role}: option {name} is not prefixed with the role name"
        if "default" in spec:
            assert name in defaults, f"{role}: {name} has a default in argument_specs but none in defaults/main.yml"
