"""Pure logic of the PostgreSQL client: names, SCRAM secrets, locales, error wording, redaction.

The SCRAM and MD5 vectors were produced by PostgreSQL 15.18 (CREATE ROLE ... PASSWORD with
password_encryption set, then SELECT rolpassword FROM pg_authid), so these tests check the
module against the server's own hashing. Everything that talks to a server is tested against
a real PostgreSQL in tests/integration/targets/postgresql_database.
"""

from __future__ import annotations

import pytest
from psycopg2 import sql

from ansible_collections.mlops.mlflow.plugins.module_utils._postgres import (
    REDACTED,
    Secret,
    bound_params,
    connect_error_message,
    display_params,
    identifier_error,
    identifier_problems,
    locales_equal,
    normalize_locale,
    parse_scram_verifier,
    password_matches,
    q_alter_database_owner,
    q_alter_role_password,
    q_create_database,
    q_create_role,
    q_drop_database,
    q_grant_public_schema,
    query_error_hint,
    query_error_message,
    redacted_text,
    saslprep,
    scram_verifier,
)

PG_SCRAM_PENCIL = "SCRAM-SHA-256$4096:CbMMBUU/RYEkdBiLrgzN1Q==$Aqqumv/T7tc7Sb4AYRzlZAW85P3HhdhhsGAqFWE9mDE=:DS3iCxhPAGvfmZ0bRL4JPXDzkuYIFDtmrlrvCb0plr4="
PG_SCRAM_UMLAUTS = "SCRAM-SHA-256$4096:F0F4+o8Vxget++swfwynmw==$jROOv4e9nJMxmGeXlK8r1Ovsz6jK6d+xfWBL0QyrqjE=:yMlKAn14yduXyiONoaFFUsB3+VxX16Zsi9KBi9pc0U4="
# Password "a<NO-BREAK SPACE>b": SASLprep maps the non-ASCII space to an ASCII one.
PG_SCRAM_NBSP = "SCRAM-SHA-256$4096:utun5umFPMUrL3924/JY1Q==$SK/MbfrO9U01IRF6VMpQ2sqGBaRR0465VsRr/scoa6U=:F9EAjaA3EGyN4xKJ5E21mkUTIOwMMKPz5atHqMS6EcY="
# Role h3_vec_md5, password "pencil", password_encryption = md5.
PG_MD5_PENCIL = "md5d56180b0d0eb2fc1c9eeae0192d24922"


# --------------------------------------------------------------------------- identifiers


@pytest.mark.parametrize("name", ["mlflow", "mlflow_db", "_x", "a" * 63, "db2", "mlflow_2024"])
def test_simple_names_are_accepted(name):
    assert identifier_problems(name) == []
    assert identifier_error("name", name, "database") is None


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "it is empty"),
        ("MLflow", "it contains 'L', 'M'"),
        ("ml-flow", "it contains '-'"),
        ("ml flow", "it contains ' '"),
        ('ml"; DROP DATABASE x; --', "it contains"),
        ("2mlflow", "it starts with a digit"),
        ("a" * 64, "it is 64 bytes long, PostgreSQL truncates names to 63"),
        ("ml\x00flow", "it contains a NUL character"),
        ("ml$flow", "it contains '$'"),
        ("mlfl\u00f6w", "it contains"),
    ],
)
def test_bad_names_are_refused_with_the_reason(name, problem):
    problems = identifier_problems(name)
    assert any(problem in p for p in problems), problems


def test_multibyte_names_are_measured_in_bytes():
    problems = identifier_problems("\u00e9" * 32)
    assert any("64 bytes long" in p for p in problems)


@pytest.mark.parametrize("name", ["public", "none", "pg_monitor", "pg_mlflow"])
def test_reserved_role_names(name):
    assert identifier_problems(name, "role")
    # The same names are fine for a database.
    assert identifier_problems(name, "database") == []


def test_identifier_error_names_option_and_rule():
    message = identifier_error("owner", "MLflow", "role")
    assert message.startswith("invalid role name 'MLflow' for option owner: it contains 'L', 'M'; ")
    assert "lowercase letters a-z, digits and underscores" in message
    assert "1 to 63" in message


