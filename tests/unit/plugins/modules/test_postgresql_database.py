"""The postgresql_database module's plans, computed from a state as the module reads it, without a server.

Each case gives the state read from PostgreSQL and the options, and expects the statements'
texts (what ``queries`` returns), the diff sections and the failures. That the statements do
what their texts say is tested against a real server in
tests/integration/targets/postgresql_database.
"""

from __future__ import annotations

import json

import pytest
from psycopg2 import sql

from ansible_collections.mlops.mlflow.plugins.module_utils._postgres import REDACTED, PostgresClient, Secret, password_matches
from ansible_collections.mlops.mlflow.plugins.modules.postgresql_database import (
    PlanError,
    fixed_property_mismatches,
    plan_absent,
    plan_public_schema,
    plan_server,
    result_of,
)

PASSWORD = "correct horse battery staple"
EXISTING = dict(name="mlflow", exists=True, owner="mlflow", encoding="UTF8", collate="C.UTF-8", ctype="C.UTF-8")
MISSING = dict(name="mlflow", exists=False, owner=None, encoding=None, collate=None, ctype=None)
TEMPLATE0 = dict(name="template0", exists=True, owner="postgres", encoding="UTF8", collate="en_US.UTF-8", ctype="en_US.UTF-8")
ROLE = dict(name="mlflow", exists=True, can_login=True, password=REDACTED)
NO_ROLE = dict(name="mlflow", exists=False, can_login=False, password=None)

CREATE_ROLE = 'CREATE ROLE "mlflow" WITH LOGIN PASSWORD \'********\''
SET_PASSWORD = 'ALTER ROLE "mlflow" WITH LOGIN PASSWORD \'********\''
CREATE_DB = 'CREATE DATABASE "mlflow" OWNER "mlflow" TEMPLATE "template0" ENCODING \'UTF8\''
GRANT_ROLE = 'GRANT "mlflow" TO CURRENT_USER'


def server_state(**changes):
    """An existing database owned by an existing role whose password is the one asked, read by a superuser."""
    state = dict(
        where="db.example.com:5432",
        login_user="postgres",
        database=EXISTING,
        encoding="UTF8",
        template=None,
        role=ROLE,
        password_matches=True,
        login_user_can_act_as_owner=True,
        scram_iterations=4096,
    )
    state.update(changes)
    return state


def wanted(**changes):
    """The module's options as the integration target passes them."""
    options = dict(name="mlflow", state="present", owner="mlflow", owner_password=PASSWORD, update_password="always", encoding="UTF8",
                   lc_collate=None, lc_ctype=None, template="template0", force=False)
    options.update(changes)
    return options


def texts(plan):
    return [statement.text for statement in plan.statements]


# --------------------------------------------------------------------------- state present, on login_db

