"""HTTP and HTTPS listeners: the management console, the sample web applications and the test endpoints."""

import http.cookies
import http.server
import json
import logging
import mimetypes
import os
import secrets
import ssl
import sys
import tempfile
import threading
import urllib.parse

from carbon_test_server import logs

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
DEPLOY_PREFIX = "/test-pack/webapps/"

console_log = logging.getLogger(logs.CONSOLE)
webapps_log = logging.getLogger(logs.WEBAPPS)
tomcat_log = logging.getLogger(logs.TOMCAT)
access_log = logging.getLogger(logs.ACCESS)

CONSOLE_PAGE = """<!DOCTYPE html>
<html>
<head><title>{name} - Management Console</title></head>
<body>
<h1>{name} Management Console</h1>
<p>Carbon test pack {version}: a test double of the product, on node {node}.</p>
</body>
</html>
"""


class ListenerError(Exception):
    """A listener could not bind its port."""


class App:
    """The state that request handlers read."""

    def __init__(self, config, node_name, cluster):
        self.config = config
        self.node = node_name
        self.cluster = cluster
        self.webapps = (config.carbon_home / "repository" / "deployment" / "server" / "webapps").resolve()

    def node_info(self):
        config = self.config
        proxy_ports = {}
        for connector in config.connectors:
            proxy_ports.setdefault(connector.scheme, connector.proxy_port)
        return {
            "node": self.node,
            "product": config.product,
            "display_name": config.display_name,
            "version": config.version,
            "sub_domain": config.clustering.sub_domain,
            "worker_node": config.worker_node,
            "host_name": config.host_name,
            "mgt_host_name": config.mgt_host_name,
            "port_offset": config.port_offset,
            "http_port": config.http_port,
            "https_port": config.https_port,
            "passthrough_ports": config.passthrough_ports,
            "proxy_ports": proxy_ports,
            "jvm_route": config.jvm_route,
            "registry_read_only": config.registry_read_only,
            "registry_mounts": [
                {"path": mount.path, "target_path": mount.target_path, "read_only": mount.read_only, "datasource": mount.datasource}
                for mount in config.registry_mounts
            ],
            "datasources": [{"name": source.name, "jndi_name": source.jndi_name, "url": source.url} for source in config.datasources],
            "user_store_datasource": config.user_store_datasource,
            "deployment_synchronizer": config.deployment_synchronizer,
            "tasks": config.tasks,
            "member_id": None if self.cluster is None else self.cluster.id,
        }

    def cluster_info(self):
        clustering = self.config.clustering
        if self.cluster is None:
            return {"enabled": False, "domain": clustering.domain, "initialized": False, "members": []}
        return {
            "enabled": True,
            "domain": clustering.domain,
            "initialized": self.cluster.initialized.is_set(),
            "members": self.cluster.snapshot(),
        }


def resolve_inside(base, relative):
    """Return base/relative if it stays inside base, else None."""
    if "\x00" in relative:
        return None
    target = (base / relative.lstrip("/")).resolve()
    if target != base and base not in target.parents:
        return None
    return target


def _valid_webapp(name):
    return bool(name) and not name.startswith(".") and name not in ("carbon", "test-pack")


