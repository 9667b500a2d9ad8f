# Copyright: mlops.mlflow contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""PostgreSQL client for the mlops.mlflow modules (private: no API promise outside this collection).

Pure helpers (identifier rules, SCRAM verifiers, locale comparison, error wording, query
redaction) need no third-party library; ``PostgresClient`` and the query builders need
psycopg2 and are only used after the module checked ``HAS_PSYCOPG2``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import stringprep
import traceback
import unicodedata

from ansible.module_utils.basic import env_fallback

PSYCOPG2_IMPORT_ERROR = None
try:
    import psycopg2
    from psycopg2 import sql
except ImportError:
    HAS_PSYCOPG2 = False
    PSYCOPG2_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_PSYCOPG2 = True


SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
REDACTED = "********"
# PostgreSQL's default for scram_iterations (configurable from PostgreSQL 16 on).
SCRAM_ITERATIONS = 4096
APPLICATION_NAME = "ansible-mlops.mlflow"


def postgres_argument_spec():
    """Connection options, documented in the ``mlops.mlflow.postgres`` doc fragment."""
    return dict(
        login_host=dict(type="str", aliases=["host"], fallback=(env_fallback, ["PGHOST"])),
        login_port=dict(type="int", aliases=["port"], default=5432, fallback=(env_fallback, ["PGPORT"])),
        login_user=dict(type="str", aliases=["login"], default="postgres", fallback=(env_fallback, ["PGUSER"])),
        login_password=dict(type="str", no_log=True, fallback=(env_fallback, ["PGPASSWORD"])),
        login_db=dict(type="str", default="postgres", fallback=(env_fallback, ["PGDATABASE"])),
        ssl_mode=dict(type="str", default="prefer", choices=SSL_MODES, fallback=(env_fallback, ["PGSSLMODE"])),
        ca_cert=dict(type="path", aliases=["ssl_rootcert"], fallback=(env_fallback, ["PGSSLROOTCERT"])),
        connect_timeout=dict(type="int", default=10),
    )


# --------------------------------------------------------------------------- identifiers

MAX_IDENTIFIER_BYTES = 63
_SIMPLE_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
IDENTIFIER_RULE = (
    "use 1 to 63 characters: lowercase letters a-z, digits and underscores, "
    "starting with a letter or an underscore (a name that needs no quoting in SQL or in a connection URI)"
)
# CREATE ROLE refuses these; catching them here gives a message before any connection.
_RESERVED_ROLE_NAMES = ("public", "none")


def identifier_problems(name, kind="database"):
    """Why ``name`` is not accepted as a database or role name (empty list: accepted).

    PostgreSQL itself accepts any string of up to 63 bytes without NUL when quoted. This
    collection accepts only names that never need quoting: unquoted SQL folds names to
    lowercase, so a name like ``MLflow`` would have to be double-quoted by every client.
    """
    if not isinstance(name, str) or name == "":
        return ["it is empty"]
    problems = []
    if "\x00" in name:
        problems.append("it contains a NUL character")
    size = len(name.encode("utf-8"))
    if size > MAX_IDENTIFIER_BYTES:
        problems.append("it is %d bytes long, PostgreSQL truncates names to %d" % (size, MAX_IDENTIFIER_BYTES))
    if not _SIMPLE_IDENTIFIER.match(name):
        bad = sorted(set(c for c in name if not re.match(r"[a-z0-9_]", c)))
        if bad:
            problems.append("it contains %s" % ", ".join(repr(c) for c in bad))
        elif name[0].isdigit():
            problems.append("it starts with a digit")
    if kind == "role":
        if name in _RESERVED_ROLE_NAMES:
            problems.append("%r is reserved by PostgreSQL" % name)
        if name.startswith("pg_"):
            problems.append("role names starting with 'pg_' are reserved by PostgreSQL")
    return problems


def identifier_error(option, name, kind):
    """The failure message for a bad name, or None if the name is accepted."""
    problems = identifier_problems(name, kind)
    if not problems:
        return None
    return "invalid %s name %r for option %s: %s; %s" % (kind, name, option, "; ".join(problems), IDENTIFIER_RULE)


