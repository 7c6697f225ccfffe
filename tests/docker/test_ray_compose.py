"""The compose ``cluster`` profile, for real: ``docker compose --profile cluster up
--scale ray-worker=2`` builds the Ray image offline (wheelhouses), starts the head (with
the loop) and two workers, and an idea dropped into the inbox ends as a result row run
through the ray backend, in a sandbox container started by a worker. Plus the static
shape: no Ray port published, the default ``up`` unchanged.

Real engine only: skipped without one outside CI, FAILS with CI=true. Own project name
(rbi-ray-test) and own image tags (rbi-app-ray, rbi-ray-test, rbi-sandbox-ray), so the
shared rbi-app/rbi-sandbox images and other compose tests are left alone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from tests.conftest import IN_CI, ROOT
from tests.docker.test_compose import IDEA_1, Stack, _engine_or_skip, _idea_id, _sh, _wait
from tests.helpers import exclusive

PROJECT = "rbi-ray-test"
IMAGES = {"RBI_APP_IMAGE": "rbi-app-ray:latest", "RBI_RAY_IMAGE": "rbi-ray-test:latest",
          "RBI_SANDBOX_IMAGE": "rbi-sandbox-ray:latest"}
OVERRIDE = """
services:
  rbi-cluster:
    environment:
      RBI_PROVIDER: offline
      RBI_OPTIMISE_MAX_ITERATIONS: "1"
      RBI_WORKERS: "2"
      RBI_LEASE_SECONDS: "30"
"""


def _config(*profile: str) -> dict:
    if shutil.which("docker") is None or subprocess.run(
            ["docker", "compose", "version"], capture_output=True).returncode != 0:
        if IN_CI:
            pytest.fail("CI=true but `docker compose` is missing: run .ci/install-docker.sh")
        pytest.skip("no `docker compose` here")
    p = subprocess.run(["docker", "compose", *profile, "config", "--format", "json"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["services"]


def test_default_up_is_unchanged_by_the_cluster_profile():
    assert set(_config()) == {"sandbox-image", "rbi", "dashboard"}


def test_cluster_profile_runs_the_loop_on_the_ray_head_and_publishes_no_ray_port():
    services = _config("--profile", "cluster")
    head, worker = services["rbi-cluster"], services["ray-worker"]
    assert head["environment"]["RBI_BACKEND"] == "ray"
    assert "ray start --head" in " ".join(head["command"])
    assert "--num-cpus=0" in " ".join(head["command"])  # runs go to the workers
    assert "--address=rbi-cluster:6379" in " ".join(worker["command"])
    assert head["image"] == worker["image"] == "rbi-ray:latest"
    assert head["build"]["args"]["WITH_RAY"] == "1"
    assert not head.get("ports") and not worker.get("ports")  # Ray's ports: unauthenticated
    assert any(v.get("target") == "/var/run/docker.sock" for v in worker["volumes"])


class Spy(threading.Thread):
    """Owners (rbi.owner = host:pid:start) of every sandbox container seen."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.owners: set[str] = set()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            out = subprocess.run(["docker", "ps", "-a", "--filter", "label=rbi.role=sandbox",
                                  "--format", '{{.Label "rbi.owner"}}'],
                                 capture_output=True, text=True).stdout
            self.owners.update(o.split(":", 1)[0] for o in out.split())
            self.stop.wait(0.2)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with exclusive("compose"):  # one compose stack at a time on this machine
        _engine_or_skip()
        root = tmp_path_factory.mktemp("ray-compose")
        s = Stack(root)
        s.project = PROJECT
        (root / "compose.override.yml").write_text(OVERRIDE)
        s.env.update(COMPOSE_PROJECT_NAME=PROJECT, **IMAGES)
        t0 = time.monotonic()
        # offline: the wheelhouses (no-ops when up to date) and this test's own sandbox tag
        # (every layer cached from `make image`)
        _sh("bash", "docker/build-app-wheelhouse.sh", timeout=300)
        _sh("bash", "docker/build-ray-wheelhouse.sh", timeout=300)
        _sh("bash", "docker/build.sh", env={**os.environ, "IMAGE": "rbi-sandbox-ray"}, timeout=600)
        s.compose("--profile", "cluster", "down", "--remove-orphans", timeout=180, check=False)
        try:
            # the head first, then the documented command: three Ray nodes starting at once on
            # a small busy host make each raylet miss its agents' start-up deadline (~15 s)
            s.compose("--profile", "cluster", "up", "-d", "--build", "rbi-cluster", timeout=900)
            _wait("the Ray head", lambda: _status(s) is not None, 240, every=2)
            s.compose("--profile", "cluster", "up", "-d", "--scale", "ray-worker=2",
                      "rbi-cluster", "ray-worker", timeout=300)
            print(f"\nimages + compose up: {time.monotonic() - t0:.1f} s")
            yield s
        finally:
            logs = s.compose("--profile", "cluster", "logs", "--no-color", "--tail", "40",
                             check=False)
            print(logs.stdout[-5000:])
            s.compose("--profile", "cluster", "down", "--remove-orphans", "--timeout", "30",
                      timeout=180, check=False)