class CarbonRequestHandler(http.server.BaseHTTPRequestHandler):
    server_version = "WSO2 Carbon Server"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 30  # seconds a client may stay idle, so stalled connections free their thread

    def version_string(self):
        return self.server_version

    @property
    def app(self):
        return self.server.app

    # Responses

    def _send(self, status, body, content_type="text/plain; charset=utf-8", headers=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Carbon-Node", self.app.node)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, data, headers=None):
        self._send(200, json.dumps(data, indent=2, sort_keys=True) + "\n", "application/json", headers)

    def _session_headers(self):
        """Return a Set-Cookie header for a new session when the request has none, as Tomcat does."""
        cookies = http.cookies.SimpleCookie()
        try:
            cookies.load(self.headers.get("Cookie", ""))
        except http.cookies.CookieError:
            pass
        if "JSESSIONID" in cookies:
            return {}
        session = secrets.token_hex(16).upper()
        if self.app.config.jvm_route:
            session += "." + self.app.config.jvm_route
        cookie = "JSESSIONID=%s; Path=/; HttpOnly" % session
        if self.server.scheme == "https":
            cookie += "; Secure"
        return {"Set-Cookie": cookie}

    # Routing

    def do_GET(self):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if path == "/test-pack/node":
            self._send_json(self.app.node_info(), self._session_headers())
        elif path == "/test-pack/cluster":
            self._send_json(self.app.cluster_info())
        elif path == "/carbon" or path.startswith("/carbon/"):
            self._console()
        elif path == "/":
            if self.app.config.worker_node:
                self._send(404, "Not found: the management console is not loaded on a worker node.\n")
            else:
                self._send(302, "", headers={"Location": "/carbon/"})
        else:
            self._webapp_file(path)

    do_HEAD = do_GET

    def do_PUT(self):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if not path.startswith(DEPLOY_PREFIX):
            self._send(405, "Method not allowed: PUT is accepted only under %s.\n" % DEPLOY_PREFIX)
            return
        webapp, file_path = (path[len(DEPLOY_PREFIX):].split("/", 1) + [""])[:2]
        if self.app.config.worker_node:
            webapps_log.warning("Rejected the deployment of %s/%s from %s: deployment is not allowed on a worker node",
                                webapp, file_path, self.client_address[0])
            self._send(403, "Forbidden: deployment is not allowed on a worker node. Deploy on a manager node.\n")
            return
        self._deploy(webapp, file_path)

    def _console(self):
        if self.app.config.worker_node:
            self._send(404, "Not found: the management console is not loaded on a worker node.\n")
            return
        page = CONSOLE_PAGE.format(name=self.app.config.display_name, version=self.app.config.version, node=self.app.node)
        self._send(200, page, "text/html; charset=utf-8", self._session_headers())

    def _webapp_file(self, path):
        webapp, rest = (path.lstrip("/").split("/", 1) + [""])[:2]
        base = resolve_inside(self.app.webapps, webapp) if _valid_webapp(webapp) else None
        target = None if base is None or not base.is_dir() else resolve_inside(base, rest)
        if target is not None and target.is_dir():
            target = target / "index.html"
        if target is None or not target.is_file():
            self._send(404, "Not found: %s\n" % path)
            return
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        self._send(200, target.read_bytes(), content_type)

    def _deploy(self, webapp, file_path):
        base = resolve_inside(self.app.webapps, webapp) if _valid_webapp(webapp) else None
        target = None if base is None or not file_path else resolve_inside(base, file_path)
        if target is None or target == base:
            self._send(400, "Bad request: use PUT %s<webapp>/<file> with a path inside the web application.\n" % DEPLOY_PREFIX)
            return
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._send(411, "Length required: send the file with a Content-Length header.\n")
            return
        if int(length) > MAX_UPLOAD_BYTES:
            self._send(413, "Payload too large: the limit is %d bytes.\n" % MAX_UPLOAD_BYTES)
            return
        body = self.rfile.read(int(length))
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".deploy-")
        with os.fdopen(handle, "wb") as stream:
            stream.write(body)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
        relative = target.relative_to(self.app.webapps).as_posix()
        webapps_log.info("Deployed web application file %s (%d bytes)", relative, len(body))
        self._send(201, "Created %s\n" % relative, headers={"Location": "/" + relative})

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        access_log.info("%s - [%s] %s", self.client_address[0], self.log_date_time_string(), format % args)


class CarbonHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, app, scheme, ssl_context):
        self.app = app
        self.scheme = scheme
        self.ssl_context = ssl_context
        super().__init__(address, CarbonRequestHandler)

    def get_request(self):
        sock, address = super().get_request()
        if self.ssl_context is not None:
            # The TLS handshake runs on the first read, in the request's own thread.
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request, client_address):
        # Most failures here are clients that closed the connection or failed the TLS handshake.
        tomcat_log.warning("Request from %s on port %d failed: %s", client_address[0], self.server_address[1], sys.exc_info()[1])


def tls_context(carbon_home):
    security = carbon_home / "repository" / "resources" / "security"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(security / "carbon-test-pack.crt", security / "carbon-test-pack.key")
    return context


class Listeners:
    """The HTTP and HTTPS servers of one node."""

    def __init__(self, app):
        self.app = app
        self.servers = []
        self.threads = []

    def bind(self):
        config = self.app.config
        context = tls_context(config.carbon_home)
        listeners = [("http", config.http_port, "servlet HTTP"), ("https", config.https_port, "servlet HTTPS")]
        for scheme, port in sorted(config.passthrough_ports.items()):
            listeners.append((scheme, port, "PassThrough " + scheme.upper()))
        for scheme, port, purpose in listeners:
            try:
                server = CarbonHTTPServer(("0.0.0.0", port), self.app, scheme, context if scheme == "https" else None)
            except OSError as error:
                self.close()
                raise ListenerError("Could not listen on the %s port %d (configured port plus the port offset %d): %s."
                                    " Free the port or change the port offset." % (purpose, port, config.port_offset, error)) from error
            self.servers.append((server, purpose))

    def start(self):
        for server, purpose in self.servers:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name=purpose, daemon=True)
            thread.start()
            self.threads.append(thread)
            tomcat_log.info("Started the %s listener on port %d", purpose, server.server_address[1])

    def close(self):
        for server, purpose in self.servers:
            tomcat_log.debug("Closing the %s listener", purpose)
            if self.threads:
                server.shutdown()
            server.server_close()
        self.servers = []
        self.threads = []