SERVER_CASES = {
    "in sync": (server_state(), wanted(), []),
    "absent database and role": (
        server_state(database=MISSING, template=TEMPLATE0, role=NO_ROLE, password_matches=None, login_user_can_act_as_owner=True),
        wanted(),
        [CREATE_ROLE, CREATE_DB],
    ),
    "absent database, existing role": (server_state(database=MISSING, template=TEMPLATE0), wanted(), [CREATE_DB]),
    "absent database, no owner asked": (
        server_state(database=MISSING, template=TEMPLATE0, role=None, password_matches=None),
        wanted(owner=None, owner_password=None),
        ['CREATE DATABASE "mlflow" TEMPLATE "template0" ENCODING \'UTF8\''],
    ),
    "absent database with locales and another template": (
        server_state(database=MISSING, template=dict(TEMPLATE0, name="template1")),
        wanted(lc_collate="C", lc_ctype="C.UTF-8", template="template1", encoding="utf-8"),
        ['CREATE DATABASE "mlflow" OWNER "mlflow" TEMPLATE "template1" ENCODING \'UTF8\' LC_COLLATE \'C\' LC_CTYPE \'C.UTF-8\''],
    ),
    "absent database, login_user not superuser and not a member of the new role": (
        server_state(database=MISSING, template=TEMPLATE0, role=NO_ROLE, password_matches=None, login_user_can_act_as_owner=False),
        wanted(),
        [CREATE_ROLE, GRANT_ROLE, CREATE_DB],
    ),
    "owner change to an existing role": (
        server_state(database=dict(EXISTING, owner="postgres")),
        wanted(),
        ['ALTER DATABASE "mlflow" OWNER TO "mlflow"'],
    ),
    "owner change to a new role": (
        server_state(database=dict(EXISTING, owner="postgres"), role=NO_ROLE, password_matches=None),
        wanted(),
        [CREATE_ROLE, 'ALTER DATABASE "mlflow" OWNER TO "mlflow"'],
    ),
    "owner change by a login_user that must become a member first": (
        server_state(database=dict(EXISTING, owner="other"), login_user_can_act_as_owner=False),
        wanted(),
        [GRANT_ROLE, 'ALTER DATABASE "mlflow" OWNER TO "mlflow"'],
    ),
    "membership is not needed when the owner stays": (server_state(login_user_can_act_as_owner=False), wanted(), []),
    "owner unset leaves the owner alone": (
        server_state(database=dict(EXISTING, owner="someone"), role=None, password_matches=None),
        wanted(owner=None, owner_password=None),
        [],
    ),
    "password change": (server_state(password_matches=False), wanted(), [SET_PASSWORD]),
    "password change also gives LOGIN back": (
        server_state(role=dict(ROLE, can_login=False), password_matches=False),
        wanted(),
        [SET_PASSWORD],
    ),
    "password that could not be compared is set again": (server_state(password_matches=None), wanted(), [SET_PASSWORD]),
    "update_password on_create leaves another password alone": (
        server_state(password_matches=None),
        wanted(update_password="on_create"),
        [],
    ),
    "update_password on_create leaves a missing LOGIN alone": (
        server_state(role=dict(ROLE, can_login=False), password_matches=None),
        wanted(update_password="on_create"),
        [],
    ),
    "no owner_password leaves an existing role alone": (
        server_state(role=dict(ROLE, can_login=False), password_matches=None),
        wanted(owner_password=None),
        [],
    ),
    "same password, missing LOGIN": (server_state(role=dict(ROLE, can_login=False)), wanted(), ['ALTER ROLE "mlflow" WITH LOGIN']),
    "locales spelled differently are the same": (server_state(), wanted(lc_collate="C.utf8", lc_ctype="C.UTF-8"), []),
    "encoding spelled differently is the same (the server names it)": (server_state(), wanted(encoding="utf-8"), []),
}


@pytest.mark.parametrize(("state", "options", "expected"), SERVER_CASES.values(), ids=SERVER_CASES.keys())
def test_server_plan(state, options, expected):
    assert texts(plan_server(state, options)) == expected


@pytest.mark.parametrize(
    ("state", "options", "before_owner", "after"),
    [
        pytest.param(server_state(), wanted(), "mlflow", EXISTING, id="in sync"),
        pytest.param(server_state(database=dict(EXISTING, owner="postgres")), wanted(), "postgres", EXISTING, id="owner change"),
        pytest.param(
            server_state(database=MISSING, template=TEMPLATE0, role=NO_ROLE, password_matches=None),
            wanted(),
            None,
            dict(EXISTING, collate="en_US.UTF-8", ctype="en_US.UTF-8"),
            id="created with the template's locales",
        ),
        pytest.param(
            server_state(database=MISSING, template=TEMPLATE0, role=None),
            wanted(owner=None, owner_password=None, lc_collate="C", lc_ctype="C"),
            None,
            dict(EXISTING, owner="postgres", collate="C", ctype="C"),
            id="created for login_user with asked locales",
        ),
    ],
)
def test_server_plan_database_before_and_after(state, options, before_owner, after):
    plan = plan_server(state, options)
    assert plan.before["database"]["owner"] == before_owner
    assert plan.after["database"] == after


@pytest.mark.parametrize(
    ("state", "options", "role_after"),
    [
        pytest.param(server_state(), wanted(), ROLE, id="unchanged"),
        pytest.param(server_state(role=NO_ROLE, password_matches=None), wanted(), ROLE, id="created"),
        pytest.param(server_state(password_matches=False), wanted(), dict(ROLE, password=REDACTED + " (changed)"), id="password changed"),
        pytest.param(server_state(role=dict(ROLE, can_login=False)), wanted(), ROLE, id="login given"),
    ],
)
def test_server_plan_owner_role_before_and_after(state, options, role_after):
    plan = plan_server(state, options)
    assert plan.before["owner_role"] == state["role"]
    assert plan.after["owner_role"] == role_after
    assert plan.before["public_schema"] is None and plan.after["public_schema"] is None


