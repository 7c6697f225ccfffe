"""What the trusted replay costs: a sandboxed run with and without the host's replay.

    python bench/bench_verify.py [--repeat 5] [--sets 200] [--backend local]

Every result's numbers come from replaying the strategy's order log on the host
(executor/verify.py). This prints, measured in ONE process and interleaved so machine
load hits both alike, the wall time of

* a single SmaCross run on GOOG, and
* a batch of --sets parameter sets (stats only: max_trades=0, equity_points=0, as the
  optimiser asks),

with the replay on, and with it switched off (``executor.verify.Verifier.verify``
replaced by a no-op: the sandbox part is identical, only the host's replay is skipped;
the sandbox's worker computes no statistics in either mode), and the ratio
(on - off) / off. It also prints the replay's own time per set from the results'
``timings["replay_s"]`` (the replays run on a host thread as results arrive, so in a
batch they overlap the sandbox's later sets), and the load average before each
measurement. No asserts; the target of issue 16 is <= 15 %.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backtesting.test import GOOG  # noqa: E402

import executor.verify as verify_mod  # noqa: E402
from executor.sandbox import get_sandbox  # noqa: E402
from executor.types import BacktestOptions, Limits, RunRequest  # noqa: E402

CODE = (ROOT / "examples" / "sma_cross.py").read_text()
OPTS = BacktestOptions(cash=10_000, commission=0.002, exclusive_orders=True)
REAL_VERIFY = verify_mod.Verifier.verify


def _no_replay(self: Any, doc: dict[str, Any]) -> None:
    doc.pop("orderlog", None)


def timed(sandbox: Any, request: RunRequest, replay: bool) -> tuple[float, list[Any]]:
    verify_mod.Verifier.verify = REAL_VERIFY if replay else _no_replay  # type: ignore[method-assign]
    try:
        t = time.perf_counter()
        out = sandbox.run_batch(request) if request.param_sets else [sandbox.run(request)]
        return time.perf_counter() - t, out
    finally:
        verify_mod.Verifier.verify = REAL_VERIFY  # type: ignore[method-assign]


def load() -> float:
    return os.getloadavg()[0]


def grid(n: int) -> list[dict[str, int]]:
    sets = [{"n1": a, "n2": b} for a in range(5, 60) for b in range(a + 5, 120, 3)]
    return sets[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="single runs per mode (median)")
    ap.add_argument("--sets", type=int, default=200, help="parameter sets in the batch")
    ap.add_argument("--batch-repeat", type=int, default=1, help="batches per mode (median)")
    ap.add_argument("--backend", default="local", help="local or docker")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    print(f"machine: {os.cpu_count()} cpus, load average {os.getloadavg()[0]:.2f} at start")
    sandbox = get_sandbox(args.backend)
    single = RunRequest(code=CODE, data=GOOG, options=OPTS, params={"n1": 10, "n2": 20},
                        limits=Limits(timeout_s=120))
    timed(sandbox, single, True)  # warm: zygote, host imports
    on, off, replay_s, loads = [], [], [], []
    for _ in range(args.repeat):
        loads.append(load())
        t, res = timed(sandbox, single, True)
        assert res[0].status == "ok", res[0].error
        on.append(t)
        replay_s.append(res[0].timings.get("replay_s", 0.0))
        off.append(timed(sandbox, single, False)[0])
    m_on, m_off = statistics.median(on), statistics.median(off)
    print(f"single run ({args.backend}): with replay {m_on * 1000:.0f} ms, without {m_off * 1000:.0f} ms, "
          f"replay itself {statistics.median(replay_s) * 1000:.0f} ms -> cost {(m_on - m_off) / m_off:+.1%} "
          f"(load average {min(loads):.1f}-{max(loads):.1f})")
    batch = RunRequest(code=CODE, data=GOOG, options=OPTS, param_sets=grid(args.sets),
                       max_trades=0, equity_points=0, limits=Limits(timeout_s=120))
    b_on, b_off, per_set, loads = [], [], [], []
    for _ in range(args.batch_repeat):
        loads.append(load())
        t, res = timed(sandbox, batch, True)
        bad = [r for r in res if r.status != "ok"]
        assert not bad, bad[0].error
        b_on.append(t)
        per_set.append(statistics.mean(r.timings.get("replay_s", 0.0) for r in res))
        loads.append(load())
        b_off.append(timed(sandbox, batch, False)[0])
    m_on, m_off = statistics.median(b_on), statistics.median(b_off)
    print(f"batch of {len(batch.param_sets or [])} sets ({args.backend}): with replay {m_on:.2f} s, "
          f"without {m_off:.2f} s, replay {statistics.median(per_set) * 1000:.1f} ms/set "
          f"-> cost {(m_on - m_off) / m_off:+.1%} (load average {min(loads):.1f}-{max(loads):.1f})")


if __name__ == "__main__":
    main()
