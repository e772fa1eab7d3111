"""An artifact deployed on the active manager reaches every worker, and workers reject deployments."""

from __future__ import annotations

import time
import uuid

import pytest

from cluster_checks import product_path
from http_probe import request

DEPLOYMENT_DIR = "repository/deployment/server"
# The scenarios set carbon_deployment_sync_interval to 5 s. The bound is an estimate that leaves
# room for a slow, shared machine.
SYNC_TIMEOUT = 60
POLL_INTERVAL = 1


def worker_http_port(cluster, node) -> int:
    """Return the port the load balancer forwards HTTP to (pass-through for ESB, servlet otherwise)."""
    return (8280 if cluster.is_esb else 9763) + node.port_offset


@pytest.fixture
def artifact(cluster, hosts):
    """Deploy a uniquely named file on the active manager, and remove it from there afterwards."""
    if cluster.deployment_sync != "rsync":
        pytest.skip(f"carbon_deployment_sync is {cluster.deployment_sync}; this test covers rsync")
    manager = cluster.active_manager
    webapp = f"verify-{uuid.uuid4().hex[:8]}"
    content = f"deployed on {manager.name} as {webapp}\n"
    response = request(
        manager.address,
        manager.http_port,
        f"/test-pack/webapps/{webapp}/index.html",
        method="PUT",
        data=content.encode(),
    )
    assert 200 <= response.status < 300, f"{manager.name}: deploying {webapp}: {response.describe()}"
    yield webapp, content
    hosts[manager.name].run(f"rm -rf {product_path(manager, DEPLOYMENT_DIR)}/webapps/{webapp}")


def test_artifact_reaches_every_worker(cluster, hosts, artifact):
    webapp, content = artifact
    pending = {worker.name for worker in cluster.workers}
    deadline = time.monotonic() + SYNC_TIMEOUT
    while pending and time.monotonic() < deadline:
        for name in sorted(pending):
            worker = cluster.nodes[name]
            deployed = hosts[name].file(f"{product_path(worker, DEPLOYMENT_DIR)}/webapps/{webapp}/index.html")
            if deployed.exists and deployed.content_string == content:
                pending.discard(name)
        if pending:
            time.sleep(POLL_INTERVAL)
    assert not pending, (
        f"{sorted(pending)}: {DEPLOYMENT_DIR}/webapps/{webapp}/index.html did not arrive from "
        f"{cluster.active_manager.name} within {SYNC_TIMEOUT} s"
    )

    for worker in cluster.workers:
        direct = request(worker.address, worker_http_port(cluster, worker), f"/{webapp}/index.html")
        assert direct.status == 200, f"{worker.name}: {direct.describe()}"
        assert direct.body == content, f"{worker.name}: {direct.url} returned {direct.body!r}, expected {content!r}"

    for lb in cluster.load_balancers_for("worker"):
        served_by = set()
        for attempt in range(4 * len(cluster.workers)):
            node = request(lb.address, 80, "/test-pack/node", host_name=cluster.worker_hostname)
            assert node.status == 200, f"{lb.name}: {node.describe()}"
            session = node.cookie("JSESSIONID")
            through_lb = request(
                lb.address,
                80,
                f"/{webapp}/index.html",
                host_name=cluster.worker_hostname,
                cookies={"JSESSIONID": session} if session else None,
            )
            assert through_lb.status == 200, f"{lb.name}: {through_lb.describe()}"
            assert through_lb.body == content, (
                f"{lb.name}: {through_lb.url} returned {through_lb.body!r}, expected {content!r}"
            )
            served_by.add(node.json()["node"])
        assert served_by == {worker.name for worker in cluster.workers}, (
            f"{lb.name}: requests for /{webapp}/index.html were served by {sorted(served_by)} only"
        )


def test_worker_refuses_to_deploy(cluster, hosts, worker_node_name):
    worker = cluster.nodes[worker_node_name]
    webapp = f"verify-{uuid.uuid4().hex[:8]}"
    response = request(
        worker.address, worker.http_port, f"/test-pack/webapps/{webapp}/index.html", method="PUT", data=b"rejected\n"
    )
    assert response.status == 403, f"{worker.name}: {response.describe()}, expected HTTP 403 from a worker"
    target = f"{product_path(worker, DEPLOYMENT_DIR)}/webapps/{webapp}"
    assert not hosts[worker.name].file(target).exists, f"{worker.name}: {target} exists after a refused deployment"
