"""The offline cycle (idea -> code -> sandboxed runs -> review -> optimisation) with
``--backend ray`` on a real 2-node Ray cluster: the loop joins it through RBI_RAY_ADDRESS,
its results are recorded with backend ``ray``, and ``status`` shows the cluster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.agents.runtime.test_e2e_offline import STAGES, check_offline_cycle
from tests.helpers import rbi


@pytest.fixture(scope="module")
def cluster():
    from executor.backends.ray.local_cluster import LocalCluster

    c = LocalCluster(nodes=2, cpus_per_node=1)
    yield c
    c.shutdown()


def test_offline_cycle_through_ray(cluster, tmp_path: Path) -> None:
    check_offline_cycle(tmp_path, "ray", ray_address=cluster.address, ray_node_backend="local")


def test_status_shows_the_cluster(cluster, tmp_path: Path) -> None:
    db = tmp_path / "rbi.sqlite"
    p = rbi(db, "status", "--json", "--backend", "ray", timeout=180,
            ray_address=cluster.address, **STAGES)
    assert p.returncode == 0, p.stderr[-2000:]
    doc = json.loads(p.stdout)["cluster"]
    assert doc["nodes"] == 2 and doc["cpus"] == 2, doc
    assert len(doc["per_node"]) >= 2 and all("running" in n for n in doc["per_node"])
