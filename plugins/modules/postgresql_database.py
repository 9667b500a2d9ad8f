#!/usr/bin/python
# Copyright: mlops.mlflow contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


DOCUMENTATION = r"""
module: postgresql_database
short_description: Manage a PostgreSQL database and its owner role for an MLflow backend store
version_added: 0.1.0
description:
  - Create or remove a PostgreSQL database, create its owner role with a password when it is
    missing, keep that password and the database's owner as asked, and give the owner what
    MLflow needs to create its schema (C(CREATE) and C(USAGE) on schema C(public)).
  - It adds to M(community.postgresql.postgresql_db) and M(community.postgresql.postgresql_user)
    one task for database, owner and schema privileges; identifiers built only with
    C(psycopg2.sql.Identifier) and values only as bound parameters; the owner's password sent
    as a SCRAM-SHA-256 secret computed on the managed host, so the clear text never reaches the
    server or its statement log; password changes detected by checking the stored secret;
    names checked before any connection; and error messages that say what to fix.
  - The module reads the current state, compares it with the state asked for and changes only
    what differs. Role and owner changes run in a transaction that check mode rolls back.
    C(CREATE DATABASE) and C(DROP DATABASE) cannot run inside a transaction, so in check mode
    they are not run at all; the module reports them as it would run them.
extends_documentation_fragment:
  - mlops.mlflow.attributes
  - mlops.mlflow.postgres
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  name:
    description:
      - Name of the database.
      - Database and role names must be 1 to 63 characters of lowercase letters V(a-z), digits
        and underscores, starting with a letter or underscore. Names of that form never need
        quoting in SQL or in a connection URI; any other name fails before the module connects.
    type: str
    required: true
    aliases: [db]
  state:
    description:
      - V(present) creates the database if it is missing and applies O(owner) and its password.
      - V(absent) removes the database. The owner role is kept, because roles belong to the
        whole server and may own objects elsewhere.
    type: str
    choices: [present, absent]
    default: present
  owner:
    description:
      - Role that owns the database, the one MLflow logs in as.
      - Created with C(LOGIN) and O(owner_password) when it does not exist. If the database
        exists with another owner, its ownership is transferred (C(ALTER DATABASE ... OWNER TO));
        objects inside the database keep their owners.
      - The owner is granted C(USAGE) and C(CREATE) on schema C(public) of the database when it
        lacks them (on PostgreSQL 15 and newer the database owner has them through
        C(pg_database_owner) anyway), and schema C(public) is created if it was dropped.
      - Unset leaves the owner of an existing database alone and creates a new database owned by
        O(login_user).
    type: str
  owner_password:
    description:
      - Password of O(owner). Never logged.
      - Required when the owner role does not exist yet.
      - Stored as a SCRAM-SHA-256 secret computed by the module; with O(update_password=always)
        the stored secret is checked against this password and replaced only when they differ.
    type: str
  update_password:
    description:
      - V(always) sets the owner's password when it differs from O(owner_password), and gives the
        role C(LOGIN) if it lacks it.
      - V(on_create) sets the password only when the module creates the role; an existing role's
        password and attributes are left alone.
      - The comparison reads C(pg_authid), which only a superuser O(login_user) may read;
        otherwise the module tries to log in as O(owner) with O(owner_password). When neither
        gives an answer, the password is set again and the module warns.
    type: str
    choices: [always, on_create]
    default: always
  encoding:
    description:
      - Character set of a new database. Spellings PostgreSQL accepts (V(utf-8), V(UTF8)) are
        equivalent.
      - Fixed when the database is created. If an existing database has another encoding the
        module fails rather than pretend, because PostgreSQL cannot change it; remove and
        recreate the database to change it.
    type: str
    default: UTF8
  lc_collate:
    description:
      - Collation (sort order) of a new database, a locale that exists on the server, for
        example V(C.UTF-8) or V(en_US.UTF-8). Unset takes the template's.
      - Fixed at creation like O(encoding); an existing database with another collation makes
        the module fail. V(C.utf8) and V(C.UTF-8) count as the same.
    type: str
  lc_ctype:
    description:
      - Character classification of a new database, a locale like O(lc_collate). Unset takes
        the template's.
      - Fixed at creation like O(encoding).
    type: str
  template:
    description:
      - Database to copy a new database from. The default V(template0) is the pristine one, and
        the only one that accepts an encoding or collation other than its own.
    type: str
    default: template0
  force:
    description:
      - With O(state=absent), terminate the sessions connected to the database and remove it
        anyway (C(DROP DATABASE ... WITH (FORCE)) on PostgreSQL 13 and newer).
      - Without it, a database with connected sessions is not removed and the module fails
        with the number of sessions, so that a running MLflow server is not cut off by accident.
    type: bool
    default: false
notes:
  - O(login_user) need not be a superuser (managed services such as Amazon RDS give none). It
    needs C(CREATEDB) and C(CREATEROLE); where PostgreSQL requires it to make the owner role
    the owner of a database, the module grants that role to O(login_user)
    (C(GRANT owner TO CURRENT_USER)) and lists that in C(queries). The password comparison then
    uses a login attempt as O(owner), which the server's C(pg_hba.conf) must allow from the
    managed host.
  - The owner's password is set as a SCRAM-SHA-256 secret whatever the server's
    C(password_encryption); clients need libpq 10 or newer, which every supported MLflow
    driver has.
  - C(queries) lists the statements that change something, with the password secret shown as
    C(********). In check mode it lists what would run; statements on schema C(public) of a
    database that does not exist yet cannot be predicted and are not listed.
  - Does not manage the locale provider (ICU), tablespaces, connection limits, extensions or
    privileges of roles other than the owner.
seealso:
  - module: community.postgresql.postgresql_db
  - module: community.postgresql.postgresql_user
  - name: MLflow backend stores
    description: How MLflow uses the database.
    link: https://mlflow.org/docs/latest/self-hosting/architecture/backend-store/
author:
  - mlops.mlflow maintainers (@mlops)
"""