# --------------------------------------------------------------------------- passwords

def saslprep(password):
    """The password as PostgreSQL hashes it: SASLprep (RFC 4013) when that succeeds.

    PostgreSQL (src/common/saslprep.c) leaves pure-ASCII strings alone and falls back to the
    raw string when the input is prohibited by SASLprep, so this never raises.
    """
    if password.isascii():
        return password
    mapped = []
    for char in password:
        if stringprep.in_table_c12(char):
            mapped.append(" ")
        elif not stringprep.in_table_b1(char):
            mapped.append(char)
    text = unicodedata.normalize("NFKC", "".join(mapped))
    if not text:
        return password
    prohibited = (
        stringprep.in_table_a1,
        stringprep.in_table_c12,
        stringprep.in_table_c21,
        stringprep.in_table_c22,
        stringprep.in_table_c3,
        stringprep.in_table_c4,
        stringprep.in_table_c5,
        stringprep.in_table_c6,
        stringprep.in_table_c7,
        stringprep.in_table_c8,
        stringprep.in_table_c9,
    )
    if any(check(char) for char in text for check in prohibited):
        return password
    if any(stringprep.in_table_d1(char) for char in text):
        if any(stringprep.in_table_d2(char) for char in text):
            return password
        if not (stringprep.in_table_d1(text[0]) and stringprep.in_table_d1(text[-1])):
            return password
    return text