# --------------------------------------------------------------------------- passwords


def test_scram_secret_from_postgresql_matches_its_password():
    assert password_matches(PG_SCRAM_PENCIL, "pencil", "any_role") is True


def test_scram_secret_does_not_match_another_password():
    assert password_matches(PG_SCRAM_PENCIL, "pencil ", "any_role") is False
    assert password_matches(PG_SCRAM_PENCIL, "Pencil", "any_role") is False
    assert password_matches(PG_SCRAM_PENCIL, "", "any_role") is False


def test_scram_with_non_ascii_password():
    assert password_matches(PG_SCRAM_UMLAUTS, "p\u00e4ssw\u00f6rd", "r") is True
    # NFKC: the decomposed spelling (a + combining diaeresis) is the same password to PostgreSQL.
    assert password_matches(PG_SCRAM_UMLAUTS, "pa\u0308ssw\u00f6rd", "r") is True
    assert password_matches(PG_SCRAM_UMLAUTS, "passwort", "r") is False


def test_scram_saslprep_maps_non_ascii_space():
    assert password_matches(PG_SCRAM_NBSP, "a\u00a0b", "r") is True
    assert password_matches(PG_SCRAM_NBSP, "a b", "r") is True


def test_saslprep():
    assert saslprep("pencil") == "pencil"
    # ASCII, even control characters, is left alone as PostgreSQL does.
    assert saslprep("a\tb") == "a\tb"
    assert saslprep("a\u00adb") == "ab"  # soft hyphen: mapped to nothing
    assert saslprep("\u2168") == "IX"  # NFKC
    # Prohibited (a private-use character): PostgreSQL hashes the raw password.
    assert saslprep("a\ue000") == "a\ue000"


def test_md5_secret():
    assert password_matches(PG_MD5_PENCIL, "pencil", "h3_vec_md5") is True
    # The role name is part of the MD5 secret.
    assert password_matches(PG_MD5_PENCIL, "pencil", "other") is False
    assert password_matches(PG_MD5_PENCIL, "pen", "h3_vec_md5") is False


def test_no_password_and_unknown_formats():
    assert password_matches(None, "pencil", "r") is False
    assert password_matches("********", "pencil", "r") is None
    assert password_matches("SCRAM-SHA-256$4096:!!!$x:y", "pencil", "r") is None


def test_parse_scram_verifier():
    iterations, salt, stored_key, server_key = parse_scram_verifier(PG_SCRAM_PENCIL)
    assert iterations == 4096
    assert len(salt) == 16
    assert len(stored_key) == len(server_key) == 32
    assert parse_scram_verifier("md5abc") is None
    assert parse_scram_verifier(None) is None


def test_built_secret_has_postgresql_format_and_verifies():
    secret = scram_verifier("s3cret", iterations=4096)
    assert parse_scram_verifier(secret)[0] == 4096
    assert password_matches(secret, "s3cret", "r") is True
    assert password_matches(secret, "s3cret!", "r") is False


def test_built_secret_equals_postgresql_for_same_salt():
    iterations, salt, _stored, _server = parse_scram_verifier(PG_SCRAM_PENCIL)
    assert scram_verifier("pencil", iterations=iterations, salt=salt) == PG_SCRAM_PENCIL


def test_built_secrets_use_fresh_salt():
    assert scram_verifier("same") != scram_verifier("same")


# --------------------------------------------------------------------------- locales


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("C.UTF-8", "C.utf8", True),
        ("en_US.UTF-8", "en_US.utf8", True),
        ("en_US.UTF-8", "de_DE.UTF-8", False),
        ("C", "POSIX", True),
        ("C", "C.UTF-8", False),
        ("de_DE.ISO-8859-1", "de_DE.iso88591", True),
        ("sr_RS.UTF-8@latin", "sr_RS.utf8@latin", True),
    ],
)
def test_locales_equal(a, b, equal):
    assert locales_equal(a, b) is equal


def test_normalize_locale_none():
    assert normalize_locale(None) is None


# --------------------------------------------------------------------------- errors


