"""The wiring of playbooks/site.yml (plugins/plugin_utils/_topology.py), with the roles' own defaults."""

from __future__ import annotations

import pytest

from ansible_collections.mlops.mlflow.plugins.filter.topology import role_defaults
from ansible_collections.mlops.mlflow.plugins.plugin_utils._topology import SECRET_VARIABLES, TopologyError, compute

DEFAULTS = role_defaults()

BACKEND = "mlflow_backend_store"
ARTIFACT = "mlflow_artifact_store"
TRACKING = "mlflow_tracking_server"
BALANCER = "mlflow_load_balancer"

ANY = "0.0.0.0"  # noqa: S104 - a bind address in the inventory, not a socket
SECRETS = {"backend_store_database_password": "pg-secret", "artifact_store_root_user": "mlflow-admin", "artifact_store_root_password": "s3-secret"}


class SecretGuard(dict):
    """Host variables that fail the test when a secret's value is read (only presence may be asked)."""

    def __getitem__(self, name):
        assert name not in SECRET_VARIABLES, f"the topology read the secret {name}"
        return super().__getitem__(name)

    def get(self, name, default=None):
        assert name not in SECRET_VARIABLES, f"the topology read the secret {name}"
        return super().get(name, default)


def ssh_host(address, **variables):
    return {"ansible_host": address, "ansible_connection": "ssh", **variables}


def docker_host(address, **variables):
    """A molecule instance: ansible_host is a container name, the address comes from the facts."""
    return {
        "ansible_host": f"mlops-{address}",
        "ansible_connection": "community.docker.docker",
        "ansible_facts": {"default_ipv4": {"address": address}},
        **variables,
    }


def run(groups, hostvars, defaults=None):
    guarded = {host: SecretGuard({**SECRETS, **variables}) for host, variables in hostvars.items()}
    return compute(groups, guarded, {**DEFAULTS, **(defaults or {})})


def fails(groups, hostvars, *fragments):
    with pytest.raises(TopologyError) as error:
        run(groups, hostvars)
    for fragment in fragments:
        assert fragment in str(error.value)
    return str(error.value)


# --------------------------------------------------------------------------- layouts


def test_single_host_reaches_the_stores_by_container_name():
    groups = {BACKEND: ["lab"], ARTIFACT: ["lab"], TRACKING: ["lab"]}
    result = run(groups, {"lab": {"ansible_connection": "local", "ansible_host": "127.0.0.1", "ansible_facts": {"default_ipv4": {"address": "192.0.2.5"}}}})

    lab = result["hosts"]["lab"]
    assert lab["address"] == "192.0.2.5"  # not ansible_host: the connection is local
    assert lab["runs"] == ["docker", "backend_store", "artifact_store", "tracking_server"]
    assert lab["artifact_store"] == {"artifact_store_nodes": []}
    assert lab["tracking_server"] == {
        "tracking_server_docker_network": "mlflow",
        "tracking_server_backend_store_host": "mlflow-postgres",
        "tracking_server_backend_store_port": 5432,
        "tracking_server_backend_store_database": "mlflow",
        "tracking_server_backend_store_user": "mlflow",
        "tracking_server_s3_endpoint_url": "http://mlflow-minio:9000",
        "tracking_server_s3_region": "us-east-1",
        "tracking_server_s3_bucket": "mlflow",
        "tracking_server_s3_access_key": "mlflow-admin",
        "tracking_server_allowed_hosts_extra": ["192.0.2.5", "192.0.2.5:5000"],
    }
    assert lab["tracking_server_secrets"] == {
        "tracking_server_backend_store_password": {"host": "lab", "variable": "backend_store_database_password"},
        "tracking_server_s3_secret_key": {"host": "lab", "variable": "artifact_store_root_password"},
    }
    assert lab["tracking_server_backends"] == []
    assert lab["db_peers"] == ["lab"]
    assert lab["url"] == "http://192.0.2.5:5000"
    assert result["load_balancers"] == []
    assert result["serial"] == "100%"
    assert result["urls"] == ["http://192.0.2.5:5000"]
    assert result["minio_consoles"] == []


