"""The members-list check fails, naming node, file and port, when one worker's list is wrong.

The test edits a worker's axis2.xml on the converged cluster, runs the same check that
test_configuration runs, and restores the file byte for byte.
"""

from __future__ import annotations

import base64

import pytest
from lxml import etree

from cluster_checks import AXIS2_XML, MEMBERS, check_members_lists, product_path, read_members, read_xml

# Added to a member port to make a port that no node of any scenario uses.
PORT_SHIFT = 999


def test_members_check_names_wrong_port(cluster, hosts):
    worker = cluster.workers[0]
    host = hosts[worker.name]
    path = product_path(worker, AXIS2_XML)
    backup = f"{path}.verify-backup"

    root = read_xml(host, worker, AXIS2_XML)
    member_ports = root.xpath(f"{MEMBERS}/port")
    assert member_ports, f"{worker.name}: {AXIS2_XML} {MEMBERS}/port matches nothing"
    wrong_port = int(member_ports[-1].text) + PORT_SHIFT
    member_ports[-1].text = str(wrong_port)
    edited = etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    host.check_output(f"cp -p {path} {backup}")
    try:
        encoded = base64.b64encode(edited).decode()
        host.check_output(f"echo {encoded} | base64 -d > {path}")

        members_by_node = {
            node.name: read_members(read_xml(hosts[node.name], node, AXIS2_XML)) for node in cluster.carbon_nodes
        }
        with pytest.raises(AssertionError) as failure:
            check_members_lists(cluster, members_by_node)
    finally:
        host.check_output(f"cp -p {backup} {path} && rm -f {backup}")

    message = str(failure.value)
    assert worker.name in message, f"the failure message does not name the node {worker.name}: {message}"
    assert AXIS2_XML in message, f"the failure message does not name the file {AXIS2_XML}: {message}"
    assert str(wrong_port) in message, f"the failure message does not name the port {wrong_port}: {message}"

    restored = read_members(read_xml(host, worker, AXIS2_XML))
    assert wrong_port not in [port for host_name, port in restored], f"{worker.name}: {path} still lists port {wrong_port}"
