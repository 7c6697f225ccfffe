"""Bars per second through sandboxed paper sessions, alone and ten at once.

    python bench/bench_paper.py [--backend local|docker] [--sessions 10] [--bars 1000]
                                [--batch 32] [--checks 1] [--exact]

Each session is a sandboxed strategy process (SmaCross on GOOG) fed closed bars, plus
the trusted paper broker booking its decisions (default execution model), in its own
orchestrator process as ``paper start`` runs it. ``--batch N`` sends known bars N to a
message (a replay: a chunk, one ``init()`` for its bars and ``--checks`` random prefix
spot checks; the sandbox still decides one bar after the other), ``--exact`` re-runs
``init()`` at every bar of a message instead, ``--batch 1`` sends one bar per round trip
(a live feed, always exact). Prints (no asserts):

* one session: bars/s and where a bar's time goes (the sandbox deciding vs the broker
  booking);
* N sessions at once: bars/s per session (median, min), total, wall time;
* the load average before and after, and, because other work shares the cores, a
  relative figure measured in the same run: the same bars through the strategy's own
  ``init()`` once per bar in-process, each on a new broker (the work a bar-by-bar
  session cannot skip — its indicators recomputed on the bars so far — done the plain
  way), and one in-process ``bt.run()`` over them.

Targets (issue 13): >= 200 bars/s per session; >= 10 sessions at once on 2 cores.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backtesting import Backtest  # noqa: E402
from backtesting.test import GOOG  # noqa: E402

from executor.harness.growing import GrowingBars, bar_row  # noqa: E402
from executor.paper.session import BATCH, CHECKS, PaperSession  # noqa: E402
from executor.types import BacktestOptions  # noqa: E402

CODE = (ROOT / "examples" / "sma_cross.py").read_text()


def one_session(args: tuple[str, int, int, int, bool]) -> tuple[float, float, float, float]:
    backend, n, batch, checks, exact = args
    bars = [bar_row(ts.value, row) for ts, row in GOOG.iloc[:n].iterrows()]
    t_open = time.perf_counter()
    with PaperSession(CODE, options=BacktestOptions(exclusive_orders=True), model="default",
                      backend=backend, checks=checks) as s:
        s.batch = max(batch, 1)
        started = time.perf_counter()
        for k in range(0, len(bars), batch):
            if batch == 1:
                s.step(bars[k])
            else:
                s.step_many(bars[k:k + batch], exact=exact)
        done = time.perf_counter()
        return started - t_open, done - started, s.decide_s, s.book_s


def _strategy() -> type:
    ns: dict = {}
    exec(compile(CODE, "sma_cross.py", "exec"), ns)  # noqa: S102 - our own example
    return ns["SmaCross"]


def in_process(n: int) -> tuple[float, float]:
    """Seconds for n per-bar init()s on the bars so far, and for one bt.run over n bars."""
    from executor.harness.growing import new_broker

    cls = _strategy()
    grow = GrowingBars()
    t = time.perf_counter()
    for ts, row in GOOG.iloc[:n].iterrows():
        grow.append(bar_row(ts.value, row))
        data = grow.data()
        cls(new_broker(data, {}), data, {}).init()
    init_s = time.perf_counter() - t
    bt = Backtest(GOOG.iloc[:n], cls, exclusive_orders=True, commission=0.002,
                  finalize_trades=True)
    t = time.perf_counter()
    bt.run()
    return init_s, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", default="local", choices=("local", "docker"))
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--bars", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=BATCH,
                    help="known bars per message, one init() each (1: one bar a message)")
    ap.add_argument("--checks", type=int, default=CHECKS, help="random spot checks per chunk")
    ap.add_argument("--exact", action="store_true",
                    help="init() at every bar of a message (no chunks, no spot checks)")
    a = ap.parse_args()
    load0 = os.getloadavg()
    mode = "exact init() per bar" if a.exact or a.batch == 1 else \
        f"one init() per chunk + {a.checks} spot check(s)"
    print(f"backend {a.backend}, {a.bars} GOOG bars per session, batch {a.batch} ({mode}), "
          f"{os.cpu_count()} cores, load average {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}")
    init_s, run_s_bt = in_process(a.bars)
    job = (a.backend, a.bars, a.batch, a.checks, a.exact)
    start_s, run_s, decide_s, book_s = one_session(job)
    single = a.bars / run_s
    print(f"one session: start {start_s * 1000:.0f} ms, {single:,.0f} bars/s "
          f"({run_s / a.bars * 1000:.2f} ms a bar: sandbox decides "
          f"{decide_s / a.bars * 1000:.2f} ms, broker books {book_s / a.bars * 1000:.2f} ms)")
    print(f"in-process, same bars: init() once per bar {a.bars / init_s:,.0f} bars/s "
          f"({init_s / a.bars * 1000:.2f} ms a bar), one bt.run {a.bars / run_s_bt:,.0f} bars/s; "
          f"the session runs at {single * init_s / a.bars:.2f}x the per-bar-init floor, "
          f"{single * run_s_bt / a.bars:.3f}x bt.run")
    ctx = mp.get_context("spawn")
    t = time.perf_counter()
    with ctx.Pool(a.sessions) as pool:
        out = pool.map(one_session, [job] * a.sessions)
    wall = time.perf_counter() - t
    rates = [a.bars / r[1] for r in out]
    load1 = os.getloadavg()
    print(f"{a.sessions} sessions at once: per session median {statistics.median(rates):,.0f} "
          f"bars/s, min {min(rates):,.0f}, max {max(rates):,.0f}; total "
          f"{a.sessions * a.bars / max(r[1] for r in out):,.0f} bars/s; wall {wall:.1f} s "
          f"(start-up included); load average after {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")


if __name__ == "__main__":
    main()
