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
``timings["replay_set_s"]`` and the time waited for replays after the sandbox ended
(``timings["replay_s"]``): the replays run on a host thread as results arrive, so in a
batch they overlap the sandbox's later sets. And the load average before each
measurement. Each repeat runs both modes, in alternating order (on/off, then off/on)
so a load that drifts during the run does not favour one. No asserts; the target of
issue 16 is <= 15 %.

Before every timed run the backend's background work is let finish (:func:`settle`: the
local backend's run made ahead of need, Docker's warm pool and container removals), so
each run starts from the same state, as in the research loop where an LLM call
separates runs. Without it the interleaving is biased: a run with the replay ends later,
so the next (replay-off) run finds its prespawned sandbox ready, while a replay-off run
ends early and the next replay-on run waits for, or competes with, that refill
(``--no-settle`` shows this back-to-back figure).
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


SETTLE = True


def settle(sandbox: Any, timeout_s: float = 30.0) -> None:
    """Wait until the backend's background work after a run is done (see module doc)."""
    if not SETTLE:
        return
    end = time.monotonic() + timeout_s
    filling = getattr(sandbox, "_filling", None)  # local: runs made ahead of need
    while filling and time.monotonic() < end:
        time.sleep(0.005)
    pool = getattr(sandbox, "pool", None)  # docker: warm containers, then removals
    if pool is not None:
        pool.wait_ready(timeout_s)
    if getattr(sandbox, "name", "") == "docker":
        from executor.backends.docker.sandbox import settle as docker_settle

        docker_settle(timeout_s)


def timed(sandbox: Any, request: RunRequest, replay: bool) -> tuple[float, list[Any]]:
    settle(sandbox)
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
    ap.add_argument("--batch-repeat", type=int, default=3, help="batches per mode (median)")
    ap.add_argument("--backend", default="local", help="local or docker")
    ap.add_argument("--no-settle", action="store_true",
                    help="time runs back to back, without letting background work finish")
    args = ap.parse_args()
    global SETTLE
    SETTLE = not args.no_settle
    warnings.simplefilter("ignore")
    print(f"machine: {os.cpu_count()} cpus, load average {os.getloadavg()[0]:.2f} at start")
    sandbox = get_sandbox(args.backend)
    single = RunRequest(code=CODE, data=GOOG, options=OPTS, params={"n1": 10, "n2": 20},
                        limits=Limits(timeout_s=120))
    timed(sandbox, single, True)  # warm: zygote, host imports
    on: list[float] = []
    off: list[float] = []
    replay_s, waited, loads, cpu_replay, cpu_sandbox = [], [], [], [], []
    for k in range(args.repeat):
        loads.append(load())
        for replay in ((True, False) if k % 2 == 0 else (False, True)):  # order alternates
            t, res = timed(sandbox, single, replay)
            assert res[0].status == "ok", res[0].error
            (on if replay else off).append(t)
            if replay:
                replay_s.append(res[0].timings.get("replay_set_s", 0.0))
                waited.append(res[0].timings.get("replay_s", 0.0))
                cpu_replay.append(res[0].timings.get("replay_cpu_s", 0.0))
                cpu_sandbox.append(res[0].resources.get("cpu_s", 0.0))
    m_on, m_off = statistics.median(on), statistics.median(off)
    print(f"single run ({args.backend}): with replay {m_on * 1000:.0f} ms, without {m_off * 1000:.0f} ms, "
          f"replay itself {statistics.median(replay_s) * 1000:.0f} ms (waited for after the sandbox ended: "
          f"{statistics.median(waited) * 1000:.0f} ms) -> cost {(m_on - m_off) / m_off:+.1%} "
          f"(load average {min(loads):.1f}-{max(loads):.1f})")
    cpu_line("single run", statistics.median(cpu_replay), statistics.median(cpu_sandbox))
    batch = RunRequest(code=CODE, data=GOOG, options=OPTS, param_sets=grid(args.sets),
                       max_trades=0, equity_points=0, limits=Limits(timeout_s=120))
    b_on: list[float] = []
    b_off: list[float] = []
    per_set, waited, loads, cpu_replay, cpu_sandbox = [], [], [], [], []
    for k in range(args.batch_repeat):
        for replay in ((True, False) if k % 2 == 0 else (False, True)):
            loads.append(load())
            t, res = timed(sandbox, batch, replay)
            bad = [r for r in res if r.status != "ok"]
            assert not bad, bad[0].error
            (b_on if replay else b_off).append(t)
            if replay:
                per_set.append(statistics.mean(r.timings.get("replay_set_s", 0.0) for r in res))
                waited.append(res[0].timings.get("replay_s", 0.0))
                cpu_replay.append(sum(r.timings.get("replay_cpu_s", 0.0) for r in res))
                cpu_sandbox.append(res[0].resources.get("cpu_s", 0.0))
    m_on, m_off = statistics.median(b_on), statistics.median(b_off)
    print(f"batch of {len(batch.param_sets or [])} sets ({args.backend}): with replay {m_on:.2f} s, "
          f"without {m_off:.2f} s, replay {statistics.median(per_set) * 1000:.1f} ms/set on its thread "
          f"(waited for after the sandbox ended: {statistics.median(waited) * 1000:.0f} ms) "
          f"-> cost {(m_on - m_off) / m_off:+.1%} (load average {min(loads):.1f}-{max(loads):.1f})")
    cpu_line(f"batch of {args.sets} sets", statistics.median(cpu_replay), statistics.median(cpu_sandbox))


def cpu_line(what: str, replay_cpu: float, sandbox_cpu: float) -> None:
    """CPU time, which load inflates far less than wall time: the host's replays (thread
    CPU time) against the sandbox's strategy processes (the harness's reaped children;
    the harness parent, jail and container start are not counted, so this overstates
    the share). With no free core the wall-time cost tends to this ratio; with one, the
    overlap hides the batch's replays."""
    share = replay_cpu / sandbox_cpu if sandbox_cpu else float("nan")
    print(f"  {what}, CPU: replay {replay_cpu * 1000:.0f} ms, sandbox workers {sandbox_cpu * 1000:.0f} ms "
          f"-> replay = {share:.1%} of the sandbox's CPU")


if __name__ == "__main__":
    main()
