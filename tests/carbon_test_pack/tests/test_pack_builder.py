"""Unit tests of make_pack.py: layout, determinism and the default configuration files."""

import hashlib
import io
import pathlib
import stat
import subprocess
import sys
from xml.etree import ElementTree
import zipfile

import pytest

import make_pack

PACK_DIR = pathlib.Path(__file__).resolve().parent.parent

CARBON_NS = {"c": "http://wso2.org/projects/carbon/carbon.xml"}


def read_zip(path):
    with zipfile.ZipFile(path) as archive:
        return {info.filename: (info, archive.read(info)) for info in archive.infolist()}


def parse_with_comments(data):
    """Parse XML keeping comments, so tests can check the product's commented examples."""
    parser = ElementTree.XMLParser(target=ElementTree.TreeBuilder(insert_comments=True))
    return ElementTree.fromstring(data, parser=parser)


def comments_of(root):
    return [node.text for node in root.iter() if node.tag is ElementTree.Comment]


@pytest.fixture(scope="module")
def as_pack(tmp_path_factory):
    return read_zip(make_pack.build_pack("wso2as", "5.3.0", tmp_path_factory.mktemp("as")))


def conf(pack, relative, top="wso2as-5.3.0"):
    return pack[top + "/" + relative][1]


def test_layout_has_product_folders(as_pack):
    names = set(as_pack)
    expected = [
        "wso2as-5.3.0/",
        "wso2as-5.3.0/bin/wso2server.sh",
        "wso2as-5.3.0/bin/version.txt",
        "wso2as-5.3.0/dbscripts/mysql.sql",
        "wso2as-5.3.0/TEST-PACK.txt",
        "wso2as-5.3.0/repository/components/worker/",
        "wso2as-5.3.0/repository/components/lib/",
        "wso2as-5.3.0/repository/components/dropins/",
        "wso2as-5.3.0/repository/deployment/server/webapps/carbon-test-sample/index.html",
        "wso2as-5.3.0/repository/logs/",
        "wso2as-5.3.0/repository/resources/security/carbon-test-pack.crt",
        "wso2as-5.3.0/repository/resources/security/carbon-test-pack.key",
        "wso2as-5.3.0/lib/carbon-test-pack/carbon_test_server/server.py",
        "wso2as-5.3.0/lib/carbon-test-pack/pack.json",
        "wso2as-5.3.0/repository/conf/axis2/axis2.xml",
        "wso2as-5.3.0/repository/conf/carbon.xml",
        "wso2as-5.3.0/repository/conf/tomcat/catalina-server.xml",
        "wso2as-5.3.0/repository/conf/registry.xml",
        "wso2as-5.3.0/repository/conf/user-mgt.xml",
        "wso2as-5.3.0/repository/conf/datasources/master-datasources.xml",
    ]
    for name in expected:
        assert name in names, name
    assert all(name.startswith("wso2as-5.3.0/") for name in names)
    assert not any("__pycache__" in name for name in names)
    assert "wso2as-5.3.0/repository/conf/etc/tasks-config.xml" not in names


def test_start_script_is_executable(as_pack):
    info, data = as_pack["wso2as-5.3.0/bin/wso2server.sh"]
    mode = info.external_attr >> 16
    assert stat.S_ISREG(mode)
    assert mode & 0o777 == 0o755
    assert data.startswith(b"#!/bin/sh\n")
    assert b"    -DworkerNode=false \\\n" in data
    assert b"JAVA_HOME" in data


def test_folders_are_zip_folder_entries(as_pack):
    info, data = as_pack["wso2as-5.3.0/repository/logs/"]
    assert info.is_dir()
    assert stat.S_ISDIR(info.external_attr >> 16)
    assert data == b""


def test_version_and_test_pack_notice(as_pack):
    assert conf(as_pack, "bin/version.txt") == b"WSO2 Application Server v5.3.0\n"
    notice = conf(as_pack, "TEST-PACK.txt").decode()
    assert "NOT A WSO2 PRODUCT" in notice
    assert "WSO2 Application Server 5.3.0" in notice


@pytest.mark.parametrize("product, name", [
    ("wso2am", "WSO2 API Manager"),
    ("wso2bps", "WSO2 Business Process Server"),
    ("wso2brs", "WSO2 Business Rules Server"),
    ("wso2dss", "WSO2 Data Services Server"),
    ("wso2esb", "WSO2 Enterprise Service Bus"),
    ("wso2ts", "WSO2 Task Server"),
    ("wso2is", "WSO2 Identity Server"),
])
def test_display_names(product, name):
    assert make_pack.display_name(product) == name


