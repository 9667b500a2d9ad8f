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
  - mlops.mlflow.postgres
attributes:
  check_mode:
    support: full
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    support: full
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
  idempotent:
    support: full
    description: When run twice in a row with the same arguments, the second run reports no change.
  action_group:
    support: full
    membership:
      - mlops.mlflow.mlflow
    description: Use C(group/mlops.mlflow.mlflow) in C(module_defaults) to set defaults for this module.
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

import copy

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
    q_drop_database,
    q_grant_public_schema,
    q_create_role,
    q_grant_role_to_login_user,
    q_terminate_sessions,
    scram_verifier,
)


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


def schema_actions(schema, ownership_committed):
    """What schema public of the database needs so the owner can create MLflow's tables.

    ``schema`` is what ``read_public_schema`` saw (None: no schema public). When the owner
    role or its ownership of the database is not committed (check mode), the server's
    privilege check answers for the old state; PostgreSQL 15+ gives a database's owner schema
    public through pg_database_owner, so that case is predicted here.
    """
    if schema is None:
        return ["create"]
    if schema["owner_can_create"]:
        return []
    if not ownership_committed and schema["owner"] == "pg_database_owner":
        return []
    return ["grant"]


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
    p = module.params
    name, state, owner = p["name"], p["state"], p["owner"]

    for option, value, kind in (("name", name, "database"), ("owner", owner, "role"), ("template", p["template"], "database")):
        if value is not None and (option != "template" or state == "present"):
            message = identifier_error(option, value, kind)
            if message:
                module.fail_json(msg=message)
    if state == "absent" and name == p["login_db"]:
        module.fail_json(msg="cannot drop database '%s': the module is connected to it; set login_db to another database (default postgres)" % name)
    if state == "present" and not p["encoding"]:
        module.fail_json(msg="encoding is empty: set it to a PostgreSQL encoding such as UTF8")
    if not HAS_PSYCOPG2:
        module.fail_json(msg=missing_required_lib("psycopg2 (or psycopg2-binary)"), exception=PSYCOPG2_IMPORT_ERROR)

    client = PostgresClient(
        login_host=p["login_host"],
        login_port=p["login_port"],
        login_user=p["login_user"],
        login_password=p["login_password"],
        login_db=p["login_db"],
        ssl_mode=p["ssl_mode"],
        ca_cert=p["ca_cert"],
        connect_timeout=p["connect_timeout"],
    )
    result = None
    try:
        conn = client.connect()
        if conn.server_version < 120000:
            module.fail_json(msg="PostgreSQL at %s is version %s: this module needs 12 or newer" % (client.where, conn.server_version))
        before = client.read_database(conn, name)
        if state == "present":
            result = ensure_present(module, client, conn, before)
        else:
            result = ensure_absent(module, client, conn, before)
    except PostgresError as exc:
        module.fail_json(msg=str(exc), error_code=exc.pgcode, queries=client.queries)
    finally:
        client.close()
    if not result["changed"]:
        result["queries"] = []
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


def ensure_absent(module, client, conn, before):
    name = before["name"]
    after = dict(name=name, exists=False, owner=None, encoding=None, collate=None, ctype=None)
    if not before["exists"]:
        conn.rollback()
        return dict(changed=False, database=after, queries=[], diff=dict(before=dict(database=before), after=dict(database=after)))
    sessions = client.count_sessions(conn, name)
    conn.rollback()
    if sessions and not module.params["force"]:
        module.fail_json(
            msg="failed to drop database '%s' on %s: %d other session(s) are connected to it; stop its clients (for example the MLflow server) "
            "or set force: true to terminate them" % (name, client.where, sessions),
            database=before,
            sessions=sessions,
        )
    conn.autocommit = True
    statements = []
    if module.params["force"] and conn.server_version < 130000:
        statements.append(("terminate the sessions of", q_terminate_sessions(name)))
        statements.append(("drop", q_drop_database(name)))
    else:
        statements.append(("drop", q_drop_database(name, force=module.params["force"])))
    for action, (query, params) in statements:
        if module.check_mode:
            client.queries.append(client.render(conn, query, params))
        else:
            client.execute(conn, action, "database '%s'" % name, query, params)
    return dict(changed=True, database=after, queries=client.queries, diff=dict(before=dict(database=before), after=dict(database=after)))