EXAMPLES = r"""
- name: Database for the MLflow tracking server, owned by role mlflow
  mlops.mlflow.postgresql_database:
    name: mlflow
    owner: mlflow
    owner_password: "{{ vault_mlflow_db_password }}"
    login_host: db.example.com
    login_password: "{{ vault_postgres_password }}"

- name: Same, over TLS with the server's certificate checked against a private CA
  mlops.mlflow.postgresql_database:
    name: mlflow
    owner: mlflow
    owner_password: "{{ vault_mlflow_db_password }}"
    login_host: db.example.com
    login_password: "{{ vault_postgres_password }}"
    ssl_mode: verify-full
    ca_cert: /etc/ssl/certs/internal-ca.pem

- name: Keep a password that is rotated elsewhere; only set it when creating the role
  mlops.mlflow.postgresql_database:
    name: mlflow
    owner: mlflow
    owner_password: "{{ vault_mlflow_db_initial_password }}"
    update_password: on_create
    login_host: db.example.com
    login_password: "{{ vault_postgres_password }}"

- name: Database with a given collation
  mlops.mlflow.postgresql_database:
    name: mlflow
    owner: mlflow
    owner_password: "{{ vault_mlflow_db_password }}"
    lc_collate: C.UTF-8
    lc_ctype: C.UTF-8
    login_host: db.example.com
    login_password: "{{ vault_postgres_password }}"

- name: Remove a scratch database, disconnecting whoever is still using it
  mlops.mlflow.postgresql_database:
    name: mlflow_scratch
    state: absent
    force: true
    login_host: db.example.com
    login_password: "{{ vault_postgres_password }}"

- name: Server from the environment (PGHOST, PGPORT, PGUSER, PGSSLMODE), password as an option
  mlops.mlflow.postgresql_database:
    name: mlflow
    owner: mlflow
    owner_password: "{{ vault_mlflow_db_password }}"
    login_password: "{{ vault_postgres_password }}"
  environment:
    PGHOST: db.example.com
    PGSSLMODE: require
"""

