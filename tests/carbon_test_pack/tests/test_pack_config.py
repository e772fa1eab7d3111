"""Unit tests of the server's configuration reader, including every configuration it rejects."""

import pytest

from carbon_test_server import config as carbon_config

AXIS2 = "repository/conf/axis2/axis2.xml"
CARBON = "repository/conf/carbon.xml"
CATALINA = "repository/conf/tomcat/catalina-server.xml"
REGISTRY = "repository/conf/registry.xml"
USER_MGT = "repository/conf/user-mgt.xml"
DATASOURCES = "repository/conf/datasources/master-datasources.xml"


def load(home, *arguments):
    return carbon_config.load_config(carbon_config.parse_options(list(arguments), default_home=str(home.path)))


def rejection_message(home, *arguments):
    with pytest.raises(carbon_config.ConfigError) as caught:
        options = carbon_config.parse_options(list(arguments), default_home=str(home.path))
        carbon_config.check_worker_profile(options)
        carbon_config.load_config(options)
    return str(caught.value)


def test_defaults_of_an_application_server_pack(carbon_home):
    config = load(carbon_home())
    assert config.product == "wso2as"
    assert config.display_name == "WSO2 Application Server"
    assert config.version == "5.3.0"
    assert config.port_offset == 0
    assert (config.http_port, config.https_port) == (9763, 9443)
    assert config.passthrough_ports == {}
    assert config.host_name is None
    assert config.mgt_host_name is None
    assert config.jvm_route is None
    assert config.worker_node is False
    assert config.clustering.enabled is False
    assert config.clustering.sub_domain == "worker"
    assert [(source.name, source.mysql) for source in config.datasources] == [("WSO2_CARBON_DB", None)]
    assert config.local_registry_datasource == "WSO2_CARBON_DB"
    assert config.user_store_datasource == "WSO2_CARBON_DB"
    assert config.registry_mounts == []
    assert config.registry_read_only is False
    assert config.deployment_synchronizer == {"enabled": False, "auto_commit": False, "auto_checkout": True}
    assert config.tasks is None


def test_passthrough_ports_of_an_esb_pack(carbon_home):
    config = load(carbon_home("wso2esb", "4.9.0"), "-DportOffset=2")
    assert config.passthrough_ports == {"http": 8282, "https": 8245}
    assert (config.http_port, config.https_port) == (9765, 9445)


def test_tasks_of_a_business_process_server_pack(carbon_home):
    assert load(carbon_home("wso2bps", "3.5.1")).tasks == {"server_mode": "AUTO", "server_count": 2}


def test_command_line_offset_wins(carbon_home):
    home = carbon_home()
    home.replace(CARBON, "<Offset>0</Offset>", "<Offset>3</Offset>")
    assert load(home).port_offset == 3
    assert load(home, "-DportOffset=5").http_port == 9768


def test_options_later_argument_wins(tmp_path):
    options = carbon_config.parse_options(["-DworkerNode=true", "-Dfoo=bar", "start-extra", "-DworkerNode=false", "-Dsetup"], default_home=str(tmp_path))
    assert options.worker_node is False
    assert options.setup is True
    assert options.port_offset is None
    options = carbon_config.parse_options(["-DworkerNode=false", "-DworkerNode=TRUE"], default_home=str(tmp_path))
    assert options.worker_node is True


def test_host_names_proxy_ports_and_jvm_route(carbon_home):
    home = carbon_home()
    home.replace(CARBON, "<!--\n    <HostName>www.wso2.test</HostName>\n    -->", "<HostName>as.wso2.test</HostName>")
    home.replace(CARBON, "<!--\n    <MgtHostName>mgt.wso2.test</MgtHostName>\n    -->", "<MgtHostName>mgt.as.wso2.test</MgtHostName>")
    home.replace(CATALINA, 'port="9763"', 'port="9763" proxyPort="80"')
    home.replace(CATALINA, 'port="9443"', 'port="9443" proxyPort="443"')
    home.replace(CATALINA, '<Engine name="Catalina" defaultHost="localhost">', '<Engine name="Catalina" defaultHost="localhost" jvmRoute="worker-1">')
    config = load(home)
    assert config.host_name == "as.wso2.test"
    assert config.mgt_host_name == "mgt.as.wso2.test"
    assert [(connector.scheme, connector.port, connector.proxy_port) for connector in config.connectors] == [("http", 9763, 80), ("https", 9443, 443)]
    assert config.jvm_route == "worker-1"


def test_clustering_with_well_known_members(carbon_home):
    home = carbon_home()
    home.enable_clustering("wso2.as.domain", "172.28.1.21", 4100, [("172.28.1.21", 4100), ("172.28.1.31", 4200)], sub_domain="mgt")
    clustering = load(home).clustering
    assert clustering.enabled is True
    assert clustering.membership_scheme == "wka"
    assert clustering.domain == "wso2.as.domain"
    assert (clustering.local_member_host, clustering.local_member_port) == ("172.28.1.21", 4100)
    assert clustering.sub_domain == "mgt"
    assert clustering.members == [("172.28.1.21", 4100), ("172.28.1.31", 4200)]