def test_the_stores_own_names_and_networks_are_used():
    groups = {BACKEND: ["lab"], ARTIFACT: ["lab"], TRACKING: ["lab"]}
    lab = docker_host(
        "192.0.2.5",
        backend_store_container_name="pg",
        backend_store_docker_network="stack",
        artifact_store_container_name="s3",
        artifact_store_docker_network="stack",
        backend_store_database="registry",
        backend_store_database_user="registry_owner",
        artifact_store_bucket="models",
        artifact_store_region="eu-west-1",
        artifact_store_console_port=9001,
        artifact_store_bind_address=ANY,
    )
    result = run(groups, {"lab": lab})
    wiring = result["hosts"]["lab"]["tracking_server"]
    assert wiring["tracking_server_docker_network"] == "stack"
    assert wiring["tracking_server_backend_store_host"] == "pg"
    assert wiring["tracking_server_backend_store_database"] == "registry"
    assert wiring["tracking_server_backend_store_user"] == "registry_owner"
    assert wiring["tracking_server_s3_endpoint_url"] == "http://s3:9000"
    assert wiring["tracking_server_s3_bucket"] == "models"
    assert wiring["tracking_server_s3_region"] == "eu-west-1"
    assert result["minio_consoles"] == ["http://192.0.2.5:9001"]


def test_every_host_with_every_group_is_a_stack_of_its_own():
    # molecule/default: two hosts in every group are two stacks, not a distributed MinIO.
    hosts = ["debian12", "debian13"]
    groups = {BACKEND: hosts, ARTIFACT: hosts, TRACKING: hosts}
    result = run(groups, {"debian12": docker_host("172.18.0.2"), "debian13": docker_host("172.18.0.3")})
    for host in hosts:
        entry = result["hosts"][host]
        assert entry["artifact_store"]["artifact_store_nodes"] == []
        assert entry["tracking_server"]["tracking_server_backend_store_host"] == "mlflow-postgres"
        assert entry["tracking_server"]["tracking_server_s3_endpoint_url"] == "http://mlflow-minio:9000"
        assert entry["tracking_server_secrets"]["tracking_server_backend_store_password"]["host"] == host
        assert entry["db_peers"] == [host]
    assert result["urls"] == ["http://172.18.0.2:5000", "http://172.18.0.3:5000"]


def test_stores_apart_are_reached_at_their_published_ports():
    groups = {BACKEND: ["db1"], ARTIFACT: ["s3-1"], TRACKING: ["mlflow1", "mlflow2"]}
    hostvars = {
        "db1": ssh_host("10.0.0.11", backend_store_publish_port=5432, backend_store_bind_address="10.0.0.11"),
        "s3-1": ssh_host("10.0.0.21", artifact_store_publish_port=9100, artifact_store_bind_address=ANY),
        "mlflow1": ssh_host("10.0.0.31"),
        "mlflow2": ssh_host("10.0.0.32", mlflow_public_host="mlflow2.example.com"),
    }
    result = run(groups, hostvars)
    for host in ("mlflow1", "mlflow2"):
        entry = result["hosts"][host]
        assert entry["runs"] == ["docker", "tracking_server"]
        assert entry["tracking_server"]["tracking_server_backend_store_host"] == "10.0.0.11"
        assert entry["tracking_server"]["tracking_server_backend_store_port"] == 5432
        assert entry["tracking_server"]["tracking_server_s3_endpoint_url"] == "http://10.0.0.21:9100"
        # Not on a store host: the role's own network.
        assert entry["tracking_server"]["tracking_server_docker_network"] == DEFAULTS["tracking_server_docker_network"]
        assert entry["tracking_server_secrets"] == {
            "tracking_server_backend_store_password": {"host": "db1", "variable": "backend_store_database_password"},
            "tracking_server_s3_secret_key": {"host": "s3-1", "variable": "artifact_store_root_password"},
        }
        assert entry["db_peers"] == ["mlflow1", "mlflow2"]
    assert result["hosts"]["s3-1"]["artifact_store"]["artifact_store_nodes"] == []  # one MinIO
    assert result["urls"] == ["http://10.0.0.31:5000", "http://mlflow2.example.com:5000"]
    # Users reach mlflow2 by its public name: the server must accept it.
    assert "mlflow2.example.com:5000" in result["hosts"]["mlflow2"]["tracking_server"]["tracking_server_allowed_hosts_extra"]


