"""Start-up and shut-down of the test pack server, in the order the Carbon server follows."""

import logging
import signal
import socket
import threading
import time

from carbon_test_server import cluster, config as carbon_config, database, logs, web

startup_log = logging.getLogger(logs.STARTUP)
configuration_log = logging.getLogger(logs.CONFIGURATION)
launcher_log = logging.getLogger(logs.LAUNCHER)
console_log = logging.getLogger(logs.CONSOLE)


def _load(options):
    """Return the checked configuration, or None after logging why the server cannot start."""
    try:
        carbon_config.check_worker_profile(options)
    except carbon_config.ConfigError as error:
        launcher_log.error("%s", error)
        return None
    try:
        return carbon_config.load_config(options)
    except carbon_config.ConfigError as error:
        configuration_log.error("%s", error)
        return None


def main(argv):
    """Run the server until SIGTERM or SIGINT; return the process exit status."""
    started = time.monotonic()
    options = carbon_config.parse_options(argv)
    logs.configure(options.carbon_home)
    node = socket.gethostname()

    config = _load(options)
    if config is None:
        return 1
    role = "worker" if config.worker_node else "manager"
    startup_log.info("Starting the Carbon test pack server of %s %s on node %s as a %s node (port offset %d)",
                     config.display_name, config.version, node, role, config.port_offset)

    agent = cluster.ClusterAgent(config.clustering, node) if config.clustering.enabled else None
    try:
        database.prepare(config, node, None if agent is None else agent.id)
    except database.DatabaseError as error:
        logging.getLogger(logs.DATASOURCES).error("%s", error)
        return 1

    listeners = web.Listeners(web.App(config, node, agent))
    try:
        listeners.bind()
        if agent is not None:
            agent.bind()
    except (web.ListenerError, cluster.ClusterError) as error:
        startup_log.error("%s", error)
        listeners.close()
        return 1

    stop = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda number, frame: stop.set())

    listeners.start()
    if agent is not None:
        agent.start()
    if not config.worker_node:
        console_log.info("Mgt Console URL  : https://%s:%d/carbon/", config.mgt_host_name or config.host_name or node, config.https_port)
    startup_log.info("WSO2 Carbon started in %.2f sec", time.monotonic() - started)

    stop.wait()
    startup_log.info("Shutting down the Carbon test pack server")
    if agent is not None:
        agent.stop()
    listeners.close()
    startup_log.info("Stopped the Carbon test pack server")
    return 0