def test_without_owner_the_diff_holds_the_database_only():
    plan = plan_server(server_state(role=None, password_matches=None), wanted(owner=None, owner_password=None))
    assert set(plan.before) == set(plan.after) == {"database"}


def test_only_the_password_that_could_not_be_compared_warns():
    assert plan_server(server_state(password_matches=False), wanted()).warnings == []
    warnings = plan_server(server_state(password_matches=None), wanted()).warnings
    assert len(warnings) == 1
    assert warnings[0].startswith("could not compare the password of role 'mlflow' (login_user 'postgres' may not read pg_authid")


@pytest.mark.parametrize("role", [NO_ROLE, ROLE], ids=["create", "alter"])
def test_password_goes_as_a_scram_secret_of_the_asked_password_bound_and_redacted(role):
    plan = plan_server(server_state(role=role, password_matches=False, scram_iterations=8192), wanted())
    statement = plan.statements[0]
    assert len(statement.params) == 1 and isinstance(statement.params[0], Secret)
    secret = statement.params[0].value
    assert secret.startswith("SCRAM-SHA-256$8192:")
    assert password_matches(secret, PASSWORD, "mlflow") is True
    shown = json.dumps([plan.before, plan.after, texts(plan), repr(statement)])
    assert PASSWORD not in shown and "SCRAM-SHA-256$" not in shown


@pytest.mark.parametrize(
    ("state", "options", "message", "details"),
    [
        pytest.param(
            server_state(encoding=""),
            wanted(encoding="UTF-9"),
            "invalid encoding 'UTF-9' for database 'mlflow': PostgreSQL at db.example.com:5432 knows no such encoding; set encoding, for example to UTF8",
            {},
            id="unknown encoding",
        ),
        pytest.param(
            server_state(encoding="SQL_ASCII"),
            wanted(encoding="sql_ascii", lc_collate="C"),
            "database 'mlflow' on db.example.com:5432 exists with encoding UTF8 (asked: SQL_ASCII), lc_collate C.UTF-8 (asked: C): "
            "encoding, lc_collate and lc_ctype are fixed when a database is created",
            {"database": EXISTING},
            id="encoding and collation of an existing database",
        ),
        pytest.param(
            server_state(),
            wanted(lc_ctype="de_DE.UTF-8"),
            "database 'mlflow' on db.example.com:5432 exists with lc_ctype C.UTF-8 (asked: de_DE.UTF-8)",
            {"database": EXISTING},
            id="ctype of an existing database",
        ),
        pytest.param(
            server_state(role=NO_ROLE, password_matches=None),
            wanted(owner_password=None),
            "role 'mlflow' (option owner) does not exist on db.example.com:5432: set owner_password so the module can create it",
            {},
            id="missing role without owner_password",
        ),
        pytest.param(
            server_state(database=MISSING, template=dict(MISSING, name="no_such")),
            wanted(template="no_such"),
            "failed to create database 'mlflow' on db.example.com:5432: template database 'no_such' does not exist; set template (default template0)",
            {},
            id="missing template",
        ),
    ],
)
def test_server_plan_refuses(state, options, message, details):
    with pytest.raises(PlanError) as failure:
        plan_server(state, options)
    assert str(failure.value).startswith(message)
    assert failure.value.details == details


def test_fixed_properties_unset_locales_are_not_compared():
    assert fixed_property_mismatches(dict(EXISTING, collate="de_DE.UTF-8"), "UTF8", None, None) == []


# --------------------------------------------------------------------------- how the statements run


def _identifiers_and_sql(query):
    if isinstance(query, sql.Composed):
        return [part for sub in query.seq for part in _identifiers_and_sql(sub)]
    return [query]


