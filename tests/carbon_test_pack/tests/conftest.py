"""Fixtures for the Carbon test pack tests: extracted packs, server processes and a private MariaDB.

Every server and database here listens on 127.0.0.0/8 (the servers' HTTP listeners bind
0.0.0.0, as the product does, but only loopback clients talk to them). Every fixture stops what
it started and bounds its waits.
"""

import collections
import json
import os
import pathlib
import random
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile

import pytest

PACK_DIR = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PACK_DIR))

import make_pack  # noqa: E402  pylint: disable=wrong-import-position

START_TIMEOUT = 10.0  # seconds for a server to log that it started or to exit
STOP_TIMEOUT = 5.0
STARTED_LINE = "WSO2 Carbon started in"


@pytest.fixture(scope="session")
def pack_zips(tmp_path_factory):
    """Build each pack the tests use once per session; return a function (product, version, worker) -> zip path."""
    output = tmp_path_factory.mktemp("packs")
    built = {}

    def get(product="wso2as", version="5.3.0", worker_profile=True):
        key = (product, version, worker_profile)
        if key not in built:
            folder = output / ("%s-%s-%s" % (product, version, "worker" if worker_profile else "noworker"))
            built[key] = make_pack.build_pack(product, version, folder, worker_profile=worker_profile)
        return built[key]

    return get


class CarbonHome:
    """An extracted pack with helpers to edit its configuration in place."""

    def __init__(self, path):
        self.path = path

    def __truediv__(self, relative):
        return self.path / relative

    def read(self, relative):
        return (self.path / relative).read_text(encoding="utf-8")

    def replace(self, relative, old, new, count=1):
        """Replace old with new in a file; old must occur exactly count times, so a template change breaks the test loudly."""
        text = self.read(relative)
        assert text.count(old) == count, "%r occurs %d times in %s, expected %d" % (old, text.count(old), relative, count)
        (self.path / relative).write_text(text.replace(old, new), encoding="utf-8")

    def enable_clustering(self, domain, host, port, members, sub_domain="worker"):
        """Turn on wka clustering in axis2.xml, as a role would render it."""
        axis2 = "repository/conf/axis2/axis2.xml"
        self.replace(axis2, 'HazelcastClusteringAgent"\n                enable="false">', 'HazelcastClusteringAgent"\n                enable="true">')
        self.replace(axis2, '<parameter name="membershipScheme">multicast</parameter>', '<parameter name="membershipScheme">wka</parameter>')
        self.replace(axis2, '<parameter name="domain">wso2.carbon.domain</parameter>', '<parameter name="domain">%s</parameter>' % domain)
        self.replace(axis2, '<parameter name="localMemberHost">127.0.0.1</parameter>', '<parameter name="localMemberHost">%s</parameter>' % host)
        self.replace(axis2, '<parameter name="localMemberPort">4000</parameter>', '<parameter name="localMemberPort">%d</parameter>' % port)
        self.replace(axis2, '<property name="subDomain" value="worker"/>', '<property name="subDomain" value="%s"/>' % sub_domain)
        entries = "".join(
            "\n            <member>\n                <hostName>%s</hostName>\n                <port>%d</port>\n            </member>" % member
            for member in members
        )
        text = self.read(axis2)
        start = text.index("\n        <members>") + len("\n        <members>")
        end = text.index("\n        </members>")
        (self.path / axis2).write_text(text[:start] + entries + text[end:], encoding="utf-8")

    def add_datasource(self, name, jndi_name, url, username, password):
        entry = """
        <datasource>
            <name>%s</name>
            <jndiConfig>
                <name>%s</name>
            </jndiConfig>
            <definition type="RDBMS">
                <configuration>
                    <url>%s</url>
                    <username>%s</username>
                    <password>%s</password>
                    <driverClassName>com.mysql.jdbc.Driver</driverClassName>
                </configuration>
            </definition>
        </datasource>
    </datasources>""" % (name, jndi_name, url, username, password)
        self.replace("repository/conf/datasources/master-datasources.xml", "\n    </datasources>", entry)

    def mount_shared_registry(self, jndi_name, read_only, instance_id="sharedinstance"):
        entry = """
    <dbConfig name="sharedregistry">
        <dataSource>%s</dataSource>
    </dbConfig>
    <remoteInstance url="https://localhost:9443/registry">
        <id>%s</id>
        <dbConfig>sharedregistry</dbConfig>
        <readOnly>%s</readOnly>
        <enableCache>true</enableCache>
        <registryRoot>/</registryRoot>
    </remoteInstance>
    <mount path="/_system/config" overwrite="true">
        <instanceId>sharedinstance</instanceId>
        <targetPath>/_system/config</targetPath>
    </mount>

    <versionResourcesOnChange>""" % (jndi_name, instance_id, "true" if read_only else "false")
        self.replace("repository/conf/registry.xml", "\n\n    <versionResourcesOnChange>", entry)


