"""Well-known-address cluster membership over TCP, a small stand-in for Carbon's Hazelcast agent.

Each member listens on localMemberHost:localMemberPort. It connects to every well-known member,
and to every member that a connected member reports, so the members form a full mesh as
Hazelcast members do. Messages are JSON objects, one per line:

- "hello" (sent by the connecting side): domain, id, host, port, sub_domain, node;
- "welcome" (reply when the domains are equal): id, host, port, sub_domain, node, members;
- "reject" (reply when the domains differ, or the connection reached the member itself): domain, reason;
- "heartbeat" (every HEARTBEAT_INTERVAL seconds both ways): members, the [host, port] of each known member.

A member that closes its connection, or sends nothing for HEARTBEAT_TIMEOUT seconds, has left.
"""

import json
import logging
import select
import socket
import threading
import time
import uuid

from carbon_test_server import logs

HEARTBEAT_INTERVAL = 1.0
HEARTBEAT_TIMEOUT = 5.0
CONNECT_TIMEOUT = 1.0
HANDSHAKE_TIMEOUT = 3.0
SEND_TIMEOUT = 2.0
RETRY_INTERVAL = 1.0
MAX_MESSAGE_BYTES = 65536

agent_log = logging.getLogger(logs.CLUSTERING)
membership_log = logging.getLogger(logs.MEMBERSHIP)


class ClusterError(Exception):
    """The cluster member could not start."""


class ProtocolError(Exception):
    """A peer sent something that is not a message of this protocol."""