def test_names_only_as_identifiers_values_only_as_parameters():
    plan = plan_server(
        server_state(database=MISSING, template=TEMPLATE0, role=NO_ROLE, password_matches=None, login_user_can_act_as_owner=False),
        wanted(lc_collate="C", lc_ctype="C"),
    )
    for statement in plan.statements:
        parts = _identifiers_and_sql(statement.query)
        assert all(isinstance(part, (sql.SQL, sql.Identifier)) for part in parts)
        sql_text = "".join(part.string for part in parts if isinstance(part, sql.SQL))
        assert "mlflow" not in sql_text and "template0" not in sql_text and "UTF8" not in sql_text
    assert plan.statements[-1].params == ("UTF8", "C", "C")


def test_only_create_and_drop_database_run_outside_the_transaction():
    plan = plan_server(
        server_state(database=MISSING, template=TEMPLATE0, role=NO_ROLE, password_matches=None, login_user_can_act_as_owner=False), wanted()
    )
    assert [(s.autocommit, s.rehearse) for s in plan.statements] == [(False, True), (False, True), (True, False)]
    drop = plan_absent(dict(where="h:1", database=EXISTING, sessions=0, server_version=170000), wanted(state="absent")).statements
    assert [(s.autocommit, s.rehearse) for s in drop] == [(True, False)]


# --------------------------------------------------------------------------- schema public, on the database


@pytest.mark.parametrize(
    ("schema", "role_committed", "ownership_committed", "expected", "rehearsed"),
    [
        pytest.param(None, True, True, ['CREATE SCHEMA public AUTHORIZATION "mlflow"'], True, id="dropped schema is created"),
        pytest.param(None, False, False, ['CREATE SCHEMA public AUTHORIZATION "mlflow"'], False, id="for a role check mode did not create"),
        pytest.param(dict(owner="pg_database_owner", owner_can_create=True), True, True, [], None, id="owner has the privileges"),
        pytest.param(dict(owner="postgres", owner_can_create=False), True, True, ['GRANT ALL ON SCHEMA public TO "mlflow"'], True, id="revoked"),
        pytest.param(
            dict(owner="pg_database_owner", owner_can_create=False), True, True, ['GRANT ALL ON SCHEMA public TO "mlflow"'], True,
            id="the server's answer counts even for pg_database_owner",
        ),
        pytest.param(dict(owner="pg_database_owner", owner_can_create=None), False, False, [], None, id="check mode predicts pg_database_owner"),
        pytest.param(dict(owner="pg_database_owner", owner_can_create=False), True, False, [], None, id="check mode, new owner of PG15+ layout"),
        pytest.param(
            dict(owner="postgres", owner_can_create=None), False, False, ['GRANT ALL ON SCHEMA public TO "mlflow"'], False,
            id="check mode on the older layout predicts a grant",
        ),
    ],
)
def test_public_schema_plan(schema, role_committed, ownership_committed, expected, rehearsed):
    plan = plan_public_schema(schema, "mlflow", "mlflow", role_committed, ownership_committed)
    assert texts(plan) == expected
    assert [s.rehearse for s in plan.statements] == ([rehearsed] if expected else [])
    assert all(not s.autocommit for s in plan.statements)
    assert plan.after == dict(public_schema=dict(owner=schema["owner"] if schema else "mlflow", owner_can_create=True))


def test_public_schema_diff_before_shows_unknown_privileges_as_false():
    assert plan_public_schema(None, "mlflow", "mlflow", True, True).before == dict(public_schema=None)
    plan = plan_public_schema(dict(owner="postgres", owner_can_create=None), "mlflow", "mlflow", False, False)
    assert plan.before == dict(public_schema=dict(owner="postgres", owner_can_create=False))


# --------------------------------------------------------------------------- state absent


def absent_state(**changes):
    state = dict(where="db.example.com:5432", database=EXISTING, sessions=0, server_version=170000)
    state.update(changes)
    return state


ABSENT_CASES = {
    "already absent": (absent_state(database=MISSING), False, []),
    "already absent, force": (absent_state(database=MISSING), True, []),
    "unused database": (absent_state(), False, ['DROP DATABASE "mlflow"']),
    "force": (absent_state(sessions=2), True, ['DROP DATABASE "mlflow" WITH (FORCE)']),
    "force on PostgreSQL 12 terminates the sessions first": (
        absent_state(sessions=2, server_version=120018),
        True,
        ["SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'mlflow' AND pid <> pg_backend_pid()", 'DROP DATABASE "mlflow"'],
    ),
}


