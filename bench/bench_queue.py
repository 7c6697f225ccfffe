"""Events/second through the queue with no-op handlers, and idle CPU of `rbi run`.

    python bench/bench_queue.py [--events 3000] [--workers 2] [--idle-seconds 10]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.pipeline import Pipeline, Stage  # noqa: E402
from agents.runtime import Runtime  # noqa: E402
from agents.settings import load_settings  # noqa: E402
from agents.store import Store  # noqa: E402
from agents.store.queue import Queue  # noqa: E402


def throughput(n: int, workers: int, tmp: Path) -> float:
    db = tmp / "q.sqlite"
    with Store(db) as s, s.tx():
        q = Queue(s)
        for i in range(n):
            q.enqueue("noop", {"n": i})
    settings = load_settings(db=db, workers=workers, poll_interval=0.05, pipeline="x:y")
    pipeline = Pipeline({"noop": Stage("tests.helpers_agents:noop", ("n",))})
    t0 = time.perf_counter()
    counts = Runtime(settings, pipeline, once=True).run()
    dt = time.perf_counter() - t0
    assert counts["done"] == n, counts
    return n / dt


def idle_cpu(seconds: float, tmp: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
           "RBI_DB": str(tmp / "idle.sqlite"), "RBI_IDEAS_DIR": str(tmp / "ideas"),
           "RBI_PIPELINE": "tests.helpers_agents:PIPELINE"}
    (tmp / "ideas").mkdir(exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-m", "agents.rbi", "run"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)  # start-up (imports, migration) is not idle time
        assert proc.poll() is None, "rbi run exited early"
        p = psutil.Process(proc.pid)
        c0 = p.cpu_times()
        time.sleep(seconds)
        c1 = p.cpu_times()
        assert proc.poll() is None, "rbi run exited early"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    used = (c1.user - c0.user) + (c1.system - c0.system)
    return 100.0 * used / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--idle-seconds", type=float, default=10.0)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for w in sorted({1, a.workers}):
            (tmp / f"w{w}").mkdir()
            rate = throughput(a.events, w, tmp / f"w{w}")
            print(f"queue: {a.events} no-op events, {w} worker(s): {rate:,.0f} events/s")
        cpu = idle_cpu(a.idle_seconds, tmp)
        print(f"idle `rbi run` (scripted pipeline, empty queue, 1 s poll): {cpu:.3f} % of one core "
              f"over {a.idle_seconds:.0f} s")


if __name__ == "__main__":
    main()