class Connection:
    """One TCP connection to another member, with line framing and a write lock."""

    def __init__(self, sock, initiated_locally):
        # Reads wait in select(), so the socket timeout bounds only sendall() in the heartbeat thread.
        sock.settimeout(SEND_TIMEOUT)
        self.sock = sock
        self.initiated_locally = initiated_locally
        self.buffer = b""
        self.write_lock = threading.Lock()
        self.closed = False
        self.last_seen = time.monotonic()
        self.peer = None  # the peer's hello or welcome message once the handshake is done

    def send(self, message):
        data = (json.dumps(message, separators=(",", ":")) + "\n").encode("utf-8")
        with self.write_lock:
            self.sock.sendall(data)

    def receive(self, timeout):
        """Return the next message, or None when none arrived within timeout seconds."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                readable = select.select([self.sock], [], [], remaining)[0]
            except ValueError:
                # Another thread closed the socket, which makes its file descriptor -1.
                raise ConnectionError("connection closed locally") from None
            if not readable:
                return None
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by the peer")
            self.buffer += chunk
            if len(self.buffer) > MAX_MESSAGE_BYTES and b"\n" not in self.buffer:
                raise ProtocolError("message longer than %d bytes" % MAX_MESSAGE_BYTES)
        line, self.buffer = self.buffer.split(b"\n", 1)
        self.last_seen = time.monotonic()
        try:
            message = json.loads(line)
        except ValueError as error:
            raise ProtocolError("invalid message: %s" % error) from error
        if not isinstance(message, dict) or "type" not in message:
            raise ProtocolError("message without a type")
        return message

    def close(self):
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class ClusterAgent:
    """Membership of this node in its cluster domain."""

    def __init__(self, clustering, node_name):
        self.domain = clustering.domain
        self.host = clustering.local_member_host
        self.bind_address = clustering.local_member_bind_address or clustering.local_member_host
        self.port = clustering.local_member_port
        self.sub_domain = clustering.sub_domain
        self.node = node_name
        self.id = str(uuid.uuid4())
        self.well_known = list(clustering.members)

        self.lock = threading.Lock()
        self.members = {}  # member id -> Connection
        self.gossiped = set()  # (host, port) reported by other members
        self.rejected = set()  # (host, port) whose member rejected this one
        self.connecting = set()  # (host, port) with a connection attempt in progress
        self.unreachable_logged = set()
        self.initialized = threading.Event()
        self.stopping = threading.Event()
        self.listener = None
        self.threads = []

    # Start and stop

    def bind(self):
        """Bind the member port, so a clash stops the start before anything else runs."""
        try:
            self.listener = socket.create_server((self.bind_address, self.port))
        except OSError as error:
            raise ClusterError("Could not listen on the cluster member address %s:%d (axis2.xml localMemberHost and localMemberPort): %s."
                               " Free the port or set another localMemberPort." % (self.bind_address, self.port, error)) from error
        # NOTE: Hazelcast tries the next port when localMemberPort is taken; this server stops instead,
        # so a port clash in a test shows up at once.
        self.listener.settimeout(0.5)

    def start(self):
        agent_log.info("Cluster domain: %s", self.domain)
        agent_log.info("Using wka based membership management scheme")
        for host, port in self.well_known:
            membership_log.info("Added member: Host:%s, Port: %d", host, port)
        agent_log.info("Local member: [%s] - Host:%s, Port: %d, Domain: %s, Sub-domain:%s", self.id, self.host, self.port, self.domain, self.sub_domain)
        for target in (self._accept_loop, self._connect_loop, self._heartbeat_loop):
            thread = threading.Thread(target=target, name=target.__name__, daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self):
        self.stopping.set()
        if self.listener is not None:
            self.listener.close()
        with self.lock:
            connections = list(self.members.values())
            self.members.clear()
        for connection in connections:
            connection.close()
        for thread in self.threads:
            thread.join(timeout=2)
        agent_log.info("Left the cluster domain %s", self.domain)

    # State for the HTTP endpoint

    def snapshot(self):
        """Return the members, the local one first, as /test-pack/cluster reports them."""
        local = {"id": self.id, "host": self.host, "port": self.port, "sub_domain": self.sub_domain, "node": self.node, "local": True}
        with self.lock:
            peers = [connection.peer for connection in self.members.values()]
        others = [
            {"id": peer["id"], "host": peer["host"], "port": peer["port"], "sub_domain": peer.get("sub_domain"),
             "node": peer.get("node"), "local": False}
            for peer in peers
        ]
        others.sort(key=lambda member: (member["host"], member["port"], member["id"]))
        return [local] + others

    # Outgoing connections

    def _targets(self):
        with self.lock:
            connected = {(connection.peer["host"], connection.peer["port"]) for connection in self.members.values()}
            candidates = list(dict.fromkeys(self.well_known + sorted(self.gossiped)))
            return [
                address for address in candidates
                if address != (self.host, self.port) and address not in connected
                and address not in self.rejected and address not in self.connecting
            ]

    def _connect_loop(self):
        first_round = True
        while not self.stopping.is_set():
            for address in self._targets():
                with self.lock:
                    self.connecting.add(address)
                try:
                    self._connect(address)
                finally:
                    with self.lock:
                        self.connecting.discard(address)
            if first_round:
                first_round = False
                self.initialized.set()
                agent_log.info("Cluster initialization completed")
            self.stopping.wait(RETRY_INTERVAL)

    def _connect(self, address):
        host, port = address
        try:
            sock = socket.create_connection(address, timeout=CONNECT_TIMEOUT)
        except OSError as error:
            self._unreachable(address, error)
            return
        connection = Connection(sock, initiated_locally=True)
        try:
            connection.send({"type": "hello", "domain": self.domain, "id": self.id, "host": self.host, "port": self.port,
                             "sub_domain": self.sub_domain, "node": self.node})
            reply = connection.receive(HANDSHAKE_TIMEOUT)
        except (OSError, ConnectionError, ProtocolError) as error:
            connection.close()
            self._unreachable(address, error)
            return
        if reply is None:
            connection.close()
            self._unreachable(address, "no reply within %.0f seconds" % HANDSHAKE_TIMEOUT)
            return
        if reply["type"] == "reject":
            connection.close()
            self._rejected_by(address, reply)
            return
        if reply["type"] != "welcome" or not _valid_peer(reply):
            connection.close()
            self._unreachable(address, "unexpected reply %r" % reply.get("type"))
            return
        with self.lock:
            self.unreachable_logged.discard(address)
        connection.peer = reply
        self._add_addresses(reply.get("members", []))
        self._register(connection)

    def _unreachable(self, address, error):
        with self.lock:
            well_known = address in self.well_known
            first = address not in self.unreachable_logged
            self.unreachable_logged.add(address)
            if not well_known:
                # A reported member that cannot be reached has most likely left; only
                # well-known members are retried for ever.
                self.gossiped.discard(address)
        if first and well_known:
            membership_log.info("Could not connect to well-known member /%s:%d: %s. Retrying every %.0f second(s).",
                                address[0], address[1], error, RETRY_INTERVAL)

    def _rejected_by(self, address, reply):
        with self.lock:
            self.rejected.add(address)
        if reply.get("reason") == "self":
            membership_log.info("Member address /%s:%d is this member itself; not connecting to it", address[0], address[1])
            return
        membership_log.warning(
            "Member /%s:%d rejected the join request of this member: its cluster domain is %s, the local cluster domain is %s."
            " Use the same domain in axis2.xml on every member of one cluster.",
            address[0], address[1], reply.get("domain"), self.domain)

    # Incoming connections

    def _accept_loop(self):
        while not self.stopping.is_set():
            try:
                sock = self.listener.accept()[0]
            except socket.timeout:
                continue
            except OSError:
                return  # the listener was closed by stop()
            threading.Thread(target=self._handle_incoming, args=(sock,), daemon=True).start()

    def _handle_incoming(self, sock):
        connection = Connection(sock, initiated_locally=False)
        try:
            hello = connection.receive(HANDSHAKE_TIMEOUT)
            if hello is None or hello["type"] != "hello" or not _valid_peer(hello):
                membership_log.warning("Closed a connection from %s: no valid join request within %.0f seconds",
                                       sock.getpeername()[0], HANDSHAKE_TIMEOUT)
                connection.close()
                return
            if hello["id"] == self.id:
                connection.send({"type": "reject", "domain": self.domain, "reason": "self"})
                connection.close()
                return
            if hello.get("domain") != self.domain:
                membership_log.warning(
                    "Rejected the join request of member /%s:%s [%s]: its cluster domain is %s, the local cluster domain is %s.",
                    hello["host"], hello["port"], hello["id"], hello.get("domain"), self.domain)
                connection.send({"type": "reject", "domain": self.domain, "reason": "domain"})
                connection.close()
                return
            connection.send({"type": "welcome", "id": self.id, "host": self.host, "port": self.port,
                             "sub_domain": self.sub_domain, "node": self.node, "members": self._addresses()})
        except (OSError, ConnectionError, ProtocolError) as error:
            membership_log.warning("Closed a connection from a joining member: %s", error)
            connection.close()
            return
        connection.peer = hello
        self._register(connection)

    # Membership

    def _register(self, connection):
        """Add a member after a handshake, keeping one connection per pair of members."""
        peer = connection.peer
        peer_address = (peer["host"], peer["port"])
        replaced = None
        with self.lock:
            if self.stopping.is_set():
                connection.close()
                return
            for member_id, existing in list(self.members.items()):
                if member_id != peer["id"] and (existing.peer["host"], existing.peer["port"]) == peer_address:
                    replaced = self.members.pop(member_id)  # the member restarted with a new id
            existing = self.members.get(peer["id"])
            if existing is not None:
                # Both members connected to each other at the same time. Keep the connection
                # opened by the member with the smaller id; both sides apply the same rule.
                preferred = min(self.id, peer["id"])
                if self._opener(connection) != preferred and self._opener(existing) == preferred:
                    connection.close()
                    return
                existing.peer = None
                self.members[peer["id"]] = connection
                is_new = False
            else:
                self.members[peer["id"]] = connection
                is_new = True
        if existing is not None:
            existing.close()
        if replaced is not None:
            replaced.close()
            self._log_left(replaced.peer)
        if is_new:
            membership_log.info("Member joined [%s]: /%s:%d", peer["id"], peer["host"], peer["port"])
        threading.Thread(target=self._read_loop, args=(connection,), daemon=True).start()

    def _opener(self, connection):
        """Return the id of the member that opened the connection."""
        return self.id if connection.initiated_locally else connection.peer["id"]

    def _read_loop(self, connection):
        reason = None
        while not connection.closed and not self.stopping.is_set():
            try:
                message = connection.receive(HEARTBEAT_INTERVAL)
            except (OSError, ConnectionError, ProtocolError) as error:
                reason = error
                break
            if message is None:
                if time.monotonic() - connection.last_seen > HEARTBEAT_TIMEOUT:
                    reason = "no heartbeat for %.0f seconds" % HEARTBEAT_TIMEOUT
                    break
                continue
            if message["type"] == "heartbeat":
                self._add_addresses(message.get("members", []))
        self._drop(connection, reason)

    def _drop(self, connection, reason):
        with self.lock:
            peer = connection.peer
            current = peer is not None and self.members.get(peer["id"]) is connection
            if current:
                del self.members[peer["id"]]
        connection.close()
        if current and not self.stopping.is_set():
            agent_log.info("Lost the connection to member /%s:%d [%s]: %s", peer["host"], peer["port"], peer["id"], reason)
            self._log_left(peer)

    def _log_left(self, peer):
        membership_log.info("Member left [%s]: /%s:%d", peer["id"], peer["host"], peer["port"])

    def _addresses(self):
        with self.lock:
            peers = [connection.peer for connection in self.members.values()]
        return [[self.host, self.port]] + [[peer["host"], peer["port"]] for peer in peers]

    def _add_addresses(self, addresses):
        with self.lock:
            for item in addresses:
                if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str) and isinstance(item[1], int):
                    self.gossiped.add((item[0], item[1]))

    def _heartbeat_loop(self):
        while not self.stopping.wait(HEARTBEAT_INTERVAL):
            message = {"type": "heartbeat", "members": self._addresses()}
            with self.lock:
                connections = list(self.members.values())
            for connection in connections:
                try:
                    connection.send(message)
                except OSError:
                    connection.close()  # its read loop then reports the member as left


def _valid_peer(message):
    return isinstance(message.get("id"), str) and isinstance(message.get("host"), str) and isinstance(message.get("port"), int)
