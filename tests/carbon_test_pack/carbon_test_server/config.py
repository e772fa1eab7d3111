"""Read the rendered Carbon configuration of a test pack, as the Carbon 4.4 server reads it.

load_config() returns a Config or raises ConfigError with a message that names the file, the
element and the value that are wrong, and what to change.
"""

import dataclasses
import ipaddress
import json
import os
import pathlib
import re
import typing
from xml.etree import ElementTree

CARBON_NS = {"c": "http://wso2.org/projects/carbon/carbon.xml"}

# Set to 1 only by the test pack's own process tests, which run several members on 127.0.0.x.
ALLOW_LOOPBACK_ENV = "CARBON_TEST_PACK_ALLOW_LOOPBACK"

AXIS2 = "repository/conf/axis2/axis2.xml"
CARBON = "repository/conf/carbon.xml"
CATALINA = "repository/conf/tomcat/catalina-server.xml"
REGISTRY = "repository/conf/registry.xml"
USER_MGT = "repository/conf/user-mgt.xml"
DATASOURCES = "repository/conf/datasources/master-datasources.xml"
TASKS = "repository/conf/etc/tasks-config.xml"
REQUIRED_FILES = (AXIS2, CARBON, CATALINA, REGISTRY, USER_MGT, DATASOURCES)

MYSQL_URL = re.compile(r"^jdbc:(?:mysql|mariadb)://(?P<host>[^/:?,]+)(?::(?P<port>[^/]*))?/(?P<database>[^?;/]+)(?:\?.*)?$")
MYSQL_DEFAULT_PORT = 3306


class ConfigError(Exception):
    """A configuration value that stops the server from starting."""


@dataclasses.dataclass
class Options:
    """The -D options of the start command that the server reads."""

    carbon_home: pathlib.Path
    worker_node: bool = False
    port_offset: typing.Optional[str] = None
    setup: bool = False


@dataclasses.dataclass
class Connector:
    scheme: str  # "http" or "https"
    port: int  # before the port offset
    proxy_port: typing.Optional[int]


@dataclasses.dataclass
class MySQLTarget:
    host: str
    port: int
    database: str


@dataclasses.dataclass
class Datasource:
    name: str
    jndi_name: str
    url: str
    username: str
    password: str = dataclasses.field(repr=False)
    mysql: typing.Optional[MySQLTarget] = None


@dataclasses.dataclass
class RegistryMount:
    path: str
    target_path: str
    instance_id: str
    read_only: bool
    datasource: str  # name of the Datasource behind the remote instance


@dataclasses.dataclass
class Clustering:
    enabled: bool
    membership_scheme: str
    domain: str
    local_member_host: str
    local_member_bind_address: str
    local_member_port: typing.Optional[int]
    sub_domain: typing.Optional[str]
    members: list  # of (host, port)


@dataclasses.dataclass
class Config:
    carbon_home: pathlib.Path
    product: str
    display_name: str
    version: str
    worker_node: bool
    setup: bool
    port_offset: int
    host_name: typing.Optional[str]
    mgt_host_name: typing.Optional[str]
    connectors: list
    http_port: int  # after the port offset
    https_port: int
    passthrough_ports: dict  # scheme -> port after the offset; empty unless axis2.xml has PassThrough receivers
    jvm_route: typing.Optional[str]
    clustering: Clustering
    datasources: list
    local_registry_datasource: str
    user_store_datasource: typing.Optional[str]
    registry_mounts: list
    registry_read_only: bool
    deployment_synchronizer: dict
    tasks: typing.Optional[dict]

    def datasource(self, name):
        return next(source for source in self.datasources if source.name == name)

    @property
    def writable_registry_datasources(self):
        """Names of the datasources behind registry mounts that are not read-only."""
        return sorted({mount.datasource for mount in self.registry_mounts if not mount.read_only})

    @property
    def schema_datasources(self):
        """Names of the datasources that need the registry and user manager tables."""
        names = {self.local_registry_datasource}
        names.update(mount.datasource for mount in self.registry_mounts)
        if self.user_store_datasource:
            names.add(self.user_store_datasource)
        return sorted(names)

    @property
    def read_only_datasources(self):
        """Names of the datasources that this node reaches only through read-only registry mounts."""
        written = {self.local_registry_datasource}
        written.update(self.writable_registry_datasources)
        if self.user_store_datasource:
            written.add(self.user_store_datasource)
        return sorted({mount.datasource for mount in self.registry_mounts} - written)