def _scram_keys(password, salt, iterations):
    salted = hashlib.pbkdf2_hmac("sha256", saslprep(password).encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return stored_key, server_key


_SCRAM_VERIFIER = re.compile(r"^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$")


def parse_scram_verifier(verifier):
    """(iterations, salt, stored_key, server_key) of a stored SCRAM-SHA-256 secret, or None."""
    match = _SCRAM_VERIFIER.match(verifier or "")
    if not match:
        return None
    try:
        return (
            int(match.group(1)),
            base64.b64decode(match.group(2), validate=True),
            base64.b64decode(match.group(3), validate=True),
            base64.b64decode(match.group(4), validate=True),
        )
    except ValueError:
        return None


def scram_verifier(password, iterations=SCRAM_ITERATIONS, salt=None):
    """A SCRAM-SHA-256 secret in PostgreSQL's pg_authid format, as libpq's PQencryptPasswordConn builds it.

    Sending this instead of the password keeps the clear-text password out of the server's
    statement log and pg_stat_activity.
    """
    salt = os.urandom(16) if salt is None else salt
    stored_key, server_key = _scram_keys(password, salt, iterations)
    b64 = base64.b64encode
    return "SCRAM-SHA-256$%d:%s$%s:%s" % (iterations, b64(salt).decode(), b64(stored_key).decode(), b64(server_key).decode())


def password_matches(stored, password, role):
    """Whether ``password`` is the one stored for ``role`` (pg_authid.rolpassword).

    True or False for SCRAM-SHA-256 and MD5 secrets, False for no password, None when the
    stored value has a format this function does not know.
    """
    if stored is None:
        return False
    parsed = parse_scram_verifier(stored)
    if parsed:
        iterations, salt, stored_key, server_key = parsed
        got_stored, got_server = _scram_keys(password, salt, iterations)
        return hmac.compare_digest(got_stored, stored_key) and hmac.compare_digest(got_server, server_key)
    if re.match(r"^md5[0-9a-f]{32}$", stored):
        # PostgreSQL's MD5 secret is md5(password || role name); hashlib only verifies it here.
        digest = hashlib.md5((password + role).encode("utf-8"), usedforsecurity=False).hexdigest()  # noqa: S324
        return hmac.compare_digest("md5" + digest, stored)
    return None


# --------------------------------------------------------------------------- encodings and locales

def normalize_locale(name):
    """A locale name in one form, so that C.UTF-8 and C.utf8 (the same locale) compare equal."""
    if name is None:
        return None
    if name == "POSIX":
        return "C"
    language, dot, rest = name.partition(".")
    if not dot:
        return name
    codeset, at, modifier = rest.partition("@")
    codeset = codeset.lower().replace("-", "").replace("_", "")
    return "%s.%s%s%s" % (language, codeset, at, modifier)


def locales_equal(a, b):
    return normalize_locale(a) == normalize_locale(b)


# --------------------------------------------------------------------------- errors

def _compact(text):
    """An error text on one line: libpq's messages carry newlines, tabs and a FATAL prefix."""
    text = " ".join(str(text).split())
    return text.replace("FATAL: ", "").strip()


def where(host, port):
    """host:port as messages name it; no host means libpq's local socket."""
    return "%s:%s" % (host or "local socket", port)


def connect_error_message(detail, host, port, user, database):
    """Message for a failed connection attempt, naming the server, the user and what to check."""
    text = _compact(detail)
    lower = text.lower()
    place = where(host, port)
    prefix = "failed to connect to PostgreSQL at %s as login_user '%s' (database '%s'): %s" % (place, user, database, text)
    if "password authentication failed" in lower or "authentication failed" in lower:
        hint = "the server rejected the password of login_user '%s' on login_host '%s': check login_password (or PGPASSWORD)" % (user, host or "local socket")
    elif "no password supplied" in lower:
        hint = "the server asks for a password: set login_password (or PGPASSWORD)"
    elif "no pg_hba.conf entry" in lower:
        hint = "the server's pg_hba.conf does not let login_user '%s' connect to '%s' from this host: add an entry, or check ssl_mode" % (user, database)
    elif "database" in lower and "does not exist" in lower:
        hint = "check login_db: it names the database the module connects to first (default postgres)"
    elif "role" in lower and "does not exist" in lower:
        hint = "check login_user"
    elif any(
        marker in lower
        for marker in (
            "connection refused",
            "could not connect",
            "timeout expired",
            "could not translate host name",
            "no route to host",
            "network is unreachable",
            "no such file or directory",
            "connection timed out",
        )
    ):
        hint = "could not reach %s: check login_host and login_port, and that the server is running" % place
    elif "ssl" in lower or "certificate" in lower:
        hint = "the TLS connection failed: check ssl_mode and ca_cert"
    else:
        hint = None
    return "%s; %s" % (prefix, hint) if hint else prefix


def query_error_hint(pgcode, action):
    """What to check after a statement failed with SQLSTATE ``pgcode`` while doing ``action``."""
    if pgcode == "42501":
        return (
            "login_user lacks a privilege for this: it needs CREATEDB and CREATEROLE and must be able to act as the owner role "
            "(a member of it, or with ADMIN OPTION on it from PostgreSQL 16 on), or be a superuser"
        )
    if pgcode == "55006":
        if action.startswith("create"):
            return "the template database is in use by other sessions: disconnect them from it or choose another template"
        return "other sessions are connected to it: stop its clients (for example the MLflow server) or set force: true to terminate them"
    if pgcode in ("22023", "42809", "0A000"):
        return "check encoding, lc_collate and lc_ctype: the locales must exist on the server and match the encoding (or use template template0)"
    if pgcode == "3D000":
        return "check template: the template database does not exist"
    if pgcode == "42P04":
        return "the database was created by someone else meanwhile: run the task again"
    return None


def query_error_message(action, obj, place, exc):
    """ "failed to create database 'mlflow' on host:5432: <server message>; <hint>" """
    pgcode = getattr(exc, "pgcode", None)
    detail = _compact(getattr(exc, "pgerror", None) or exc)
    if detail.startswith("ERROR: "):
        detail = detail[len("ERROR: "):]
    text = "failed to %s %s on %s: %s" % (action, obj, place, detail)
    hint = query_error_hint(pgcode, action)
    return "%s; %s" % (text, hint) if hint else text


class PostgresError(Exception):
    """A failed connection or statement, with a message naming the action, the object and the server."""

    def __init__(self, message, pgcode=None):
        super().__init__(message)
        self.pgcode = pgcode


# --------------------------------------------------------------------------- statements


class Secret:
    """A bound parameter that is sent to the server but shown as ******** in returned queries."""

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return "Secret(%s)" % REDACTED


def bound_params(params):
    """Parameters as sent to the server."""
    return tuple(p.value if isinstance(p, Secret) else p for p in params)


def display_params(params):
    """Parameters as shown in ``queries``: secrets replaced by ********."""
    return tuple(REDACTED if isinstance(p, Secret) else p for p in params)


def _composed_text(query):
    """SQL text of a psycopg2 composition, identifiers double-quoted as psycopg2 quotes them."""
    if isinstance(query, sql.Composed):
        return "".join(_composed_text(part) for part in query.seq)
    if isinstance(query, sql.Identifier):
        return ".".join('"%s"' % s.replace('"', '""') for s in query.strings)
    if isinstance(query, sql.SQL):
        return query.string
    raise TypeError("cannot show %r as SQL text" % (query,))


def _literal(value):
    return "'%s'" % str(value).replace("'", "''")


def redacted_text(query, params=()):
    """The statement as ``queries`` shows it, without a connection: values quoted, secrets as ********."""
    text = _composed_text(query)
    if not params:
        return text
    values = iter(display_params(params))
    return re.sub(r"%([s%])", lambda m: _literal(next(values)) if m.group(1) == "s" else "%", text)


class Statement:
    """One change a plan makes: the composition and bound parameters sent, the redacted text shown.

    ``action`` and ``target`` name it in error messages ("failed to create role 'mlflow' on ...").
    ``autocommit``: PostgreSQL refuses to run it inside a transaction (CREATE/DROP DATABASE), so
    it runs on its own and check mode does not run it. ``rehearse``: check mode runs it in the
    transaction it rolls back (False when it depends on a change check mode did not commit).
    """

    def __init__(self, action, target, query, params=(), *, autocommit=False, rehearse=True):
        self.action = action
        self.target = target
        self.query = query
        self.params = tuple(params)
        self.autocommit = autocommit
        self.rehearse = rehearse and not autocommit
        self.text = redacted_text(query, self.params)

    def __repr__(self):
        return "Statement(%r)" % self.text


def _role(role):
    return "role '%s'" % role


def _database(name):
    return "database '%s'" % name


def q_create_role(role, verifier):
    """CREATE ROLE ... WITH LOGIN PASSWORD: the password goes as a SCRAM secret, bound and redacted."""
    return Statement("create", _role(role), sql.SQL("CREATE ROLE {} WITH LOGIN PASSWORD %s").format(sql.Identifier(role)), (Secret(verifier),))


def q_alter_role_password(role, verifier):
    query = sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD %s").format(sql.Identifier(role))
    return Statement("set the password of", _role(role), query, (Secret(verifier),))


def q_alter_role_login(role):
    return Statement("allow login for", _role(role), sql.SQL("ALTER ROLE {} WITH LOGIN").format(sql.Identifier(role)))


def q_grant_role_to_login_user(role):
    """Lets a login_user that is not a superuser act as ``role`` (CREATE/ALTER DATABASE ... OWNER needs it)."""
    return Statement("let login_user act as", _role(role), sql.SQL("GRANT {} TO CURRENT_USER").format(sql.Identifier(role)))


def q_create_database(name, *, owner=None, template=None, encoding=None, lc_collate=None, lc_ctype=None):
    parts = [sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))]
    params = []
    if owner:
        parts.append(sql.SQL("OWNER {}").format(sql.Identifier(owner)))
    if template:
        parts.append(sql.SQL("TEMPLATE {}").format(sql.Identifier(template)))
    for keyword, value in (("ENCODING", encoding), ("LC_COLLATE", lc_collate), ("LC_CTYPE", lc_ctype)):
        if value:
            parts.append(sql.SQL(keyword + " %s"))
            params.append(value)
    return Statement("create", _database(name), sql.SQL(" ").join(parts), params, autocommit=True)