RETURN = r"""
database:
  description: The database after the module ran (in check mode, as it would be).
  returned: success
  type: dict
  contains:
    name:
      description: Name of the database.
      type: str
      returned: always
      sample: mlflow
    exists:
      description: Whether the database exists.
      type: bool
      returned: always
      sample: true
    owner:
      description: Role that owns the database, V(null) when it does not exist.
      type: str
      returned: always
      sample: mlflow
    encoding:
      description: Character set, V(null) when the database does not exist.
      type: str
      returned: always
      sample: UTF8
    collate:
      description: Collation locale, V(null) when the database does not exist.
      type: str
      returned: always
      sample: C.UTF-8
    ctype:
      description: Character classification locale, V(null) when the database does not exist.
      type: str
      returned: always
      sample: C.UTF-8
queries:
  description:
    - Statements that changed something (in check mode, that would), in order, with the owner's
      password secret replaced by C(********).
  returned: success
  type: list
  elements: str
  sample:
    - CREATE ROLE "mlflow" WITH LOGIN PASSWORD '********'
    - CREATE DATABASE "mlflow" OWNER "mlflow" TEMPLATE "template0" ENCODING 'UTF8'
diff:
  description: Database, owner role and schema C(public) before and after; passwords appear only as C(********).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: State before the module ran.
      type: dict
      returned: always
    after:
      description: State after the module ran (in check mode, the state it would have).
      type: dict
      returned: always
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mlops.mlflow.plugins.module_utils._postgres import (
    HAS_PSYCOPG2,
    PSYCOPG2_IMPORT_ERROR,
    REDACTED,
    PostgresClient,
    PostgresError,
    identifier_error,
    locales_equal,
    password_matches,
    postgres_argument_spec,
    q_alter_database_owner,
    q_alter_role_login,
    q_alter_role_password,
    q_create_database,
    q_create_public_schema,
    q_create_role,
    q_drop_database,
    q_grant_public_schema,
    q_grant_role_to_login_user,
    q_terminate_sessions,
    scram_verifier,
)


class PlanError(Exception):
    """The wanted state cannot be reached from the state read; ``details`` join the failure's result."""

    def __init__(self, message, **details):
        super().__init__(message)
        self.details = details


class Plan:
    """Statements that take the server from ``before`` to ``after`` (sections of the diff), and warnings."""

    def __init__(self, statements, before, after, warnings=()):
        self.statements = list(statements)
        self.before = before
        self.after = after
        self.warnings = list(warnings)


# --------------------------------------------------------------------------- planning (no server)


def fixed_property_mismatches(existing, encoding, lc_collate, lc_ctype):
    """The creation-time properties of an existing database that differ from what was asked."""
    mismatches = []
    if encoding and existing["encoding"] != encoding:
        mismatches.append("encoding %s (asked: %s)" % (existing["encoding"], encoding))
    if lc_collate and not locales_equal(existing["collate"], lc_collate):
        mismatches.append("lc_collate %s (asked: %s)" % (existing["collate"], lc_collate))
    if lc_ctype and not locales_equal(existing["ctype"], lc_ctype):
        mismatches.append("lc_ctype %s (asked: %s)" % (existing["ctype"], lc_ctype))
    return mismatches


def check_fixed_properties(state, wanted):
    """Fail on an encoding the server does not know, or an existing database created otherwise."""
    database = state["database"]
    if not state["encoding"]:
        raise PlanError("invalid encoding '%s' for database '%s': PostgreSQL at %s knows no such encoding; set encoding, for example to UTF8"
                        % (wanted["encoding"], database["name"], state["where"]))
    mismatches = fixed_property_mismatches(database, state["encoding"], wanted["lc_collate"], wanted["lc_ctype"]) if database["exists"] else []
    if mismatches:
        raise PlanError(
            "database '%s' on %s exists with %s: encoding, lc_collate and lc_ctype are fixed when a database is created and this module "
            "does not change them; set them to the database's values, or remove the database (state: absent) and create it again"
            % (database["name"], state["where"], ", ".join(mismatches)),
            database=database,
        )


def plan_owner_role(state, wanted):
    """Statements for the owner role, the role after them, and warnings."""
    owner, password, role = wanted["owner"], wanted["owner_password"], state["role"]
    if not role["exists"]:
        if password is None:
            raise PlanError("role '%s' (option owner) does not exist on %s: set owner_password so the module can create it, or create the role first"
                            % (owner, state["where"]))
        return [q_create_role(owner, scram_verifier(password, state["scram_iterations"]))], dict(role, exists=True, can_login=True, password=REDACTED), []
    if password is None or wanted["update_password"] == "on_create":  # noqa: S105  an option's value, not a password
        return [], dict(role), []
    if state["password_matches"] is not True:
        warnings = [] if state["password_matches"] is False else [
            "could not compare the password of role '%s' (login_user '%s' may not read pg_authid and a login attempt as '%s' gave no answer): "
            "it is set again" % (owner, state["login_user"], owner)
        ]
        statement = q_alter_role_password(owner, scram_verifier(password, state["scram_iterations"]))
        return [statement], dict(role, can_login=True, password=REDACTED + " (changed)"), warnings
    if not role["can_login"]:
        return [q_alter_role_login(owner)], dict(role, can_login=True), []
    return [], dict(role), []