def test_mysql_urls(carbon_home):
    home = carbon_home()
    home.add_datasource("REG_DB", "jdbc/WSO2RegistryDB", "jdbc:mysql://172.28.1.40:3307/REGISTRY_DB?autoReconnect=true&amp;useSSL=false", "regadmin", "secret")
    home.add_datasource("UM_DB", "jdbc/WSO2UMDB", "jdbc:mariadb://db.wso2.test/WSO2_USER_DB", "umadmin", "secret")
    sources = {source.name: source for source in load(home).datasources}
    assert sources["REG_DB"].mysql == carbon_config.MySQLTarget("172.28.1.40", 3307, "REGISTRY_DB")
    assert sources["UM_DB"].mysql == carbon_config.MySQLTarget("db.wso2.test", 3306, "WSO2_USER_DB")
    assert "secret" not in repr(sources["REG_DB"])


def test_registry_mounts_resolve_to_datasources(carbon_home):
    home = carbon_home()
    home.add_datasource("WSO2_REGISTRY_DB", "jdbc/WSO2RegistryDB", "jdbc:mysql://172.28.1.40:3306/REGISTRY_DB", "regadmin", "secret")
    home.add_datasource("WSO2_USER_DB", "jdbc/WSO2UMDB", "jdbc:mysql://172.28.1.40:3306/WSO2_USER_DB", "regadmin", "secret")
    home.replace(USER_MGT, "<Property name=\"dataSource\">jdbc/WSO2CarbonDB</Property>", "<Property name=\"dataSource\">jdbc/WSO2UMDB</Property>")
    home.mount_shared_registry("jdbc/WSO2RegistryDB", read_only=True)
    config = load(home)
    assert [(mount.path, mount.datasource, mount.read_only) for mount in config.registry_mounts] == [("/_system/config", "WSO2_REGISTRY_DB", True)]
    assert config.registry_read_only is True
    assert config.user_store_datasource == "WSO2_USER_DB"
    assert config.writable_registry_datasources == []
    assert config.read_only_datasources == ["WSO2_REGISTRY_DB"]
    assert config.schema_datasources == ["WSO2_CARBON_DB", "WSO2_REGISTRY_DB", "WSO2_USER_DB"]

    home.replace(REGISTRY, "<readOnly>true</readOnly>", "<readOnly>false</readOnly>")
    config = load(home)
    assert config.registry_read_only is False
    assert config.writable_registry_datasources == ["WSO2_REGISTRY_DB"]
    assert config.read_only_datasources == []


def test_missing_worker_profile_is_rejected(carbon_home):
    home = carbon_home(worker_profile=False)
    message = rejection_message(home, "-DworkerNode=true")
    assert message.startswith("OSGi runtime worker profile not found")
    assert str(home / "repository/components/worker") in message
    assert load(home).worker_node is False


def test_invalid_xml_is_rejected(carbon_home):
    home = carbon_home()
    home.replace(CARBON, "<Offset>0</Offset>", "<Offset>0</Ofset>")
    message = rejection_message(home)
    assert "Invalid XML in %s" % (home / CARBON) in message
    assert "mismatched tag" in message


def test_invalid_xml_in_any_conf_file_is_rejected(carbon_home):
    home = carbon_home()
    (home / "repository/conf/security").mkdir()
    (home / "repository/conf/security/extra.xml").write_text("<a><b></a>")
    assert "Invalid XML in %s" % (home / "repository/conf/security/extra.xml") in rejection_message(home)


@pytest.mark.parametrize("file_name, old, new, expected", [
    (CARBON, "<Offset>0</Offset>", "<Offset>one</Offset>", "repository/conf/carbon.xml: /Server/Ports/Offset is 'one', which is not a number"),
    (CATALINA, 'port="9763"', 'port="97x3"', "/Server/Service/Connector[1]/@port is '97x3', which is not a number"),
    (CATALINA, 'port="9443"', 'port="9443" proxyPort="https"', "/Server/Service/Connector[2]/@proxyPort is 'https', which is not a number"),
    (CATALINA, 'port="9763"', 'port="70000"', "/Server/Service/Connector[1]/@port is '70000', outside 1-65535"),
])
def test_non_numeric_port_is_rejected(carbon_home, file_name, old, new, expected):
    home = carbon_home()
    home.replace(file_name, old, new)
    assert expected in rejection_message(home)


def test_non_numeric_command_line_offset(carbon_home):
    assert "command line: -DportOffset is '1O', which is not a number" in rejection_message(carbon_home(), "-DportOffset=1O")


def test_offset_beyond_port_range_is_rejected(carbon_home):
    assert "the HTTP Connector port 9763 plus the port offset 60000 is above 65535" in rejection_message(carbon_home(), "-DportOffset=60000")