def test_authentication_failure_names_user_host_and_option():
    detail = 'connection to server at "10.0.0.5", port 5432 failed: FATAL:  password authentication failed for user "postgres"\n'
    message = connect_error_message(detail, "10.0.0.5", 5432, "postgres", "postgres")
    assert message.startswith("failed to connect to PostgreSQL at 10.0.0.5:5432 as login_user 'postgres'")
    assert "login_user 'postgres' on login_host '10.0.0.5'" in message
    assert "check login_password" in message
    assert "FATAL" not in message
    assert "\n" not in message


def test_unreachable_server_names_host_port_and_options():
    detail = (
        'connection to server at "127.0.0.1", port 1 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n'
    )
    message = connect_error_message(detail, "127.0.0.1", 1, "postgres", "postgres")
    assert "could not reach 127.0.0.1:1: check login_host and login_port, and that the server is running" in message


@pytest.mark.parametrize(
    ("detail", "hint"),
    [
        ('could not translate host name "db.invalid" to address: Name or service not known', "check login_host and login_port"),
        ("timeout expired", "check login_host and login_port"),
        ("fe_sendauth: no password supplied", "set login_password"),
        ('FATAL:  no pg_hba.conf entry for host "1.2.3.4", user "x", database "y", no encryption', "pg_hba.conf"),
        ('FATAL:  database "nope" does not exist', "check login_db"),
        ('FATAL:  role "nobody" does not exist', "check login_user"),
        ("server does not support SSL, but SSL was required", "check ssl_mode and ca_cert"),
    ],
)
def test_connect_error_hints(detail, hint):
    assert hint in connect_error_message(detail, "db.invalid", 5432, "x", "y")


def test_local_socket_is_named():
    message = connect_error_message("No such file or directory", None, 5432, "postgres", "postgres")
    assert "local socket:5432" in message


def test_unknown_connect_error_has_no_hint():
    assert connect_error_message("something odd", "h", 1, "u", "d").endswith(": something odd")


class FakePgError(Exception):
    def __init__(self, pgcode, pgerror):
        super().__init__(pgerror)
        self.pgcode = pgcode
        self.pgerror = pgerror


def test_query_error_message_names_action_object_and_server():
    exc = FakePgError("42501", "ERROR:  permission denied to create database\n")
    message = query_error_message("create", "database 'mlflow'", "db:5432", exc)
    assert message.startswith("failed to create database 'mlflow' on db:5432: permission denied to create database; ")
    assert "CREATEDB and CREATEROLE" in message


def test_object_in_use_hint_depends_on_action():
    assert "set force: true" in query_error_hint("55006", "drop")
    assert "template database is in use" in query_error_hint("55006", "create")


def test_query_error_without_hint():
    exc = FakePgError("XX000", "ERROR:  internal error\n")
    assert query_error_message("drop", "database 'x'", "h:1", exc) == "failed to drop database 'x' on h:1: internal error"


# --------------------------------------------------------------------------- queries and redaction


def test_secrets_are_sent_but_not_shown():
    params = ("mlflow", Secret("SCRAM-SHA-256$4096:abc"))
    assert bound_params(params) == ("mlflow", "SCRAM-SHA-256$4096:abc")
    assert display_params(params) == ("mlflow", REDACTED)
    assert "SCRAM" not in repr(params[1])


def _flatten(composed):
    """The parts of a psycopg2 Composed, identifiers as ('id', name) and SQL text as strings."""
    out = []
    for part in composed.seq if isinstance(composed, sql.Composed) else [composed]:
        if isinstance(part, sql.Composed):
            out.extend(_flatten(part))
        elif isinstance(part, sql.Identifier):
            out.append(("id", part.strings))
        elif isinstance(part, sql.SQL):
            out.append(part.string)
        else:
            raise AssertionError("unexpected part %r" % (part,))
    return [p for p in out if p != ""]