MOLECULE_MULTI_HOST_GROUPS = {
    BACKEND: ["store1"],
    ARTIFACT: ["store1", "store2", "store3"],
    TRACKING: ["mlflow1", "mlflow2"],
    BALANCER: ["mlflow1"],
}


def molecule_multi_host_vars():
    published = {"backend_store_publish_port": 5432, "artifact_store_publish_port": 9000, "artifact_store_drives": 2}
    addresses = {"store1": "172.20.0.2", "store2": "172.20.0.3", "store3": "172.20.0.4", "mlflow1": "172.20.0.5", "mlflow2": "172.20.0.6"}
    return {
        host: docker_host(ip, backend_store_bind_address=ip, artifact_store_bind_address=ip, tracking_server_bind_address=ip, **published)
        for host, ip in addresses.items()
    }


def test_distributed_minio_behind_a_load_balancer_as_in_molecule_multi_host():
    result = run(MOLECULE_MULTI_HOST_GROUPS, molecule_multi_host_vars())
    nodes = [{"host": "store1", "address": "172.20.0.2"}, {"host": "store2", "address": "172.20.0.3"}, {"host": "store3", "address": "172.20.0.4"}]
    for host in ("store1", "store2", "store3"):
        assert result["hosts"][host]["artifact_store"] == {"artifact_store_nodes": nodes}
    assert result["hosts"]["store1"]["runs"] == ["docker", "backend_store", "artifact_store"]
    assert result["hosts"]["mlflow1"]["runs"] == ["docker", "load_balancer", "tracking_server"]
    assert result["hosts"]["mlflow1"]["load_balancer"] == {
        "load_balancer_services": [
            {"name": "mlflow", "port": 80, "mode": "http", "health_path": "/health", "backends": ["172.20.0.5:5000", "172.20.0.6:5000"]},
            {
                "name": "s3",
                "port": 9000,
                "mode": "tcp",
                "health_path": "/minio/health/live",
                "backends": ["172.20.0.2:9000", "172.20.0.3:9000", "172.20.0.4:9000"],
            },
        ],
        "load_balancer_verify_services": ["s3"],
    }
    for host, ip in (("mlflow1", "172.20.0.5"), ("mlflow2", "172.20.0.6")):
        entry = result["hosts"][host]
        wiring = entry["tracking_server"]
        assert wiring["tracking_server_backend_store_host"] == "172.20.0.2"
        assert wiring["tracking_server_backend_store_port"] == 5432
        # A lost MinIO node does not matter behind the load balancer.
        assert wiring["tracking_server_s3_endpoint_url"] == "http://172.20.0.5:9000"
        # The role already knows its own host's names; duplicates do no harm and are left out here.
        assert wiring["tracking_server_allowed_hosts_extra"] == list(dict.fromkeys([ip, f"{ip}:5000", "mlflow1", "172.20.0.5"]))
        assert entry["tracking_server_backends"] == [f"{ip}:5000"]
        assert entry["db_peers"] == ["mlflow1", "mlflow2"]
        assert entry["url"] == "http://172.20.0.5"
    assert result["serial"] == 1
    assert result["load_balancers"] == ["mlflow1"]
    assert result["urls"] == ["http://172.20.0.5"]


