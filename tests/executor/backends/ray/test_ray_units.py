"""The ray backend's pure parts, no cluster: how a batch is cut into chunks, and the
settings it reads."""

from __future__ import annotations

import pytest

from executor.backends.ray.connect import Node, slots_for
from executor.backends.ray.dispatch import split
from executor.errors import ConfigError


def _sets(n: int) -> list[dict[str, int]]:
    return [{"i": i} for i in range(n)]


@pytest.mark.parametrize("n,slots,count", [(200, 2, 4), (200, 1, 2), (200, 40, 25), (10, 4, 2),
                                           (1, 8, 1), (7, 1, 1)])
def test_split_keeps_every_set_once_in_order(n, slots, count):
    chunks = split(_sets(n), slots)
    assert len(chunks) == count  # ~2 per slot, but never below 8 sets a chunk
    assert [s for c in chunks for s in c] == _sets(n)
    assert max(map(len, chunks)) - min(map(len, chunks)) <= 1  # balanced


def test_split_of_nothing_is_nothing():
    assert split([], 4) == []


def test_slots_per_node_from_cpus_or_the_setting(monkeypatch):
    node = Node("n1", "10.0.0.2", cpus=6)
    monkeypatch.delenv("RBI_RAY_SLOTS_PER_NODE", raising=False)
    assert slots_for(node) == 6
    monkeypatch.setenv("RBI_RAY_SLOTS_PER_NODE", "3")
    assert slots_for(node) == 3
    monkeypatch.setenv("RBI_RAY_SLOTS_PER_NODE", "zero")
    with pytest.raises(ConfigError, match="RBI_RAY_SLOTS_PER_NODE"):
        slots_for(node)


def test_unknown_backend_message_lists_ray():
    from executor.sandbox import get_sandbox

    with pytest.raises(ConfigError, match="ray"):
        get_sandbox("nope")


@pytest.mark.parametrize("args", [["--help"], ["status", "--help"]])
def test_the_status_command_has_help(args):
    import subprocess
    import sys

    from tests.conftest import ROOT

    p = subprocess.run([sys.executable, "-m", "executor.backends.ray", *args], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "usage:" in p.stdout and len(p.stdout) > 150, p.stderr


def test_cluster_page_without_a_loop_says_how_to_get_one(tmp_path):
    from agents.dashboard import Dashboard

    app = Dashboard(tmp_path / "none.sqlite", results_dir=tmp_path)
    page = app.handle("GET", "/cluster")
    assert page.status == 200 and b"--backend ray" in page.body and b"cluster-none" in page.body


def test_cluster_page_marks_a_loop_that_stopped_writing_and_a_lost_head(tmp_path):
    import json
    import time

    from agents.dashboard import Dashboard
    from executor.types import RAY_STATUS_FILE as STATUS_FILE

    app = Dashboard(tmp_path / "none.sqlite", results_dir=tmp_path)
    doc = {"connected": True, "nodes": 1, "slots": 2, "batches_in_flight": 0,
           "chunks_in_flight": 0, "chunks_resubmitted": 0, "node_backend": "local",
           "per_node": [], "updated_ts": time.time() - 60}
    (tmp_path / STATUS_FILE).write_text(json.dumps(doc))
    assert b"cluster-stale" in app.handle("GET", "/cluster").body
    doc.update(connected=False, error="the Ray cluster is gone: GCS stopped answering",
               updated_ts=time.time())
    (tmp_path / STATUS_FILE).write_text(json.dumps(doc))
    body = app.handle("GET", "/cluster").body
    assert b"cluster-lost" in body and b"ray start --head" in body and b"cluster-stale" not in body


def test_status_of_a_dying_driver_reports_the_loss_not_the_broken_pipe():
    """The head dies: the status poller's call can hit the driver's closed pipe before the
    driver's reader has recorded why. status() waits for that reason."""
    import threading

    from executor.backends.ray.sandbox import RaySandbox
    from executor.errors import SandboxUnavailable

    box = object.__new__(RaySandbox)  # no cluster: only status() is exercised
    box.address, box.node_backend, box._gcs, box.losses, box.lost = "", "local", "h:1", 0, ""

    class Dying:
        alive, pid = True, 1
        ended = threading.Event()

        def call(self, *a, **k):
            def record() -> None:  # the reader thread, a moment later
                box.lost, box.losses = "the Ray head's GCS at h:1 stopped answering", 1
                self.ended.set()
            threading.Timer(0.2, record).start()
            raise SandboxUnavailable("the Ray driver process has ended ([Errno 32] Broken pipe)")

    box._driver = Dying()
    st = box.status()
    assert st["connected"] is False
    assert st["error"] == "the Ray head's GCS at h:1 stopped answering" and st["losses"] == 1


def test_status_between_the_driver_ending_and_its_reason_waits_for_the_reason():
    import threading

    from executor.backends.ray.sandbox import RaySandbox

    box = object.__new__(RaySandbox)
    box.address, box.node_backend, box._gcs, box.losses, box.lost = "", "local", "h:1", 0, ""

    class Ended:  # its reader marked it dead and is still reaping the process
        alive, pid = False, 1
        ended = threading.Event()

    drv = Ended()

    def record() -> None:
        box.lost, box.losses = "the Ray head's GCS at h:1 stopped answering", 1
        drv.ended.set()
    box._driver = drv
    threading.Timer(0.2, record).start()
    assert box.status()["error"] == "the Ray head's GCS at h:1 stopped answering"