def test_create_role_binds_the_secret():
    statement = q_create_role("mlflow", "SCRAM-SHA-256$x")
    assert _flatten(statement.query) == ["CREATE ROLE ", ("id", ("mlflow",)), " WITH LOGIN PASSWORD %s"]
    assert len(statement.params) == 1 and isinstance(statement.params[0], Secret)
    assert statement.text == 'CREATE ROLE "mlflow" WITH LOGIN PASSWORD \'********\''
    assert (statement.action, statement.target) == ("create", "role 'mlflow'")


def test_alter_role_password_binds_the_secret():
    statement = q_alter_role_password("mlflow", "SCRAM-SHA-256$x")
    assert ("id", ("mlflow",)) in _flatten(statement.query)
    assert isinstance(statement.params[0], Secret)
    assert "SCRAM" not in statement.text and "SCRAM" not in repr(statement)


def test_create_database_identifiers_and_values():
    statement = q_create_database("mlflow", owner="mlflow_owner", template="template0", encoding="UTF8", lc_collate="C.UTF-8", lc_ctype="C.UTF-8")
    parts = _flatten(statement.query)
    assert parts == [
        "CREATE DATABASE ",
        ("id", ("mlflow",)),
        " ",
        "OWNER ",
        ("id", ("mlflow_owner",)),
        " ",
        "TEMPLATE ",
        ("id", ("template0",)),
        " ",
        "ENCODING %s",
        " ",
        "LC_COLLATE %s",
        " ",
        "LC_CTYPE %s",
    ]
    assert statement.params == ("UTF8", "C.UTF-8", "C.UTF-8")
    assert statement.text == (
        'CREATE DATABASE "mlflow" OWNER "mlflow_owner" TEMPLATE "template0" ENCODING \'UTF8\' LC_COLLATE \'C.UTF-8\' LC_CTYPE \'C.UTF-8\''
    )
    assert statement.autocommit and not statement.rehearse


def test_create_database_minimal():
    statement = q_create_database("mlflow")
    assert _flatten(statement.query) == ["CREATE DATABASE ", ("id", ("mlflow",))]
    assert statement.params == ()


def test_values_never_enter_the_sql_text():
    # Whatever a value holds, it is only ever a bound parameter; the shown text quotes it.
    statement = q_create_database("x", encoding="UTF8'; DROP DATABASE y; --")
    assert statement.params == ("UTF8'; DROP DATABASE y; --",)
    assert statement.text == "CREATE DATABASE \"x\" ENCODING 'UTF8''; DROP DATABASE y; --'"


def test_drop_database():
    assert _flatten(q_drop_database("mlflow").query) == ["DROP DATABASE ", ("id", ("mlflow",))]
    assert _flatten(q_drop_database("mlflow", force=True).query) == ["DROP DATABASE ", ("id", ("mlflow",)), " WITH (FORCE)"]
    assert q_drop_database("mlflow", force=True).text == 'DROP DATABASE "mlflow" WITH (FORCE)'


def test_owner_and_schema_statements():
    assert _flatten(q_alter_database_owner("db", "own").query) == ["ALTER DATABASE ", ("id", ("db",)), " OWNER TO ", ("id", ("own",))]
    grant = q_grant_public_schema("db", "own", rehearse=False)
    assert _flatten(grant.query) == ["GRANT ALL ON SCHEMA public TO ", ("id", ("own",))]
    assert (grant.action, grant.target, grant.rehearse, grant.autocommit) == ("grant schema public to owner of", "database 'db'", False, False)


@pytest.mark.parametrize(
    ("query", "params", "text"),
    [
        (sql.SQL("SELECT 1"), (), "SELECT 1"),
        (sql.SQL("SELECT {}").format(sql.Identifier('we"ird')), (), 'SELECT "we""ird"'),
        (sql.SQL("SELECT {}").format(sql.Identifier("public", "t")), (), 'SELECT "public"."t"'),
        (sql.SQL("SELECT %s, %s"), ("it's", Secret("hidden")), "SELECT 'it''s', '********'"),
        (sql.SQL("SELECT %s LIKE 'a%%'"), ("x",), "SELECT 'x' LIKE 'a%'"),
    ],
)
def test_redacted_text_renders_like_psycopg2_without_a_connection(query, params, text):
    assert redacted_text(query, params) == text
