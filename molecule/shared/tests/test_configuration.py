"""The product files of every Carbon node hold the values its sub-domain and the pattern require."""

from __future__ import annotations

import re

from cluster_checks import (
    AXIS2_XML,
    CARBON_NAMESPACES,
    CARBON_XML,
    CATALINA_SERVER_XML,
    CLUSTERING,
    MASTER_DATASOURCES_XML,
    REGISTRY_XML,
    USER_MGT_XML,
    WSO2SERVER_SH,
    assert_xpath,
    assert_xpath_absent,
    check_members_lists,
    product_path,
    read_members,
    read_xml,
    xpath_text,
)
from http_probe import request

HAZELCAST_AGENT = "org.wso2.carbon.core.clustering.hazelcast.HazelcastClusteringAgent"
REGISTRY_JNDI = "jdbc/WSO2RegistryDB"
USER_STORE_JNDI = "jdbc/WSO2UMDB"
WORKER_FLAG_PATTERN = re.compile(r"-DworkerNode=(true|false)\b")


def test_axis2_clustering(cluster, hosts, carbon_node_name):
    node = cluster.nodes[carbon_node_name]
    root = read_xml(hosts[node.name], node, AXIS2_XML)

    assert_xpath(node, AXIS2_XML, root, f"{CLUSTERING}/@class", HAZELCAST_AGENT)
    assert_xpath(node, AXIS2_XML, root, f"{CLUSTERING}/@enable", "true")
    assert_xpath(node, AXIS2_XML, root, f"{CLUSTERING}/parameter[@name='membershipScheme']", "wka")
    assert_xpath(node, AXIS2_XML, root, f"{CLUSTERING}/parameter[@name='domain']", cluster.domain)
    assert_xpath(node, AXIS2_XML, root, f"{CLUSTERING}/parameter[@name='localMemberHost']", node.member_host)
    assert_xpath(node, AXIS2_XML, root, f"{CLUSTERING}/parameter[@name='localMemberPort']", node.member_port)
    assert_xpath(
        node,
        AXIS2_XML,
        root,
        f"{CLUSTERING}/parameter[@name='properties']/property[@name='subDomain']/@value",
        node.sub_domain,
    )
    members_elements = root.xpath(f"{CLUSTERING}/members")
    assert len(members_elements) == 1, (
        f"{node.name}: {AXIS2_XML} {CLUSTERING}/members occurs {len(members_elements)} times, expected once"
    )


def test_members_list_same_everywhere(cluster, hosts):
    members_by_node = {
        node.name: read_members(read_xml(hosts[node.name], node, AXIS2_XML)) for node in cluster.carbon_nodes
    }
    check_members_lists(cluster, members_by_node)


def test_carbon_xml(cluster, hosts, carbon_node_name):
    node = cluster.nodes[carbon_node_name]
    root = read_xml(hosts[node.name], node, CARBON_XML)
    ns = CARBON_NAMESPACES

    assert_xpath(node, CARBON_XML, root, "/c:Server/c:HostName", cluster.worker_hostname, ns)
    if node.is_manager and cluster.manager_hostname:
        assert_xpath(node, CARBON_XML, root, "/c:Server/c:MgtHostName", cluster.manager_hostname, ns)
    else:
        assert_xpath_absent(node, CARBON_XML, root, "/c:Server/c:MgtHostName", ns)
    assert_xpath(node, CARBON_XML, root, "/c:Server/c:Ports/c:Offset", node.port_offset, ns)

    # A manager that no load balancer fronts builds service addresses with the workers' proxy ports.
    worker_proxy_ports = {
        "/c:Server/c:Ports/c:WorkerHttpProxyPort": node.get("carbon_proxy_http_port"),
        "/c:Server/c:Ports/c:WorkerHttpsProxyPort": node.get("carbon_proxy_https_port"),
    }
    for xpath, port in worker_proxy_ports.items():
        if node.is_manager and not cluster.expose_manager:
            assert_xpath(node, CARBON_XML, root, xpath, port, ns)
        else:
            assert_xpath_absent(node, CARBON_XML, root, xpath, ns)

    if cluster.deployment_sync == "rsync":
        enabled = xpath_text(root, "/c:Server/c:DeploymentSynchronizer/c:Enabled", ns)
        assert enabled in ([], ["false"]), (
            f"{node.name}: {CARBON_XML} /c:Server/c:DeploymentSynchronizer/c:Enabled is {enabled}, "
            "expected false or absent when deployment sync uses rsync"
        )


def test_catalina_proxy_ports_and_route(cluster, hosts, carbon_node_name):
    node = cluster.nodes[carbon_node_name]
    root = read_xml(hosts[node.name], node, CATALINA_SERVER_XML)
    behind_load_balancer = (node.is_manager and cluster.expose_manager) or (node.is_worker and not cluster.is_esb)
    proxy_ports = {
        "/Server/Service/Connector[@port='9763']/@proxyPort": node.get("carbon_proxy_http_port"),
        "/Server/Service/Connector[@port='9443']/@proxyPort": node.get("carbon_proxy_https_port"),
    }
    for xpath, port in proxy_ports.items():
        if behind_load_balancer:
            assert_xpath(node, CATALINA_SERVER_XML, root, xpath, port)
        else:
            assert_xpath_absent(node, CATALINA_SERVER_XML, root, xpath)
    assert_xpath(node, CATALINA_SERVER_XML, root, "/Server/Service/Engine/@jvmRoute", node.jvm_route)


