# Copyright: mlops.mlflow contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: topology
short_description: Who runs what in an MLflow stack and where each part reaches the others
version_added: 0.1.0
author:
  - mlops.mlflow maintainers
description:
  - Takes the inventory's groups and host variables and returns, for each host of the stack, the
    roles it runs and the role variables that connect it to the other parts - where its tracking
    server reaches PostgreSQL and S3, the load balancer's backends, the nodes of a distributed
    MinIO, the names the servers must accept, the servers sharing a database, the URL users
    reach. C(playbooks/site.yml) computes it once and passes it to the roles.
  - "Groups: C(mlflow_backend_store) (PostgreSQL; empty for an existing PostgreSQL),
    C(mlflow_artifact_store) (MinIO, or the host that manages the bucket on an existing S3
    endpoint), C(mlflow_tracking_server), C(mlflow_load_balancer) (optional, HAProxy)."
  - "A host's address is C(mlflow_private_address), else C(ansible_host) when the connection is
    neither local nor docker, else the default IPv4 address from its facts (gather them first).
    A service bound to an address (C(*_bind_address)) is reached there; bound to every interface,
    at the host's address."
  - "A tracking server uses the stores on its own host, reached by container name, when it runs
    them; otherwise the first host of the store's group, at the published port
    (C(backend_store_publish_port), C(artifact_store_publish_port)). Two or more hosts in
    C(mlflow_artifact_store) form one distributed MinIO unless they run tracking servers too; the
    tracking servers then reach it through the first load balancer (C(mlflow_load_balancer_s3_port)),
    or without one through the first node."
  - "Without a host in C(mlflow_backend_store) every tracking host must set
    C(tracking_server_backend_store_host) and C(tracking_server_backend_store_password) (and, where
    they differ from the role's defaults, C(_port), C(_database), C(_user)): an existing PostgreSQL."
  - "Values the inventory sets for C(tracking_server_*) connection variables and for
    C(artifact_store_nodes) win over the wiring. Role defaults are read from the collection's roles."
  - "Fails, naming the host and the variable to set, on an empty C(mlflow_tracking_server) or
    C(mlflow_artifact_store), a store on another host without a published port or bound to a
    loopback address, a MinIO node address that is not an IP address, MinIO nodes with different
    ports, C(artifact_store_external) set differently on the artifact store hosts, stores on one
    host on different Docker networks, a missing address, and an existing PostgreSQL without host
    or password."
  - The result holds no secret - for the tracking servers' passwords it says which host's
    variable holds them (C(tracking_server_secrets)) - and the filter reads no secret, only
    whether a host sets it.
positional: hostvars
options:
  _input:
    description:
      - The inventory's groups, the magic variable C(groups).
    type: dict
    required: true
  hostvars:
    description:
      - The hosts' variables, the magic variable C(hostvars). Only the variables the wiring needs
        are read (the playbook variables below, C(ansible_host), C(ansible_connection), the default
        IPv4 address from C(ansible_facts), and the roles' address, port, network, name and
        credential variables).
      - "Playbook variables (inventory, any host): C(mlflow_private_address) (the address the other
        hosts reach this one by), C(mlflow_public_host) (the name users reach it by),
        C(mlflow_load_balancer_port) (MLflow on a load balancer, default V(80)),
        C(mlflow_load_balancer_s3_port) (S3 on a load balancer, default V(9000)),
        C(mlflow_tracking_server_serial) (tracking hosts replaced at once; default V(1) with a load
        balancer, else V(100%))."
    type: dict
    required: true
  defaults:
    description:
      - Role variables to use instead of the defaults read from the collection's
        C(roles/*/defaults/main.yml) and C(roles/*/vars/main.yml) (for roles kept elsewhere).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Work out the topology once, after gathering facts on every host of the stack
  ansible.builtin.set_fact:
    mlflow_topology: "{{ groups | mlops.mlflow.topology(hostvars) }}"
  run_once: true

- name: Deploy the tracking server with its connection to the stores
  ansible.builtin.include_role:
    name: mlops.mlflow.tracking_server
  vars:
    _wiring: "{{ mlflow_topology.hosts[inventory_hostname].tracking_server }}"
    _password: "{{ mlflow_topology.hosts[inventory_hostname].tracking_server_secrets.tracking_server_backend_store_password }}"
    tracking_server_backend_store_host: "{{ _wiring.tracking_server_backend_store_host }}"
    tracking_server_backend_store_password: "{{ hostvars[_password.host][_password.variable] }}"
    tracking_server_s3_endpoint_url: "{{ _wiring.tracking_server_s3_endpoint_url }}"