def ensure_present(module, client, conn, before):
    p = module.params
    name, owner, check = before["name"], p["owner"], module.check_mode

    encoding = client.canonical_encoding(conn, p["encoding"])
    if not encoding:
        module.fail_json(msg="invalid encoding '%s' for database '%s': PostgreSQL at %s knows no such encoding; set encoding, for example to UTF8"
                         % (p["encoding"], name, client.where))
    if before["exists"]:
        mismatches = fixed_property_mismatches(before, encoding, p["lc_collate"], p["lc_ctype"])
        if mismatches:
            module.fail_json(
                msg="database '%s' on %s exists with %s: encoding, lc_collate and lc_ctype are fixed when a database is created and this module "
                "does not change them; set them to the database's values, or remove the database (state: absent) and create it again"
                % (name, client.where, ", ".join(mismatches)),
                database=before,
            )

    # An option value compared, not a password.
    update_always = p["update_password"] == "always"  # noqa: S105
    role_before = dict(name=owner, exists=False, can_login=False, password=None) if owner else None
    warnings = []
    set_password = False
    if owner:
        role_before.update(client.read_role(conn, owner))
        if not role_before["exists"] and p["owner_password"] is None:
            module.fail_json(msg="role '%s' (option owner) does not exist on %s: set owner_password so the module can create it, or create the role first"
                             % (owner, client.where))
        if role_before["exists"]:
            readable, secret = client.read_role_secret(conn, owner)
            role_before["password"] = REDACTED if secret else None
            if p["owner_password"] is not None and update_always:
                same = password_matches(secret, p["owner_password"], owner) if readable else None
                if same is None:
                    same = client.can_login(owner, p["owner_password"])
                if same is None:
                    warnings.append("could not compare the password of role '%s' (login_user '%s' may not read pg_authid and a login attempt as '%s' "
                                    "gave no answer): it is set again" % (owner, client.user, owner))
                set_password = not same
    owner_changes = before["exists"] and owner and before["owner"] != owner
    needs_membership = False
    if owner and (owner_changes or not before["exists"]):
        _superuser, can_act = client.login_user_can_act_as(conn, owner, role_before["exists"])
        needs_membership = not can_act
    iterations = client.scram_iterations(conn)
    template = None
    if not before["exists"]:
        template_db = client.read_database(conn, p["template"])
        if not template_db["exists"]:
            module.fail_json(msg="failed to create database '%s' on %s: template database '%s' does not exist; set template (default template0)"
                             % (name, client.where, p["template"]))
        template = template_db
    conn.rollback()

    # Roles and ownership: one transaction, rolled back in check mode.
    role_after = copy.deepcopy(role_before)
    if owner and not role_before["exists"]:
        client.execute(conn, "create", "role '%s'" % owner, *q_create_role(owner, scram_verifier(p["owner_password"], iterations)))
        role_after.update(exists=True, can_login=True, password=REDACTED)
    elif owner and set_password:
        client.execute(conn, "set the password of", "role '%s'" % owner, *q_alter_role_password(owner, scram_verifier(p["owner_password"], iterations)))
        role_after.update(can_login=True, password=REDACTED + " (changed)")
    elif owner and p["owner_password"] is not None and update_always and not role_before["can_login"]:
        client.execute(conn, "allow login for", "role '%s'" % owner, *q_alter_role_login(owner))
        role_after["can_login"] = True
    if needs_membership:
        client.execute(conn, "let login_user act as", "role '%s'" % owner, *q_grant_role_to_login_user(owner))
    if owner_changes:
        client.execute(conn, "change the owner of", "database '%s'" % name, *q_alter_database_owner(name, owner))
    if check:
        conn.rollback()
    else:
        conn.commit()

    after = copy.deepcopy(before)
    if not before["exists"]:
        query, params = q_create_database(name, owner=owner, template=p["template"], encoding=encoding, lc_collate=p["lc_collate"], lc_ctype=p["lc_ctype"])
        if check:
            client.queries.append(client.render(conn, query, params))
        else:
            conn.autocommit = True
            client.execute(conn, "create", "database '%s'" % name, query, params)
            conn.autocommit = False
        after.update(
            exists=True,
            owner=owner or client.user,
            encoding=encoding,
            collate=p["lc_collate"] or template["collate"],
            ctype=p["lc_ctype"] or template["ctype"],
        )
    elif owner:
        after["owner"] = owner

    # Schema public of the database itself: needs a connection to it, impossible for a
    # database that check mode did not create.
    schema_before = schema_after = None
    if owner and (before["exists"] or not check):
        db_conn = client.connect(name)
        role_committed = role_before["exists"] or not check
        ownership_committed = not check or (role_before["exists"] and not owner_changes)
        schema_before = client.read_public_schema(db_conn, owner, role_committed)
        actions = schema_actions(schema_before, ownership_committed)
        schema_after = dict(schema_before or dict(owner=owner), owner_can_create=True) if actions else copy.deepcopy(schema_before)
        for action in actions:
            query, params = q_create_public_schema(owner) if action == "create" else q_grant_public_schema(owner)
            if role_committed:
                client.execute(db_conn, "create schema public in" if action == "create" else "grant schema public to owner of", "database '%s'" % name,
                               query, params)
            else:
                client.queries.append(client.render(db_conn, query, params))
        if check:
            db_conn.rollback()
        else:
            db_conn.commit()
        if schema_before is not None and schema_before["owner_can_create"] is None:
            schema_before["owner_can_create"] = False

    if not check:
        after = client.read_database(conn, name)
        conn.rollback()
    for warning in warnings:
        module.warn(warning)
    changed = bool(client.queries)
    diff_before = dict(database=before)
    diff_after = dict(database=after)
    if owner:
        diff_before.update(owner_role=role_before, public_schema=schema_before)
        diff_after.update(owner_role=role_after, public_schema=schema_after)
    return dict(changed=changed, database=after, queries=client.queries, diff=dict(before=diff_before, after=diff_after))


if __name__ == "__main__":
    main()