def test_readme_layout_with_replicas_a_public_name_and_another_port():
    groups = {BACKEND: ["db1"], ARTIFACT: ["s3-1", "s3-2", "s3-3"], TRACKING: ["mlflow1", "mlflow2"], BALANCER: ["lb1"]}
    common = {"backend_store_publish_port": 5432, "artifact_store_publish_port": 9000}
    hostvars = {
        "db1": ssh_host("10.0.0.11", backend_store_bind_address="10.0.0.11", **common),
        "s3-1": ssh_host("10.0.0.21", artifact_store_bind_address="10.0.0.21", **common),
        "s3-2": ssh_host("10.0.0.22", artifact_store_bind_address="10.0.0.22", **common),
        "s3-3": ssh_host("10.0.0.23", artifact_store_bind_address="10.0.0.23", **common),
        "mlflow1": ssh_host("10.0.0.31", tracking_server_bind_address="10.0.0.31"),
        "mlflow2": ssh_host("10.0.0.32", tracking_server_replicas=3, tracking_server_port=6000),
        "lb1": ssh_host("10.0.0.30", mlflow_public_host="mlflow.example.com", mlflow_load_balancer_port=8080, mlflow_load_balancer_s3_port=9900),
    }
    result = run(groups, hostvars)
    services = result["hosts"]["lb1"]["load_balancer"]["load_balancer_services"]
    assert services[0]["port"] == 8080
    assert services[0]["backends"] == ["10.0.0.31:5000", "10.0.0.32:6000", "10.0.0.32:6001", "10.0.0.32:6002"]
    assert services[1]["port"] == 9900
    assert result["hosts"]["lb1"]["runs"] == ["docker", "load_balancer"]
    assert "tracking_server" not in result["hosts"]["lb1"]
    mlflow2 = result["hosts"]["mlflow2"]
    assert mlflow2["tracking_server_backends"] == ["10.0.0.32:6000", "10.0.0.32:6001", "10.0.0.32:6002"]
    assert mlflow2["tracking_server"]["tracking_server_s3_endpoint_url"] == "http://10.0.0.30:9900"
    assert mlflow2["tracking_server"]["tracking_server_allowed_hosts_extra"] == [
        "10.0.0.32",
        "10.0.0.32:6000",
        "10.0.0.32:6001",
        "10.0.0.32:6002",
        "lb1",
        "lb1:8080",
        "10.0.0.30",
        "10.0.0.30:8080",
        "mlflow.example.com",
        "mlflow.example.com:8080",
    ]
    assert result["urls"] == ["http://mlflow.example.com:8080"]


def test_distributed_minio_without_a_load_balancer_is_reached_through_the_first_node():
    groups = {BACKEND: ["db1"], ARTIFACT: ["s3-1", "s3-2", "s3-3", "s3-4"], TRACKING: ["mlflow1"]}
    hostvars = {"db1": ssh_host("10.0.0.11", backend_store_publish_port=5432, backend_store_bind_address=ANY), "mlflow1": ssh_host("10.0.0.31")}
    for index in range(1, 5):
        hostvars[f"s3-{index}"] = ssh_host(f"10.0.0.2{index}", artifact_store_publish_port=9000, artifact_store_bind_address=ANY)
    result = run(groups, hostvars)
    assert len(result["hosts"]["s3-4"]["artifact_store"]["artifact_store_nodes"]) == 4
    assert result["hosts"]["mlflow1"]["tracking_server"]["tracking_server_s3_endpoint_url"] == "http://10.0.0.21:9000"
    assert result["hosts"]["mlflow1"]["tracking_server"]["tracking_server_backend_store_host"] == "10.0.0.11"


def test_existing_s3_endpoint():
    groups = {BACKEND: ["db1"], ARTIFACT: ["bucket-admin"], TRACKING: ["mlflow1"]}
    hostvars = {
        "db1": ssh_host("10.0.0.11", backend_store_publish_port=5432, backend_store_bind_address="10.0.0.11"),
        "bucket-admin": ssh_host(
            "10.0.0.40",
            artifact_store_external=True,
            artifact_store_endpoint_url="https://s3.example.com",
            artifact_store_access_key="AKIA-MLFLOW",
            artifact_store_secret_key="external-secret",
            artifact_store_region="eu-central-1",
            artifact_store_bucket="acme-mlflow",
            artifact_store_console_port=9001,
        ),
        "mlflow1": ssh_host("10.0.0.31"),
    }
    result = run(groups, hostvars)
    entry = result["hosts"]["mlflow1"]
    assert entry["tracking_server"]["tracking_server_s3_endpoint_url"] == "https://s3.example.com"
    assert entry["tracking_server"]["tracking_server_s3_access_key"] == "AKIA-MLFLOW"
    assert entry["tracking_server"]["tracking_server_s3_region"] == "eu-central-1"
    assert entry["tracking_server"]["tracking_server_s3_bucket"] == "acme-mlflow"
    assert entry["tracking_server_secrets"]["tracking_server_s3_secret_key"] == {"host": "bucket-admin", "variable": "artifact_store_secret_key"}
    assert result["hosts"]["bucket-admin"]["artifact_store"]["artifact_store_nodes"] == []
    assert result["minio_consoles"] == []  # no MinIO of ours