def q_alter_database_owner(name, owner):
    query = sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(name), sql.Identifier(owner))
    return Statement("change the owner of", _database(name), query)


def q_drop_database(name, force=False):
    query = sql.SQL("DROP DATABASE {}").format(sql.Identifier(name))
    if force:
        query = sql.SQL("{} WITH (FORCE)").format(query)
    return Statement("drop", _database(name), query, autocommit=True)


def q_terminate_sessions(name):
    """For servers older than 13, which have no DROP DATABASE ... WITH (FORCE)."""
    query = sql.SQL("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()")
    return Statement("terminate the sessions of", _database(name), query, (name,), autocommit=True)


def q_create_public_schema(database, owner, *, rehearse=True):
    query = sql.SQL("CREATE SCHEMA public AUTHORIZATION {}").format(sql.Identifier(owner))
    return Statement("create schema public in", _database(database), query, rehearse=rehearse)


def q_grant_public_schema(database, owner, *, rehearse=True):
    query = sql.SQL("GRANT ALL ON SCHEMA public TO {}").format(sql.Identifier(owner))
    return Statement("grant schema public to owner of", _database(database), query, rehearse=rehearse)


# --------------------------------------------------------------------------- client


class PostgresClient:
    """Connections, the few reads the modules need, and the application of planned statements.

    Errors are mapped to PostgresError. What changes something arrives as ``Statement`` objects
    from a plan; the client keeps no record of them.
    """

    def __init__(self, *, login_host=None, login_port=5432, login_user="postgres", login_password=None, login_db="postgres",
                 ssl_mode="prefer", ca_cert=None, connect_timeout=10):
        self.host = login_host
        self.port = login_port
        self.user = login_user
        self.password = login_password
        self.login_db = login_db
        self.ssl_mode = ssl_mode
        self.ca_cert = ca_cert
        self.connect_timeout = connect_timeout
        self.where = where(login_host, login_port)
        self._connections = []

    def _dsn(self, dbname, user=None, password=None):
        kwargs = dict(
            dbname=dbname,
            user=user or self.user,
            port=self.port,
            sslmode=self.ssl_mode,
            connect_timeout=self.connect_timeout,
            application_name=APPLICATION_NAME,
        )
        if self.host:
            kwargs["host"] = self.host
        secret = password if user else self.password
        if secret is not None:
            kwargs["password"] = secret
        if self.ca_cert:
            kwargs["sslrootcert"] = self.ca_cert
        return kwargs

    def connect(self, dbname=None):
        dbname = dbname or self.login_db
        try:
            conn = psycopg2.connect(**self._dsn(dbname))
        except psycopg2.Error as exc:
            raise PostgresError(connect_error_message(str(exc), self.host, self.port, self.user, dbname), getattr(exc, "pgcode", None)) from None
        self._connections.append(conn)
        return conn

    def close(self):
        for conn in self._connections:
            try:
                conn.close()
            except psycopg2.Error:
                pass
        self._connections = []

    def can_login(self, role, password):
        """Whether ``role`` can log in with ``password``: True, False, or None when the attempt says nothing.

        Used to compare passwords when login_user may not read pg_authid (not a superuser).
        """
        try:
            conn = psycopg2.connect(**self._dsn(self.login_db, user=role, password=password))
        except psycopg2.Error as exc:
            text = str(exc).lower()
            if "password authentication failed" in text:
                return False
            if "permission denied for database" in text:
                # Checked after authentication: the password was right.
                return True
            return None
        conn.close()
        return True

    def execute(self, conn, statement):
        """Run one planned statement; on failure raise PostgresError naming its action and target."""
        self._run(conn, statement.action, statement.target, statement.query, bound_params(statement.params))

    def fetch(self, conn, action, obj, query, params=()):
        """A read: its rows, or PostgresError naming ``action`` and ``obj``."""
        return self._run(conn, action, obj, query, params)

    def _run(self, conn, action, obj, query, params):
        try:
            with conn.cursor() as cur:
                cur.execute(query, params)
                return cur.fetchall() if cur.description else None
        except psycopg2.Error as exc:
            raise PostgresError(query_error_message(action, obj, self.where, exc), exc.pgcode) from None

    def apply(self, conn, statements, check_mode, done):
        """Run a plan's statements in order, appending each one's text to ``done`` as it starts.

        The statements run in one transaction, committed at the end, or rolled back in check
        mode. An ``autocommit`` statement ends that transaction and runs on its own; check mode
        skips it, and every statement that is not to be rehearsed.
        """
        for statement in statements:
            done.append(statement.text)
            if check_mode and not statement.rehearse:
                continue
            if statement.autocommit:
                conn.commit()
                conn.autocommit = True
            self.execute(conn, statement)
        if check_mode:
            conn.rollback()
        else:
            conn.commit()
        conn.autocommit = False

    def read_database(self, conn, name):
        rows = self.fetch(
            conn,
            "read",
            "database '%s'" % name,
            sql.SQL(
                "SELECT r.rolname, pg_encoding_to_char(d.encoding), d.datcollate, d.datctype "
                "FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = %s"
            ),
            (name,),
        )
        if not rows:
            return dict(name=name, exists=False, owner=None, encoding=None, collate=None, ctype=None)
        owner, encoding, collate, ctype = rows[0]
        return dict(name=name, exists=True, owner=owner, encoding=encoding, collate=collate, ctype=ctype)

    def canonical_encoding(self, conn, encoding):
        """PostgreSQL's own name for an encoding (utf-8 -> UTF8), or '' if it knows none by that name."""
        rows = self.fetch(conn, "check", "encoding '%s'" % encoding, sql.SQL("SELECT pg_encoding_to_char(pg_char_to_encoding(%s))"), (encoding,))
        return rows[0][0]

    def read_role(self, conn, role):
        rows = self.fetch(conn, "read", "role '%s'" % role, sql.SQL("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s"), (role,))
        if not rows:
            return dict(name=role, exists=False, can_login=False)
        return dict(name=role, exists=True, can_login=rows[0][0])

    def login_user_can_act_as(self, conn, role, role_exists):
        """Whether login_user may give objects to ``role``: a superuser, or a member of the existing role."""
        superuser = self.fetch(conn, "read", "role '%s'" % self.user, sql.SQL("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))[0][0]
        if superuser or not role_exists:
            return superuser
        privilege = "SET" if conn.server_version >= 160000 else "MEMBER"
        rows = self.fetch(conn, "read the membership in", "role '%s'" % role, sql.SQL("SELECT pg_has_role(current_user, %s, %s)"), (role, privilege))
        return rows[0][0]

    def read_role_secret(self, conn, role):
        """(readable, rolpassword): pg_authid is readable by superusers only."""
        try:
            with conn.cursor() as cur:
                cur.execute("SAVEPOINT read_secret")
                cur.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,))
                row = cur.fetchone()
                cur.execute("RELEASE SAVEPOINT read_secret")
                return True, row[0] if row else None
        except psycopg2.Error as exc:
            if exc.pgcode != "42501":
                raise PostgresError(query_error_message("read the password of", "role '%s'" % role, self.where, exc), exc.pgcode) from None
            with conn.cursor() as cur:
                cur.execute("ROLLBACK TO SAVEPOINT read_secret")
            return False, None

    def scram_iterations(self, conn):
        if conn.server_version >= 160000:
            rows = self.fetch(conn, "read", "setting scram_iterations", sql.SQL("SELECT current_setting('scram_iterations')::int"))
            return rows[0][0]
        return SCRAM_ITERATIONS

    def read_public_schema(self, conn, role, role_exists):
        """Owner of schema public and whether ``role`` may use and create in it (None: no such schema).

        ``owner_can_create`` is None when the role does not exist (yet) on this server.
        """
        rows = self.fetch(conn, "read", "schema public", sql.SQL("SELECT oid, pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'"))
        if not rows:
            return None
        oid, owner = rows[0]
        can_create = None
        if role_exists:
            rows = self.fetch(
                conn,
                "read the privileges on",
                "schema public",
                sql.SQL("SELECT has_schema_privilege(%s, %s, 'CREATE') AND has_schema_privilege(%s, %s, 'USAGE')"),
                (role, oid, role, oid),
            )
            can_create = rows[0][0]
        return dict(owner=owner, owner_can_create=can_create)

    def count_sessions(self, conn, name):
        rows = self.fetch(
            conn,
            "count the sessions of",
            "database '%s'" % name,
            sql.SQL("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"),
            (name,),
        )
        return rows[0][0]
