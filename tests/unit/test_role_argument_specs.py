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


def test_common_entry_points_document_their_arguments():
    """roles/common (internal) has no main entry point and keeps its defaults in vars/main.yml."""
    specs = _load(REPO / "roles" / "common" / "meta" / "argument_specs.yml")["argument_specs"]
    defaults = {k: v for k, v in _load(REPO / "roles" / "common" / "vars" / "main.yml").items() if not k.startswith("__")}
    assert "main" not in specs, "roles/common is internal: no main entry point"
    documented = {}
    for entry, spec in specs.items():
        assert (REPO / "roles" / "common" / "tasks" / f"{entry}.yml").is_file(), f"entry point {entry} has no tasks/{entry}.yml"
        for name, option in spec["options"].items():
            assert name.startswith("_common_"), f"common/{entry}: {name} is not prefixed _common_"
            assert option.get("description") and "type" in option, f"common/{entry}: {name} lacks a description or type"
            if option.get("required"):
                assert name not in defaults, f"common/{entry}: {name} is required but has a default in vars/main.yml"
            else:
                assert name in defaults, f"common/{entry}: {name} is optional but has no default in vars/main.yml"
                if "default" in option:
                    assert option["default"] == defaults[name], f"common/{entry}: default of {name} differs from vars/main.yml"
            documented[name] = entry
    undocumented = sorted(set(defaults) - set(documented))
    assert not undocumented, f"vars/main.yml of roles/common sets arguments no entry point documents: {undocumented}"
