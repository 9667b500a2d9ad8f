# Copyright: mlops.mlflow contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Connection options shared by the modules that talk to a PostgreSQL server.
    DOCUMENTATION = r"""
attributes:
  action_group:
    support: full
    membership:
      - mlops.mlflow.postgresql
    description: Use C(group/mlops.mlflow.postgresql) in C(module_defaults) to set defaults for this module.
options:
  login_host:
    description:
      - Host name or IP address of the PostgreSQL server, or the directory of its Unix socket
        (a path starting with V(/)).
      - If not set, E(PGHOST) is used; if that is unset too, libpq's default local socket.
    type: str
    aliases: [host]
  login_port:
    description:
      - TCP port of the server (or the number in the name of its Unix socket).
      - If not set, E(PGPORT) is used, else V(5432).
    type: int
    default: 5432
    aliases: [port]
  login_user:
    description:
      - Role the module logs in as. It needs C(CREATEDB) and C(CREATEROLE) and must be able to
        act as the owner role, or be a superuser.
      - If not set, E(PGUSER) is used, else V(postgres).
    type: str
    default: postgres
    aliases: [login]
  login_password:
    description:
      - Password of O(login_user). Never logged.
      - If not set, E(PGPASSWORD) is used; if that is unset too, libpq tries its password file
        (C(~/.pgpass)) and authentication methods that need no password.
      - Prefer this option (from a vault) to E(PGPASSWORD) set with a task's C(environment)
        keyword, which Ansible itself prints at verbosity C(-vvvv).
    type: str
  login_db:
    description:
      - Database the module connects to for its work on roles and databases (any database the
        O(login_user) may connect to).
      - If not set, E(PGDATABASE) is used, else V(postgres).
    type: str
    default: postgres
  ssl_mode:
    description:
      - Whether and how TLS is used, as libpq's C(sslmode) (see the PostgreSQL documentation
        linked below). V(verify-full) is the one to use across an untrusted network.
      - If not set, E(PGSSLMODE) is used, else V(prefer).
    type: str
    choices: [disable, allow, prefer, require, verify-ca, verify-full]
    default: prefer
  ca_cert:
    description:
      - Path to a PEM file with the CA certificates that O(ssl_mode=verify-ca) and
        O(ssl_mode=verify-full) check the server's certificate against, on the host that runs
        the module.
      - If not set, E(PGSSLROOTCERT) is used, else libpq's default (C(~/.postgresql/root.crt)).
    type: path
    aliases: [ssl_rootcert]
  connect_timeout:
    description:
      - Seconds to wait for each connection to the server before failing. Raise it for a slow
        network; lower it to fail fast when the server is down.
    type: int
    default: 10
requirements:
  - psycopg2 >= 2.8 (or psycopg2-binary) on the host that runs the module
  - PostgreSQL server 12 or newer
seealso:
  - name: libpq connection parameters
    description: What O(ssl_mode), O(ca_cert) and the E(PG*) environment variables mean.
    link: https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS
"""