@pytest.fixture
def carbon_home(pack_zips, tmp_path):
    """Return a function that extracts a fresh pack into tmp_path and returns its CarbonHome."""
    counter = iter(range(1000))

    def extract(product="wso2as", version="5.3.0", worker_profile=True):
        target = tmp_path / ("node%d" % next(counter))
        with zipfile.ZipFile(pack_zips(product, version, worker_profile)) as archive:
            archive.extractall(target)
            for info in archive.infolist():
                mode = (info.external_attr >> 16) & 0o777
                if mode:
                    os.chmod(target / info.filename, mode)
        return CarbonHome(target / ("%s-%s" % (product, version)))

    return extract


@pytest.fixture
def java_home(tmp_path):
    """A folder with an executable bin/java, which is all the start script checks."""
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text("#!/bin/sh\nexit 0\n")
    java.chmod(0o755)
    return home


def port_is_free(port, host="0.0.0.0"):
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_offset(base_ports=(9763, 9443, 8280, 8243)):
    """Return a port offset under which every base port is free on this machine."""
    for attempt in range(200):
        offset = random.randint(20000, 55000)
        if all(port_is_free(port + offset) for port in base_ports):
            return offset
    raise RuntimeError("no free port offset found")


def free_member_port(host):
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@pytest.fixture
def port_offset():
    """Return a function that finds a port offset under which the servlet and PassThrough ports are free."""
    return free_offset


@pytest.fixture
def member_port():
    """Return a function that finds a free TCP port on a loopback address, for localMemberPort."""
    return free_member_port


Response = collections.namedtuple("Response", "status headers body")


