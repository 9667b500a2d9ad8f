# Copyright: mlops.mlflow contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Who runs what and reaches whom: the wiring of playbooks/site.yml as data (private).

``compute(groups, hostvars, defaults)`` takes the inventory groups, the variables of each host
(only the names in ``HOST_VARIABLES`` are read) and the roles' defaults, and returns, for each
host, the roles it runs and the role variables that connect it to the other parts. The filter
``mlops.mlflow.topology`` documents the result; this module has no Ansible import so that the
unit tests exercise it with plain dictionaries.

The rules, each written once:

- a host's address (``address``): ``mlflow_private_address``, else ``ansible_host`` when the
  connection is not local or docker, else the default IPv4 address from the facts;
- where a service on a host is reached from elsewhere (``_reach``): its bind address when it is
  bound to one, else the host's address;
- the name users reach a service by (``_public``): ``mlflow_public_host``, else the bind
  address, else the host's address.

Values the inventory sets for the tracking server's connection (``tracking_server_*``) win over
the wiring; role defaults come from ``defaults``, never from literals here.
"""

from __future__ import annotations

import ipaddress

BACKEND = "mlflow_backend_store"
ARTIFACT = "mlflow_artifact_store"
TRACKING = "mlflow_tracking_server"
BALANCER = "mlflow_load_balancer"
GROUPS = (BACKEND, ARTIFACT, TRACKING, BALANCER)
ROLE_OF_GROUP = {BACKEND: "backend_store", ARTIFACT: "artifact_store", TRACKING: "tracking_server", BALANCER: "load_balancer"}

# Variables of the site (inventory, any host), not of a role: their defaults live here only.
SITE_DEFAULTS = {
    "mlflow_load_balancer_port": 80,
    "mlflow_load_balancer_s3_port": 9000,
}
# What the services answer 200 on while they can serve: MLflow's and MinIO's own endpoints.
MLFLOW_HEALTH_PATH = "/health"
MINIO_HEALTH_PATH = "/minio/health/live"
# Connections whose ansible_host is not an address other hosts reach (a container name, the
# controller itself).
LOCAL_CONNECTIONS = frozenset({"local", "ansible.builtin.local", "ansible.legacy.local", "docker", "community.docker.docker"})
# Bind addresses that mean every interface (compared with, never bound to).
ANY_ADDRESS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104

# The tracking server's connection settings, in the order they are reported.
TRACKING_SERVER_WIRING = (
    "tracking_server_docker_network",
    "tracking_server_backend_store_host",
    "tracking_server_backend_store_port",
    "tracking_server_backend_store_database",
    "tracking_server_backend_store_user",
    "tracking_server_s3_endpoint_url",
    "tracking_server_s3_region",
    "tracking_server_s3_bucket",
    "tracking_server_s3_access_key",
    "tracking_server_allowed_hosts_extra",
)

# Role variables compute() reads from the hosts, falling back to the role defaults: each name
# is read from the inventory and needed among the defaults.
ROLE_VARIABLES = (
    "backend_store_container_name",
    "backend_store_docker_network",
    "backend_store_publish_port",
    "backend_store_bind_address",
    "backend_store_database",
    "backend_store_database_user",
    "artifact_store_external",
    "artifact_store_endpoint_url",
    "artifact_store_container_name",
    "artifact_store_docker_network",
    "artifact_store_publish_port",
    "artifact_store_bind_address",
    "artifact_store_console_port",
    "artifact_store_region",
    "artifact_store_bucket",
    "tracking_server_port",
    "tracking_server_replicas",
    "tracking_server_bind_address",
    "tracking_server_docker_network",
    "tracking_server_backend_store_port",
    "tracking_server_backend_store_database",
    "tracking_server_backend_store_user",
    "tracking_server_allowed_hosts_extra",
    "load_balancer_bind_address",
)

# The only host variables compute() reads (the filter hands over no others): the inventory's
# own, the role variables above, and role variables that have no default.
HOST_VARIABLES = tuple(
    dict.fromkeys(
        (
            "mlflow_private_address",
            "mlflow_public_host",
            "mlflow_load_balancer_port",
            "mlflow_load_balancer_s3_port",
            "mlflow_tracking_server_serial",
            "ansible_host",
            "ansible_connection",
            "ansible_facts",
            *ROLE_VARIABLES,
            "artifact_store_nodes",
            "artifact_store_access_key",
            "artifact_store_root_user",
            *TRACKING_SERVER_WIRING,
        )
    )
)
# Secrets: compute() only asks whether a host sets them and says where to read them; their
# values never enter the topology (which a playbook may show).
SECRET_VARIABLES = (
    "backend_store_database_password",
    "artifact_store_secret_key",
    "artifact_store_root_password",
    "tracking_server_backend_store_password",
    "tracking_server_s3_secret_key",
)

# Role defaults compute() needs (from roles/*/defaults/main.yml and vars/main.yml).
REQUIRED_DEFAULTS = (*ROLE_VARIABLES, "_backend_store_container_port", "_artifact_store_container_port")

_MISSING = object()


class TopologyError(ValueError):
    """The inventory describes no deployable stack; the message says what to set."""


def compute(groups, hostvars, defaults):
    """The topology of the stack (see the filter's RETURN for the shape)."""
    return _Topology(groups, hostvars, defaults).result()


def _is_true(value):
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "y")
    return bool(value)