def test_several_hosts_on_an_existing_s3_endpoint_are_not_a_minio_cluster():
    groups = {BACKEND: ["db1"], ARTIFACT: ["a", "b"], TRACKING: ["db1"]}
    external = {"artifact_store_external": "true", "artifact_store_endpoint_url": ""}
    result = run(groups, {"db1": ssh_host("10.0.0.11"), "a": ssh_host("10.0.0.1", **external), "b": ssh_host("10.0.0.2", **external)})
    assert result["hosts"]["a"]["artifact_store"]["artifact_store_nodes"] == []
    assert result["hosts"]["db1"]["tracking_server"]["tracking_server_s3_endpoint_url"] == ""  # AWS S3


def test_existing_postgresql_from_the_inventory():
    groups = {BACKEND: [], ARTIFACT: ["s3-1"], TRACKING: ["mlflow1", "mlflow2", "mlflow3"]}
    existing = {"tracking_server_backend_store_host": "pg.example.com", "tracking_server_backend_store_password": "from-vault"}
    hostvars = {
        "s3-1": ssh_host("10.0.0.21", artifact_store_publish_port=9000, artifact_store_bind_address=ANY),
        "mlflow1": ssh_host("10.0.0.31", **existing, tracking_server_backend_store_port=6432),
        "mlflow2": ssh_host("10.0.0.32", **existing, tracking_server_backend_store_port="6432"),
        # Same server, another database: not a peer of the other two.
        "mlflow3": ssh_host("10.0.0.33", **existing, tracking_server_backend_store_port=6432, tracking_server_backend_store_database="staging"),
    }
    result = run(groups, hostvars)
    mlflow1 = result["hosts"]["mlflow1"]
    assert mlflow1["tracking_server"]["tracking_server_backend_store_host"] == "pg.example.com"
    assert mlflow1["tracking_server"]["tracking_server_backend_store_port"] == 6432
    assert mlflow1["tracking_server"]["tracking_server_backend_store_database"] == DEFAULTS["tracking_server_backend_store_database"]
    assert mlflow1["tracking_server"]["tracking_server_backend_store_user"] == DEFAULTS["tracking_server_backend_store_user"]
    assert mlflow1["tracking_server_secrets"]["tracking_server_backend_store_password"] == {
        "host": "mlflow1",
        "variable": "tracking_server_backend_store_password",
    }
    assert mlflow1["db_peers"] == ["mlflow1", "mlflow2"]
    assert result["hosts"]["mlflow2"]["db_peers"] == ["mlflow1", "mlflow2"]
    assert result["hosts"]["mlflow3"]["db_peers"] == ["mlflow3"]
    assert all("backend_store" not in entry["runs"] for entry in result["hosts"].values())