# For db1 (mlflow_backend_store), s3-1..3 (mlflow_artifact_store, 2 drives each), mlflow1..2
# (mlflow_tracking_server) and lb1 (mlflow_load_balancer), every store published on its
# ansible_host, mlflow_topology.hosts.mlflow1 is:
#   address: 10.0.0.31
#   runs: [docker, tracking_server]
#   tracking_server:
#     tracking_server_docker_network: mlflow
#     tracking_server_backend_store_host: 10.0.0.11
#     tracking_server_backend_store_port: 5432
#     tracking_server_s3_endpoint_url: http://10.0.0.30:9000
#     tracking_server_allowed_hosts_extra: [10.0.0.31, "10.0.0.31:5000", lb1, 10.0.0.30, mlflow.example.com]
#     ...
#   tracking_server_secrets:
#     tracking_server_backend_store_password: {host: db1, variable: backend_store_database_password}
#     tracking_server_s3_secret_key: {host: s3-1, variable: artifact_store_root_password}
#   tracking_server_backends: ["10.0.0.31:5000"]
#   db_peers: [mlflow1, mlflow2]
#   url: http://mlflow.example.com
"""

RETURN = r"""
_value:
  description: The topology.
  type: dict
  contains:
    hosts:
      description: For each host of the stack, what it runs and its wiring.
      type: dict
      contains:
        address:
          description: The address the other hosts reach it by (null when unknown and not needed).
          type: str
        runs:
          description: The roles it runs, in deployment order (C(docker) first).
          type: list
          elements: str
        artifact_store:
          description: Hosts of C(mlflow_artifact_store) only. Variables of the artifact_store role.
          type: dict
          contains:
            artifact_store_nodes:
              description: The nodes of the distributed MinIO (C(host), C(address)), or empty for a single MinIO.
              type: list
              elements: dict
        load_balancer:
          description: Hosts of C(mlflow_load_balancer) only. Variables of the load_balancer role.
          type: dict
          contains:
            load_balancer_services:
              description:
                - V(mlflow) (HTTP, every replica of every tracking host) and, for a distributed MinIO,
                  V(s3) (TCP, every node).
              type: list
              elements: dict
            load_balancer_verify_services:
              description:
                - The services whose servers run before the load balancer is deployed (V(s3)); the
                  MLflow servers are checked as they are put into rotation.
              type: list
              elements: str
        tracking_server:
          description:
            - Hosts of C(mlflow_tracking_server) only. Variables of the tracking_server role -
              C(tracking_server_docker_network), C(tracking_server_backend_store_host), C(_port),
              C(_database), C(_user), C(tracking_server_s3_endpoint_url), C(_region), C(_bucket),
              C(_access_key), C(tracking_server_allowed_hosts_extra).
          type: dict
        tracking_server_secrets:
          description:
            - Hosts of C(mlflow_tracking_server) only. For C(tracking_server_backend_store_password)
              and C(tracking_server_s3_secret_key), the C(host) and C(variable) to read the value from
              (C(hostvars[host][variable])) - the tracking host's own when its inventory sets it,
              else the store host's (C(backend_store_database_password); C(artifact_store_secret_key),
              else C(artifact_store_root_password)).
          type: dict
        tracking_server_backends:
          description: The load balancers' names (C(address:port)) of its servers, one per replica; empty without a load balancer.
          type: list
          elements: str
        db_peers:
          description:
            - The tracking hosts whose servers use the same database, itself included - the same host of
              C(mlflow_backend_store) and database (also through another address the inventory sets,
              such as a pooler), or for an existing PostgreSQL the same host, port and database.
          type: list
          elements: str
        url:
          description: Where users reach its servers (the first load balancer, if any).
          type: str
    load_balancers:
      description: The hosts of C(mlflow_load_balancer).
      type: list
      elements: str
    serial:
      description: How many tracking hosts are replaced at once (C(mlflow_tracking_server_serial), else 1 with a load balancer, else V(100%)).
      type: raw
    urls:
      description: Every URL users reach MLflow by (one per tracking host without a load balancer).
      type: list
      elements: str
    minio_consoles:
      description: The MinIO console URLs, for the artifact store hosts that publish one.
      type: list
      elements: str
"""

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import yaml
from ansible.errors import AnsibleError, AnsibleFilterError

from ansible_collections.mlops.mlflow.plugins.plugin_utils._topology import GROUPS, HOST_VARIABLES, SECRET_VARIABLES, TopologyError, compute

_ROLES = Path(__file__).resolve().parents[2] / "roles"


@lru_cache(maxsize=1)
def role_defaults():
    """Literal values of the roles' defaults/main.yml and vars/main.yml (templated ones are left out)."""
    values = {}
    for path in sorted(_ROLES.glob("*/defaults/main.yml")) + sorted(_ROLES.glob("*/vars/main.yml")):
        for name, value in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if not (isinstance(value, str) and "{{" in value):
                values[name] = value
    return values


def _plain(value):
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


class _HostVariables(Mapping):
    """The variables of one host that the wiring reads, templated when read; of a secret, only
    whether the host sets it."""

    def __init__(self, host, variables):
        self._host = host
        self._variables = variables

    def __contains__(self, name):
        return (name in HOST_VARIABLES or name in SECRET_VARIABLES) and name in self._variables

    def __getitem__(self, name):
        if name not in HOST_VARIABLES or name not in self._variables:
            raise KeyError(name)
        try:
            value = self._variables[name]
            if name == "ansible_facts":
                default_ipv4 = (value or {}).get("default_ipv4") or {}
                return {"default_ipv4": {"address": default_ipv4.get("address")}}
            return _plain(value)
        except AnsibleError as error:
            raise AnsibleFilterError(f"mlops.mlflow.topology: cannot read {name} of {self._host}: {error}") from error

    def __iter__(self):
        return (name for name in HOST_VARIABLES if name in self._variables)

    def __len__(self):
        return sum(1 for _name in self)


def topology(groups, hostvars, defaults=None):
    if not isinstance(groups, Mapping) or not isinstance(hostvars, Mapping):
        raise AnsibleFilterError("mlops.mlflow.topology: use it as groups | mlops.mlflow.topology(hostvars)")
    plain_groups = {group: [str(host) for host in groups.get(group) or []] for group in GROUPS}
    variables = {host: _HostVariables(host, hostvars[host]) for group in GROUPS for host in plain_groups[group]}
    try:
        return compute(plain_groups, variables, {**role_defaults(), **(defaults or {})})
    except TopologyError as error:
        raise AnsibleFilterError(f"mlops.mlflow.topology: {error}") from error


class FilterModule:
    def filters(self):
        return {"topology": topology}
