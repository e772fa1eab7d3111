"""Each node listens only on the ports its role needs, and keeps passwords out of reach and out of logs."""

from __future__ import annotations

import shlex
import stat

from cluster_checks import product_path

# Docker's embedded DNS server listens inside every container on a user-defined network.
DOCKER_DNS_ADDRESS = "127.0.0.11"
# sshd is how Ansible reaches real hosts, so every node may keep it. The base image enables it.
SSH_PORT = 22


def required_ports(cluster, node) -> set[int]:
    """Return the TCP ports a node must listen on."""
    if node.is_carbon:
        ports = {node.http_port, node.https_port, node.member_port}
        if node.is_worker and cluster.deployment_sync == "rsync":
            ports.add(SSH_PORT)  # rsync over SSH from the active manager
        return ports
    if node in cluster.load_balancers:
        return {80, 443}
    if node in cluster.databases:
        return {cluster.db_port(cluster.carbon_nodes[0])}
    raise AssertionError(f"{node.name} is in none of the groups the tests know: {node.groups}")


def allowed_ports(cluster, node) -> set[int]:
    """Return the TCP ports a node may listen on: the required ones, SSH and the ESB pass-through ports."""
    ports = required_ports(cluster, node) | {SSH_PORT}
    if node.is_carbon and cluster.is_esb:
        ports |= {8280 + node.port_offset, 8243 + node.port_offset}
    return ports


def listening_sockets(host, protocol_flag: str) -> list[tuple[str, int, str]]:
    """Return (address, port, process) for each listening socket, leaving out Docker's DNS server."""
    sockets = []
    for line in host.check_output(f"ss -H -n -l -p {protocol_flag}").splitlines():
        fields = line.split()
        local = fields[3]
        address, port = local.rsplit(":", 1)
        if address.startswith(DOCKER_DNS_ADDRESS):
            continue
        process = fields[5] if len(fields) > 5 else ""
        sockets.append((address, int(port), process))
    return sockets


def test_tcp_ports(cluster, hosts, node_name):
    node = cluster.nodes[node_name]
    sockets = listening_sockets(hosts[node.name], "-t")
    listening = {port for address, port, process in sockets}

    missing = required_ports(cluster, node) - listening
    assert not missing, f"{node.name}: nothing listens on TCP {sorted(missing)}; listening: {sorted(sockets)}"
    unexpected = [entry for entry in sockets if entry[1] not in allowed_ports(cluster, node)]
    assert not unexpected, (
        f"{node.name}: listens on TCP ports its role does not need: {unexpected}; "
        f"allowed: {sorted(allowed_ports(cluster, node))}"
    )


def test_no_udp_listeners(hosts, node_name):
    sockets = listening_sockets(hosts[node_name], "-u")
    assert not sockets, f"{node_name}: listens on UDP {sockets}; no role needs UDP"


def secret_search_paths(cluster, node) -> list[str]:
    paths = ["/etc", "/root"]
    if node.is_carbon:
        paths.append(str(node.get("carbon_install_dir")))
    return paths


def files_containing(host, node_name: str, secrets: list[str], paths: list[str]) -> list[str]:
    """Return the files under paths that contain any of the secrets."""
    existing = [path for path in paths if host.file(path).exists]
    patterns = " ".join(f"-e {shlex.quote(secret)}" for secret in secrets)
    result = host.run(f"grep -rlF --devices=skip {patterns} {' '.join(existing)}")
    assert result.rc in (0, 1), f"{node_name}: grep failed: {result.stderr}"
    return result.stdout.split()


def test_password_files_not_world_readable(cluster, hosts, node_name):
    node = cluster.nodes[node_name]
    host = hosts[node.name]
    secrets = list(cluster.secrets().values())
    holders = files_containing(host, node.name, secrets, secret_search_paths(cluster, node))

    if node.is_carbon:
        datasources = product_path(node, "repository/conf/datasources/master-datasources.xml")
        assert datasources in holders, f"{node.name}: {datasources} contains no database password, so the search for password files is broken"
    for path in holders:
        mode = host.file(path).mode
        assert not mode & stat.S_IROTH, f"{node.name}: {path} contains a password and has mode {mode:04o}, expected no access for others"


def test_passwords_absent_from_logs(cluster, hosts, node_name):
    node = cluster.nodes[node_name]
    paths = ["/var/log"]
    if node.is_carbon:
        paths.append(product_path(node, "repository/logs"))
    leaked = files_containing(hosts[node.name], node.name, list(cluster.secrets().values()), paths)
    assert not leaked, f"{node.name}: these logs contain a password: {leaked}"