def test_the_inventory_wins_over_the_wiring():
    groups = {BACKEND: ["db1"], ARTIFACT: ["s3-1", "s3-2", "s3-3"], TRACKING: ["mlflow1"]}
    nodes = [{"host": "s3-1", "address": "10.9.0.1"}, {"host": "s3-2", "address": "10.9.0.2"}]
    hostvars = {
        "db1": ssh_host("10.0.0.11", backend_store_publish_port=5432, backend_store_bind_address=ANY),
        "s3-1": ssh_host("10.0.0.21", artifact_store_nodes=nodes, artifact_store_publish_port=9000),
        "s3-2": ssh_host("10.0.0.22", artifact_store_nodes=nodes, artifact_store_publish_port=9000),
        "s3-3": ssh_host("10.0.0.23", artifact_store_nodes=[], artifact_store_publish_port=9000, artifact_store_bind_address="10.0.0.23"),
        "mlflow1": ssh_host(
            "10.0.0.31",
            tracking_server_backend_store_host="pgbouncer.internal",
            tracking_server_s3_endpoint_url="http://s3.internal:9000",
            tracking_server_s3_secret_key="own-secret",
            tracking_server_allowed_hosts_extra=["mlflow.internal"],
            tracking_server_docker_network="mlflow-net",
        ),
    }
    result = run(groups, hostvars)
    assert result["hosts"]["s3-1"]["artifact_store"]["artifact_store_nodes"] == nodes
    assert result["hosts"]["s3-3"]["artifact_store"]["artifact_store_nodes"] == []
    entry = result["hosts"]["mlflow1"]
    wiring = entry["tracking_server"]
    assert wiring["tracking_server_backend_store_host"] == "pgbouncer.internal"
    assert wiring["tracking_server_backend_store_port"] == 5432
    assert wiring["tracking_server_s3_endpoint_url"] == "http://s3.internal:9000"
    assert wiring["tracking_server_docker_network"] == "mlflow-net"
    assert wiring["tracking_server_allowed_hosts_extra"][0] == "mlflow.internal"
    assert entry["tracking_server_secrets"]["tracking_server_s3_secret_key"] == {"host": "mlflow1", "variable": "tracking_server_s3_secret_key"}


def test_serial_comes_from_the_inventory():
    groups = {BACKEND: ["a"], ARTIFACT: ["a"], TRACKING: ["a"], BALANCER: ["a"]}
    result = run(groups, {"a": ssh_host("10.0.0.1", tracking_server_bind_address="10.0.0.1", mlflow_tracking_server_serial="50%")})
    assert result["serial"] == "50%"


def test_address_rule():
    every = ["a", "b", "c", "d"]
    groups = {BACKEND: every, ARTIFACT: every, TRACKING: every}
    facts = {"ansible_facts": {"default_ipv4": {"address": "192.0.2.9"}}}
    hostvars = {
        "a": {"mlflow_private_address": "10.1.0.1", "ansible_host": "203.0.113.1", **facts},
        "b": {"ansible_host": "203.0.113.2", **facts},  # ssh is the default connection
        "c": {"ansible_host": "container-c", "ansible_connection": "docker", **facts},
        "d": {"ansible_connection": "local", **facts},
    }
    result = run(groups, hostvars)
    assert [result["hosts"][host]["address"] for host in "abcd"] == ["10.1.0.1", "203.0.113.2", "192.0.2.9", "192.0.2.9"]


def test_role_defaults_are_read_not_retyped():
    groups = {BACKEND: ["a"], ARTIFACT: ["a"], TRACKING: ["a"], BALANCER: ["a"]}
    hostvars = {"a": ssh_host("10.0.0.1", tracking_server_bind_address=ANY)}
    changed = run(groups, hostvars, defaults={"tracking_server_port": 7000, "tracking_server_replicas": 2, "_backend_store_container_port": 5433})
    assert changed["hosts"]["a"]["tracking_server_backends"] == ["10.0.0.1:7000", "10.0.0.1:7001"]
    assert changed["hosts"]["a"]["tracking_server"]["tracking_server_backend_store_port"] == 5433


def test_the_secret_guard_catches_a_read():
    # Every layout above runs with SecretGuard host variables: passing, none read a secret.
    guard = SecretGuard(SECRETS)
    assert "backend_store_database_password" in guard
    with pytest.raises(AssertionError, match="read the secret backend_store_database_password"):
        guard.get("backend_store_database_password")
    with pytest.raises(AssertionError, match="read the secret artifact_store_root_password"):
        guard["artifact_store_root_password"]  # noqa: B018