@pytest.mark.parametrize(("state", "force", "expected"), ABSENT_CASES.values(), ids=ABSENT_CASES.keys())
def test_absent_plan(state, force, expected):
    plan = plan_absent(state, wanted(state="absent", force=force))
    assert texts(plan) == expected
    assert plan.before == dict(database=state["database"])
    assert plan.after == dict(database=MISSING)


def test_database_in_use_is_not_dropped_without_force():
    with pytest.raises(PlanError) as failure:
        plan_absent(absent_state(sessions=1), wanted(state="absent"))
    assert str(failure.value) == (
        "failed to drop database 'mlflow' on db.example.com:5432: 1 other session(s) are connected to it; "
        "stop its clients (for example the MLflow server) or set force: true to terminate them"
    )
    assert failure.value.details == dict(database=EXISTING, sessions=1)


# --------------------------------------------------------------------------- one plan for queries, changed and diff


def test_result_comes_from_the_plans():
    server = plan_server(server_state(database=dict(EXISTING, owner="postgres"), password_matches=False), wanted())
    schema = plan_public_schema(dict(owner="postgres", owner_can_create=False), "mlflow", "mlflow", True, True)
    result = result_of([server, schema], server.after["database"], diff_mode=True)
    assert result["changed"] is True
    assert result["queries"] == [SET_PASSWORD, 'ALTER DATABASE "mlflow" OWNER TO "mlflow"', 'GRANT ALL ON SCHEMA public TO "mlflow"']
    assert result["diff"]["before"] == dict(database=dict(EXISTING, owner="postgres"), owner_role=ROLE,
                                            public_schema=dict(owner="postgres", owner_can_create=False))
    assert result["diff"]["after"] == dict(database=EXISTING, owner_role=dict(ROLE, password=REDACTED + " (changed)"),
                                           public_schema=dict(owner="postgres", owner_can_create=True))


def test_nothing_to_do_is_not_a_change_and_diff_only_in_diff_mode():
    result = result_of([plan_server(server_state(), wanted())], EXISTING, diff_mode=False)
    assert result == dict(changed=False, database=EXISTING, queries=[])


class _Recorder:
    """Stands in for a psycopg2 connection: records what apply does, in order."""

    def __init__(self):
        self.calls = []
        self._autocommit = False

    @property
    def autocommit(self):
        return self._autocommit

    @autocommit.setter
    def autocommit(self, value):
        self._autocommit = value
        self.calls.append("autocommit=%s" % value)

    def commit(self):
        self.calls.append("commit")

    def rollback(self):
        self.calls.append("rollback")

    def cursor(self):
        recorder = self

        class Cursor:
            description = None

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def execute(self, query, params):
                recorder.calls.append(("execute", query, params))

        return Cursor()


def _applied(check_mode):
    plan = plan_server(server_state(database=MISSING, template=TEMPLATE0, role=NO_ROLE, password_matches=None), wanted())
    conn, done = _Recorder(), []
    PostgresClient().apply(conn, plan.statements, check_mode, done)
    return plan, conn.calls, done


def test_apply_commits_the_transaction_before_a_statement_that_cannot_run_in_one():
    plan, calls, done = _applied(check_mode=False)
    create_role, create_db = plan.statements
    assert done == texts(plan)
    assert calls[0][0] == "execute" and calls[0][1] is create_role.query
    assert calls[0][2][0].startswith("SCRAM-SHA-256$")  # the secret itself is sent
    assert calls[1:3] == ["commit", "autocommit=True"]
    assert calls[3] == ("execute", create_db.query, ("UTF8",))
    assert calls[4:] == ["commit", "autocommit=False"]


def test_apply_in_check_mode_rehearses_and_rolls_back_and_never_runs_create_database():
    plan, calls, done = _applied(check_mode=True)
    assert done == texts(plan)
    assert [c[0] if isinstance(c, tuple) else c for c in calls] == ["execute", "rollback", "autocommit=False"]
    assert calls[0][1] is plan.statements[0].query
