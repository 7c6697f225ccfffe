"""A Ray cluster that disappears: a REAL head (``ray start --head --block`` in a process
group of its own) is killed with SIGKILL while batches run through it, then started
again on the same port. Never skipped.

* the backend: the batch in flight raises SandboxUnavailable within seconds (not Ray's
  own one-minute driver kill), says what to start, records nothing; the next batch fails
  fast while the head is down; the first batch after it is back runs and gives the
  same stats as before the loss.
* the loop (``rbi run`` with ``--backend ray``): it says so in its log and keeps
  running, its waiting events stay ``ready`` (attempts refunded, never ``dead``), no
  result is written while the head is down, and the idea finishes once the head is
  back, every result exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from executor.types import BacktestOptions, RunRequest
from tests.agents.runtime.test_e2e_offline import STAGES
from tests.conftest import ROOT, read_strategy
from tests.helpers import rbi, rbi_env, sql, wait_for

SETS = [{"n1": a, "n2": b} for a in range(5, 13) for b in range(30, 35)]  # 40 sets


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class Head:
    """``ray start --head --block``: the GCS, raylet and workers in one process group."""

    def __init__(self, port: int, log: Path) -> None:
        self.port, self.log = port, log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(Path(sys.executable).with_name("ray")), "start", "--head", "--block",
                 f"--port={self.port}", "--num-cpus=2", "--include-dashboard=false",
                 "--disable-usage-stats", "--object-store-memory=100000000"],
                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        wait_for(lambda: _answers(self.port), timeout=120, every=0.2)

    def kill(self) -> None:
        """SIGKILL the whole group at once: what a crashed head machine looks like."""
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)
        wait_for(lambda: not _answers(self.port), timeout=30, every=0.1)


@pytest.fixture(scope="module")
def head(tmp_path_factory: pytest.TempPathFactory) -> Any:
    h = Head(_free_port(), tmp_path_factory.mktemp("ray-head") / "head.log")
    h.start()
    yield h
    h.kill()


# the batch the head dies under: long enough (~10 s on one core) to still be running
# when the kill lands, however fast the runs get
LONG = [{"n1": a, "n2": b} for a in range(5, 25) for b in range(30, 50)]  # 400 sets


def _batch(goog: Any, sets: list[dict[str, int]] = SETS) -> RunRequest:
    return RunRequest(code=read_strategy("sma_cross.py"), data=goog, param_sets=[dict(p) for p in sets],
                      options=BacktestOptions(cash=10_000, commission=0.002, exclusive_orders=True),
                      max_trades=0, equity_points=0)


def test_head_killed_mid_batch_is_unavailable_then_the_backend_resumes(head: Head, goog: Any,
                                                                       tmp_path: Path) -> None:
    from executor.backends.ray import RaySandbox
    from executor.errors import SandboxUnavailable

    status_file = tmp_path / "ray-cluster.json"
    box = RaySandbox(address=head.address, node_backend="local", status_path=status_file)
    try:
        before = box.run_batch(_batch(goog))
        assert [r.params for r in before] == SETS and {r.status for r in before} == {"ok"}
        out: dict[str, Any] = {}

        def doomed() -> None:
            try:
                out["results"] = box.run_batch(_batch(goog, LONG))
            except BaseException as exc:
                out["error"], out["at"] = exc, time.monotonic()

        runner = threading.Thread(target=doomed)
        runner.start()
        wait_for(lambda: box.status().get("chunks_in_flight"), timeout=120, every=0.05)
        head.kill()
        killed = time.monotonic()
        runner.join(timeout=60)
        assert not runner.is_alive(), "the batch did not notice the head was gone"
        err = out.get("error")
        assert isinstance(err, SandboxUnavailable), out  # not a result, not a hang
        assert out["at"] - killed < 30  # the watchdog's seconds, not Ray's own minute
        text = str(err)
        assert "the Ray cluster is gone" in text and "nothing of them was recorded" in text
        assert "ray start --head" in text and "events wait" in text
        st = box.status()
        assert st["connected"] is False and st["losses"] == 1 and box.driver_pid is None
        doc = wait_for(lambda: (d := json.loads(status_file.read_text()))["connected"] is False
                       and d, timeout=15)
        assert "gone" in doc["error"] or "stopped answering" in doc["error"]

        t0 = time.monotonic()
        with pytest.raises(SandboxUnavailable, match="does not answer.*Nothing was lost"):
            box.run_batch(_batch(goog))
        assert time.monotonic() - t0 < 10  # fails fast: no driver started for a dead head

        head.start()
        after = box.run_batch(_batch(goog))
        assert [r.params for r in after] == SETS  # every set once, in order
        assert [r.stats for r in after] == [r.stats for r in before]
        st = box.status()
        assert st["connected"] is True and st["nodes"] == 1 and st["losses"] == 1
    finally:
        box.close()


def test_the_loop_waits_for_a_lost_cluster_and_finishes_when_it_is_back(head: Head,
                                                                        tmp_path: Path) -> None:
    if not _answers(head.port):
        head.start()
    db = tmp_path / "rbi.sqlite"
    env = rbi_env(db, backend="ray", ray_address=head.address, ray_node_backend="local",
                  **STAGES)
    p = rbi(db, "ideas", "add", "SMA crossover 10/30 on GOOG", "--db", str(db), **STAGES)
    assert p.returncode == 0, p.stderr
    log = tmp_path / "loop.log"
    with log.open("w") as out:
        loop = subprocess.Popen([sys.executable, "-m", "agents.rbi", "run", "--db", str(db)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    status_file = tmp_path / "ray-cluster.json"
    try:
        def in_flight() -> bool:
            try:
                return bool(json.loads(status_file.read_text()).get("chunks_in_flight"))
            except (OSError, ValueError):
                return False

        wait_for(in_flight, timeout=240, every=0.05)
        head.kill()
        wait_for(lambda: "the Ray cluster is gone" in log.read_text(), timeout=60, every=0.2)
        waiting = wait_for(lambda: sql(db, "SELECT id, attempts FROM events WHERE status = "
                                           "'ready' AND wait_reason LIKE 'sandbox unavailable%'"),
                           timeout=60, every=0.2)
        results = sql(db, "SELECT COUNT(*) FROM backtest_results")[0][0]
        ids = ",".join(str(i) for i, _ in waiting)
        seen = []
        for _ in range(10):  # several claims and releases while the head stays down
            seen += sql(db, f"SELECT id, attempts FROM events WHERE id IN ({ids}) "
                            "AND status = 'ready'")
            time.sleep(0.3)
        first = dict(waiting)
        assert seen and all(n <= first[i] for i, n in seen)  # waiting costs no attempt
        assert loop.poll() is None, log.read_text()[-3000:]  # the loop lives on
        assert not sql(db, "SELECT id FROM events WHERE status = 'dead'")
        assert sql(db, "SELECT COUNT(*) FROM backtest_results")[0][0] == results  # nothing half-written
        assert "ray start --head" in log.read_text()  # it says what to do
        doc = json.loads(status_file.read_text())
        assert doc["connected"] is False

        head.start()

        def finished() -> bool:
            return sql(db, "SELECT status FROM ideas")[0][0] in ("done", "killed", "failed") and \
                not sql(db, "SELECT id FROM events WHERE status IN ('ready', 'running')")

        wait_for(finished, timeout=600, every=0.5)
        assert "ray cluster back" in log.read_text()
        assert not sql(db, "SELECT id FROM events WHERE status = 'dead'")
        assert sql(db, "SELECT COUNT(*) FROM backtest_results")[0][0] > results
        assert sql(db, "SELECT version_id, dataset, params_hash, seed, COUNT(*) FROM "
                       "backtest_results GROUP BY 1, 2, 3, 4 HAVING COUNT(*) > 1") == []
        assert {b for (b,) in sql(db, "SELECT DISTINCT backend FROM backtest_results "
                                      "WHERE status = 'ok'")} == {"ray"}
        wait_for(lambda: json.loads(status_file.read_text())["connected"] is True, timeout=15)
    finally:
        loop.send_signal(signal.SIGTERM)
        try:
            loop.wait(timeout=60)
        except subprocess.TimeoutExpired:
            loop.kill()
            loop.wait()