def test_a_pooler_in_the_inventory_needs_no_published_store():
    groups = {BACKEND: ["db1"], ARTIFACT: ["mlflow1"], TRACKING: ["mlflow1"]}
    hostvars = {
        "db1": ssh_host("10.0.0.11"),
        "mlflow1": ssh_host("10.0.0.31", tracking_server_backend_store_host="pool", tracking_server_backend_store_port=6432),
    }
    result = run(groups, hostvars)
    wiring = result["hosts"]["mlflow1"]["tracking_server"]
    assert (wiring["tracking_server_backend_store_host"], wiring["tracking_server_backend_store_port"]) == ("pool", 6432)
    assert result["hosts"]["mlflow1"]["tracking_server_secrets"]["tracking_server_backend_store_password"]["host"] == "db1"


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("groups", "group", "what"),
    [
        ({BACKEND: ["a"], ARTIFACT: ["a"]}, TRACKING, "run the MLflow server"),
        ({BACKEND: ["a"], ARTIFACT: [], TRACKING: ["a"]}, ARTIFACT, "run MinIO"),
    ],
)
def test_a_required_group_left_empty(groups, group, what):
    fails(groups, {"a": ssh_host("10.0.0.1")}, f"no host in group {group}", what)


@pytest.mark.parametrize(
    ("missing", "fragment"),
    [
        ("tracking_server_backend_store_host", "tracking_server_backend_store_host is not set for it"),
        ("tracking_server_backend_store_password", "_password is not set"),
    ],
)
def test_existing_postgresql_needs_a_host_and_a_password(missing, fragment):
    existing = {"tracking_server_backend_store_host": "pg.example.com", "tracking_server_backend_store_password": "x"}
    del existing[missing]
    groups = {ARTIFACT: ["mlflow1"], TRACKING: ["mlflow1"]}
    fails(groups, {"mlflow1": ssh_host("10.0.0.31", **existing)}, f"{BACKEND} has no host", fragment, f"put the host that should run PostgreSQL in {BACKEND}")


def test_a_store_on_another_host_must_publish_its_port():
    groups = {BACKEND: ["db1"], ARTIFACT: ["mlflow1"], TRACKING: ["mlflow1"]}
    fails(
        groups,
        {"db1": ssh_host("10.0.0.11", backend_store_bind_address=ANY), "mlflow1": ssh_host("10.0.0.31")},
        "uses the PostgreSQL on db1",
        "backend_store_publish_port of db1 is not set",
    )


def test_a_store_on_another_host_must_not_listen_on_loopback_only():
    # backend_store_bind_address defaults to 127.0.0.1 in the role.
    groups = {BACKEND: ["db1"], ARTIFACT: ["mlflow1"], TRACKING: ["mlflow1"]}
    message = fails(
        groups,
        {"db1": ssh_host("10.0.0.11", backend_store_publish_port=5432), "mlflow1": ssh_host("10.0.0.31")},
        "reached at 127.0.0.1 (from backend_store_bind_address, the role's default)",
        "set backend_store_bind_address for db1",
    )
    assert ANY in message


def test_an_artifact_store_on_loopback_is_not_reachable_either():
    groups = {BACKEND: ["mlflow1"], ARTIFACT: ["s3-1"], TRACKING: ["mlflow1"]}
    fails(
        groups,
        {"s3-1": ssh_host("127.0.0.1", artifact_store_publish_port=9000, artifact_store_bind_address=ANY), "mlflow1": ssh_host("10.0.0.31")},
        "artifact_store on s3-1 is reached at 127.0.0.1 (from ansible_host)",
        "set mlflow_private_address for s3-1",
    )


def test_minio_nodes_need_ip_addresses():
    groups = {BACKEND: ["db1"], ARTIFACT: ["s3-1", "s3-2"], TRACKING: ["db1"]}
    published = {"artifact_store_publish_port": 9000, "artifact_store_bind_address": ANY}
    fails(
        groups,
        {"db1": ssh_host("10.0.0.11"), "s3-1": ssh_host("10.0.0.21", **published), "s3-2": ssh_host("s3-2.example.com", **published)},
        "form one distributed MinIO, which needs an IP address for s3-2",
        "'s3-2.example.com' (from ansible_host)",
        "set mlflow_private_address for s3-2",
    )


