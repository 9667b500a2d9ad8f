# Copyright: mlops.mlflow contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: postgresql_identifier
short_description: Whether a string is a database or role name that M(mlops.mlflow.postgresql_database) accepts
version_added: 0.2.0
author:
  - mlops.mlflow maintainers (@mlops)
description:
  - Applies the rules by which M(mlops.mlflow.postgresql_database) accepts its options
    O(mlops.mlflow.postgresql_database#module:name), O(mlops.mlflow.postgresql_database#module:owner) and
    O(mlops.mlflow.postgresql_database#module:template), with the module's own code, so that a role or playbook
    can check such names in a preflight that fails before anything changes.
  - A valid name has 1 to 63 characters, only lowercase letters V(a-z), digits and underscores, and starts
    with a letter or an underscore. Such a name never needs quoting, in SQL or in a connection URI.
  - A role name, in addition, does not start with V(pg_) and is not V(public) or V(none), which PostgreSQL
    reserves.
  - Anything that is not a string is not a name.
options:
  _input:
    description: The name to check.
    type: raw
    required: true
  kind:
    description:
      - What the name is for. V(role) adds the rules for role names (a database owner, a login user).
    type: str
    choices: [database, role]
    default: database
seealso:
  - module: mlops.mlflow.postgresql_database
"""

EXAMPLES = r"""
- name: Check database and role names before anything is created
  ansible.builtin.assert:
    that:
      - backend_store_database is mlops.mlflow.postgresql_identifier
      - backend_store_database_user is mlops.mlflow.postgresql_identifier('role')
    fail_msg: >-
      Set backend_store_database and backend_store_database_user to lowercase letters, digits and
      underscores (a role name must not start with pg_).

- name: pg_mlflow may name a database, not a role
  ansible.builtin.assert:
    that:
      - "'pg_mlflow' is mlops.mlflow.postgresql_identifier"
      - "'pg_mlflow' is not mlops.mlflow.postgresql_identifier(kind='role')"
"""

RETURN = r"""
_value:
  description: V(true) when M(mlops.mlflow.postgresql_database) accepts the name for this O(kind), V(false) otherwise.
  type: bool
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.mlflow.plugins.module_utils._postgres import identifier_problems

KINDS = ("database", "role")


def postgresql_identifier(value, kind="database"):
    if kind not in KINDS:
        raise AnsibleFilterError("postgresql_identifier: kind must be one of %s, got %r" % (", ".join(KINDS), kind))
    return not identifier_problems(value, kind)


class TestModule:
    def tests(self):
        return {"postgresql_identifier": postgresql_identifier}
