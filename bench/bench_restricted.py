"""Per-backtest cost of RestrictedPython mode vs a plain import, same strategy, same data.

    python bench/bench_restricted.py [--repeat N]

Prints CPU seconds per backtest (best of N, after one warm-up; CPU time, not wall time,
so other load on a shared machine distorts less) for the plain module and the
restricted module, their ratio, and the validator's own time on the same file.
"""

from __future__ import annotations

import argparse
import sys
import time
import types
import warnings
from functools import partial
from pathlib import Path

from backtesting import Backtest
from backtesting.test import GOOG

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from executor.validator import validate  # noqa: E402
from executor.validator.restricted import exec_restricted  # noqa: E402

FILES = ["sma_cross.py", "trades_loop.py", "private_state.py"]


def plain_module(code: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(code, name, "exec"), module.__dict__)
    return module


def one_run(strategy: type) -> None:
    Backtest(GOOG, strategy, cash=10_000, commission=.002).run()


def best(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat + 1):
        t = time.process_time()
        fn()  # type: ignore[operator]
        times.append(time.process_time() - t)
    return min(times[1:])


def interleaved(a: object, b: object, repeat: int) -> tuple[float, float]:
    """Best-of times of ``a`` and ``b`` run alternately, so load on a shared machine hits
    both alike (one warm-up each)."""
    ta, tb = [], []
    for _ in range(repeat + 1):
        for fn, out in ((a, ta), (b, tb)):
            t = time.process_time()
            fn()  # type: ignore[operator]
            out.append(time.process_time() - t)
    return min(ta[1:]), min(tb[1:])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    print(f"{'strategy':<20}{'plain s':>10}{'restricted s':>14}{'ratio':>8}{'validate ms':>13}")
    for fname in FILES:
        code = (ROOT / "tests" / "corpus" / "benign" / fname).read_text()
        plain = plain_module(code, "bench_plain")
        restricted = exec_restricted(code, "bench_restricted", fname)
        cls_name = [n for n, v in vars(plain).items()
                    if isinstance(v, type) and getattr(v, "__module__", "") == "bench_plain"][-1]
        t_plain, t_restr = interleaved(partial(one_run, getattr(plain, cls_name)),
                                       partial(one_run, getattr(restricted, cls_name)),
                                       args.repeat)
        t_val = best(partial(validate, code), args.repeat * 4)
        print(f"{fname:<20}{t_plain:>10.3f}{t_restr:>14.3f}{t_restr / t_plain:>8.2f}"
              f"{t_val * 1000:>13.2f}")


if __name__ == "__main__":
    main()