class ServerProcess:
    """A test pack server run in the foreground by bin/wso2server.sh."""

    def __init__(self, home, process, offset, stderr_path):
        self.home = home
        self.stderr_path = stderr_path
        self.process = process
        self.offset = offset
        self.http_port = 9763 + offset
        self.https_port = 9443 + offset

    @property
    def log_path(self):
        return self.home / "repository/logs/wso2carbon.log"

    def stderr(self):
        return self.stderr_path.read_text(encoding="utf-8")

    def log(self):
        return self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""

    def wait_for_log(self, text, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return True
            time.sleep(0.05)
        return False

    def wait_started(self):
        """Wait until the server logs its start or exits; return True when it started."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if STARTED_LINE in self.log():
                return True
            if self.process.poll() is not None:
                return False
            time.sleep(0.05)
        raise AssertionError("server in %s neither started nor exited within %.0f s; log:\n%s" % (self.home.path, START_TIMEOUT, self.log()))

    def wait_exit(self, timeout=START_TIMEOUT):
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("server in %s did not exit within %.0f s; log:\n%s" % (self.home.path, timeout, self.log())) from None

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        return self.process.returncode

    def request(self, path, method="GET", data=None, headers=None, https=False, port=None):
        """Send a request to this server on loopback and return its Response."""
        scheme = "https" if https else "http"
        port = port or (self.https_port if https else self.http_port)
        request = urllib.request.Request("%s://127.0.0.1:%d%s" % (scheme, port, path), data=data, method=method, headers=headers or {})
        context = None
        if https:
            context = ssl.create_default_context(cafile=str(self.home / "repository/resources/security/carbon-test-pack.crt"))
        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), _NoRedirect())
        try:
            with opener.open(request, timeout=5) as response:
                return Response(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers, error.read())

    def get_json(self, path, **kwargs):
        response = self.request(path, **kwargs)
        assert response.status == 200, "GET %s returned %d: %r" % (path, response.status, response.body)
        return json.loads(response.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


@pytest.fixture
def start_server(java_home):
    """Return a function that starts a server from a CarbonHome; every server is stopped after the test."""
    processes = []

    def start(home, *arguments, offset=None, env=None, wait=True, java=True):
        offset = free_offset() if offset is None else offset
        environment = {key: value for key, value in os.environ.items() if key not in ("JAVA_HOME", "CARBON_HOME")}
        environment["CARBON_TEST_PACK_PYTHON"] = sys.executable
        if java:
            environment["JAVA_HOME"] = str(java_home)
        environment.update(env or {})
        # Console output goes to files, not pipes, so a chatty server can never block on a full pipe.
        console = home.path.parent / "console"
        console.mkdir(exist_ok=True)
        with open(console / "stdout.log", "ab") as stdout, open(console / "stderr.log", "ab") as stderr:
            process = subprocess.Popen(
                ["sh", str(home / "bin/wso2server.sh"), "-DportOffset=%d" % offset, *arguments],
                env=environment, stdout=stdout, stderr=stderr,
            )
        server = ServerProcess(home, process, offset, console / "stderr.log")
        processes.append(server)
        if wait:
            assert server.wait_started(), "server in %s exited with %s; log:\n%s" % (home.path, process.poll(), server.log())
        return server

    yield start
    for server in processes:
        server.stop()


# A private MariaDB server for the MySQL datasource tests.

MARIADB_SERVER = shutil.which("mariadbd") or ("/usr/sbin/mariadbd" if os.path.exists("/usr/sbin/mariadbd") else None)
MARIADB_INSTALL = shutil.which("mariadb-install-db")
MARIADB_START_TIMEOUT = 30.0


class MariaDB:
    def __init__(self, port, socket_path):
        self.port = port
        self.socket_path = socket_path

    def admin(self, database=None):
        import pymysql
        return pymysql.connect(unix_socket=str(self.socket_path), user="root", database=database, autocommit=True)

    def create_database(self, name, user, password):
        """Create an empty database and a user that may use it from 127.0.0.1."""
        with self.admin() as connection, connection.cursor() as cursor:
            cursor.execute("CREATE DATABASE `%s`" % name)
            cursor.execute("CREATE USER IF NOT EXISTS %s@'127.0.0.1' IDENTIFIED BY %s", (user, password))
            cursor.execute("GRANT ALL ON `%s`.* TO %%s@'127.0.0.1'" % name, (user,))

    def query(self, database, sql, parameters=None):
        with self.admin(database) as connection, connection.cursor() as cursor:
            cursor.execute(sql, parameters)
            return cursor.fetchall()


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory):
    """Start mariadbd on 127.0.0.1 with a throw-away data folder; skip when MariaDB or pymysql is missing."""
    pymysql = pytest.importorskip("pymysql")
    if not MARIADB_SERVER or not MARIADB_INSTALL:
        pytest.skip("mariadbd and mariadb-install-db are not installed (Debian packages mariadb-server-core and mariadb-client-core)")

    folder = tmp_path_factory.mktemp("mariadb")
    data = folder / "data"
    socket_path = folder / "mariadb.sock"
    install = subprocess.run(
        [MARIADB_INSTALL, "--no-defaults", "--datadir=%s" % data, "--user=root", "--auth-root-authentication-method=socket", "--skip-test-db"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    if install.returncode != 0:
        pytest.fail("mariadb-install-db failed: %s%s" % (install.stdout, install.stderr))

    port = free_member_port("127.0.0.1")
    log = open(folder / "mariadbd.log", "w")  # pylint: disable=consider-using-with
    process = subprocess.Popen(
        [MARIADB_SERVER, "--no-defaults", "--datadir=%s" % data, "--socket=%s" % socket_path, "--port=%d" % port,
         "--bind-address=127.0.0.1", "--user=root", "--skip-name-resolve", "--skip-log-bin",
         "--pid-file=%s" % (folder / "mariadbd.pid"), "--innodb-buffer-pool-size=16M"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    server = MariaDB(port, socket_path)

    try:
        deadline = time.monotonic() + MARIADB_START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail("mariadbd exited with %d; see %s" % (process.returncode, folder / "mariadbd.log"))
            try:
                server.admin().close()
                break
            except pymysql.MySQLError:
                if time.monotonic() > deadline:
                    pytest.fail("mariadbd did not accept connections within %.0f s" % MARIADB_START_TIMEOUT)
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()
