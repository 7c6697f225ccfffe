"""`history` and `status` on a database with 10,000 results (and 20,000 events).

    python bench/bench_history.py [--results 10000]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agents.store import Store  # noqa: E402
from agents.store import queries as q  # noqa: E402
from agents.store.queue import Queue  # noqa: E402


def build(db: Path, n_results: int) -> None:
    rng = random.Random(0)
    with Store(db) as s, s.tx():
        queue = Queue(s)
        per = 10
        for i in range(n_results // per):
            idea, _ = s.add_idea(f"idea {i}")
            sid, _ = s.add_strategy(idea, f"strat{i}")
            for v in range(2):
                vid, _ = s.add_version(sid, f"code {i} {v}")
                for k in range(per // 2):
                    s.record_result(vid, {"status": "ok" if rng.random() > 0.1 else "error",
                                          "stats": {"Sharpe Ratio": rng.gauss(0, 1),
                                                    "Return [%]": rng.gauss(5, 20)},
                                          "params": {"k": k}}, "GOOG")
            for t in ("research", "backtest"):
                e, _ = queue.enqueue(t, {"idea_id": idea})
                s.conn.execute("UPDATE events SET status = ? WHERE id = ?",
                               (rng.choice(["done", "done", "dead", "ready"]), e))


def timed(label: str, fn, repeat: int = 5) -> None:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    print(f"{label}: {best * 1000:.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--results", type=int, default=10_000)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "h.sqlite"
        t0 = time.perf_counter()
        build(db, a.results)
        print(f"built {a.results} results in {time.perf_counter() - t0:.1f} s")
        with Store(db) as s:
            timed("history (limit 20)", lambda: q.history(s, limit=20))
            timed("history --min-sharpe 1.5 --limit 50", lambda: q.history(s, min_sharpe=1.5, limit=50))
            timed("history --status active --limit 200", lambda: q.history(s, status="active", limit=200))
            timed("status", lambda: q.status(s, handled=("research",)))
            timed("show (one strategy)", lambda: q.show(s, 500))
        for cmd in (["history"], ["status"]):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "agents.rbi", *cmd, "--json", "--db", str(db)],
                           cwd=ROOT, check=True, capture_output=True)
            print(f"`python -m agents.rbi {cmd[0]} --json` whole process: "
                  f"{(time.perf_counter() - t0) * 1000:.0f} ms (mostly interpreter + imports)")


if __name__ == "__main__":
    main()
