"""Read and prepare PostgreSQL behind the module's back, so the tests do not trust the module
to report its own work. Connects as the superuser from PGHOST / PGPORT / PGUSER / PGPASSWORD.

  pg_probe.py state DB ROLE        -> JSON: database, role (PROBE_PASSWORD checked by logging in), schema public
  pg_probe.py use DB ROLE          -> log in as ROLE with PROBE_PASSWORD, create, fill and read a table in public
  pg_probe.py sql DB STATEMENT...  -> run statements as the superuser (autocommit)
  pg_probe.py sessions DB          -> JSON: number of sessions connected to DB
  pg_probe.py hold DB ROLE SECONDS -> stay connected to DB as ROLE (PROBE_PASSWORD); exit 3 if the session was terminated
"""

import json
import os
import sys
import time

import psycopg2


def connect(dbname="postgres", user=None, password=None):
    kwargs = dict(dbname=dbname, connect_timeout=5)
    if user:
        kwargs.update(user=user, password=password)
    conn = psycopg2.connect(**kwargs)
    conn.autocommit = True
    return conn


def one(cur, query, params=()):
    cur.execute(query, params)
    return cur.fetchone()


def login(dbname, role, password):
    try:
        connect(dbname, role, password).close()
        return "ok"
    except psycopg2.OperationalError as exc:
        return " ".join(str(exc).split())


def state(dbname, role):
    out = {}
    with connect() as conn, conn.cursor() as cur:
        row = one(
            cur,
            "SELECT r.rolname, pg_encoding_to_char(d.encoding), d.datcollate, d.datctype FROM pg_database d "
            "JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = %s",
            (dbname,),
        )
        out["database"] = dict(exists=bool(row), owner=row[0], encoding=row[1], collate=row[2], ctype=row[3]) if row else dict(exists=False)
        row = one(cur, "SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = %s", (role,))
        out["role"] = dict(exists=bool(row), can_login=row[0] if row else None, has_password=bool(row and row[1]))
        out["role"]["password_kind"] = (row[1] or "").split("$")[0] if row else None
    password = os.environ.get("PROBE_PASSWORD")
    out["role"]["login"] = login("postgres", role, password) if out["role"]["exists"] and password is not None else None
    out["schema"] = None
    if out["database"]["exists"]:
        with connect(dbname) as conn, conn.cursor() as cur:
            row = one(cur, "SELECT oid, pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'")
            if row:
                can = None
                if out["role"]["exists"]:
                    can = one(cur, "SELECT has_schema_privilege(%s, %s::oid, 'CREATE')", (role, row[0]))[0]
                out["schema"] = dict(owner=row[1], role_can_create=can)
    return out


def use(dbname, role):
    """What MLflow does first: create its tables in public and use them."""
    with connect(dbname, role, os.environ["PROBE_PASSWORD"]) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE public.it_probe (id serial PRIMARY KEY, name text NOT NULL)")
        cur.execute("INSERT INTO public.it_probe (name) VALUES (%s)", ("probe",))
        rows = one(cur, "SELECT count(*) FROM public.it_probe")[0]
        cur.execute("DROP TABLE public.it_probe")
        return dict(created_table=True, rows=rows, user=one(cur, "SELECT current_user")[0])


def run_sql(dbname, statements):
    with connect(dbname) as conn, conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
    return dict(ran=len(statements))


def sessions(dbname):
    with connect() as conn, conn.cursor() as cur:
        return dict(sessions=one(cur, "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (dbname,))[0])


def hold(dbname, role, seconds):
    conn = connect(dbname, role, os.environ["PROBE_PASSWORD"])
    deadline = time.time() + seconds
    try:
        with conn.cursor() as cur:
            while time.time() < deadline:
                cur.execute("SELECT 1")
                time.sleep(0.5)
    except psycopg2.Error as exc:
        print(json.dumps(dict(terminated=True, error=" ".join(str(exc).split()))))
        sys.exit(3)
    print(json.dumps(dict(terminated=False)))


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "state":
        result = state(args[0], args[1])
    elif command == "use":
        result = use(args[0], args[1])
    elif command == "sql":
        result = run_sql(args[0], args[1:])
    elif command == "sessions":
        result = sessions(args[0])
    elif command == "hold":
        result = hold(args[0], args[1], float(args[2]))
    else:
        sys.exit("unknown command %s" % command)
    if result is not None:
        print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
