"""MySQL and MariaDB datasources: connection check at start, -Dsetup and the registry start record.

H2 datasources are the embedded default of the product and need no server, so they are not
opened. Passwords never reach the log: messages name the datasource, its URL and the error.
"""

import logging
import re

from carbon_test_server import logs

CONNECT_TIMEOUT = 3  # seconds
QUERY_TIMEOUT = 10  # seconds

# REG_LOG row written when a node starts with a writable registry mount.
REGISTRY_USER = "wso2.system.user"
REGISTRY_ACTION_START = 1
SUPER_TENANT_ID = -1234

datasource_log = logging.getLogger(logs.DATASOURCES)
registry_log = logging.getLogger(logs.REGISTRY)


class DatabaseError(Exception):
    """A datasource that stops the server from starting."""


def _statements(script):
    """Split a SQL script into statements, dropping -- comments; no statement may contain ';' in a literal."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [statement.strip() for statement in "\n".join(lines).split(";") if statement.strip()]


def _connect(pymysql, source):
    target = source.mysql
    try:
        return pymysql.connect(host=target.host, port=target.port, user=source.username, password=source.password,
                               database=target.database, connect_timeout=CONNECT_TIMEOUT, read_timeout=QUERY_TIMEOUT,
                               write_timeout=QUERY_TIMEOUT, autocommit=True)
    except pymysql.MySQLError as error:
        raise DatabaseError("Could not connect to the database of datasource %s at %s: %s. Check that the database server"
                            " is running and reachable, and the datasource's user name and password."
                            % (source.name, source.url, error)) from error


def _table_count(connection):
    with connection.cursor() as cursor:
        cursor.execute("SHOW TABLES")
        return len(cursor.fetchall())


def _load_schema(connection, source, script_path):
    datasource_log.info("Creating the registry and user manager tables in the database of datasource %s at %s from %s",
                        source.name, source.url, script_path)
    with connection.cursor() as cursor:
        for statement in _statements(script_path.read_text(encoding="utf-8")):
            cursor.execute(statement)


def _record_start(pymysql, connection, source, config, node, member_id):
    path = "/_system/local/repository/components/org.wso2.carbon.test-pack/nodes/" + re.sub(r"[^A-Za-z0-9._-]", "-", node)
    details = "started %s %s on node %s as a %s node, member id %s" % (
        config.display_name, config.version, node, "worker" if config.worker_node else "manager", member_id or "none")
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO REG_LOG (REG_PATH, REG_USER_ID, REG_ACTION, REG_ACTION_DATA, REG_TENANT_ID) VALUES (%s, %s, %s, %s, %s)",
                (path, REGISTRY_USER, REGISTRY_ACTION_START, details[:500], SUPER_TENANT_ID))
    except pymysql.MySQLError as error:
        raise DatabaseError("Could not write to the shared registry through datasource %s at %s: %s. Grant the datasource's"
                            " user write access, or make the registry mount read-only on this node." % (source.name, source.url, error)) from error
    registry_log.info("Recorded the start of node %s in the shared registry of datasource %s", node, source.name)


def prepare(config, node, member_id):
    """Check every MySQL datasource, load the schema with -Dsetup and record the start in the shared registry.

    Raises DatabaseError on the first datasource that fails.
    """
    sources = [source for source in config.datasources if source.mysql is not None]
    if not sources:
        return
    try:
        import pymysql
    except ImportError as error:
        raise DatabaseError("Datasource %s uses %s, but the Python module pymysql is not installed. Install python3-pymysql"
                            " (Debian) or pymysql (pip) for the interpreter that runs the server." % (sources[0].name, sources[0].url)) from error

    needs_schema = set(config.schema_datasources)
    read_only = set(config.read_only_datasources)
    writable_registry = set(config.writable_registry_datasources)
    script = config.carbon_home / "dbscripts" / "mysql.sql"

    for source in sources:
        connection = _connect(pymysql, source)
        try:
            datasource_log.info("Connected to the database of datasource %s at %s", source.name, source.url)
            if source.name in needs_schema and _table_count(connection) == 0:
                if config.setup and source.name not in read_only:
                    _load_schema(connection, source, script)
                elif source.name in read_only:
                    raise DatabaseError("The database of datasource %s at %s has no tables, and this node mounts it read-only."
                                        " Load %s into it, or start a manager node once with -Dsetup." % (source.name, source.url, script))
                else:
                    raise DatabaseError("The database of datasource %s at %s has no tables. Load %s into it, or start this"
                                        " node with -Dsetup." % (source.name, source.url, script))
            if source.name in writable_registry:
                if config.worker_node:
                    registry_log.warning("The registry mount of datasource %s is writable on this worker node;"
                                         " set readOnly to true in registry.xml on worker nodes", source.name)
                _record_start(pymysql, connection, source, config, node, member_id)
        except pymysql.MySQLError as error:
            raise DatabaseError("Query on the database of datasource %s at %s failed: %s" % (source.name, source.url, error)) from error
        finally:
            connection.close()