def plan_creation(state, wanted):
    """CREATE DATABASE, and the database it makes."""
    database, template = state["database"], state["template"]
    if not template["exists"]:
        raise PlanError("failed to create database '%s' on %s: template database '%s' does not exist; set template (default template0)"
                        % (database["name"], state["where"], wanted["template"]))
    statement = q_create_database(database["name"], owner=wanted["owner"], template=wanted["template"], encoding=state["encoding"],
                                  lc_collate=wanted["lc_collate"], lc_ctype=wanted["lc_ctype"])
    after = dict(database, exists=True, owner=wanted["owner"] or state["login_user"], encoding=state["encoding"],
                 collate=wanted["lc_collate"] or template["collate"], ctype=wanted["lc_ctype"] or template["ctype"])
    return statement, after


def plan_server(state, wanted):
    """Owner role, login_user's membership in it, ownership and creation of the database (on login_db)."""
    check_fixed_properties(state, wanted)
    database, owner = state["database"], wanted["owner"]
    statements, role_after, warnings = plan_owner_role(state, wanted) if owner else ([], None, [])
    changes_owner = database["exists"] and owner and database["owner"] != owner
    if owner and (changes_owner or not database["exists"]) and not state["login_user_can_act_as_owner"]:
        statements.append(q_grant_role_to_login_user(owner))
    if changes_owner:
        statements.append(q_alter_database_owner(database["name"], owner))
    database_after = dict(database, owner=owner or database["owner"])
    if not database["exists"]:
        create, database_after = plan_creation(state, wanted)
        statements.append(create)
    before, after = dict(database=database), dict(database=database_after)
    if owner:
        before.update(owner_role=state["role"], public_schema=None)
        after.update(owner_role=role_after, public_schema=None)
    return Plan(statements, before, after, warnings)


def plan_public_schema(schema, database, owner, role_committed, ownership_committed):
    """What schema public of the database needs so the owner can create MLflow's tables.

    ``schema`` is what ``read_public_schema`` saw (None: no schema public). When the owner
    role or its ownership of the database is not committed (check mode), the server's
    privilege check answers for the old state, and a statement naming a role that check mode
    did not create cannot be rehearsed. PostgreSQL 15+ gives a database's owner schema public
    through pg_database_owner, so that case is predicted here.
    """
    before = None if schema is None else dict(schema, owner_can_create=bool(schema["owner_can_create"]))
    after = dict(schema or dict(owner=owner), owner_can_create=True)
    if schema is None:
        statements = [q_create_public_schema(database, owner, rehearse=role_committed)]
    elif schema["owner_can_create"] or (not ownership_committed and schema["owner"] == "pg_database_owner"):
        statements = []
    else:
        statements = [q_grant_public_schema(database, owner, rehearse=role_committed)]
    return Plan(statements, dict(public_schema=before), dict(public_schema=after))


def plan_absent(state, wanted):
    """DROP DATABASE, refused while other sessions use it unless ``force``."""
    database = state["database"]
    after = dict(database, exists=False, owner=None, encoding=None, collate=None, ctype=None)
    if not database["exists"]:
        statements = []
    elif state["sessions"] and not wanted["force"]:
        raise PlanError(
            "failed to drop database '%s' on %s: %d other session(s) are connected to it; stop its clients (for example the MLflow server) "
            "or set force: true to terminate them" % (database["name"], state["where"], state["sessions"]),
            database=database,
            sessions=state["sessions"],
        )
    elif wanted["force"] and state["server_version"] < 130000:
        statements = [q_terminate_sessions(database["name"]), q_drop_database(database["name"])]
    else:
        statements = [q_drop_database(database["name"], force=wanted["force"])]
    return Plan(statements, dict(database=database), dict(database=after))


# --------------------------------------------------------------------------- reading and applying


def read_owner(client, conn, params):
    """The owner role as the diff shows it, and whether owner_password is its password (None: not asked or unknown)."""
    owner, password = params["owner"], params["owner_password"]
    role = dict(client.read_role(conn, owner), password=None)
    if not role["exists"]:
        return role, None
    readable, secret = client.read_role_secret(conn, owner)
    role["password"] = REDACTED if secret else None
    if password is None or params["update_password"] == "on_create":  # noqa: S105  an option's value, not a password
        return role, None
    matches = password_matches(secret, password, owner) if readable else None
    return role, client.can_login(owner, password) if matches is None else matches


def read_server(client, conn, params):
    """What plan_server needs to know, read on the login_db connection."""
    database = client.read_database(conn, params["name"])
    role, matches = read_owner(client, conn, params) if params["owner"] else (None, None)
    return dict(
        where=client.where,
        login_user=client.user,
        database=database,
        encoding=client.canonical_encoding(conn, params["encoding"]),
        template=None if database["exists"] else client.read_database(conn, params["template"]),
        role=role,
        password_matches=matches,
        login_user_can_act_as_owner=role is not None and client.login_user_can_act_as(conn, params["owner"], role["exists"]),
        scram_iterations=client.scram_iterations(conn),
    )


