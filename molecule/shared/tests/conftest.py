"""Fixtures for the verify tests that every scenario (pattern1, pattern2, pattern3) shares.

Molecule runs these tests with MOLECULE_FILE, MOLECULE_INVENTORY_FILE and the other MOLECULE_*
variables set. The node names that tests are parametrised over come from the scenario's molecule.yml.
"""

from __future__ import annotations

import pytest
import testinfra

pytest.register_assert_rewrite("cluster_checks")

from cluster_model import (  # noqa: E402  (assert rewriting must be registered first)
    DATABASES,
    LOAD_BALANCERS,
    MANAGERS,
    WORKERS,
    Cluster,
    inventory_dir,
    load_platforms,
    resolve_inventory_variables,
)

# Fixture name -> the groups whose hosts it is parametrised over.
NODE_PARAMETERS = {
    "carbon_node_name": (MANAGERS, WORKERS),
    "manager_node_name": (MANAGERS,),
    "worker_node_name": (WORKERS,),
    "load_balancer_node_name": (LOAD_BALANCERS,),
    "database_node_name": (DATABASES,),
    "node_name": (MANAGERS, WORKERS, LOAD_BALANCERS, DATABASES),
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    platforms = None
    for fixture, groups in NODE_PARAMETERS.items():
        if fixture in metafunc.fixturenames:
            platforms = platforms or load_platforms()
            names = [p.name for p in platforms if any(group in p.groups for group in groups)]
            metafunc.parametrize(fixture, names)


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    platforms = load_platforms()
    return Cluster(platforms, resolve_inventory_variables([p.name for p in platforms]))


@pytest.fixture(scope="session")
def hosts(cluster: Cluster) -> dict:
    """Return a testinfra host per container. Commands run through `docker exec`."""
    inventory = inventory_dir()
    return {name: testinfra.get_host(f"ansible://{name}?ansible_inventory={inventory}") for name in cluster.nodes}