def parse_options(argv, default_home=None):
    """Read the -D options that the server uses; others are ignored, as the JVM keeps them."""
    properties = {}
    for argument in argv:
        if argument.startswith("-D"):
            name, separator, value = argument[2:].partition("=")
            # A later option wins, as on the Java command line. -Dname alone sets an empty value.
            properties[name] = value if separator else ""
    home = properties.get("carbon.home") or default_home or os.environ.get("CARBON_HOME") or os.getcwd()
    return Options(
        carbon_home=pathlib.Path(home).resolve(),
        worker_node=properties.get("workerNode", "false").strip().lower() == "true",
        port_offset=properties.get("portOffset"),
        setup="setup" in properties,
    )


def _parse_all(home):
    """Parse every XML file under repository/conf, so any malformed file stops the start."""
    trees = {}
    conf = home / "repository" / "conf"
    for path in sorted(conf.rglob("*.xml")):
        relative = path.relative_to(home).as_posix()
        try:
            trees[relative] = ElementTree.parse(path).getroot()
        except ElementTree.ParseError as error:
            raise ConfigError("Invalid XML in %s: %s. Fix the file and start again." % (path, error)) from error
    for relative in REQUIRED_FILES:
        if relative not in trees:
            raise ConfigError("Configuration file %s not found. The test pack needs it to start." % (home / relative))
    return trees


def _text(element, path, namespaces=None):
    found = element.find(path, namespaces or {})
    if found is None or found.text is None:
        return None
    return found.text.strip()


def _port(value, file_name, element, allow_zero=False):
    """Return value as a TCP port number, or raise ConfigError naming the file and element."""
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ConfigError("%s: %s is %r, which is not a number. Set it to a port number." % (file_name, element, value)) from None
    low = 0 if allow_zero else 1
    if not low <= number <= 65535:
        raise ConfigError("%s: %s is %r, outside %d-65535. Set it to a port number." % (file_name, element, value, low))
    return number


def _bool(value):
    return value is not None and value.strip().lower() == "true"


def _read_offset(carbon, options):
    if options.port_offset is not None:
        offset = _port(options.port_offset, "command line", "-DportOffset", allow_zero=True)
    else:
        value = _text(carbon, "c:Ports/c:Offset", CARBON_NS)
        offset = 0 if value is None else _port(value, CARBON, "/Server/Ports/Offset", allow_zero=True)
    return offset


def _shifted(port, offset, file_name, element):
    if port + offset > 65535:
        raise ConfigError("%s: %s %d plus the port offset %d is above 65535. Lower the port or the offset." % (file_name, element, port, offset))
    return port + offset


def _read_connectors(catalina):
    connectors = []
    for index, element in enumerate(catalina.findall("Service/Connector"), start=1):
        xpath = "/Server/Service/Connector[%d]" % index
        port = _port(element.get("port"), CATALINA, xpath + "/@port")
        proxy_value = element.get("proxyPort")
        proxy_port = None if proxy_value is None else _port(proxy_value, CATALINA, xpath + "/@proxyPort")
        secure = element.get("scheme") == "https" or _bool(element.get("secure")) or _bool(element.get("SSLEnabled"))
        connectors.append(Connector("https" if secure else "http", port, proxy_port))
    for scheme in ("http", "https"):
        if not any(connector.scheme == scheme for connector in connectors):
            raise ConfigError("%s: no %s Connector under /Server/Service. Restore the %s connector of the product file."
                              % (CATALINA, scheme.upper(), scheme.upper()))
    return connectors


def _read_passthrough_ports(axis2, offset):
    ports = {}
    for element in axis2.findall("transportReceiver"):
        listener = element.get("class", "")
        if "PassThroughHttp" not in listener:
            continue
        scheme = "https" if "SSL" in listener else "http"
        xpath = "/axisconfig/transportReceiver[@name='%s']/parameter[@name='port']" % element.get("name")
        value = None
        for parameter in element.findall("parameter"):
            if parameter.get("name") == "port":
                value = (parameter.text or "").strip()
        if value is None:
            raise ConfigError("%s: %s is missing. Set the PassThrough %s port." % (AXIS2, xpath, scheme.upper()))
        ports[scheme] = _shifted(_port(value, AXIS2, xpath), offset, AXIS2, xpath)
    return ports


def _parameters(element):
    return {parameter.get("name"): (parameter.text or "").strip() for parameter in element.findall("parameter")}


