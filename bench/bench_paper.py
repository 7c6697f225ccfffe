"""Bars per second through sandboxed paper sessions, alone and ten at once.

    python bench/bench_paper.py [--backend local|docker] [--sessions 10] [--bars 1000]

Each session is a sandboxed strategy process (SmaCross on GOOG) fed one closed bar at a
time, plus the trusted paper broker booking its decisions (default execution model), in
its own orchestrator process as ``paper start`` runs it. Prints (no asserts): one
session's bars/s and where a bar's time goes (the sandbox deciding vs the broker
booking), then N sessions at once: wall time, bars/s per session and in total.
Targets (issue 13): >= 200 bars/s per session; >= 10 sessions at once on 2 cores.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backtesting.test import GOOG  # noqa: E402

from executor.harness.growing import bar_row  # noqa: E402
from executor.paper.session import PaperSession  # noqa: E402
from executor.types import BacktestOptions  # noqa: E402

CODE = (ROOT / "examples" / "sma_cross.py").read_text()


def one_session(args: tuple[str, int]) -> tuple[float, float, float, float]:
    backend, n = args
    bars = [bar_row(ts.value, row) for ts, row in GOOG.iloc[:n].iterrows()]
    t_open = time.perf_counter()
    with PaperSession(CODE, options=BacktestOptions(exclusive_orders=True), model="default",
                      backend=backend) as s:
        started = time.perf_counter()
        for bar in bars:
            s.step(bar)
        done = time.perf_counter()
        return started - t_open, done - started, s.decide_s, s.book_s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", default="local", choices=("local", "docker"))
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--bars", type=int, default=1000)
    a = ap.parse_args()
    print(f"backend {a.backend}, {a.bars} GOOG bars per session, {os.cpu_count()} cores")
    start_s, run_s, decide_s, book_s = one_session((a.backend, a.bars))
    print(f"one session: start {start_s * 1000:.0f} ms, {a.bars / run_s:,.0f} bars/s "
          f"({run_s / a.bars * 1000:.2f} ms a bar: sandbox decides "
          f"{decide_s / a.bars * 1000:.2f} ms, broker books {book_s / a.bars * 1000:.2f} ms)")
    ctx = mp.get_context("spawn")
    t = time.perf_counter()
    with ctx.Pool(a.sessions) as pool:
        out = pool.map(one_session, [(a.backend, a.bars)] * a.sessions)
    wall = time.perf_counter() - t
    rates = sorted(a.bars / r[1] for r in out)
    print(f"{a.sessions} sessions at once: wall {wall:.1f} s (start-up included), per session "
          f"{rates[0]:,.0f}-{rates[-1]:,.0f} bars/s (median {rates[len(rates) // 2]:,.0f}), "
          f"total {a.sessions * a.bars / max(r[1] for r in out):,.0f} bars/s")


if __name__ == "__main__":
    main()