def test_minio_nodes_share_one_port():
    groups = {BACKEND: ["db1"], ARTIFACT: ["s3-1", "s3-2"], TRACKING: ["db1"]}
    fails(
        groups,
        {
            "db1": ssh_host("10.0.0.11"),
            "s3-1": ssh_host("10.0.0.21", artifact_store_publish_port=9000, artifact_store_bind_address=ANY),
            "s3-2": ssh_host("10.0.0.22", artifact_store_publish_port=9100, artifact_store_bind_address=ANY),
        },
        "artifact_store_publish_port differs between the MinIO nodes (s3-1: 9000, s3-2: 9100)",
    )


def test_minio_nodes_publish_their_port():
    groups = {BACKEND: ["db1"], ARTIFACT: ["s3-1", "s3-2"], TRACKING: ["db1"], BALANCER: ["db1"]}
    fails(
        groups,
        {
            "db1": ssh_host("10.0.0.11", tracking_server_bind_address=ANY),
            "s3-1": ssh_host("10.0.0.21", artifact_store_bind_address=ANY),
            "s3-2": ssh_host("10.0.0.22", artifact_store_bind_address=ANY),
        },
        "s3-1 is a node of a distributed MinIO, but artifact_store_publish_port of s3-1 is not set",
    )


def test_artifact_store_external_must_agree():
    groups = {BACKEND: ["a"], ARTIFACT: ["a", "b"], TRACKING: ["a"]}
    fails(groups, {"a": ssh_host("10.0.0.1"), "b": ssh_host("10.0.0.2", artifact_store_external=True)}, "artifact_store_external differs", "a: False, b: True")


def test_local_stores_on_different_networks():
    groups = {BACKEND: ["a"], ARTIFACT: ["a"], TRACKING: ["a"]}
    fails(groups, {"a": ssh_host("10.0.0.1", artifact_store_docker_network="other")}, "different networks", "artifact_store_docker_network: other")


def test_tracking_server_on_another_network_than_its_stores():
    groups = {BACKEND: ["a"], ARTIFACT: ["a"], TRACKING: ["a"]}
    fails(groups, {"a": ssh_host("10.0.0.1", tracking_server_docker_network="other")}, "tracking_server_docker_network is other: set it to mlflow")


def test_balanced_servers_must_not_listen_on_loopback():
    groups = {BACKEND: ["a"], ARTIFACT: ["a"], TRACKING: ["a"], BALANCER: ["lb"]}
    fails(
        groups,
        {"a": ssh_host("10.0.0.1", tracking_server_bind_address="127.0.0.1"), "lb": ssh_host("10.0.0.2")},
        "The load balancer lb sends requests to the MLflow servers on a",
        "set tracking_server_bind_address for a",
    )


def test_an_unknown_address_where_one_is_needed():
    groups = {BACKEND: ["db1"], ARTIFACT: ["mlflow1"], TRACKING: ["mlflow1"]}
    fails(
        groups,
        {"db1": {"ansible_connection": "local", "backend_store_publish_port": 5432, "backend_store_bind_address": ANY}, "mlflow1": ssh_host("10.0.0.31")},
        "the address of db1 is unknown",
        "set mlflow_private_address",
        "gather its facts",
    )


@pytest.mark.parametrize(("name", "value"), [("tracking_server_replicas", 0), ("tracking_server_replicas", "two"), ("tracking_server_port", "http")])
def test_bad_numbers(name, value):
    groups = {BACKEND: ["a"], ARTIFACT: ["a"], TRACKING: ["a"]}
    fails(groups, {"a": ssh_host("10.0.0.1", **{name: value})}, f"{name} of a")


def test_missing_role_defaults_are_named():
    with pytest.raises(TopologyError, match="role defaults missing: tracking_server_port"):
        compute({TRACKING: ["a"], ARTIFACT: ["a"]}, {"a": {}}, {name: value for name, value in DEFAULTS.items() if name != "tracking_server_port"})
