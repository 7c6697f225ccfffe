"""The ``ray`` backend on a REAL multi-node Ray cluster (several raylets on this machine,
each with its own worker processes), never skipped: the golden SMA cross gives the local
sandbox's stats through Ray; a 200-set batch across 2 nodes equals the single-machine
batch; a node killed mid-batch loses nothing and duplicates nothing; an unreachable head
is a SandboxUnavailable that says what to start."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from executor.types import BacktestOptions, RunRequest
from tests.conftest import ROOT, read_strategy

GOLDEN = BacktestOptions(cash=10_000, commission=0.002, exclusive_orders=True)
SETS = [{"n1": a, "n2": b} for a in range(5, 25) for b in range(30, 40)]  # 200 sets
_local: dict[str, Any] = {}


@pytest.fixture(scope="module")
def cluster():
    from executor.backends.ray.local_cluster import LocalCluster

    c = LocalCluster(nodes=2, cpus_per_node=1)
    yield c
    c.shutdown()


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("results")


@pytest.fixture(scope="module")
def box(cluster, results_dir):
    from executor.backends.ray import RaySandbox
    from executor.types import RAY_STATUS_FILE as STATUS_FILE

    b = RaySandbox(address=cluster.address, node_backend="local",
                   status_path=results_dir / STATUS_FILE)
    yield b
    b.close()


def _req(goog, **kw: Any) -> RunRequest:
    return RunRequest(code=read_strategy("sma_cross.py"), data=goog, options=GOLDEN, **kw)


def _batch(goog) -> RunRequest:
    # stats only: the per-set trade lists and curves are not what this compares
    return _req(goog, param_sets=[dict(p) for p in SETS], max_trades=0, equity_points=0)


def _single_machine(goog) -> list[Any]:
    """The reference: the same 200 sets through the local sandbox, no Ray."""
    if "batch" not in _local:
        from executor.backends.local.sandbox import LocalSandbox

        _local["batch"] = LocalSandbox().run_batch(_batch(goog), parallel=2)
    return _local["batch"]


def test_golden_sma_cross_identical_through_ray_and_local(box, goog):
    from executor.backends.local.sandbox import LocalSandbox

    via_ray = box.run(_req(goog))
    direct = LocalSandbox().run(_req(goog))
    assert via_ray.status == direct.status == "ok", via_ray.error
    assert via_ray.stats["# Trades"] == 93  # guards: the strategy really ran on GOOG
    assert round(via_ray.stats["Return [%]"], 3) == 462.635
    assert via_ray.stats == direct.stats  # every stat, bit for bit
    assert via_ray.trades == direct.trades and via_ray.equity_curve == direct.equity_curve
    assert via_ray.backend == "ray" and via_ray.isolation["node_backend"] == "local"
    assert via_ray.code_sha256 == direct.code_sha256 and via_ray.data_sha256 == direct.data_sha256


def test_200_sets_across_two_nodes_equal_the_single_machine_batch(box, goog):
    results = box.run_batch(_batch(goog))
    reference = _single_machine(goog)
    assert [r.params for r in results] == SETS  # in order, once each
    assert [r.stats for r in results] == [r.stats for r in reference]
    assert {r.status for r in results} == {"ok"}
    nodes = {r.isolation["ray_node"] for r in results}
    assert len(nodes) == 2  # both nodes ran a share, not one node doing it all
    st = box.status()
    assert st["nodes"] == 2 and st["slots"] == 2 and st["chunks_in_flight"] == 0
    assert sum(n["sets_done"] for n in st["per_node"]) >= 200


def test_status_and_dashboard_show_the_cluster_while_a_batch_runs(cluster, box, results_dir,
                                                                 goog, tmp_path):
    """Nodes, slots, batches and chunks in flight, per-node throughput: on the dashboard's
    cluster page (HTTP, from the loop's status file) and in `rbi status` (live + file)."""
    import json
    import urllib.request

    from agents.dashboard import Dashboard, make_server
    from tests.helpers import rbi

    server = make_server(Dashboard(tmp_path / "none.sqlite", results_dir=results_dir),
                         "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"

    def get(path: str) -> str:
        with urllib.request.urlopen(url + path, timeout=30) as resp:
            return resp.read().decode()

    out: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: out.setdefault("r", box.run_batch(_batch(goog))))
    before = sum(n["sets_done"] for n in box.status()["per_node"])
    runner.start()
    try:
        busy = _wait(lambda: (d := json.loads(get("/api/cluster"))).get("chunks_in_flight") and d)
        assert busy["connected"] is True and busy["nodes"] == 2 and busy["slots"] == 2
        assert busy["batches_in_flight"] == 1 and busy["chunks_in_flight"] >= 1
        page = get("/cluster")
        assert 'id="nodes">2<' in page and 'id="batches">1<' in page, page
        assert all(n["node_id"][:12] in page for n in busy["per_node"])
        live = rbi(tmp_path / "rbi.sqlite", "status", "--json", "--backend", "ray", timeout=180,
                   ray_address=cluster.address, results_dir=str(results_dir))
        assert live.returncode == 0, live.stderr[-2000:]
        doc = json.loads(live.stdout)
        assert doc["cluster"]["nodes"] == 2 and doc["cluster"]["batches_running"] >= 1
        assert doc["cluster_loop"]["batches_in_flight"] == 1 and not doc["cluster_loop"]["stale"]
    finally:
        runner.join(timeout=600)
    assert len(out["r"]) == 200
    done = _wait(lambda: (d := json.loads(get("/api/cluster"))).get("sets_done", 0) >= before + 200
                 and not d["chunks_in_flight"] and d)
    assert done["batches_in_flight"] == 0
    assert all(n["sets_per_s"] > 0 and n["sets_done"] > 0 for n in done["per_node"])  # both ran
    assert done["sets_per_s"] == round(sum(n["sets_per_s"] for n in done["per_node"]), 2)
    text = rbi(tmp_path / "rbi.sqlite", "status", "--backend", "ray", timeout=180,
               ray_address=cluster.address, results_dir=str(results_dir))
    assert "loop's cluster view" in text.stdout and "2 node(s)" in text.stdout, text.stdout
    server.shutdown()


def _wait(fn: Any, timeout: float = 120) -> Any:
    end = time.time() + timeout
    while time.time() < end:
        got = fn()
        if got:
            return got
        time.sleep(0.05)
    pytest.fail("condition not reached in time")


def test_a_node_killed_mid_batch_loses_and_duplicates_nothing(cluster, box, goog):
    doomed = cluster.add_node()
    doomed_id = cluster.node_id(doomed)
    box.refresh()
    assert box.status()["nodes"] == 3
    before = box.status()["chunks_resubmitted"]
    out: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: out.setdefault("r", box.run_batch(_batch(goog))))
    runner.start()
    deadline = time.time() + 300
    while time.time() < deadline:  # kill it while it holds a chunk of this batch
        busy = [n for n in box.status()["per_node"] if n["node_id"] == doomed_id and n["in_flight"]]
        if busy:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the new node never received a chunk")
    cluster.remove_node(doomed)
    runner.join(timeout=600)
    assert not runner.is_alive()
    results = out["r"]
    st = box.status()
    assert st["chunks_resubmitted"] > before  # the fault really hit in-flight work
    assert len(results) == 200 and [r.params for r in results] == SETS  # none lost, none twice
    assert [r.stats for r in results] == [r.stats for r in _single_machine(goog)]
    assert doomed_id not in {n["node_id"] for n in st["per_node"] if n["alive"]}


def test_unreachable_head_is_sandbox_unavailable_saying_what_to_start():
    code = ("from executor.backends.ray import RaySandbox\n"
            "from executor.errors import SandboxUnavailable\n"
            "try:\n    RaySandbox(address='127.0.0.1:9')\n"
            "except SandboxUnavailable as e:\n    print('UNAVAILABLE', e)\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert "UNAVAILABLE" in p.stdout, p.stderr[-2000:]
    assert "ray start --head" in p.stdout and "RBI_RAY_ADDRESS" in p.stdout
