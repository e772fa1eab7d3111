"""Describe the cluster a Molecule scenario built, for the shared verify tests.

The model joins three sources. The scenario's molecule.yml gives container names, groups and
addresses. Ansible resolves the inventory that Molecule wrote, which contains the example group_vars
and host_vars plus the test-only extra vars. Variables the inventory leaves out get the defaults
that docs/design.md and the carbon role fix.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

MANAGERS = "carbon_managers"
WORKERS = "carbon_workers"
LOAD_BALANCERS = "carbon_load_balancers"
DATABASES = "carbon_databases"

# Inventory variables the tests read. Those absent from the inventory get the defaults below.
INVENTORY_VARIABLES = (
    "carbon_cluster_pattern",
    "carbon_product",
    "carbon_product_version",
    "carbon_cluster_domain",
    "carbon_sub_domain",
    "carbon_worker_hostname",
    "carbon_manager_hostname",
    "carbon_member_host",
    "carbon_member_port",
    "carbon_port_offset",
    "carbon_home",
    "carbon_install_dir",
    "carbon_db_host",
    "carbon_db_port",
    "carbon_db_user",
    "carbon_db_password",
    "carbon_admin_password",
    "carbon_user_store_db",
    "carbon_registry_db",
    "carbon_manager_mode",
    "carbon_active_manager",
    "carbon_expose_manager",
    "carbon_deployment_sync",
    "carbon_jvm_route",
    "load_balancer_sub_domains",
)
UNDEFINED = "__wso2cc_undefined__"

DEFAULT_MEMBER_PORT = 4000
DEFAULT_DB_PORT = 3306
REPO_ROOT = Path(__file__).resolve().parents[3]


def molecule_env(name: str) -> str:
    """Return a variable that Molecule exports to its verifier, or fail with a hint."""
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(
            f"environment variable {name} is not set: run these tests through "
            "`molecule verify -s patternN`, which exports it"
        )
    return value


def inventory_dir() -> str:
    return str(Path(molecule_env("MOLECULE_INVENTORY_FILE")).parent)


def extra_vars_file() -> str:
    return str(Path(__file__).resolve().parent.parent / "vars" / "test_vars.yml")


@dataclass(frozen=True)
class Platform:
    """A container from molecule.yml."""

    name: str
    groups: tuple[str, ...]
    address: str


def load_platforms(molecule_file: str | None = None) -> list[Platform]:
    """Read the containers, their groups and fixed addresses from molecule.yml."""
    path = molecule_file or molecule_env("MOLECULE_FILE")
    with open(path, encoding="utf-8") as stream:
        config = yaml.safe_load(stream)
    platforms = []
    for entry in config["platforms"]:
        addresses = [net["ipv4_address"] for net in entry.get("networks", []) if "ipv4_address" in net]
        if len(addresses) != 1:
            raise ValueError(f"{path}: platform {entry['name']} needs exactly one networks[].ipv4_address")
        platforms.append(Platform(entry["name"], tuple(entry.get("groups", [])), addresses[0]))
    return platforms


def resolve_inventory_variables(names: list[str]) -> dict[str, dict]:
    """Template INVENTORY_VARIABLES for each host with Ansible, with the values converge uses.

    The debug action runs on the controller and does not connect to the containers.
    """
    expression = "{{ dict(%s | zip(query('ansible.builtin.vars', *%s, default='%s'))) }}" % (
        json.dumps(list(INVENTORY_VARIABLES)),
        json.dumps(list(INVENTORY_VARIABLES)),
        UNDEFINED,
    )
    env = dict(os.environ)
    env.update(
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_NOCOLOR="1",
    )
    command = [
        "ansible",
        ",".join(names),
        "--inventory",
        inventory_dir(),
        "--extra-vars",
        "@" + extra_vars_file(),
        "--module-name",
        "ansible.builtin.debug",
        "--args",
        json.dumps({"msg": expression}),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"resolving inventory variables failed (rc={result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    report = json.loads(result.stdout)
    per_host = report["plays"][0]["tasks"][0]["hosts"]
    resolved = {}
    for name in names:
        values = per_host[name]["msg"]
        resolved[name] = {key: value for key, value in values.items() if value != UNDEFINED}
    return resolved


def read_role_default(role: str, name: str):
    """Return a variable from roles/<role>/defaults/main.yml, without templating it."""
    path = REPO_ROOT / "roles" / role / "defaults" / "main.yml"
    with open(path, encoding="utf-8") as stream:
        defaults = yaml.safe_load(stream) or {}
    if name not in defaults:
        raise KeyError(f"{path} does not define {name}")
    if isinstance(defaults[name], str) and "{{" in defaults[name]:
        raise ValueError(f"{path}: {name} is a template; the tests compute its default themselves")
    return defaults[name]


@dataclass
class Node:
    """One container of the scenario with its resolved inventory variables."""

    name: str
    groups: tuple[str, ...]
    address: str
    variables: dict = field(repr=False)

    @property
    def is_manager(self) -> bool:
        return MANAGERS in self.groups

    @property
    def is_worker(self) -> bool:
        return WORKERS in self.groups

    @property
    def is_carbon(self) -> bool:
        return self.is_manager or self.is_worker

    @property
    def sub_domain(self) -> str:
        return self.variables.get("carbon_sub_domain", "mgt" if self.is_manager else "worker")

    def get(self, name: str):
        """Return an inventory variable, or the carbon role's default when the inventory leaves it out."""
        if name in self.variables:
            return self.variables[name]
        return read_role_default("carbon", name)

    @property
    def member_host(self) -> str:
        return str(self.variables.get("carbon_member_host", self.address))

    @property
    def member_port(self) -> int:
        return int(self.variables.get("carbon_member_port", DEFAULT_MEMBER_PORT))

    @property
    def port_offset(self) -> int:
        return int(self.variables.get("carbon_port_offset", 0))

    @property
    def http_port(self) -> int:
        return 9763 + self.port_offset

    @property
    def https_port(self) -> int:
        return 9443 + self.port_offset

    @property
    def jvm_route(self) -> str:
        return str(self.variables.get("carbon_jvm_route", re.sub(r"[^A-Za-z0-9_-]", "-", self.name)))

    @property
    def service_name(self) -> str:
        return str(self.variables.get("carbon_service_name", self.get("carbon_product")))

    @property
    def carbon_home(self) -> str:
        if "carbon_home" in self.variables:
            return str(self.variables["carbon_home"])
        return f"{self.get('carbon_install_dir')}/{self.get('carbon_product')}-{self.get('carbon_product_version')}"