def test_same_inputs_give_same_bytes(tmp_path):
    first = make_pack.build_pack("wso2esb", "4.9.0", tmp_path / "a")
    second = make_pack.build_pack("wso2esb", "4.9.0", tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    assert make_pack.sha256_of(first) == hashlib.sha256(second.read_bytes()).hexdigest()
    assert all(info.date_time == make_pack.ZIP_TIMESTAMP for info, content in read_zip(first).values())


def test_entries_are_sorted(as_pack):
    names = list(as_pack)
    assert names == sorted(names)


def test_worker_profile_is_optional(tmp_path):
    with_profile = read_zip(make_pack.build_pack("wso2as", "5.3.0", tmp_path / "with"))
    without = read_zip(make_pack.build_pack("wso2as", "5.3.0", tmp_path / "without", worker_profile=False))
    assert "wso2as-5.3.0/repository/components/worker/TEST-PACK-PROFILE.txt" in with_profile
    assert not any(name.startswith("wso2as-5.3.0/repository/components/worker") for name in without)
    assert "wso2as-5.3.0/repository/components/default/TEST-PACK-PROFILE.txt" in without


def test_command_line_prints_checksum_and_path(tmp_path):
    result = subprocess.run(
        [sys.executable, str(PACK_DIR / "make_pack.py"), "--product", "wso2as", "--version", "5.3.0", "--output-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    zip_path = tmp_path / "wso2as-5.3.0.zip"
    assert result.stdout == "%s  %s\n" % (hashlib.sha256(zip_path.read_bytes()).hexdigest(), zip_path)


def test_command_line_without_worker_profile(tmp_path):
    result = subprocess.run(
        [sys.executable, str(PACK_DIR / "make_pack.py"), "--product", "wso2esb", "--version", "4.9.0",
         "--output-dir", str(tmp_path), "--without-worker-profile"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert not any("components/worker" in name for name in read_zip(tmp_path / "wso2esb-4.9.0.zip"))


@pytest.mark.parametrize("arguments, message", [
    (["--product", "wso2xyz", "--version", "1.0.0"], "unknown product 'wso2xyz'"),
    (["--product", "wso2as", "--version", "latest"], "invalid version 'latest'"),
])
def test_command_line_rejects_bad_input(tmp_path, arguments, message):
    result = subprocess.run(
        [sys.executable, str(PACK_DIR / "make_pack.py"), *arguments, "--output-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_build_pack_raises_for_unknown_product(tmp_path):
    with pytest.raises(ValueError, match="use one of .*wso2as"):
        make_pack.build_pack("as", "5.3.0", tmp_path)


def test_axis2_clustering_defaults(as_pack):
    root = parse_with_comments(conf(as_pack, "repository/conf/axis2/axis2.xml"))
    assert root.tag == "axisconfig"
    clustering = root.find("clustering")
    assert clustering.get("class") == "org.wso2.carbon.core.clustering.hazelcast.HazelcastClusteringAgent"
    assert clustering.get("enable") == "false"
    parameters = {element.get("name"): (element.text or "").strip() for element in clustering.findall("parameter")}
    assert parameters["AvoidInitiation"] == "true"
    assert parameters["membershipScheme"] == "multicast"
    assert parameters["domain"] == "wso2.carbon.domain"
    assert parameters["mcastPort"] == "45564"
    assert parameters["mcastTTL"] == "100"
    assert parameters["mcastTimeout"] == "60"
    assert parameters["localMemberHost"] == "127.0.0.1"
    assert parameters["localMemberPort"] == "4000"
    properties = {element.get("name"): element.get("value") for element in clustering.findall("parameter[@name='properties']/property")}
    assert properties == {
        "backendServerURL": "https://${hostName}:${httpsPort}/services/",
        "mgtConsoleURL": "https://${hostName}:${httpsPort}/",
        "subDomain": "worker",
    }
    members = clustering.findall("members/member")
    assert len(clustering.findall("members")) == 1
    assert [(member.findtext("hostName"), member.findtext("port")) for member in members] == [("127.0.0.1", "4000")]
    group = clustering.find("groupManagement")
    assert group.get("enable") == "false"
    assert group.find("applicationDomain").get("agent") == "org.wso2.carbon.core.clustering.hazelcast.HazelcastGroupManagementAgent"
    assert any('<parameter name="mcastAddress">228.0.0.4</parameter>' in text for text in comments_of(clustering))


def test_axis2_transports_per_product(tmp_path):
    for product, version in (("wso2esb", "4.9.0"), ("wso2am", "1.10.0")):
        pack = read_zip(make_pack.build_pack(product, version, tmp_path / product))
        root = parse_with_comments(conf(pack, "repository/conf/axis2/axis2.xml", "%s-%s" % (product, version)))
        receivers = {element.get("class"): element for element in root.findall("transportReceiver")}
        http = receivers["org.apache.synapse.transport.passthru.PassThroughHttpListener"]
        https = receivers["org.apache.synapse.transport.passthru.PassThroughHttpSSLListener"]
        assert http.find("parameter[@name='port']").text == "8280"
        assert https.find("parameter[@name='port']").text == "8243"
        for receiver in (http, https):
            assert receiver.find("parameter[@name='WSDLEPRPrefix']") is None
            assert any(text.startswith('parameter name="WSDLEPRPrefix"') for text in comments_of(receiver))

    root = parse_with_comments(conf(read_zip(make_pack.build_pack("wso2as", "5.3.0", tmp_path / "as")), "repository/conf/axis2/axis2.xml"))
    assert not any("PassThrough" in element.get("class") for element in root.findall("transportReceiver"))


def test_carbon_xml_defaults(as_pack):
    data = conf(as_pack, "repository/conf/carbon.xml")
    root = parse_with_comments(data)
    assert root.tag == "{http://wso2.org/projects/carbon/carbon.xml}Server"
    assert root.find("c:HostName", CARBON_NS) is None
    assert root.find("c:MgtHostName", CARBON_NS) is None
    comments = comments_of(root)
    assert any("<HostName>" in text for text in comments)
    assert any("<MgtHostName>" in text for text in comments)
    assert root.findtext("c:Name", namespaces=CARBON_NS) == "WSO2 Application Server"
    assert root.findtext("c:Version", namespaces=CARBON_NS) == "5.3.0"
    assert root.findtext("c:Ports/c:Offset", namespaces=CARBON_NS) == "0"
    assert root.find("c:Ports/c:WorkerHttpProxyPort", CARBON_NS) is None
    ports_comments = comments_of(root.find("c:Ports", CARBON_NS))
    assert any("<WorkerHttpProxyPort>80</WorkerHttpProxyPort>" in text for text in ports_comments)
    assert any("<WorkerHttpsProxyPort>443</WorkerHttpsProxyPort>" in text for text in ports_comments)
    depsync = root.find("c:DeploymentSynchronizer", CARBON_NS)
    values = {child.tag.split("}")[1]: child.text for child in depsync if child.tag is not ElementTree.Comment}
    assert values == {
        "Enabled": "false",
        "AutoCommit": "false",
        "AutoCheckout": "true",
        "RepositoryType": "svn",
        "SvnUrl": "http://svnrepo.example.test/repos/",
        "SvnUser": "username",
        "SvnPassword": "password",
        "SvnUrlAppendTenantId": "true",
    }


def test_catalina_connectors(as_pack):
    root = parse_with_comments(conf(as_pack, "repository/conf/tomcat/catalina-server.xml"))
    connectors = root.findall("Service/Connector")
    assert [connector.get("port") for connector in connectors] == ["9763", "9443"]
    assert connectors[0].get("scheme") is None
    assert connectors[1].get("scheme") == "https"
    assert all(connector.get("proxyPort") is None for connector in connectors)
    service_comments = comments_of(root.find("Service"))
    assert any('proxyPort="80"' in text for text in service_comments)
    assert any('proxyPort="443"' in text for text in service_comments)
    engine = root.find("Service/Engine")
    assert engine.get("name") == "Catalina"
    assert engine.get("jvmRoute") is None


def test_registry_user_mgt_and_datasources(as_pack):
    registry = parse_with_comments(conf(as_pack, "repository/conf/registry.xml"))
    db_config = registry.find("dbConfig")
    assert db_config.get("name") == "wso2registry"
    assert db_config.findtext("dataSource") == "jdbc/WSO2CarbonDB"
    assert registry.find("remoteInstance") is None
    assert registry.find("mount") is None
    assert any("<remoteInstance" in text and "<mount path=\"/_system/config\"" in text for text in comments_of(registry))

    user_mgt = parse_with_comments(conf(as_pack, "repository/conf/user-mgt.xml"))
    configuration = user_mgt.find("Realm/Configuration")
    assert configuration.findtext("AdminUser/UserName") == "admin"
    assert configuration.findtext("AdminUser/Password") == "admin"
    assert configuration.find("Property[@name='dataSource']").text == "jdbc/WSO2CarbonDB"

    datasources = parse_with_comments(conf(as_pack, "repository/conf/datasources/master-datasources.xml"))
    entries = datasources.findall("datasources/datasource")
    assert [entry.findtext("name") for entry in entries] == ["WSO2_CARBON_DB"]
    assert entries[0].findtext("jndiConfig/name") == "jdbc/WSO2CarbonDB"
    assert entries[0].findtext("definition/configuration/url") == (
        "jdbc:h2:./repository/database/WSO2CARBON_DB;DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=60000")


def test_tasks_config_for_task_products(tmp_path):
    for product, version in (("wso2bps", "3.5.1"), ("wso2ts", "1.1.0")):
        pack = read_zip(make_pack.build_pack(product, version, tmp_path / product))
        root = parse_with_comments(conf(pack, "repository/conf/etc/tasks-config.xml", "%s-%s" % (product, version)))
        assert root.findtext("taskServerMode") == "AUTO"
        assert root.findtext("taskServerCount") == "2"


def test_mysql_script_is_carbon_shaped(as_pack):
    script = conf(as_pack, "dbscripts/mysql.sql").decode()
    tables = [line.split()[5] for line in script.splitlines() if line.startswith("CREATE TABLE")]
    assert all(line.startswith("CREATE TABLE IF NOT EXISTS") for line in script.splitlines() if line.startswith("CREATE TABLE"))
    assert "REG_LOG" in tables
    assert any(table.startswith("UM_") for table in tables)
    assert script.count("ENGINE INNODB") == len(tables)


def test_all_xml_files_parse(as_pack):
    for name, entry in as_pack.items():
        if name.endswith(".xml"):
            ElementTree.parse(io.BytesIO(entry[1]))