def is_loopback(host):
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _read_clustering(axis2):
    element = axis2.find("clustering")
    if element is None:
        return Clustering(False, "", "", "", "", None, None, [])
    enabled = _bool(element.get("enable"))
    parameters = _parameters(element)
    sub_domain = None
    for prop in element.findall("parameter[@name='properties']/property"):
        if prop.get("name") == "subDomain":
            sub_domain = prop.get("value")
    clustering = Clustering(
        enabled=enabled,
        membership_scheme=parameters.get("membershipScheme", "multicast"),
        domain=parameters.get("domain", "wso2.carbon.domain"),
        local_member_host=parameters.get("localMemberHost", ""),
        local_member_bind_address=parameters.get("localMemberBindAddress", ""),
        local_member_port=None,
        sub_domain=sub_domain,
        members=[],
    )
    if not enabled:
        return clustering

    base = "/axisconfig/clustering"
    if clustering.membership_scheme != "wka":
        raise ConfigError("%s: %s/parameter[@name='membershipScheme'] is %r, but the Carbon test pack implements only the wka scheme."
                          " Set it to wka." % (AXIS2, base, clustering.membership_scheme))
    if not clustering.domain:
        raise ConfigError("%s: %s/parameter[@name='domain'] is empty. Set the cluster domain." % (AXIS2, base))
    host = clustering.local_member_host
    if not host:
        raise ConfigError("%s: %s/parameter[@name='localMemberHost'] is missing or empty. Set it to this node's IP address." % (AXIS2, base))
    if is_loopback(host) and os.environ.get(ALLOW_LOOPBACK_ENV) != "1":
        raise ConfigError("%s: %s/parameter[@name='localMemberHost'] is %r, a loopback address that other members cannot reach."
                          " Set it to this node's IP address." % (AXIS2, base, host))
    clustering.local_member_port = _port(parameters.get("localMemberPort", "4000"), AXIS2, base + "/parameter[@name='localMemberPort']")

    for index, member in enumerate(element.findall("members/member"), start=1):
        xpath = "%s/members/member[%d]" % (base, index)
        member_host = _text(member, "hostName")
        if not member_host:
            raise ConfigError("%s: %s/hostName is missing or empty. Set the member's IP address." % (AXIS2, xpath))
        clustering.members.append((member_host, _port(_text(member, "port"), AXIS2, xpath + "/port")))
    if not clustering.members:
        raise ConfigError("%s: clustering is enabled with the wka membership scheme, but %s/members lists no member."
                          " Add at least one well-known member (IP address and localMemberPort)." % (AXIS2, base))
    return clustering


def _read_datasources(root):
    datasources = []
    for index, element in enumerate(root.findall("datasources/datasource"), start=1):
        xpath = "/datasources-configuration/datasources/datasource[%d]" % index
        name = _text(element, "name")
        if not name:
            raise ConfigError("%s: %s/name is missing or empty. Name the datasource." % (DATASOURCES, xpath))
        url = _text(element, "definition/configuration/url") or ""
        source = Datasource(
            name=name,
            jndi_name=_text(element, "jndiConfig/name") or "",
            url=url,
            username=_text(element, "definition/configuration/username") or "",
            password=_text(element, "definition/configuration/password") or "",
        )
        if url.startswith(("jdbc:mysql:", "jdbc:mariadb:")):
            match = MYSQL_URL.match(url)
            if not match:
                raise ConfigError("%s: datasource %s has the URL %r, which is not jdbc:mysql://host[:port]/database[?parameters]."
                                  " Fix the URL." % (DATASOURCES, name, url))
            port = MYSQL_DEFAULT_PORT
            if match.group("port") is not None:
                port = _port(match.group("port"), DATASOURCES, "the port in the URL of datasource %s" % name)
            source.mysql = MySQLTarget(match.group("host"), port, match.group("database"))
        datasources.append(source)
    return datasources


def _by_jndi(datasources, jndi_name, file_name, where):
    for source in datasources:
        if source.jndi_name == jndi_name:
            return source.name
    known = ", ".join(sorted(source.jndi_name for source in datasources if source.jndi_name)) or "none"
    raise ConfigError("%s: %s is %r, but no datasource in %s has that jndiConfig name (defined: %s)."
                      " Use a defined name or add the datasource." % (file_name, where, jndi_name, DATASOURCES, known))