def _status(s: Stack) -> dict | None:
    """`python -m executor.backends.ray status --json` on the head; None until it answers."""
    p = s.compose("exec", "-T", "rbi-cluster", "python", "-m", "executor.backends.ray",
                  "status", "--json", check=False, timeout=120)
    try:
        return json.loads(p.stdout) if p.returncode == 0 else None
    except ValueError:  # the head is still starting
        return None


def _hostnames(s: Stack, service: str) -> set[str]:
    ids = s.containers(f"label=com.docker.compose.project={PROJECT}",
                       f"label=com.docker.compose.service={service}", "status=running")
    return {json.loads(_sh("docker", "inspect", c).stdout)[0]["Config"]["Hostname"] for c in ids}


def test_an_idea_becomes_a_result_run_by_a_ray_worker(cluster: Stack) -> None:
    s = cluster
    workers = _wait("two running ray-worker containers",
                    lambda: h if len(h := _hostnames(s, "ray-worker")) == 2 else None, 120)

    def two_nodes() -> dict | None:
        doc = _status(s) or {}
        return doc if sum(1 for n in doc.get("per_node", []) if n["cpus"] > 0) == 2 else None

    _wait("the head to see both workers", two_nodes, 240, every=2)
    spy = Spy()
    spy.start()
    t0 = time.monotonic()
    s.drop("my_idea.md", IDEA_1)
    idea = _wait("the idea row", lambda: _idea_id(s, IDEA_1), 90)
    rows = _wait("a result row run through ray", lambda: s.sql(
        "SELECT r.status, r.backend, r.dataset FROM backtest_results r JOIN strategies t "
        "ON t.id = r.strategy_id WHERE t.idea_id = ? AND r.backend = 'ray' AND r.status = 'ok'",
        (idea,)), 240)
    print(f"idea -> first ray result: {time.monotonic() - t0:.1f} s")
    spy.stop.set()
    spy.join()
    assert ("ok", "ray", "GOOG") in rows
    assert not s.sql("SELECT DISTINCT backend FROM backtest_results WHERE backend != 'ray'")
    # the runs happened in sandbox containers started by the workers (docker node backend)
    assert spy.owners & workers, (spy.owners, workers)
    status_file = s.results / "ray-cluster.json"  # the dashboard's source, every 2 s
    view = _wait("the loop's cluster view", lambda: status_file.exists() and json.loads(
        status_file.read_text()), 60)
    assert view["connected"] is True and view["nodes"] == 2 and view["node_backend"] == "auto"
    assert len(view["per_node"]) == 2 and all(n["alive"] for n in view["per_node"])
    assert not s.sql("SELECT id FROM events WHERE status = 'dead'")


def test_down_leaves_no_cluster_containers(cluster: Stack) -> None:
    cluster.compose("--profile", "cluster", "down", "--remove-orphans", "--timeout", "30",
                    timeout=180)
    assert cluster.containers(f"label=com.docker.compose.project={PROJECT}") == []
    assert (cluster.results / "rbi.sqlite").exists()