def _ip(value):
    try:
        return ipaddress.ip_address(str(value))
    except ValueError:
        return None


class _Topology:
    def __init__(self, groups, hostvars, defaults):
        missing = [name for name in REQUIRED_DEFAULTS if name not in defaults]
        if missing:
            raise TopologyError(f"role defaults missing: {', '.join(missing)} (the collection's roles/*/defaults/main.yml and vars/main.yml)")
        self.defaults = defaults
        self.hostvars = hostvars
        self.groups = {}
        for group in GROUPS:
            hosts = groups.get(group) or []
            if isinstance(hosts, str):
                raise TopologyError(f"groups['{group}'] is the text {hosts!r}: pass the inventory's groups (a mapping of group names to host lists)")
            self.groups[group] = list(dict.fromkeys(str(host) for host in hosts))
        for group, what in ((TRACKING, "run the MLflow server"), (ARTIFACT, "run MinIO, or manage the bucket on an external S3 endpoint")):
            if not self.groups[group]:
                raise TopologyError(f"The inventory has no host in group {group}: put the host(s) that {what} in it (see inventory/lab/hosts.yml).")
        self.hosts = list(dict.fromkeys(host for group in GROUPS for host in self.groups[group]))
        self._addresses = {}
        self._check_artifact_store_kind()

    # ------------------------------------------------------------------ variables

    def is_set(self, host, name):
        return name in (self.hostvars.get(host) or {})

    def var(self, host, name, default=_MISSING):
        """The host's value of ``name``, else the role default (or ``default``)."""
        variables = self.hostvars.get(host) or {}
        if name in variables:
            return variables[name]
        if default is not _MISSING:
            return default
        if name in SITE_DEFAULTS:
            return SITE_DEFAULTS[name]
        return self.defaults[name]

    def port(self, host, name, required_for=None):
        value = self.var(host, name)
        if value in (None, "", 0, "0"):
            if required_for:
                raise TopologyError(f"{required_for}, but {name} of {host} is not set: set it to the port to publish (for example in host_vars/{host}).")
            return None
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = 0
        if not 1 <= number <= 65535:
            raise TopologyError(f"{name} of {host} is {value!r}, not a port number (1-65535).")
        return number

    # ------------------------------------------------------------------ addresses

    def address(self, host):
        """(address, where it came from) by the one rule, or (None, None)."""
        if host not in self._addresses:
            variables = self.hostvars.get(host) or {}
            private = variables.get("mlflow_private_address")
            connection = str(variables.get("ansible_connection") or "ssh")
            facts = variables.get("ansible_facts") or {}
            default_ipv4 = (facts.get("default_ipv4") or {}).get("address")
            if private:
                found = (str(private), "mlflow_private_address")
            elif connection not in LOCAL_CONNECTIONS and variables.get("ansible_host"):
                found = (str(variables["ansible_host"]), "ansible_host")
            elif default_ipv4:
                found = (str(default_ipv4), "its default IPv4 address (facts)")
            else:
                found = (None, None)
            self._addresses[host] = found
        return self._addresses[host]

    def _need_address(self, host, purpose):
        address, _source = self.address(host)
        if not address:
            raise TopologyError(
                f"{purpose}, but the address of {host} is unknown: set mlflow_private_address (the address the other hosts reach "
                f"it by) or ansible_host for {host}, or gather its facts (a --limit that leaves it out skips them)."
            )
        return address

    def _reach(self, host, role, purpose):
        """Where the others reach ``role`` on ``host``: its bind address, or the host's address."""
        variable = f"{role}_bind_address"
        bind = str(self.var(host, variable) or "")
        if bind in ANY_ADDRESS:
            address = self._need_address(host, purpose)
            source = self.address(host)[1]
            advice = f"set mlflow_private_address for {host} to the address the others reach it by"
        else:
            address = bind
            source = variable if self.is_set(host, variable) else f"{variable}, the role's default"
            advice = f"set {variable} for {host} to an address the others reach (its private IP address) or 0.0.0.0"
        ip = _ip(address)
        if ip is not None and ip.is_loopback:
            raise TopologyError(
                f"{purpose}, but {role} on {host} is reached at {address} (from {source}), a loopback address no other host or container reaches: {advice}."
            )
        return address, source

    def _reach_ip(self, host, role, purpose):
        address, source = self._reach(host, role, purpose)
        if _ip(address) is None:
            variable = f"{role}_bind_address" if source.startswith(f"{role}_bind_address") else "mlflow_private_address"
            raise TopologyError(
                f"{purpose}, which needs an IP address for {host}, but its address is {address!r} (from {source}): set {variable} for {host} to its IP address."
            )
        return address

    def _public(self, host, role):
        """The name users reach ``role`` on ``host`` by (no check: only reported)."""
        public = (self.hostvars.get(host) or {}).get("mlflow_public_host")
        if public:
            return str(public)
        bind = str(self.var(host, f"{role}_bind_address") or "")
        if bind not in ANY_ADDRESS:
            return bind
        return self.address(host)[0] or host

    # ------------------------------------------------------------------ artifact store

    def _check_artifact_store_kind(self):
        kinds = {host: _is_true(self.var(host, "artifact_store_external")) for host in self.groups[ARTIFACT]}
        if len(set(kinds.values())) > 1:
            listed = ", ".join(f"{host}: {value}" for host, value in kinds.items())
            raise TopologyError(
                f"artifact_store_external differs between the hosts of {ARTIFACT} ({listed}): set it the same on every one "
                "(true: they manage the bucket on an existing S3 endpoint; false: they run MinIO)."
            )
        self.external = next(iter(kinds.values()))

    def minio_nodes(self, host):
        """artifact_store_nodes for an artifact store host: the inventory's, or every host of the group."""
        if self.is_set(host, "artifact_store_nodes"):
            nodes = self.var(host, "artifact_store_nodes") or []
            return [dict(node) if isinstance(node, dict) else node for node in nodes]
        if not self._auto_distributed():
            return []
        purpose = f"The hosts of {ARTIFACT} ({', '.join(self.groups[ARTIFACT])}) form one distributed MinIO"
        return [{"host": node, "address": self._reach_ip(node, "artifact_store", purpose)} for node in self.groups[ARTIFACT]]

    def _auto_distributed(self):
        # Two or more MinIO hosts form one cluster, unless they run tracking servers too: then
        # every host is a stack of its own.
        return len(self.groups[ARTIFACT]) > 1 and not self.external and not set(self.groups[ARTIFACT]) & set(self.groups[TRACKING])

    def _minio_port(self, nodes):
        ports = {}
        for node in nodes:
            name = node.get("host") if isinstance(node, dict) else None
            ports[name] = self.port(name, "artifact_store_publish_port", required_for=f"{name} is a node of a distributed MinIO")
        if len(set(ports.values())) > 1:
            listed = ", ".join(f"{host}: {port}" for host, port in ports.items())
            raise TopologyError(
                f"artifact_store_publish_port differs between the MinIO nodes ({listed}): a distributed MinIO listens on one port on "
                "every node; set the same artifact_store_publish_port on all of them."
            )
        return next(iter(ports.values()), None)

    def _s3_backends(self):
        """The load balancer's S3 servers: every node of the distributed MinIO, or none."""
        if self.external:
            return []
        nodes = self.minio_nodes(self.groups[ARTIFACT][0])
        if len(nodes) < 2:
            return []
        port = self._minio_port(nodes)
        return [f"{node['address']}:{port}" for node in nodes]

    def artifact_store(self, tracking_host):
        store = tracking_host if tracking_host in self.groups[ARTIFACT] else self.groups[ARTIFACT][0]
        wiring = {
            "tracking_server_s3_region": self.var(store, "artifact_store_region"),
            "tracking_server_s3_bucket": self.var(store, "artifact_store_bucket"),
            "tracking_server_s3_access_key": self.var(store, "artifact_store_access_key", self.var(store, "artifact_store_root_user", None)),
        }
        secret = self._secret(store, "artifact_store_secret_key") or self._secret(store, "artifact_store_root_password", required=True)
        network = None
        purpose = f"The tracking server on {tracking_host} uses the MinIO on {store}"
        nodes = [] if self.external else self.minio_nodes(store)
        distributed_port = self._minio_port(nodes) if len(nodes) > 1 else None
        if self.is_set(tracking_host, "tracking_server_s3_endpoint_url"):
            url = self.var(tracking_host, "tracking_server_s3_endpoint_url")
        elif self.external:
            url = self.var(store, "artifact_store_endpoint_url") or ""
        elif distributed_port and self.groups[BALANCER]:
            # A lost node does not matter behind the load balancer.
            balancer = self.groups[BALANCER][0]
            address, _source = self._reach(balancer, "load_balancer", f"{purpose} through the load balancer {balancer}")
            url = f"http://{address}:{self.port(balancer, 'mlflow_load_balancer_s3_port')}"
        elif store == tracking_host:
            network = self.var(store, "artifact_store_docker_network")
            url = f"http://{self.var(store, 'artifact_store_container_name')}:{distributed_port or self.defaults['_artifact_store_container_port']}"
        else:
            port = self.port(store, "artifact_store_publish_port", required_for=purpose)
            address, _source = self._reach(store, "artifact_store", purpose)
            url = f"http://{address}:{port}"
        wiring["tracking_server_s3_endpoint_url"] = url
        return wiring, secret, network

    # ------------------------------------------------------------------ backend store

    def backend_store(self, tracking_host):
        """(wiring, where its password is, network, database key) of the tracking host's PostgreSQL."""
        if not self.groups[BACKEND]:
            for name, what in (("tracking_server_backend_store_host", "its host name or address"), ("tracking_server_backend_store_password", "the password")):
                if not self.is_set(tracking_host, name):
                    raise TopologyError(
                        f"{BACKEND} has no host, so {tracking_host} uses an existing PostgreSQL, but {name} is not set for it ({what}): "
                        f"put the host that should run PostgreSQL in {BACKEND}, or set tracking_server_backend_store_host, _port, "
                        f"_database, _user and _password for the hosts of {TRACKING}."
                    )
            wiring = {
                "tracking_server_backend_store_host": self.var(tracking_host, "tracking_server_backend_store_host"),
                "tracking_server_backend_store_port": self.port(tracking_host, "tracking_server_backend_store_port"),
                "tracking_server_backend_store_database": self.var(tracking_host, "tracking_server_backend_store_database"),
                "tracking_server_backend_store_user": self.var(tracking_host, "tracking_server_backend_store_user"),
            }
            secret = self._secret(tracking_host, "tracking_server_backend_store_password")
            return wiring, secret, None, self._database_key(wiring)
        store = tracking_host if tracking_host in self.groups[BACKEND] else self.groups[BACKEND][0]
        purpose = f"The tracking server on {tracking_host} uses the PostgreSQL on {store}"
        secret = self._secret(tracking_host, "tracking_server_backend_store_password") or self._secret(store, "backend_store_database_password", required=True)
        wiring = {
            "tracking_server_backend_store_database": self.var(
                tracking_host, "tracking_server_backend_store_database", self.var(store, "backend_store_database")
            ),
            "tracking_server_backend_store_user": self.var(tracking_host, "tracking_server_backend_store_user", self.var(store, "backend_store_database_user")),
        }
        # The inventory may point the server at another address of the database (a pooler).
        host = self.var(tracking_host, "tracking_server_backend_store_host") if self.is_set(tracking_host, "tracking_server_backend_store_host") else None
        port = self.port(tracking_host, "tracking_server_backend_store_port") if self.is_set(tracking_host, "tracking_server_backend_store_port") else None
        network = None
        if not (host and port):
            if store == tracking_host:
                wired_host, wired_port = self.var(store, "backend_store_container_name"), self.defaults["_backend_store_container_port"]
                network = None if host else self.var(store, "backend_store_docker_network")
            else:
                wired_port = self.port(store, "backend_store_publish_port", required_for=purpose)
                wired_host = host or self._reach(store, "backend_store", purpose)[0]
            host, port = host or wired_host, port or wired_port
        wiring["tracking_server_backend_store_host"] = host
        wiring["tracking_server_backend_store_port"] = port
        return wiring, secret, network, ("store", store, wiring["tracking_server_backend_store_database"])

    def _secret(self, host, name, required=False):
        """Where a secret is read ({host, variable}), when the host sets it (or it is the last resort)."""
        if required or self.is_set(host, name):
            return {"host": host, "variable": name}
        return None

    @staticmethod
    def _database_key(wiring):
        return (
            "server",
            wiring["tracking_server_backend_store_host"],
            wiring["tracking_server_backend_store_port"],
            wiring["tracking_server_backend_store_database"],
        )

    # ------------------------------------------------------------------ tracking servers

    def tracking_ports(self, host):
        first = self.port(host, "tracking_server_port")
        replicas = self.var(host, "tracking_server_replicas")
        try:
            replicas = int(replicas)
        except (TypeError, ValueError):
            replicas = 0
        if replicas < 1 or first + replicas - 1 > 65535:
            raise TopologyError(
                f"tracking_server_replicas of {host} is {self.var(host, 'tracking_server_replicas')!r}: set a number >= 1 "
                f"(its servers use the ports tracking_server_port ({first}) and up)."
            )
        return list(range(first, first + replicas))

    def tracking_backends(self, host):
        """The load balancer's names of the host's servers: address:port per replica."""
        if not self.groups[BALANCER]:
            return []
        address, _source = self._reach(host, "tracking_server", f"The load balancer {self.groups[BALANCER][0]} sends requests to the MLflow servers on {host}")
        return [f"{address}:{port}" for port in self.tracking_ports(host)]

    def balancer_url(self, balancer):
        port = self.port(balancer, "mlflow_load_balancer_port")
        return f"http://{self._public(balancer, 'load_balancer')}" + ("" if port == 80 else f":{port}")

    def tracking_url(self, host):
        if self.groups[BALANCER]:
            return self.balancer_url(self.groups[BALANCER][0])
        return f"http://{self._public(host, 'tracking_server')}:{self.tracking_ports(host)[0]}"

    def allowed_hosts(self, host):
        """Names users reach the host's servers by that the role does not know itself."""
        names = list(self.var(host, "tracking_server_allowed_hosts_extra") or [])
        own = [(self.hostvars.get(host) or {}).get("mlflow_public_host"), self.address(host)[0]]
        for name in filter(None, own):
            names += [str(name)] + [f"{name}:{port}" for port in self.tracking_ports(host)]
        for balancer in self.groups[BALANCER]:
            port = self.port(balancer, "mlflow_load_balancer_port")
            balancer_names = [balancer, self.address(balancer)[0], (self.hostvars.get(balancer) or {}).get("mlflow_public_host")]
            bind = str(self.var(balancer, "load_balancer_bind_address") or "")
            if bind not in ANY_ADDRESS:
                balancer_names.append(bind)
            for name in filter(None, balancer_names):
                names += [str(name)] + ([] if port == 80 else [f"{name}:{port}"])
        return list(dict.fromkeys(names))

    def tracking_server(self, host):
        backend, backend_secret, backend_network, database = self.backend_store(host)
        artifact, artifact_secret, artifact_network = self.artifact_store(host)
        networks = {
            name: network
            for name, network in (("backend_store_docker_network", backend_network), ("artifact_store_docker_network", artifact_network))
            if network
        }
        if len(set(networks.values())) > 1:
            raise TopologyError(
                f"On {host} the tracking server reaches PostgreSQL and MinIO by container name, but they are on different networks "
                f"({', '.join(f'{name}: {network}' for name, network in networks.items())}): set backend_store_docker_network, "
                "artifact_store_docker_network and tracking_server_docker_network to the same network."
            )
        wanted = next(iter(networks.values()), None)
        if self.is_set(host, "tracking_server_docker_network"):
            network = self.var(host, "tracking_server_docker_network")
            if wanted and network != wanted:
                raise TopologyError(
                    f"On {host} the tracking server reaches the stores by container name on the network {wanted}, but "
                    f"tracking_server_docker_network is {network}: set it to {wanted} (or the stores' networks to {network})."
                )
        else:
            network = wanted or self.var(host, "tracking_server_docker_network")
        wiring = {"tracking_server_docker_network": network, **backend, **artifact, "tracking_server_allowed_hosts_extra": self.allowed_hosts(host)}
        for name in ("tracking_server_s3_endpoint_url", "tracking_server_s3_region", "tracking_server_s3_bucket", "tracking_server_s3_access_key"):
            if self.is_set(host, name):
                wiring[name] = self.var(host, name)
        secrets = {
            "tracking_server_backend_store_password": backend_secret,
            "tracking_server_s3_secret_key": self._secret(host, "tracking_server_s3_secret_key") or artifact_secret,
        }
        return {name: wiring[name] for name in TRACKING_SERVER_WIRING}, secrets, database

    # ------------------------------------------------------------------ load balancers

    def balancer_services(self, balancer):
        services = [
            {
                "name": "mlflow",
                "port": self.port(balancer, "mlflow_load_balancer_port"),
                "mode": "http",
                "health_path": MLFLOW_HEALTH_PATH,
                "backends": [backend for host in self.groups[TRACKING] for backend in self.tracking_backends(host)],
            }
        ]
        s3_backends = self._s3_backends()
        if s3_backends:
            services.append(
                {
                    "name": "s3",
                    "port": self.port(balancer, "mlflow_load_balancer_s3_port"),
                    "mode": "tcp",
                    "health_path": MINIO_HEALTH_PATH,
                    "backends": s3_backends,
                }
            )
        return services

    # ------------------------------------------------------------------ result

    def result(self):
        hosts = {}
        databases = {}
        for host in self.hosts:
            entry = {
                "address": self.address(host)[0],
                "runs": ["docker"] + [ROLE_OF_GROUP[group] for group in (BACKEND, ARTIFACT, BALANCER, TRACKING) if host in self.groups[group]],
            }
            if host in self.groups[ARTIFACT]:
                entry["artifact_store"] = {"artifact_store_nodes": [] if self.external else self.minio_nodes(host)}
            if host in self.groups[BALANCER]:
                services = self.balancer_services(host)
                entry["load_balancer"] = {
                    "load_balancer_services": services,
                    # The MLflow servers come up after the balancer (they may need its S3 frontend):
                    # the tracking play waits for each of them in the balancer instead.
                    "load_balancer_verify_services": [service["name"] for service in services if service["name"] != "mlflow"],
                }
            if host in self.groups[TRACKING]:
                entry["tracking_server"], entry["tracking_server_secrets"], databases[host] = self.tracking_server(host)
                entry["tracking_server_backends"] = self.tracking_backends(host)
                entry["url"] = self.tracking_url(host)
            hosts[host] = entry
        for host, database in databases.items():
            hosts[host]["db_peers"] = [peer for peer in self.groups[TRACKING] if databases[peer] == database]
        tracking = self.groups[TRACKING]
        serial = self.var(tracking[0], "mlflow_tracking_server_serial", None)
        consoles = []
        if not self.external:
            for host in self.groups[ARTIFACT]:
                console = self.port(host, "artifact_store_console_port")
                if console:
                    consoles.append(f"http://{self._public(host, 'artifact_store')}:{console}")
        return {
            "hosts": hosts,
            "load_balancers": list(self.groups[BALANCER]),
            "serial": serial if serial not in (None, "") else (1 if self.groups[BALANCER] else "100%"),
            "urls": list(dict.fromkeys(hosts[host]["url"] for host in tracking)),
            "minio_consoles": consoles,
        }
