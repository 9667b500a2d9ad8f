"""One rule for names: the modules' checks in module_utils, the test plugins and the role preflights agree.

The same lists of names go to the module_utils rule and to the test plugin; the preflights
are checked to call the plugins. tests/integration/targets/postgresql_database and s3_bucket
run the role preflights and the modules on the same names.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible_collections.mlops.mlflow.plugins.module_utils import _s3
from ansible_collections.mlops.mlflow.plugins.module_utils._postgres import identifier_problems
from ansible_collections.mlops.mlflow.plugins.module_utils._s3 import bucket_name_problems
from ansible_collections.mlops.mlflow.plugins.test import postgresql_identifier, s3_bucket_name

REPO = Path(__file__).resolve().parents[4]

# name: (valid as a database name, valid as a role name)
POSTGRESQL_NAMES = {
    "mlflow": (True, True),
    "_mlflow": (True, True),
    "mlflow_2024": (True, True),
    "a" * 63: (True, True),
    "a" * 64: (False, False),
    "\u00e9" * 32: (False, False),
    "": (False, False),
    "MLflow": (False, False),
    "ml-flow": (False, False),
    "ml flow": (False, False),
    "2mlflow": (False, False),
    'ml"flow': (False, False),
    "ml\x00flow": (False, False),
    "pg_mlflow": (True, False),
    "public": (True, False),
    "none": (True, False),
}

S3_NAMES = {
    "mlflow": True,
    "mlflow-artifacts": True,
    "my.mlflow.bucket": True,
    "abc": True,
    "a" * 63: True,
    "1mlflow": True,
    "ab": False,
    "a" * 64: False,
    "Mlflow": False,
    "ml_flow": False,
    "-mlflow": False,
    "mlflow-": False,
    "ml..flow": False,
    "10.0.0.1": False,
    "": False,
    **{prefix + "mlflow": False for prefix in _s3._RESERVED_PREFIXES},
    **{"mlflow" + suffix: False for suffix in _s3._RESERVED_SUFFIXES},
}

NOT_STRINGS = [None, 5, ["mlflow"], {"name": "mlflow"}]


def _plugin(module, name):
    tests = module.TestModule().tests()
    assert list(tests) == [name], "the file %s.py holds the test %s only" % (name, name)
    return tests[name]


@pytest.mark.parametrize(("name", "valid"), POSTGRESQL_NAMES.items(), ids=repr)
def test_postgresql_identifier_agrees_with_the_module(name, valid):
    test = _plugin(postgresql_identifier, "postgresql_identifier")
    for kind, expected in zip(("database", "role"), valid, strict=True):
        assert (identifier_problems(name, kind) == []) is expected, kind
        assert test(name, kind) is expected, kind
    assert test(name) is valid[0], "kind defaults to database"


@pytest.mark.parametrize(("name", "valid"), S3_NAMES.items(), ids=repr)
def test_s3_bucket_name_agrees_with_the_module(name, valid):
    assert (bucket_name_problems(name) == []) is valid
    assert _plugin(s3_bucket_name, "s3_bucket_name")(name) is valid


@pytest.mark.parametrize("value", NOT_STRINGS, ids=repr)
def test_what_is_not_a_string_is_no_name(value):
    assert _plugin(s3_bucket_name, "s3_bucket_name")(value) is False
    assert _plugin(postgresql_identifier, "postgresql_identifier")(value, "role") is False


def test_unknown_kind_is_an_error():
    with pytest.raises(Exception, match="kind must be one of database, role, got 'table'"):
        _plugin(postgresql_identifier, "postgresql_identifier")("mlflow", "table")


def test_s3_bucket_name_documents_every_reserved_affix():
    documented = s3_bucket_name.DOCUMENTATION
    for affix in _s3._RESERVED_PREFIXES + _s3._RESERVED_SUFFIXES:
        assert "V(%s)" % affix in documented


def _tasks(role, phase="preflight"):
    return yaml.safe_load((REPO / "roles" / role / "tasks" / ("%s.yml" % phase)).read_text())


def _task(role, name):
    return next(task for task in _tasks(role) if task["name"] == name)


def test_backend_store_preflight_checks_each_name_with_the_plugin():
    task = _task("backend_store", "Check the database and role names")
    assert task["ansible.builtin.assert"]["that"] == ["item.value is mlops.mlflow.postgresql_identifier(item.kind)"]
    checked = {item["name"]: (item["value"], item["kind"]) for item in task["loop"]}
    assert checked == {
        "backend_store_database": ("{{ backend_store_database }}", "database"),
        "backend_store_database_user": ("{{ backend_store_database_user }}", "role"),
        "backend_store_postgres_user": ("{{ backend_store_postgres_user }}", "role"),
    }
    assert "{{ item.name }}" in task["ansible.builtin.assert"]["fail_msg"]


def test_artifact_store_preflight_checks_the_bucket_with_the_plugin():
    task = _task("artifact_store", "Check the bucket name")
    assert task["ansible.builtin.assert"]["that"] == ["artifact_store_bucket is mlops.mlflow.s3_bucket_name"]
    assert "when" not in task, "the bucket is checked whether MinIO is ours or external"
    message = task["ansible.builtin.assert"]["fail_msg"]
    assert message.startswith("artifact_store_bucket is ")
    for affix in _s3._RESERVED_PREFIXES + _s3._RESERVED_SUFFIXES:
        assert affix in message


@pytest.mark.parametrize("role", ["artifact_store", "backend_store"])
def test_no_role_keeps_a_name_pattern_of_its_own(role):
    for path in (REPO / "roles" / role).rglob("*.yml"):
        text = path.read_text()
        assert "_bucket_pattern" not in text and "_identifier_pattern" not in text, path
