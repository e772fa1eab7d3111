"""Log set-up in the line format of Carbon 4.4's wso2carbon.log."""

import logging
import sys
import time

# Logger names are the Carbon classes that write the same messages in the product.
STARTUP = "org.wso2.carbon.core.internal.StartupFinalizerServiceComponent"
CONFIGURATION = "org.wso2.carbon.core.internal.CarbonCoreServiceComponent"
LAUNCHER = "org.wso2.carbon.server.Main"
CLUSTERING = "org.wso2.carbon.core.clustering.hazelcast.HazelcastClusteringAgent"
MEMBERSHIP = "org.wso2.carbon.core.clustering.hazelcast.wka.WKABasedMembershipScheme"
DATASOURCES = "org.wso2.carbon.ndatasource.core.DataSourceRepository"
REGISTRY = "org.wso2.carbon.registry.core.internal.RegistryCoreServiceComponent"
TOMCAT = "org.wso2.carbon.tomcat.internal.CarbonTomcatService"
CONSOLE = "org.wso2.carbon.ui.internal.CarbonUIServiceComponent"
WEBAPPS = "org.wso2.carbon.webapp.mgt.TomcatGenericWebappsDeployer"
ACCESS = "carbon_test_server.http_access"

LEVEL_NAMES = {"WARNING": "WARN", "CRITICAL": "FATAL"}


class CarbonFormatter(logging.Formatter):
    """Format records as `TID: [-1234] [] [<timestamp>]  INFO {<logger>} -  <message>`."""

    def format(self, record):
        created = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.created))
        level = LEVEL_NAMES.get(record.levelname, record.levelname)
        line = "TID: [-1234] [] [%s,%03d] %5s {%s} -  %s" % (created, record.msecs, level, record.name, record.getMessage())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure(carbon_home):
    """Send the org.wso2 loggers to repository/logs/wso2carbon.log and stdout, and the access log to its own file."""
    log_dir = carbon_home / "repository" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)

    formatter = CarbonFormatter()
    carbon = logging.getLogger("org.wso2")
    carbon.setLevel(logging.INFO)
    carbon.propagate = False
    for handler in (logging.FileHandler(log_dir / "wso2carbon.log", encoding="utf-8"), logging.StreamHandler(sys.stdout)):
        handler.setFormatter(formatter)
        carbon.addHandler(handler)

    access = logging.getLogger(ACCESS)
    access.setLevel(logging.INFO)
    access.propagate = False
    access_handler = logging.FileHandler(log_dir / "http_access.log", encoding="utf-8")
    access_handler.setFormatter(logging.Formatter("%(message)s"))
    access.addHandler(access_handler)
