"""Dashboard page times with 10,000 results in the database (prints, never asserts).

    python bench/bench_dashboard.py [--results 10000] [--repeat 30]

Fills a temp database through the real store API (500 strategies x 2 versions x 10
results by default, plus events and LLM calls), serves it on 127.0.0.1 and times each
page over HTTP (urllib, a new connection per request) and in-process (``handle``).
Target: every page under 200 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.dashboard import Dashboard, make_server  # noqa: E402
from agents.dashboard.logs import event_logger  # noqa: E402
from tests.browser.seed import seed  # noqa: E402


def _p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    versions, per = 2, 10
    strategies = max(1, args.results // (versions * per))
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "rbi.sqlite"
        t0 = time.perf_counter()
        seed(db, strategies=strategies, versions=versions, results_per_version=per,
             llm_calls=2000, dead_events=50, done_events_per_strategy=6,
             datasets=("GOOG", "EURUSD", "BTCUSD"))
        print(f"seeded {strategies * versions * per:,} results ({strategies} strategies) "
              f"in {time.perf_counter() - t0:.1f} s -> {db.stat().st_size / 1e6:.1f} MB")
        app = Dashboard(db, token_budget=2_000_000, cost_budget=5.0)
        mid = strategies // 2
        pages = ["/pipeline", "/api/pipeline", "/pipeline/fragment", "/leaderboard",
                 "/leaderboard?sort=total_return&dir=asc", "/leaderboard?sort=max_drawdown",
                 "/leaderboard?filter=killed", "/api/leaderboard?limit=1000",
                 f"/strategy/{mid}", f"/api/strategy/{mid}", "/health", "/metrics"]
        for p in pages:  # warm templates, pygments, page cache
            app.handle("GET", p)
        server = make_server(app, "127.0.0.1", 0, log=event_logger("json", open("/dev/null", "w")))
        server.start_background()
        print(f"{'page':44s} {'http med':>9s} {'http p95':>9s} {'proc med':>9s} {'proc p95':>9s}"
              f" {'bytes':>8s}")
        worst = 0.0
        try:
            for p in pages:
                http, proc = [], []
                size = 0
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    with urllib.request.urlopen(server.url + p) as resp:
                        size = len(resp.read())
                    http.append((time.perf_counter() - t) * 1000)
                    t = time.perf_counter()
                    app.handle("GET", p)
                    proc.append((time.perf_counter() - t) * 1000)
                worst = max(worst, _p95(http))
                print(f"{p:44s} {statistics.median(http):8.1f}  {_p95(http):8.1f}  "
                      f"{statistics.median(proc):8.1f}  {_p95(proc):8.1f}  {size:8d}")
        finally:
            server.shutdown()
            server.server_close()
        print(f"worst http p95: {worst:.1f} ms (target < 200 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
