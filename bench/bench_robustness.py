"""Walk-forward + Monte Carlo cost per candidate: the per-fold path vs the fast path.

    python bench/bench_robustness.py [--bars 1000000] [--grid 4] [--folds 3] [--workers 2]
                                     [--no-before] [--lookahead]
                                     [--sandbox local|docker] [--sandbox-bars 100000]

Runner: in-process backtesting.py (no sandbox; see bench_restricted.py / bench_docker.py
for the sandbox's own per-run overhead). Data: executor.synthetic.synthetic_ohlcv
(1-minute bars). Strategy: examples/sma_cross.py. Walk-forward: ``--folds`` rolling
folds, train = 2 x test, re-optimising over a ``--grid``-set grid, windows run warm
(history + window). Monte Carlo: 10 000 block-bootstrap paths (block 5) of the full
run's trade returns.

In one run, on the same data, it times:

* before: every fold re-runs the grid on its train prefix (and the test prefix is the
  next fold's train prefix), Monte Carlo walked trade by trade;
* after: one backtest per grid set cut at every fold's bar (``inprocess_runner().cuts``,
  ``--workers`` processes), Monte Carlo walked block by block;

with each phase (backtests per prefix, window scoring, Monte Carlo) in wall and CPU
seconds (``--sandbox``: also the research loop's walk-forward through the sandboxed
runner, every train prefix as one multi-frame batch, on ``--sandbox-bars`` bars, checked
against the in-process cut path), checks both give the same report, and prints the load average (other work on
the machine slows wall time; CPU seconds and the ratio are the figures to compare).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from agents.research.lookahead import truncation_check  # noqa: E402
from agents.research.montecarlo import monte_carlo  # noqa: E402
from agents.research.runners import inprocess_runner  # noqa: E402
from agents.research.walkforward import walk_forward  # noqa: E402
from executor.synthetic import synthetic_ohlcv  # noqa: E402
from executor.types import BacktestOptions  # noqa: E402

CODE = (Path(__file__).resolve().parent.parent / "examples" / "sma_cross.py").read_text()
GRID = [{"n1": a, "n2": b} for a in (10, 20, 30, 40) for b in (60, 120, 240, 480)]
OPTIONS = BacktestOptions(cash=1e9, commission=0.0002, exclusive_orders=True)
RUN = inprocess_runner(OPTIONS)
_FRAME: dict[str, pd.DataFrame] = {}  # the workers' data (inherited through fork)


class Clock:
    """Wall and CPU seconds (this process + finished children) of named phases."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []

    @staticmethod
    def cpu() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def time(self, name: str, fn: Callable[[], Any]) -> Any:
        w, c = time.perf_counter(), self.cpu()
        out = fn()
        self.rows.append((name, time.perf_counter() - w, self.cpu() - c))
        return out

    def total(self) -> tuple[float, float]:
        return sum(r[1] for r in self.rows), sum(r[2] for r in self.rows)


def _cut_one(args: tuple[dict[str, Any], int, list[int]]) -> dict[int, Any]:
    params, bars, stops = args
    [out] = RUN.cuts(CODE, _FRAME["data"].iloc[:bars], [params], stops)
    return out


def _walk(data: pd.DataFrame, grid: list[dict[str, Any]], test: int, clock: Clock,
          fast: bool, workers: int) -> Any:
    def batch(ps: list[dict[str, Any]], d: pd.DataFrame) -> list[Any]:
        return clock.time(f"  grid x{len(ps)} on bars [0, {len(d)})",
                          lambda: [RUN(CODE, d, p) for p in ps])

    def cuts(ps: list[dict[str, Any]], d: pd.DataFrame, stops: list[int]) -> list[Any]:
        def go() -> list[Any]:
            jobs = [(p, len(d), stops) for p in ps]
            if workers <= 1:
                return [_cut_one(j) for j in jobs]
            with ProcessPoolExecutor(workers) as pool:
                return list(pool.map(_cut_one, jobs))
        return clock.time(f"  {len(ps)} runs on [0, {len(d)}) cut at {stops} "
                          f"({workers} procs)", go)

    w, c = time.perf_counter(), clock.cpu()
    rep = walk_forward(data, grid, batch, train=2 * test, test=test,
                       run_cuts=cuts if fast else None)
    spent_w, spent_c = clock.total()
    clock.rows.append(("  window scoring + folds", time.perf_counter() - w - spent_w,
                       clock.cpu() - c - spent_c))
    return rep