def _read_registry(registry, datasources):
    db_configs = {}
    for element in registry.findall("dbConfig"):
        name = element.get("name")
        db_configs[name] = _text(element, "dataSource") or ""

    current = _text(registry, "currentDBConfig") or "wso2registry"
    if current not in db_configs:
        raise ConfigError("%s: /wso2registry/currentDBConfig is %r, but no dbConfig has that name. Restore <dbConfig name=%r>."
                          % (REGISTRY, current, current))
    local = _by_jndi(datasources, db_configs[current], REGISTRY, "dbConfig[@name='%s']/dataSource" % current)

    instances = {}
    for element in registry.findall("remoteInstance"):
        instance_id = _text(element, "id")
        db_config = _text(element, "dbConfig")
        if instance_id is None or db_config is None:
            continue  # a URL-only remote instance, which the test pack does not use
        if db_config not in db_configs:
            raise ConfigError("%s: remoteInstance %s names dbConfig %r, which is not defined. Add <dbConfig name=%r>."
                              % (REGISTRY, instance_id, db_config, db_config))
        source = _by_jndi(datasources, db_configs[db_config], REGISTRY, "dbConfig[@name='%s']/dataSource" % db_config)
        instances[instance_id] = (source, _bool(_text(element, "readOnly")))

    mounts = []
    for element in registry.findall("mount"):
        path = element.get("path", "")
        instance_id = _text(element, "instanceId")
        if instance_id not in instances:
            raise ConfigError("%s: mount %s names instanceId %r, which matches no remoteInstance id. Fix the instanceId."
                              % (REGISTRY, path, instance_id))
        source, read_only = instances[instance_id]
        mounts.append(RegistryMount(path, _text(element, "targetPath") or path, instance_id, read_only, source))

    read_only = _bool(_text(registry, "readOnly")) or (bool(mounts) and all(mount.read_only for mount in mounts))
    return local, mounts, read_only


def _read_user_store(user_mgt, datasources):
    for prop in user_mgt.findall("Realm/Configuration/Property"):
        if prop.get("name") == "dataSource":
            where = "/UserManager/Realm/Configuration/Property[@name='dataSource']"
            return _by_jndi(datasources, (prop.text or "").strip(), USER_MGT, where)
    return None


def _read_tasks(tasks):
    if tasks is None:
        return None
    count = _text(tasks, "taskServerCount")
    return {
        "server_mode": _text(tasks, "taskServerMode"),
        "server_count": None if count is None else _port(count, TASKS, "/tasks-configuration/taskServerCount", allow_zero=True),
    }


def _read_pack_metadata(home):
    path = home / "lib" / "carbon-test-pack" / "pack.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError("Pack metadata %s could not be read: %s. Rebuild the pack with make_pack.py." % (path, error)) from error


def check_worker_profile(options):
    """Raise ConfigError when -DworkerNode=true but the pack has no worker OSGi profile."""
    profile = options.carbon_home / "repository" / "components" / "worker"
    if options.worker_node and not profile.is_dir():
        raise ConfigError("OSGi runtime worker profile not found: %s does not exist. Start without -DworkerNode=true,"
                          " or use a product pack that has the worker profile." % profile)


def load_config(options):
    """Read and check the configuration of the pack at options.carbon_home."""
    home = options.carbon_home
    metadata = _read_pack_metadata(home)
    trees = _parse_all(home)
    carbon, catalina, axis2 = trees[CARBON], trees[CATALINA], trees[AXIS2]

    offset = _read_offset(carbon, options)
    connectors = _read_connectors(catalina)
    http = next(connector for connector in connectors if connector.scheme == "http")
    https = next(connector for connector in connectors if connector.scheme == "https")
    engine = catalina.find("Service/Engine")
    datasources = _read_datasources(trees[DATASOURCES])
    local_registry, mounts, registry_read_only = _read_registry(trees[REGISTRY], datasources)
    depsync = carbon.find("c:DeploymentSynchronizer", CARBON_NS)

    return Config(
        carbon_home=home,
        product=metadata["product"],
        display_name=metadata["display_name"],
        version=metadata["version"],
        worker_node=options.worker_node,
        setup=options.setup,
        port_offset=offset,
        host_name=_text(carbon, "c:HostName", CARBON_NS),
        mgt_host_name=_text(carbon, "c:MgtHostName", CARBON_NS),
        connectors=connectors,
        http_port=_shifted(http.port, offset, CATALINA, "the HTTP Connector port"),
        https_port=_shifted(https.port, offset, CATALINA, "the HTTPS Connector port"),
        passthrough_ports=_read_passthrough_ports(axis2, offset),
        jvm_route=None if engine is None else engine.get("jvmRoute"),
        clustering=_read_clustering(axis2),
        datasources=datasources,
        local_registry_datasource=local_registry,
        user_store_datasource=_read_user_store(trees[USER_MGT], datasources),
        registry_mounts=mounts,
        registry_read_only=registry_read_only,
        deployment_synchronizer={
            "enabled": depsync is not None and _bool(_text(depsync, "c:Enabled", CARBON_NS)),
            "auto_commit": depsync is not None and _bool(_text(depsync, "c:AutoCommit", CARBON_NS)),
            "auto_checkout": depsync is not None and _bool(_text(depsync, "c:AutoCheckout", CARBON_NS)),
        },
        tasks=_read_tasks(trees.get(TASKS)),
    )
