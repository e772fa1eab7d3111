"""The Carbon nodes formed one cluster: each logged the others joining and lists them all."""

from __future__ import annotations

import re

from cluster_checks import CARBON_LOG, product_path
from http_probe import request


def test_log_shows_members_joined(cluster, hosts, carbon_node_name):
    node = cluster.nodes[carbon_node_name]
    log_path = product_path(node, CARBON_LOG)
    log = hosts[node.name].file(log_path)
    assert log.exists, f"{node.name}: {log_path} does not exist"
    text = log.content_string

    for other in cluster.carbon_nodes:
        if other.name == node.name:
            continue
        joined = re.compile(rf"Member joined \[[^\]]+\]: /{re.escape(other.member_host)}:{other.member_port}\b")
        assert joined.search(text), (
            f"{node.name}: {log_path} has no 'Member joined [...]: /{other.member_host}:{other.member_port}' "
            f"line for {other.name}"
        )


def test_cluster_endpoint_lists_all_members(cluster, carbon_node_name):
    node = cluster.nodes[carbon_node_name]
    response = request(node.address, node.http_port, "/test-pack/cluster")
    assert response.status == 200, response.describe()
    report = response.json()

    assert report["enabled"] is True, f"{node.name}: {response.url} reports enabled={report['enabled']}"
    assert report["initialized"] is True, f"{node.name}: {response.url} reports initialized={report['initialized']}"
    assert report["domain"] == cluster.domain, (
        f"{node.name}: {response.url} reports domain {report['domain']!r}, expected {cluster.domain!r}"
    )
    listed = sorted((member["host"], int(member["port"]), member["sub_domain"]) for member in report["members"])
    expected = sorted((other.member_host, other.member_port, other.sub_domain) for other in cluster.carbon_nodes)
    assert listed == expected, (
        f"{node.name}: {response.url} lists members (host, port, sub_domain) {listed}, expected {expected}"
    )
    local = [member for member in report["members"] if member.get("local")]
    assert [(m["host"], int(m["port"])) for m in local] == [(node.member_host, node.member_port)], (
        f"{node.name}: {response.url} marks {local} as the local member, expected {node.member_host}:{node.member_port}"
    )