def _sandboxed(backend: str, data: pd.DataFrame, grid: list[dict[str, Any]], folds: int) -> None:
    """evaluate._walk_forward's calls through sandbox_runner (run_jobs), vs the cut path."""
    from agents.research.runners import run_jobs, run_many, sandbox_runner

    run = sandbox_runner(backend, OPTIONS)
    test = len(data) // (folds + 2)
    print(f"[sandbox {backend}] walk-forward on {len(data)} bars, load {os.getloadavg()}",
          flush=True)
    clock = Clock()

    def go() -> Any:
        return walk_forward(data, grid, lambda ps, d: run_many(run, CODE, d, ps, OPTIONS),
                            train=2 * test, test=test,
                            run_jobs=lambda todo: run_jobs(run, CODE, todo, OPTIONS))

    rep = clock.time(f"  walk-forward through the {backend} sandbox (run_jobs)", go)
    _print(f"[sandbox {backend}] phases (CPU: this process and waited children only)", clock)
    ref = walk_forward(data, grid, lambda ps, d: [RUN(CODE, d, p) for p in ps], train=2 * test,
                       test=test, run_cuts=lambda ps, d, st: RUN.cuts(  # type: ignore[attr-defined]
                           CODE, d, ps, st)).to_dict()
    got = rep.to_dict()
    got.pop("backtests"), ref.pop("backtests")
    print(f"  same walk-forward report as the in-process cut path: {got == ref}")


def _print(title: str, clock: Clock) -> tuple[float, float]:
    print(f"{title}")
    for name, w, c in clock.rows:
        print(f"  {w:8.2f} s wall {c:8.2f} s cpu  {name}")
    w, c = clock.total()
    print(f"  {w:8.2f} s wall {c:8.2f} s cpu  TOTAL", flush=True)
    return w, c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--grid", type=int, default=4)
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2, help="processes for the fast path's runs")
    ap.add_argument("--no-before", action="store_true", help="skip the per-fold path")
    ap.add_argument("--lookahead", action="store_true", help="also time the truncation check")
    ap.add_argument("--sandbox", choices=("local", "docker"),
                    help="also time the walk-forward through this sandbox backend")
    ap.add_argument("--sandbox-bars", type=int, default=100_000,
                    help="bars for the --sandbox walk-forward (default 100000)")
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()}, cpus: {os.cpu_count()}")
    data = synthetic_ohlcv(args.bars, freq="1min", seed=1)
    _FRAME["data"] = data
    grid = GRID[: args.grid]
    test = args.bars // (args.folds + 2)
    t = time.perf_counter()
    full = RUN(CODE, data, {"n1": 10, "n2": 60})
    print(f"one full run: {time.perf_counter() - t:.2f} s wall, {len(full.trades)} trades")
    rets = [t_["ReturnPct"] for t_ in full.trades]
    reports = {}
    figures = {}
    for label, fast in (("before", False), ("after", True)):
        if label == "before" and args.no_before:
            continue
        clock = Clock()
        print(f"[{label}] walk-forward: {args.folds} folds x {len(grid)} sets ...", flush=True)
        rep = _walk(data, grid, test, clock, fast, args.workers)
        clock.time(f"Monte Carlo 10k paths x {len(rets)} trades, block 5 "
                   f"({'by block' if fast else 'by trade'})",
                   lambda f=fast: monte_carlo(rets, paths=10_000, block=5, seed=0, by_block=f))
        reports[label] = rep.to_dict()
        print(f"  per fold (params, IS metric, OOS metric): "
              f"{[(f.params, round(f.is_metric, 3), round(f.oos_metric, 3)) for f in rep.folds]}")
        print(f"  backtests {rep.backtests}, evaluations {rep.evaluations}, "
              f"OOS PSR {rep.oos_psr}")
        figures[label] = _print(f"[{label}] phases ({args.bars} bars)", clock)
    if len(reports) == 2:
        a, b = (dict(r) for r in reports.values())
        a.pop("backtests"), b.pop("backtests")
        print(f"same walk-forward report before/after: {a == b}")
        (bw, bc), (aw, ac) = figures["before"], figures["after"]
        print(f"speed-up: {bw / aw:.1f}x wall, {bc / ac:.1f}x cpu "
              f"(before {bw:.1f} s / after {aw:.1f} s wall)")
    if args.lookahead:
        t = time.perf_counter()
        truncation_check(CODE, data, {"n1": 10, "n2": 60}, RUN, full_trades=full.trades)
        print(f"look-ahead truncation check: {time.perf_counter() - t:.2f} s")
    if args.sandbox:
        _sandboxed(args.sandbox, data.iloc[: args.sandbox_bars], grid, args.folds)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
