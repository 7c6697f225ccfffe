"""Walk-forward + Monte Carlo cost per candidate vs the number of bars.

    python bench/bench_robustness.py [--bars 10000,100000,1000000] [--grid 4] [--folds 3]

Runner: in-process backtesting.py (no sandbox; the sandbox adds its own per-run
overhead, see bench_restricted.py). Data: executor.synthetic.synthetic_ohlcv (1-minute
bars). Strategy: SmaCross. Walk-forward: ``--folds`` rolling folds, train = 2 x test,
re-optimising over a ``--grid``-set grid. Monte Carlo: 10 000 block-bootstrap paths of
the full run's trade returns (block 5), plus the look-ahead truncation check (5 cuts).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.research.lookahead import truncation_check  # noqa: E402
from agents.research.montecarlo import monte_carlo  # noqa: E402
from agents.research.runners import inprocess_runner  # noqa: E402
from agents.research.walkforward import walk_forward  # noqa: E402
from executor.synthetic import synthetic_ohlcv  # noqa: E402
from executor.types import BacktestOptions  # noqa: E402

CODE = (Path(__file__).resolve().parent.parent / "examples" / "sma_cross.py").read_text()
GRID = [{"n1": a, "n2": b} for a in (10, 20, 30, 40) for b in (60, 120, 240, 480)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", default="10000,100000,1000000")
    ap.add_argument("--grid", type=int, default=4)
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--lookahead", action="store_true", help="also time the truncation check")
    args = ap.parse_args()
    run = inprocess_runner(BacktestOptions(cash=1e9, commission=0.0002, exclusive_orders=True))
    grid = GRID[: args.grid]
    print(f"{'bars':>9} {'1 run s':>8} {'WF runs':>7} {'WF s':>8} {'s/run':>7} {'trades':>7} "
          f"{'MC 10k s':>8} {'look-ahead s':>12}")
    for bars in (int(b) for b in args.bars.split(",")):
        data = synthetic_ohlcv(bars, freq="1min", seed=1)
        t = time.perf_counter()
        full = run(CODE, data, {"n1": 10, "n2": 60})
        one = time.perf_counter() - t

        def batch(ps: list[dict], d: object) -> list:
            return [run(CODE, d, p) for p in ps]  # type: ignore[arg-type]

        test = bars // (args.folds + 2)
        t = time.perf_counter()
        rep = walk_forward(data, grid, batch, train=2 * test, test=test)
        wf = time.perf_counter() - t
        rets = [t_["ReturnPct"] for t_ in full.trades]
        t = time.perf_counter()
        monte_carlo(rets, paths=10_000, block=5, seed=0)
        mc = time.perf_counter() - t
        la = "-"
        if args.lookahead:
            t = time.perf_counter()
            truncation_check(CODE, data, {"n1": 10, "n2": 60}, run, full_trades=full.trades)
            la = f"{time.perf_counter() - t:.2f}"
        print(f"{bars:>9} {one:>8.2f} {rep.evaluations:>7} {wf:>8.2f} "
              f"{wf / rep.evaluations:>7.3f} {len(rets):>7} {mc:>8.3f} {la:>12}", flush=True)


if __name__ == "__main__":
    main()
