"""The filter mlops.mlflow.topology: role defaults from the roles, host variables read lazily, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError, AnsibleUndefinedVariable

from ansible_collections.mlops.mlflow.plugins.filter import topology as plugin

ROLES = Path(__file__).resolve().parents[4] / "roles"


def test_role_defaults_are_the_roles_literal_values():
    defaults = plugin.role_defaults()
    tracking = yaml.safe_load((ROLES / "tracking_server" / "defaults" / "main.yml").read_text())
    assert defaults["tracking_server_port"] == tracking["tracking_server_port"]
    assert defaults["tracking_server_replicas"] == tracking["tracking_server_replicas"]
    assert (
        defaults["backend_store_bind_address"] == yaml.safe_load((ROLES / "backend_store" / "defaults" / "main.yml").read_text())["backend_store_bind_address"]
    )
    assert (
        defaults["_backend_store_container_port"]
        == yaml.safe_load((ROLES / "backend_store" / "vars" / "main.yml").read_text())["_backend_store_container_port"]
    )
    assert (
        defaults["_artifact_store_container_port"]
        == yaml.safe_load((ROLES / "artifact_store" / "vars" / "main.yml").read_text())["_artifact_store_container_port"]
    )
    # Templated values mean nothing outside the role.
    assert "tracking_server_image" not in defaults
    assert "_artifact_store_api_port" not in defaults


class HostVars(dict):
    """Like Ansible's HostVarsVars: a value is templated when read; this one fails for one name."""

    def __init__(self, values, broken=None):
        super().__init__(values)
        self.broken = broken
        self.read = []

    def __getitem__(self, name):
        self.read.append(name)
        if name == self.broken:
            raise AnsibleUndefinedVariable("'mlflow_host_ip' is undefined")
        return super().__getitem__(name)


def single_host(**extra):
    return HostVars(
        {
            "ansible_connection": "local",
            "ansible_facts": {"default_ipv4": {"address": "192.0.2.5", "interface": "eth0"}, "hostname": "lab", "mounts": ["many"]},
            "backend_store_database_password": "pg-secret",
            "artifact_store_root_user": "mlflow-admin",
            "artifact_store_root_password": "s3-secret",
            "some_other_variable": "not needed",
            **extra,
        }
    )


GROUPS = {"mlflow_backend_store": ["lab"], "mlflow_artifact_store": ["lab"], "mlflow_tracking_server": ["lab"], "ungrouped": ["other"]}


def test_the_filter_reads_only_what_the_wiring_needs():
    lab = single_host()
    result = plugin.topology(GROUPS, {"lab": lab, "other": HostVars({}, broken="anything")})
    assert result["hosts"]["lab"]["tracking_server"]["tracking_server_backend_store_host"] == "mlflow-postgres"
    assert result["hosts"]["lab"]["address"] == "192.0.2.5"
    assert set(result["hosts"]) == {"lab"}
    assert "some_other_variable" not in lab.read
    assert not set(lab.read) & {"backend_store_database_password", "artifact_store_root_password"}
    assert "pg-secret" not in repr(result) and "s3-secret" not in repr(result)


def test_defaults_can_be_passed_in():
    result = plugin.topology(GROUPS, {"lab": single_host()}, defaults={"tracking_server_port": 8000})
    assert result["hosts"]["lab"]["url"] == "http://192.0.2.5:8000"


def test_a_variable_that_cannot_be_templated_is_named():
    lab = HostVars(dict(single_host(tracking_server_bind_address="{{ mlflow_host_ip }}")), broken="tracking_server_bind_address")
    with pytest.raises(AnsibleFilterError, match="cannot read tracking_server_bind_address of lab: 'mlflow_host_ip' is undefined"):
        plugin.topology(GROUPS, {"lab": lab})


def test_topology_errors_become_filter_errors():
    with pytest.raises(AnsibleFilterError, match="^mlops.mlflow.topology: The inventory has no host in group mlflow_tracking_server"):
        plugin.topology({"mlflow_artifact_store": ["lab"]}, {"lab": single_host()})


def test_wrong_arguments():
    with pytest.raises(AnsibleFilterError, match=r"groups \| mlops.mlflow.topology\(hostvars\)"):
        plugin.topology(["lab"], {})


def test_the_filter_is_registered():
    assert plugin.FilterModule().filters() == {"topology": plugin.topology}