class Cluster:
    """All nodes of one scenario, with the cluster-wide values the tests compare against."""

    def __init__(self, platforms: list[Platform], variables: dict[str, dict]):
        self.nodes = {p.name: Node(p.name, p.groups, p.address, variables[p.name]) for p in platforms}
        first = self.nodes[platforms[0].name].variables
        self.pattern = int(first["carbon_cluster_pattern"])
        self.product = str(first["carbon_product"])
        self.version = str(first["carbon_product_version"])
        self.domain = str(first["carbon_cluster_domain"])
        self.worker_hostname = str(first["carbon_worker_hostname"])
        self.manager_hostname = first.get("carbon_manager_hostname")
        self.expose_manager = bool(first.get("carbon_expose_manager", self.pattern != 1))
        self.manager_mode = str(first.get("carbon_manager_mode", "active_passive"))
        self.deployment_sync = str(first.get("carbon_deployment_sync", "rsync"))

    def group(self, name: str) -> list[Node]:
        return [node for node in self.nodes.values() if name in node.groups]

    @property
    def managers(self) -> list[Node]:
        return self.group(MANAGERS)

    @property
    def workers(self) -> list[Node]:
        return self.group(WORKERS)

    @property
    def carbon_nodes(self) -> list[Node]:
        return [node for node in self.nodes.values() if node.is_carbon]

    @property
    def load_balancers(self) -> list[Node]:
        return self.group(LOAD_BALANCERS)

    @property
    def databases(self) -> list[Node]:
        return self.group(DATABASES)

    @property
    def active_manager(self) -> Node:
        name = self.managers[0].variables.get("carbon_active_manager", self.managers[0].name)
        return self.nodes[name]

    @property
    def is_esb(self) -> bool:
        return self.product in ("wso2esb", "wso2am")

    def db_host(self, node: Node) -> str:
        return str(node.variables.get("carbon_db_host", self.databases[0].member_host))

    def db_port(self, node: Node) -> int:
        return int(node.variables.get("carbon_db_port", DEFAULT_DB_PORT))

    def db_user(self, node: Node) -> str:
        return str(node.get("carbon_db_user"))

    def load_balancers_for(self, sub_domain: str) -> list[Node]:
        """Return the load balancers that serve a sub-domain (`worker` or `mgt`)."""
        serving = []
        for node in self.load_balancers:
            default = ["worker", "mgt"] if self.expose_manager else ["worker"]
            if sub_domain in node.variables.get("load_balancer_sub_domains", default):
                serving.append(node)
        return serving

    def secrets(self) -> dict[str, str]:
        """Return the test passwords by variable name. None of them may appear in a log."""
        found = {}
        for node in self.nodes.values():
            for name in ("carbon_db_password", "carbon_admin_password"):
                if node.variables.get(name):
                    found[name] = str(node.variables[name])
            for name in ("carbon_user_store_db", "carbon_registry_db"):
                override = node.variables.get(name) or {}
                if override.get("password"):
                    found[f"{name}.password"] = str(override["password"])
        return found
