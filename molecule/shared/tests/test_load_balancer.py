"""Requests through the load balancers reach the right nodes, and only the right nodes.

Each request is sent from the controller to a load balancer's address on the scenario network,
with the host name pinned to that address (see http_probe).
"""

from __future__ import annotations

from collections import Counter

import pytest

from http_probe import request

# New sessions sent per worker when checking that every worker gets its turn. Without a shared
# zone, each nginx worker process keeps its own round-robin position, so two processes can both
# start at the same upstream server. Any process that gets two requests reaches both servers.
REQUESTS_PER_WORKER = 4
STICKY_REQUESTS = 6
SCHEMES = {"http": 80, "https": 443}


def load_balancers_serving(cluster, sub_domain: str):
    """Return the load balancers that serve a sub-domain, failing when there is none."""
    load_balancers = cluster.load_balancers_for(sub_domain)
    assert load_balancers, f"no host in carbon_load_balancers serves the {sub_domain} sub-domain"
    return load_balancers


@pytest.mark.parametrize("scheme", SCHEMES)
def test_new_sessions_reach_every_worker(cluster, scheme):
    for lb in load_balancers_serving(cluster, "worker"):
        served_by = Counter()
        for attempt in range(REQUESTS_PER_WORKER * len(cluster.workers)):
            response = request(
                lb.address, SCHEMES[scheme], "/test-pack/node", host_name=cluster.worker_hostname, scheme=scheme
            )
            assert response.status == 200, f"{lb.name}: {response.describe()}"
            served_by[response.json()["node"]] += 1
        expected = {worker.name for worker in cluster.workers}
        assert set(served_by) == expected, (
            f"{lb.name}: new sessions for {scheme}://{cluster.worker_hostname}/test-pack/node reached "
            f"{dict(served_by)}, expected every worker of {sorted(expected)}"
        )


@pytest.mark.parametrize("scheme", SCHEMES)
def test_session_stays_on_its_worker(cluster, scheme):
    for lb in load_balancers_serving(cluster, "worker"):
        first = request(lb.address, SCHEMES[scheme], "/test-pack/node", host_name=cluster.worker_hostname, scheme=scheme)
        assert first.status == 200, f"{lb.name}: {first.describe()}"
        session = first.cookie("JSESSIONID")
        assert session, f"{lb.name}: {first.url} set no JSESSIONID cookie (headers {first.headers})"
        owner = cluster.nodes[first.json()["node"]]
        assert session.endswith(f".{owner.jvm_route}"), (
            f"{lb.name}: JSESSIONID {session!r} from {owner.name} does not end with its jvmRoute .{owner.jvm_route}"
        )

        for attempt in range(1, STICKY_REQUESTS + 1):
            response = request(
                lb.address,
                SCHEMES[scheme],
                "/test-pack/node",
                host_name=cluster.worker_hostname,
                scheme=scheme,
                cookies={"JSESSIONID": session},
            )
            assert response.status == 200, f"{lb.name}: {response.describe()}"
            node = response.json()["node"]
            assert node == owner.name, (
                f"{lb.name}: request {attempt} with JSESSIONID={session} went to {node}, expected {owner.name}"
            )


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("path", ["/carbon", "/carbon/"])
def test_console_refused_on_worker_hostname(cluster, scheme, path):
    for lb in load_balancers_serving(cluster, "worker"):
        response = request(lb.address, SCHEMES[scheme], path, host_name=cluster.worker_hostname, scheme=scheme)
        assert response.status == 403, (
            f"{lb.name}: {response.describe()}; the console must not be reachable through {cluster.worker_hostname}"
        )


def test_manager_hostname_reaches_active_console(cluster):
    if not cluster.expose_manager:
        pytest.skip("carbon_expose_manager is false: no load balancer serves the manager host name")
    for lb in load_balancers_serving(cluster, "mgt"):
        console = request(lb.address, 443, "/carbon/", host_name=cluster.manager_hostname, scheme="https")
        assert console.status == 200, f"{lb.name}: {console.describe()}"
        node = request(lb.address, 443, "/test-pack/node", host_name=cluster.manager_hostname, scheme="https")
        assert node.status == 200, f"{lb.name}: {node.describe()}"
        served_by = node.json()["node"]
        assert served_by == cluster.active_manager.name, (
            f"{lb.name}: https://{cluster.manager_hostname}/test-pack/node was served by {served_by}, "
            f"expected the active manager {cluster.active_manager.name}"
        )
        redirect = request(lb.address, 80, "/carbon/", host_name=cluster.manager_hostname)
        assert redirect.status == 301, f"{lb.name}: {redirect.describe()}, expected a redirect to HTTPS"


@pytest.mark.parametrize("sub_domain", ["worker", "mgt"])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_other_load_balancers_ignore_hostname(cluster, sub_domain, scheme):
    hostname = cluster.worker_hostname if sub_domain == "worker" else cluster.manager_hostname
    if not hostname:
        pytest.skip(f"the inventory sets no host name for the {sub_domain} sub-domain")
    others = [lb for lb in cluster.load_balancers if lb not in cluster.load_balancers_for(sub_domain)]
    if not others:
        pytest.skip(f"every load balancer serves the {sub_domain} sub-domain")
    for lb in others:
        response = request(lb.address, SCHEMES[scheme], "/test-pack/node", host_name=hostname, scheme=scheme)
        assert response.status == 0, (
            f"{lb.name} does not serve the {sub_domain} sub-domain but answered for {hostname}: {response.describe()}"
        )


def test_console_on_managers_only(cluster):
    for node in cluster.carbon_nodes:
        response = request(node.address, node.https_port, "/carbon/", scheme="https")
        expected = 200 if node.is_manager else 404
        assert response.status == expected, f"{node.name}: {response.describe()}, expected HTTP {expected}"
