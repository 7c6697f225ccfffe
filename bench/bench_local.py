"""The local sandbox's per-run overhead against the same backtest in-process.

    python bench/bench_local.py [--repeat 10]

Prints (no asserts) the median of --repeat runs of SmaCross on GOOG: in-process
``Backtest.run()``, ``LocalSandbox().run()`` (subprocess + isolation + harness + parse),
the same through ``executor.sandbox.run`` (adds the validator), the overhead in ms and
the ratio sandbox / in-process; then the bubblewrap jail's own cost: the same runs with
``jail="off"`` (the fallback: in-process namespaces + rlimits) and with the jail
(minimal root, per-run pid/ipc/uts/mount/net namespaces, the run's cgroup), interleaved
so machine load hits both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backtesting import Backtest, Strategy  # noqa: E402
from backtesting.test import GOOG  # noqa: E402

from executor.backends.local.sandbox import LocalSandbox  # noqa: E402
from executor.sandbox import run as sandbox_run  # noqa: E402
from executor.types import BacktestOptions, RunRequest  # noqa: E402

CODE = (ROOT / "tests" / "strategies" / "sma_cross.py").read_text()
OPTS = BacktestOptions(cash=10_000, commission=0.002, exclusive_orders=True)


def median_of(repeat: int, fn) -> tuple[float, list[float]]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    print(f"machine: {os.cpu_count()} cpus, load average {os.getloadavg()[0]:.2f} at start")
    ns: dict = {}
    exec(compile(CODE, "strategy.py", "exec"), ns)
    cls = next(v for v in ns.values() if isinstance(v, type) and issubclass(v, Strategy)
               and v is not Strategy)
    t_in, _ = median_of(args.repeat, lambda: Backtest(
        GOOG, cls, cash=10_000, commission=0.002, exclusive_orders=True).run())
    sandbox = LocalSandbox()

    def local() -> None:
        res = sandbox.run(RunRequest(code=CODE, data=GOOG, options=OPTS))
        if res.status != "ok":
            raise SystemExit(f"local run failed: {res.status} {res.error}")

    def validated() -> None:
        res = sandbox_run(RunRequest(code=CODE, data=GOOG, options=OPTS), backend=sandbox)
        if res.status != "ok":
            raise SystemExit(f"local run failed: {res.status} {res.error}")

    local()  # warm-up (page cache, any zygote the backend keeps)
    t_local, times = median_of(args.repeat, local)
    t_valid, _ = median_of(args.repeat, validated)
    print(f"in-process bt.run()                  median {t_in * 1000:8.1f} ms")
    print(f"LocalSandbox.run()                   median {t_local * 1000:8.1f} ms "
          f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})")
    print(f"validate + LocalSandbox.run()        median {t_valid * 1000:8.1f} ms")
    print(f"per-run overhead {(t_local - t_in) * 1000:.1f} ms; ratio sandbox/in-process "
          f"{t_local / t_in:.1f}x (with validation {t_valid / t_in:.1f}x)")
    jailed, plain = LocalSandbox(jail="auto"), LocalSandbox(jail="off")
    if jailed.jail_problem:
        print(f"jail unavailable here: {jailed.jail_problem}")
    else:
        for box in (jailed, plain):  # warm both fork servers
            box.run(RunRequest(code=CODE, data=GOOG, options=OPTS))
        t_j, t_p = [], []
        for _ in range(args.repeat):
            for box, acc in ((jailed, t_j), (plain, t_p)):
                t = time.perf_counter()
                res = box.run(RunRequest(code=CODE, data=GOOG, options=OPTS))
                acc.append(time.perf_counter() - t)
                if res.status != "ok":
                    raise SystemExit(f"{box.jail_mode} run failed: {res.status} {res.error}")
        mj, mp = statistics.median(t_j), statistics.median(t_p)
        print(f"LocalSandbox(jail='off') .run()      median {mp * 1000:8.1f} ms")
        print(f"LocalSandbox(jail=bwrap) .run()      median {mj * 1000:8.1f} ms")
        print(f"jail overhead {(mj - mp) * 1000:+.1f} ms per run; ratio jail/no-jail {mj / mp:.2f}x")
    print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
