"""Read a node's product files and check them, for the tests and for the wrong-value test."""

from __future__ import annotations

from lxml import etree

from cluster_model import Cluster, Node

AXIS2_XML = "repository/conf/axis2/axis2.xml"
CARBON_XML = "repository/conf/carbon.xml"
CATALINA_SERVER_XML = "repository/conf/tomcat/catalina-server.xml"
MASTER_DATASOURCES_XML = "repository/conf/datasources/master-datasources.xml"
REGISTRY_XML = "repository/conf/registry.xml"
USER_MGT_XML = "repository/conf/user-mgt.xml"
WSO2SERVER_SH = "bin/wso2server.sh"
CARBON_LOG = "repository/logs/wso2carbon.log"
CARBON_NAMESPACES = {"c": "http://wso2.org/projects/carbon/carbon.xml"}

CLUSTERING = "/axisconfig/clustering"
MEMBERS = f"{CLUSTERING}/members/member"


def product_path(node: Node, relative: str) -> str:
    return f"{node.carbon_home}/{relative}"


def read_xml(host, node: Node, relative: str) -> etree._Element:
    """Parse one of the node's product XML files, failing with the node and path if it is missing."""
    path = product_path(node, relative)
    remote = host.file(path)
    assert remote.exists, f"{node.name}: {path} does not exist"
    return etree.fromstring(remote.content)


def xpath_text(root: etree._Element, xpath: str, namespaces: dict | None = None) -> list[str]:
    """Return the text of each matched element, or each matched attribute value."""
    values = []
    for match in root.xpath(xpath, namespaces=namespaces or {}):
        if isinstance(match, etree._Element):
            values.append((match.text or "").strip())
        else:
            values.append(str(match).strip())
    return values


def assert_xpath(
    node: Node, relative: str, root: etree._Element, xpath: str, expected, namespaces: dict | None = None
) -> None:
    """Assert that xpath matches once, with the expected text or attribute value."""
    values = xpath_text(root, xpath, namespaces)
    assert values == [str(expected)], (
        f"{node.name}: {relative} {xpath} is {values or 'absent'}, expected [{str(expected)!r}]"
    )


def assert_xpath_absent(node: Node, relative: str, root: etree._Element, xpath: str, namespaces=None) -> None:
    values = xpath_text(root, xpath, namespaces)
    assert not values, f"{node.name}: {relative} {xpath} is {values}, expected it to be absent on a {node.sub_domain} node"


def read_members(root: etree._Element) -> list[tuple[str, int | str]]:
    """Return the well-known members of an axis2.xml as (hostName, port) pairs, in file order."""
    members = []
    for member in root.xpath(MEMBERS):
        host_name = (member.findtext("hostName") or "").strip()
        port = (member.findtext("port") or "").strip()
        members.append((host_name, int(port) if port.isdigit() else port))
    return members


def check_members_lists(cluster: Cluster, members_by_node: dict[str, list[tuple[str, int | str]]]) -> None:
    """Assert that every node's <members> list names real members and is the same everywhere.

    members_by_node maps each Carbon node's name to the list read from its axis2.xml. The first
    manager's list is the reference, and it must contain all managers and at least one worker.
    """
    known = {(node.member_host, node.member_port): node.name for node in cluster.carbon_nodes}
    expected_entries = ", ".join(f"{host}:{port} ({name})" for (host, port), name in known.items())

    for name, members in members_by_node.items():
        for index, (host_name, port) in enumerate(members, start=1):
            assert (host_name, port) in known, (
                f"{name}: {AXIS2_XML} {MEMBERS}[{index}] is {host_name}:{port}, which is not the member "
                f"host and port of any Carbon node; expected one of {expected_entries}"
            )

    reference_node = cluster.managers[0].name
    reference = members_by_node[reference_node]
    for name, members in members_by_node.items():
        assert members == reference, (
            f"{name}: {AXIS2_XML} {MEMBERS} is {members}, but {reference_node} lists {reference}; "
            "every node needs the same members list"
        )

    for manager in cluster.managers:
        assert (manager.member_host, manager.member_port) in reference, (
            f"{reference_node}: {AXIS2_XML} {MEMBERS} is {reference}, which leaves out manager "
            f"{manager.name} ({manager.member_host}:{manager.member_port})"
        )
    listed_workers = [node.name for node in cluster.workers if (node.member_host, node.member_port) in reference]
    assert listed_workers, (
        f"{reference_node}: {AXIS2_XML} {MEMBERS} is {reference}, which lists no worker; "
        "well-known members need at least one worker"
    )