def test_registry_mounts(cluster, hosts, carbon_node_name):
    node = cluster.nodes[carbon_node_name]
    root = read_xml(hosts[node.name], node, REGISTRY_XML)

    read_only = "true" if node.is_worker else "false"
    assert_xpath(node, REGISTRY_XML, root, "/wso2registry/remoteInstance/readOnly", read_only)
    db_config = xpath_text(root, "/wso2registry/remoteInstance/dbConfig")
    assert len(db_config) == 1, f"{node.name}: {REGISTRY_XML} /wso2registry/remoteInstance/dbConfig is {db_config}"
    assert_xpath(
        node, REGISTRY_XML, root, f"/wso2registry/dbConfig[@name='{db_config[0]}']/dataSource", REGISTRY_JNDI
    )
    instance_id = xpath_text(root, "/wso2registry/remoteInstance/id")
    for mount in ("/_system/config", "/_system/governance"):
        assert_xpath(node, REGISTRY_XML, root, f"/wso2registry/mount[@path='{mount}']/instanceId", instance_id[0])


def test_datasources_point_at_database(cluster, hosts, carbon_node_name):
    node = cluster.nodes[carbon_node_name]
    root = read_xml(hosts[node.name], node, MASTER_DATASOURCES_XML)
    expected_prefix = f"jdbc:mysql://{cluster.db_host(node)}:{cluster.db_port(node)}/"

    for jndi_name in (REGISTRY_JNDI, USER_STORE_JNDI):
        datasource = f"/datasources-configuration/datasources/datasource[jndiConfig/name='{jndi_name}']"
        urls = xpath_text(root, f"{datasource}/definition/configuration/url")
        assert len(urls) == 1, f"{node.name}: {MASTER_DATASOURCES_XML} {datasource}/definition/configuration/url is {urls}"
        assert urls[0].startswith(expected_prefix), (
            f"{node.name}: {MASTER_DATASOURCES_XML} {datasource}/definition/configuration/url is {urls[0]!r}, "
            f"expected it to start with {expected_prefix!r}"
        )
        assert_xpath(
            node, MASTER_DATASOURCES_XML, root, f"{datasource}/definition/configuration/username", cluster.db_user(node)
        )


def test_user_store_datasource(cluster, hosts, carbon_node_name):
    node = cluster.nodes[carbon_node_name]
    root = read_xml(hosts[node.name], node, USER_MGT_XML)
    assert_xpath(
        node, USER_MGT_XML, root, "/UserManager/Realm/Configuration/Property[@name='dataSource']", USER_STORE_JNDI
    )


def test_worker_start_flag(cluster, hosts, carbon_node_name):
    node = cluster.nodes[carbon_node_name]
    host = hosts[node.name]
    unit_path = f"/etc/systemd/system/{node.service_name}.service"
    unit = host.file(unit_path)
    assert unit.exists, f"{node.name}: {unit_path} does not exist"
    script_path = product_path(node, WSO2SERVER_SH)

    # A -D argument on the command line overrides the script's own flag line.
    exec_start = [line for line in unit.content_string.splitlines() if line.startswith("ExecStart=")]
    unit_flags = WORKER_FLAG_PATTERN.findall("\n".join(exec_start))
    script_flags = [
        match.group(1)
        for line in host.file(script_path).content_string.splitlines()
        if not line.lstrip().startswith("#")
        for match in [WORKER_FLAG_PATTERN.search(line)]
        if match
    ]
    effective = (unit_flags or script_flags or ["false"])[-1]
    expected = "true" if node.is_worker else "false"
    assert effective == expected, (
        f"{node.name}: the service starts with -DworkerNode={effective} "
        f"({unit_path} ExecStart passes {unit_flags or 'no flag'}, {script_path} sets {script_flags or 'no flag'}), "
        f"expected -DworkerNode={expected}"
    )


def test_running_server_reports_role(cluster, carbon_node_name):
    node = cluster.nodes[carbon_node_name]
    response = request(node.address, node.http_port, "/test-pack/node")
    assert response.status == 200, f"{node.name}: {response.describe()}"
    report = response.json()

    expected = {
        "node": node.name,
        "sub_domain": node.sub_domain,
        "worker_node": node.is_worker,
        "registry_read_only": node.is_worker,
        "host_name": cluster.worker_hostname,
        "mgt_host_name": cluster.manager_hostname if node.is_manager else None,
        "jvm_route": node.jvm_route,
    }
    for key, value in expected.items():
        assert report.get(key) == value, f"{node.name}: {response.url} reports {key}={report.get(key)!r}, expected {value!r}"