def ensure_public_schema(client, params, state, check_mode, done):
    """Read, plan and apply schema public on a connection to the database itself."""
    owner = params["owner"]
    role_committed = state["role"]["exists"] or not check_mode
    ownership_committed = not check_mode or (state["role"]["exists"] and state["database"]["owner"] == owner)
    conn = client.connect(params["name"])
    plan = plan_public_schema(client.read_public_schema(conn, owner, role_committed), params["name"], owner, role_committed, ownership_committed)
    client.apply(conn, plan.statements, check_mode, done)
    return plan


def ensure_present(module, client, conn, done):
    """Read, plan and apply on login_db; then schema public, on the database itself."""
    params, check_mode = module.params, module.check_mode
    state = read_server(client, conn, params)
    conn.rollback()
    plans = [plan_server(state, params)]
    client.apply(conn, plans[0].statements, check_mode, done)
    # A database that check mode did not create has no schema public to read.
    if params["owner"] and (state["database"]["exists"] or not check_mode):
        plans.append(ensure_public_schema(client, params, state, check_mode, done))
    database = plans[0].after["database"] if check_mode else client.read_database(conn, params["name"])
    return plans, database


def ensure_absent(module, client, conn, done):
    """Read, plan and apply the removal."""
    database = client.read_database(conn, module.params["name"])
    sessions = client.count_sessions(conn, database["name"]) if database["exists"] else 0
    conn.rollback()
    plan = plan_absent(dict(where=client.where, database=database, sessions=sessions, server_version=conn.server_version), module.params)
    client.apply(conn, plan.statements, module.check_mode, done)
    return [plan], plan.after["database"]


def check_options(module):
    """Fail, before any connection, on names and values that no server would take."""
    p = module.params
    names = [("name", p["name"], "database"), ("owner", p["owner"], "role")]
    if p["state"] == "present":
        names.append(("template", p["template"], "database"))
    for option, value, kind in names:
        message = value is not None and identifier_error(option, value, kind)
        if message:
            module.fail_json(msg=message)
    if p["state"] == "absent" and p["name"] == p["login_db"]:
        module.fail_json(msg="cannot drop database '%s': the module is connected to it; set login_db to another database (default postgres)" % p["name"])
    if p["state"] == "present" and not p["encoding"]:
        module.fail_json(msg="encoding is empty: set it to a PostgreSQL encoding such as UTF8")


def result_of(plans, database, diff_mode):
    """changed, queries and diff, all from the plans."""
    queries = [statement.text for plan in plans for statement in plan.statements]
    result = dict(changed=bool(queries), database=database, queries=queries)
    if diff_mode:
        before, after = {}, {}
        for plan in plans:
            before.update(plan.before)
            after.update(plan.after)
        result["diff"] = dict(before=before, after=after)
    return result


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["db"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        owner=dict(type="str"),
        owner_password=dict(type="str", no_log=True),
        update_password=dict(type="str", default="always", choices=["always", "on_create"], no_log=False),
        encoding=dict(type="str", default="UTF8"),
        lc_collate=dict(type="str"),
        lc_ctype=dict(type="str"),
        template=dict(type="str", default="template0"),
        force=dict(type="bool", default=False),
    )
    argument_spec.update(postgres_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    check_options(module)
    if not HAS_PSYCOPG2:
        module.fail_json(msg=missing_required_lib("psycopg2 (or psycopg2-binary)"), exception=PSYCOPG2_IMPORT_ERROR)

    client = PostgresClient(**{option: module.params[option] for option in postgres_argument_spec()})
    done = []
    try:
        conn = client.connect()
        if conn.server_version < 120000:
            module.fail_json(msg="PostgreSQL at %s is version %s: this module needs 12 or newer" % (client.where, conn.server_version))
        ensure = ensure_present if module.params["state"] == "present" else ensure_absent
        plans, database = ensure(module, client, conn, done)
    except PlanError as exc:
        module.fail_json(msg=str(exc), **exc.details)
    except PostgresError as exc:
        module.fail_json(msg=str(exc), error_code=exc.pgcode, queries=done)
    finally:
        client.close()
    for plan in plans:
        for warning in plan.warnings:
            module.warn(warning)
    module.exit_json(**result_of(plans, database, module._diff))


if __name__ == "__main__":
    main()
