"""Process tests: servers started by bin/wso2server.sh from generated packs, on loopback addresses."""

import json
import re
import signal
import subprocess
import sys
import time

from carbon_test_server import cluster, config as carbon_config

LOOPBACK_ENV = {carbon_config.ALLOW_LOOPBACK_ENV: "1"}
CATALINA = "repository/conf/tomcat/catalina-server.xml"
REGISTRY_JNDI = "jdbc/WSO2RegistryDB"
CLUSTER_TIMEOUT = 10.0
JOINED_LINE = (r"^TID: \[-1234\] \[\] \[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\]  INFO "
               r"\{org\.wso2\.carbon\.core\.clustering\.hazelcast\.wka\.WKABasedMembershipScheme\} -  Member joined \[")


def wait_for(condition, timeout=CLUSTER_TIMEOUT, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


def member_ids(server):
    return sorted(member["id"] for member in server.get_json("/test-pack/cluster")["members"])


# Start script


def test_start_script_requires_java_home(carbon_home, start_server):
    server = start_server(carbon_home(), wait=False, java=False)
    assert server.wait_exit() == 1
    assert "JAVA_HOME is not set" in server.stderr()


def test_start_script_requires_executable_java(carbon_home, start_server, tmp_path):
    (tmp_path / "no-java" / "bin").mkdir(parents=True)
    server = start_server(carbon_home(), wait=False, env={"JAVA_HOME": str(tmp_path / "no-java")})
    assert server.wait_exit() == 1
    assert "no-java/bin/java is not an executable file" in server.stderr()


def test_start_restart_and_stop_in_background(carbon_home, java_home, port_offset):
    home = carbon_home()
    env = {"JAVA_HOME": str(java_home), "PATH": "/usr/bin:/bin", "CARBON_TEST_PACK_PYTHON": sys.executable}
    log = home / "repository/logs/wso2carbon.log"
    pid_file = home / "wso2carbon.pid"
    offset_option = "-DportOffset=%d" % port_offset()

    def run(*arguments):
        return subprocess.run(["sh", str(home / "bin/wso2server.sh"), *arguments], env=env, capture_output=True, text=True, timeout=40, check=False)

    started = run("start", offset_option)
    try:
        assert started.returncode == 0, started.stderr
        first_pid = int(pid_file.read_text())
        assert wait_for(lambda: log.exists() and log.read_text().count("WSO2 Carbon started in") == 1)
        assert _alive(first_pid)

        restarted = run("restart", offset_option)
        assert restarted.returncode == 0, restarted.stderr
        second_pid = int(pid_file.read_text())
        assert second_pid != first_pid
        assert not _alive(first_pid)
        assert wait_for(lambda: log.read_text().count("WSO2 Carbon started in") == 2), log.read_text()
        assert _alive(second_pid)
    finally:
        stopped = run("stop")
    assert stopped.returncode == 0, stopped.stderr
    assert not pid_file.exists()
    assert not _alive(second_pid)
    assert log.read_text().count("Stopped the Carbon test pack server") == 2


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


# HTTP endpoints


def test_manager_serves_console_and_node_info(carbon_home, start_server):
    server = start_server(carbon_home())
    response = server.request("/carbon/")
    assert response.status == 200
    assert b"WSO2 Application Server Management Console" in response.body
    assert re.fullmatch(r"JSESSIONID=[0-9A-F]{32}; Path=/; HttpOnly", response.headers["Set-Cookie"])

    node = server.get_json("/test-pack/node")
    assert node["product"] == "wso2as"
    assert node["version"] == "5.3.0"
    assert node["worker_node"] is False
    assert node["port_offset"] == server.offset
    assert node["http_port"] == server.http_port
    assert node["https_port"] == server.https_port
    assert node["proxy_ports"] == {"http": None, "https": None}
    assert node["datasources"] == [{"name": "WSO2_CARBON_DB", "jndi_name": "jdbc/WSO2CarbonDB",
                                    "url": "jdbc:h2:./repository/database/WSO2CARBON_DB;DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=60000"}]
    assert "password" not in json.dumps(node).lower()
    assert node["deployment_synchronizer"] == {"enabled": False, "auto_commit": False, "auto_checkout": True}

    cluster = server.get_json("/test-pack/cluster")
    assert cluster == {"enabled": False, "domain": "wso2.carbon.domain", "initialized": False, "members": []}


def test_https_listener_uses_pack_certificate(carbon_home, start_server):
    server = start_server(carbon_home())
    response = server.request("/test-pack/node", https=True)
    assert response.status == 200
    assert json.loads(response.body)["https_port"] == server.https_port
    response = server.request("/carbon/", https=True)
    assert response.headers["Set-Cookie"].endswith("; Path=/; HttpOnly; Secure")


def test_session_cookie_carries_jvm_route(carbon_home, start_server):
    home = carbon_home()
    home.replace(CATALINA, '<Engine name="Catalina" defaultHost="localhost">', '<Engine name="Catalina" defaultHost="localhost" jvmRoute="p1-worker-1">')
    server = start_server(home)
    response = server.request("/test-pack/node")
    assert re.fullmatch(r"JSESSIONID=[0-9A-F]{32}\.p1-worker-1; Path=/; HttpOnly", response.headers["Set-Cookie"])
    assert json.loads(response.body)["jvm_route"] == "p1-worker-1"
    response = server.request("/test-pack/node", headers={"Cookie": "JSESSIONID=0123456789ABCDEF0123456789ABCDEF.p1-worker-1"})
    assert response.headers["Set-Cookie"] is None


def test_manager_deploys_and_serves_file(carbon_home, start_server):
    home = carbon_home()
    server = start_server(home)
    response = server.request("/test-pack/webapps/shop/index.html", method="PUT", data=b"<p>shop</p>")
    assert response.status == 201
    assert response.headers["Location"] == "/shop/index.html"
    assert (home / "repository/deployment/server/webapps/shop/index.html").read_bytes() == b"<p>shop</p>"

    response = server.request("/shop/")
    assert response.status == 200
    assert response.body == b"<p>shop</p>"
    assert response.headers["Content-Type"] == "text/html"
    assert response.headers["X-Carbon-Node"]
    assert "Deployed web application file shop/index.html (11 bytes)" in server.log()

    response = server.request("/carbon-test-sample/index.html")
    assert response.status == 200
    assert b"Carbon test pack sample" in response.body
    assert server.request("/carbon-test-sample/missing.html").status == 404


def test_paths_outside_webapps_rejected(carbon_home, start_server):
    home = carbon_home()
    server = start_server(home)
    assert server.request("/carbon-test-sample/../../../../conf/carbon.xml").status == 404
    assert server.request("/carbon-test-sample/%2e%2e/%2e%2e/%2e%2e/%2e%2e/conf/carbon.xml").status == 404
    assert server.request("/test-pack/webapps/shop/..%2f..%2f..%2fevil.txt", method="PUT", data=b"x").status == 400
    assert not (home / "repository/evil.txt").exists()


def test_worker_hides_console_rejects_deploy(carbon_home, start_server):
    home = carbon_home()
    server = start_server(home, "-DworkerNode=true")
    assert server.request("/carbon/").status == 404
    assert server.request("/carbon/admin/login.jsp").status == 404
    response = server.request("/test-pack/webapps/shop/index.html", method="PUT", data=b"<p>shop</p>")
    assert response.status == 403
    assert not (home / "repository/deployment/server/webapps/shop").exists()
    assert "deployment is not allowed on a worker node" in server.log()
    assert server.get_json("/test-pack/node")["worker_node"] is True
    assert server.request("/carbon-test-sample/").status == 200
    assert "Mgt Console URL" not in server.log()


def test_start_script_line_makes_worker(carbon_home, start_server):
    home = carbon_home()
    home.replace("bin/wso2server.sh", "    -DworkerNode=false \\\n", "    -DworkerNode=true \\\n")
    server = start_server(home)
    assert server.get_json("/test-pack/node")["worker_node"] is True
    assert server.request("/carbon/").status == 404


def test_esb_serves_passthrough_ports(carbon_home, start_server):
    server = start_server(carbon_home("wso2esb", "4.9.0"))
    node = server.get_json("/test-pack/node")
    assert node["passthrough_ports"] == {"http": 8280 + server.offset, "https": 8243 + server.offset}
    assert server.request("/carbon-test-sample/", port=8280 + server.offset).status == 200
    assert server.request("/carbon-test-sample/", https=True, port=8243 + server.offset).status == 200


# Refused starts


def test_missing_worker_profile_stops_start(carbon_home, start_server):
    server = start_server(carbon_home(worker_profile=False), "-DworkerNode=true", wait=False)
    assert server.wait_exit() == 1
    assert re.search(r"\] ERROR \{org\.wso2\.carbon\.server\.Main\} -  OSGi runtime worker profile not found", server.log())


def test_invalid_xml_stops_start(carbon_home, start_server):
    home = carbon_home()
    home.replace("repository/conf/registry.xml", "</wso2registry>", "</wso2registy>")
    server = start_server(home, wait=False)
    assert server.wait_exit() == 1
    assert "Invalid XML in %s" % (home / "repository/conf/registry.xml") in server.log()


def test_port_in_use_stops_start(carbon_home, start_server):
    first = start_server(carbon_home())
    second = start_server(carbon_home(), offset=first.offset, wait=False)
    assert second.wait_exit() == 1
    assert "Could not listen on the servlet HTTP port %d" % first.http_port in second.log()


def test_unreachable_database_stops_start(carbon_home, start_server, member_port):
    home = carbon_home()
    closed_port = member_port("127.0.0.1")  # nothing listens on it once the probe socket is closed
    url = "jdbc:mysql://127.0.0.1:%d/REGISTRY_DB?autoReconnect=true" % closed_port
    home.add_datasource("WSO2_REGISTRY_DB", REGISTRY_JNDI, url, "regadmin", "s3cret-pass")
    server = start_server(home, wait=False)
    assert server.wait_exit() == 1
    log = server.log()
    assert "Could not connect to the database of datasource WSO2_REGISTRY_DB at %s" % url in log
    assert "Connection refused" in log
    assert "s3cret-pass" not in log


# Clustering


def clustered_home(carbon_home, host, port, members, domain="wso2.as.domain", sub_domain="worker"):
    home = carbon_home()
    home.enable_clustering(domain, host, port, members, sub_domain=sub_domain)
    return home


def test_cluster_join_reject_and_leave(carbon_home, start_server, member_port):
    manager_address = ("127.0.0.2", member_port("127.0.0.2"))
    worker_address = ("127.0.0.3", member_port("127.0.0.3"))
    manager = start_server(clustered_home(carbon_home, *manager_address, [manager_address], sub_domain="mgt"), env=LOOPBACK_ENV)
    worker = start_server(clustered_home(carbon_home, *worker_address, [manager_address]), "-DworkerNode=true", env=LOOPBACK_ENV)

    assert wait_for(lambda: len(member_ids(manager)) == 2), manager.log()
    assert wait_for(lambda: len(member_ids(worker)) == 2), worker.log()
    assert member_ids(manager) == member_ids(worker)
    view = manager.get_json("/test-pack/cluster")
    assert view["enabled"] is True
    assert view["domain"] == "wso2.as.domain"
    assert view["initialized"] is True
    local, remote = view["members"]
    assert (local["local"], local["host"], local["port"], local["sub_domain"]) == (True, *manager_address, "mgt")
    assert (remote["local"], remote["host"], remote["port"], remote["sub_domain"]) == (False, *worker_address, "worker")
    assert remote["id"] == worker.get_json("/test-pack/node")["member_id"]

    assert manager.wait_for_log("Member joined [%s]: /%s:%d" % (remote["id"], *worker_address))
    assert worker.wait_for_log("Member joined [%s]: /%s:%d" % (local["id"], *manager_address))
    for server in (manager, worker):
        log = server.log()
        assert "Cluster domain: wso2.as.domain" in log
        assert "Using wka based membership management scheme" in log
        assert "Cluster initialization completed" in log
        assert re.search(JOINED_LINE, log, re.MULTILINE)

    other_address = ("127.0.0.4", member_port("127.0.0.4"))
    other = start_server(clustered_home(carbon_home, *other_address, [manager_address], domain="wso2.esb.domain"), env=LOOPBACK_ENV)
    assert manager.wait_for_log("Rejected the join request of member /%s:%d" % other_address)
    assert other.wait_for_log("Member /%s:%d rejected the join request of this member" % manager_address)
    assert "its cluster domain is wso2.esb.domain, the local cluster domain is wso2.as.domain" in manager.log()
    assert "its cluster domain is wso2.as.domain, the local cluster domain is wso2.esb.domain" in other.log()
    assert len(member_ids(manager)) == 2
    assert len(member_ids(other)) == 1

    worker_id = remote["id"]
    assert worker.stop() == 0
    assert manager.wait_for_log("Member left [%s]: /%s:%d" % (worker_id, *worker_address))
    assert wait_for(lambda: len(member_ids(manager)) == 1)


def test_members_mesh_through_hub(carbon_home, start_server, member_port):
    hub = ("127.0.0.2", member_port("127.0.0.2"))
    first = ("127.0.0.3", member_port("127.0.0.3"))
    second = ("127.0.0.4", member_port("127.0.0.4"))
    servers = [
        start_server(clustered_home(carbon_home, *hub, [hub]), env=LOOPBACK_ENV),
        start_server(clustered_home(carbon_home, *first, [hub]), env=LOOPBACK_ENV),
        start_server(clustered_home(carbon_home, *second, [hub]), env=LOOPBACK_ENV),
    ]
    assert wait_for(lambda: all(len(member_ids(server)) == 3 for server in servers)), "\n".join(server.log() for server in servers)
    assert member_ids(servers[1]) == member_ids(servers[2])
    assert servers[2].wait_for_log(":%d" % first[1])  # the second member learned of the first only from the hub


def test_killed_member_is_detected(carbon_home, start_server, member_port):
    first = ("127.0.0.2", member_port("127.0.0.2"))
    second = ("127.0.0.3", member_port("127.0.0.3"))
    survivor = start_server(clustered_home(carbon_home, *first, [first, second]), env=LOOPBACK_ENV)
    victim = start_server(clustered_home(carbon_home, *second, [first, second]), env=LOOPBACK_ENV)
    assert wait_for(lambda: len(member_ids(survivor)) == 2)
    victim.process.kill()
    victim.process.wait(timeout=5)
    assert survivor.wait_for_log("Member left [")
    assert wait_for(lambda: len(member_ids(survivor)) == 1)


def test_stalled_member_is_detected(carbon_home, start_server, member_port):
    first = ("127.0.0.2", member_port("127.0.0.2"))
    second = ("127.0.0.3", member_port("127.0.0.3"))
    survivor = start_server(clustered_home(carbon_home, *first, [first, second]), env=LOOPBACK_ENV)
    stalled = start_server(clustered_home(carbon_home, *second, [first, second]), env=LOOPBACK_ENV)
    assert wait_for(lambda: len(member_ids(survivor)) == 2)
    # A stopped process keeps its connections open but sends no heartbeats.
    stalled.process.send_signal(signal.SIGSTOP)
    try:
        assert survivor.wait_for_log("no heartbeat for 5 seconds", timeout=cluster.HEARTBEAT_TIMEOUT + 5)
        assert survivor.wait_for_log("Member left [")
        assert len(member_ids(survivor)) == 1
    finally:
        stalled.process.send_signal(signal.SIGCONT)


def test_member_port_in_use_stops_start(carbon_home, start_server, member_port):
    address = ("127.0.0.2", member_port("127.0.0.2"))
    start_server(clustered_home(carbon_home, *address, [address]), env=LOOPBACK_ENV)
    clash = start_server(clustered_home(carbon_home, *address, [address]), env=LOOPBACK_ENV, wait=False)
    assert clash.wait_exit() == 1
    assert "Could not listen on the cluster member address %s:%d" % address in clash.log()


# MySQL datasources, with a private MariaDB on 127.0.0.1


def shared_registry_home(carbon_home, mariadb, database, read_only, user="regadmin", password="regpass-1"):
    home = carbon_home()
    url = "jdbc:mysql://127.0.0.1:%d/%s?autoReconnect=true" % (mariadb.port, database)
    home.add_datasource("WSO2_REGISTRY_DB", REGISTRY_JNDI, url, user, password)
    home.mount_shared_registry(REGISTRY_JNDI, read_only=read_only)
    return home


def test_setup_tables_and_start_record(carbon_home, start_server, mariadb):
    mariadb.create_database("REG_SETUP", "regadmin", "regpass-1")
    manager = start_server(shared_registry_home(carbon_home, mariadb, "REG_SETUP", read_only=False), "-Dsetup")
    tables = {row[0] for row in mariadb.query("REG_SETUP", "SHOW TABLES")}
    assert {"REG_LOG", "REG_PATH", "UM_USER", "UM_ROLE"} <= tables
    rows = mariadb.query("REG_SETUP", "SELECT REG_USER_ID, REG_ACTION_DATA FROM REG_LOG")
    assert len(rows) == 1
    assert rows[0][0] == "wso2.system.user"
    assert "as a manager node" in rows[0][1]
    assert "Creating the registry and user manager tables in the database of datasource WSO2_REGISTRY_DB" in manager.log()
    assert "regpass-1" not in manager.log()

    worker = start_server(shared_registry_home(carbon_home, mariadb, "REG_SETUP", read_only=True), "-DworkerNode=true")
    assert worker.get_json("/test-pack/node")["registry_read_only"] is True
    assert len(mariadb.query("REG_SETUP", "SELECT * FROM REG_LOG")) == 1


def test_empty_database_stops_start(carbon_home, start_server, mariadb):
    mariadb.create_database("REG_EMPTY", "regadmin", "regpass-1")
    server = start_server(shared_registry_home(carbon_home, mariadb, "REG_EMPTY", read_only=False), wait=False)
    assert server.wait_exit() == 1
    assert "The database of datasource WSO2_REGISTRY_DB at jdbc:mysql://127.0.0.1:%d/REG_EMPTY?autoReconnect=true has no tables" % mariadb.port in server.log()
    assert mariadb.query("REG_EMPTY", "SHOW TABLES") == ()


def test_read_only_worker_skips_setup(carbon_home, start_server, mariadb):
    mariadb.create_database("REG_WORKER", "regadmin", "regpass-1")
    server = start_server(shared_registry_home(carbon_home, mariadb, "REG_WORKER", read_only=True), "-DworkerNode=true", "-Dsetup", wait=False)
    assert server.wait_exit() == 1
    assert "this node mounts it read-only" in server.log()
    assert mariadb.query("REG_WORKER", "SHOW TABLES") == ()


def test_wrong_database_password_stops_start(carbon_home, start_server, mariadb):
    mariadb.create_database("REG_AUTH", "authadmin", "right-pass")
    server = start_server(shared_registry_home(carbon_home, mariadb, "REG_AUTH", read_only=False, user="authadmin", password="wrong-pass"), wait=False)
    assert server.wait_exit() == 1
    log = server.log()
    assert "Could not connect to the database of datasource WSO2_REGISTRY_DB" in log
    assert "Access denied for user 'authadmin'" in log
    assert "wrong-pass" not in log