def test_non_numeric_member_ports(carbon_home):
    home = carbon_home()
    home.enable_clustering("wso2.as.domain", "172.28.1.21", 4100, [("172.28.1.31", 4200)])
    home.replace(AXIS2, "<port>4200</port>", "<port>42OO</port>")
    assert "/axisconfig/clustering/members/member[1]/port is '42OO', which is not a number" in rejection_message(home)
    home.replace(AXIS2, "<port>42OO</port>", "<port>4200</port>")
    home.replace(AXIS2, '<parameter name="localMemberPort">4100</parameter>', '<parameter name="localMemberPort">four</parameter>')
    assert "/axisconfig/clustering/parameter[@name='localMemberPort'] is 'four', which is not a number" in rejection_message(home)


def test_wka_without_members_is_rejected(carbon_home):
    home = carbon_home()
    home.enable_clustering("wso2.as.domain", "172.28.1.21", 4100, [])
    message = rejection_message(home)
    assert "clustering is enabled with the wka membership scheme" in message
    assert "/axisconfig/clustering/members lists no member" in message


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1"])
def test_loopback_member_host_is_rejected(carbon_home, monkeypatch, host):
    monkeypatch.delenv(carbon_config.ALLOW_LOOPBACK_ENV, raising=False)
    home = carbon_home()
    home.enable_clustering("wso2.as.domain", host, 4100, [("172.28.1.31", 4200)])
    message = rejection_message(home)
    assert "parameter[@name='localMemberHost'] is %r, a loopback address" % host in message


def test_loopback_member_host_allowed_for_tests(carbon_home, monkeypatch):
    monkeypatch.setenv(carbon_config.ALLOW_LOOPBACK_ENV, "1")
    home = carbon_home()
    home.enable_clustering("wso2.as.domain", "127.0.0.2", 4100, [("127.0.0.3", 4200)])
    assert load(home).clustering.local_member_host == "127.0.0.2"


def test_enabled_multicast_is_rejected(carbon_home):
    home = carbon_home()
    home.enable_clustering("wso2.as.domain", "172.28.1.21", 4100, [("172.28.1.31", 4200)])
    home.replace(AXIS2, '<parameter name="membershipScheme">wka</parameter>', '<parameter name="membershipScheme">multicast</parameter>')
    assert "parameter[@name='membershipScheme'] is 'multicast', but the Carbon test pack implements only the wka scheme" in rejection_message(home)


def test_disabled_clustering_ignores_its_parameters(carbon_home):
    home = carbon_home()
    home.replace(AXIS2, '<parameter name="localMemberPort">4000</parameter>', '<parameter name="localMemberPort">x</parameter>')
    assert load(home).clustering.enabled is False


def test_malformed_mysql_url_is_rejected(carbon_home):
    home = carbon_home()
    home.add_datasource("REG_DB", "jdbc/WSO2RegistryDB", "jdbc:mysql://172.28.1.40:3306", "regadmin", "secret")
    message = rejection_message(home)
    assert "datasource REG_DB has the URL 'jdbc:mysql://172.28.1.40:3306', which is not jdbc:mysql://host[:port]/database" in message
    assert "secret" not in message


def test_non_numeric_mysql_url_port(carbon_home):
    home = carbon_home()
    home.add_datasource("REG_DB", "jdbc/WSO2RegistryDB", "jdbc:mysql://172.28.1.40:33o6/REGISTRY_DB", "regadmin", "secret")
    assert "the port in the URL of datasource REG_DB is '33o6', which is not a number" in rejection_message(home)


def test_unknown_registry_jndi_name_is_rejected(carbon_home):
    home = carbon_home()
    home.mount_shared_registry("jdbc/WSO2RegistryDB", read_only=False)
    message = rejection_message(home)
    assert "repository/conf/registry.xml: dbConfig[@name='sharedregistry']/dataSource is 'jdbc/WSO2RegistryDB'" in message
    assert "defined: jdbc/WSO2CarbonDB" in message


def test_unknown_user_store_jndi_name_is_rejected(carbon_home):
    home = carbon_home()
    home.replace(USER_MGT, "<Property name=\"dataSource\">jdbc/WSO2CarbonDB</Property>", "<Property name=\"dataSource\">jdbc/WSO2UMDB</Property>")
    assert "/UserManager/Realm/Configuration/Property[@name='dataSource'] is 'jdbc/WSO2UMDB'" in rejection_message(home)


def test_mount_of_unknown_instance_is_rejected(carbon_home):
    home = carbon_home()
    home.add_datasource("WSO2_REGISTRY_DB", "jdbc/WSO2RegistryDB", "jdbc:mysql://172.28.1.40:3306/REGISTRY_DB", "regadmin", "secret")
    home.mount_shared_registry("jdbc/WSO2RegistryDB", read_only=False, instance_id="other")
    assert "mount /_system/config names instanceId 'sharedinstance', which matches no remoteInstance id" in rejection_message(home)


def test_missing_conf_file_is_rejected(carbon_home):
    home = carbon_home()
    (home / USER_MGT).unlink()
    assert "Configuration file %s not found" % (home / USER_MGT) in rejection_message(home)
