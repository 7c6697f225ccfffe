"""The Docker backend's cost against backtesting.py in-process, in one run.

    python bench/bench_docker.py [--repeat 10] [--sets 200] [--cpus 2]

Prints (no asserts):
  * in-process: one ``Backtest(GOOG, SmaCross, ...).run()`` (median of --repeat);
  * cold single run through Docker: validate + fresh container + run + parse
    (``executor.sandbox.run`` with ``DockerSandbox()``; median of --repeat), with the
    median of each phase (create/attach/start/exchange/remove);
  * warm single run: the same with ``DockerSandbox(warm=1)``, one container started
    ahead and imported (the research loop's case: the LLM call gives it the time);
  * reused single run: ``DockerSandbox(reuse=True)``, the same code version's container
    kept and reset between runs (the research loop's default; its first run is not
    counted);
  * the CPU of a warm (and a reused) run, which machine load inflates far less than wall time: the
    container's (its cgroup, request sent -> last result read) and this process's;
  * the phases of both (bench/phases.py: encode, acquire, fork+exec, transfer, harness
    import, data parse, worker fork, strategy run, result encode, decode, replay, ...);
  * batch: --sets SmaCross parameter sets on GOOG in ONE container (``run_batch``,
    ``parallel`` = --cpus) vs ``Backtest.optimize`` in-process over the same sets
    (its own process pool); the throughput ratio. Targets (#15, quiet 2 cores): cold
    ≤ 600 ms, warm ≤ 2.5× in-process, batch ≥ 0.9×.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import types
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backtesting import Backtest, Strategy  # noqa: E402
from backtesting.test import GOOG  # noqa: E402

from bench.phases import table  # noqa: E402
from executor.backends.docker.container import Container  # noqa: E402
from executor.backends.docker.reuse import ReusedContainer  # noqa: E402
from executor.backends.docker.sandbox import DockerSandbox  # noqa: E402
from executor.sandbox import run as sandbox_run  # noqa: E402
from executor.sandbox import run_batch as sandbox_run_batch  # noqa: E402
from executor.types import BacktestOptions, Limits, RunRequest  # noqa: E402

CODE = (ROOT / "tests" / "strategies" / "sma_cross.py").read_text()
OPTS = BacktestOptions(cash=10_000, commission=0.002, exclusive_orders=True)
PHASES = ("docker_create_s", "docker_attach_s", "docker_start_s", "docker_exchange_s",
          "docker_remove_s")


def strategy_class() -> type:
    """SmaCross from the same source, in a real module (optimize's pool pickles it)."""
    mod = types.ModuleType("rbi_bench_strategy")
    exec(compile(CODE, "strategy.py", "exec"), mod.__dict__)
    sys.modules[mod.__name__] = mod
    return next(v for v in vars(mod).values() if isinstance(v, type) and issubclass(v, Strategy)
                and v is not Strategy)


def grid(n: int) -> tuple[dict[str, list[int]], list[dict[str, int]]]:
    n1 = list(range(5, 5 + 2 * 20, 2))                 # 20 values
    n2 = list(range(50, 50 + 10 * -(-n // 20), 10))   # enough for n sets
    sets = [{"n1": a, "n2": b} for a in n1 for b in n2][:n]
    return {"n1": n1, "n2": n2[: -(-n // 20)]}, sets


def cgroup_cpu_s(container_id: str) -> float | None:
    """CPU seconds a container has used so far (cgroup v1 or v2), None when unreadable."""
    for path, scale in ((f"/sys/fs/cgroup/cpuacct/docker/{container_id}/cpuacct.usage", 1e-9),
                        (f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/cpu.stat", 1e-6)):
        try:
            text = Path(path).read_text()
        except OSError:
            continue
        if path.endswith("cpu.stat"):
            text = next((ln.split()[1] for ln in text.splitlines() if ln.startswith("usage_usec")), "")
        try:
            return float(text.strip()) * scale
        except ValueError:
            continue
    return None


class CpuMeter:
    """CPU per run, which machine load does not inflate: the container's own (cgroup,
    from the request sent to the last result read) and this process's (encode, replay,
    the exchange; ``time.process_time``)."""

    def __init__(self, cls: type[Container] = Container) -> None:
        self.container: list[float] = []
        self.host: list[float] = []
        original = cls.exchange
        meter = self

        def exchange(box: Container, *args: object, **kwargs: object) -> object:
            before = cgroup_cpu_s(box.id)
            out = original(box, *args, **kwargs)  # type: ignore[arg-type]
            after = cgroup_cpu_s(box.id)
            if before is not None and after is not None:
                meter.container.append(after - before)
            return out

        cls.exchange = exchange  # type: ignore[method-assign,assignment]

    def line(self, host: list[float]) -> str:
        parts = [f"host process {statistics.median(host) * 1000:.1f} ms"]
        if self.container:
            parts.append(f"container {statistics.median(self.container) * 1000:.1f} ms")
        return "CPU per run (median; load-independent): " + ", ".join(parts)


def ms(x: float) -> str:
    return f"{x * 1000:8.1f} ms"


def single(sandbox: DockerSandbox, repeat: int, warm: bool,
           timings: list[dict] | None = None, cpu: list[float] | None = None,
           ) -> tuple[list[float], dict[str, list[float]]]:
    walls: list[float] = []
    phases: dict[str, list[float]] = {k: [] for k in PHASES}
    for _ in range(repeat):
        if warm and sandbox.pool is not None:
            sandbox.pool.wait_ready(180)
        t, c = time.perf_counter(), time.process_time()
        res = sandbox_run(RunRequest(code=CODE, data=GOOG, options=OPTS), backend=sandbox)
        walls.append(time.perf_counter() - t)
        if cpu is not None:
            cpu.append(time.process_time() - c)
        if res.status != "ok":
            raise SystemExit(f"docker run failed: {res.status} {res.error}")
        if timings is not None:
            timings.append(res.timings)
        for k in PHASES:
            if k in res.timings:
                phases[k].append(res.timings[k])
    return walls, phases


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--sets", type=int, default=200)
    ap.add_argument("--cpus", type=float, default=float(os.cpu_count() or 1))
    ap.add_argument("--only", choices=["single", "batch"], default=None,
                    help="run one half of the benchmark")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    print(f"machine: {os.cpu_count()} cpus, load average {os.getloadavg()[0]:.2f} at start")

    cls = strategy_class()
    inproc, inproc_cpu = [], []
    for _ in range(args.repeat):
        t, c = time.perf_counter(), time.process_time()
        Backtest(GOOG, cls, cash=10_000, commission=0.002, exclusive_orders=True).run()
        inproc.append(time.perf_counter() - t)
        inproc_cpu.append(time.process_time() - c)
    t_in = statistics.median(inproc)
    print(f"in-process bt.run()                 median {ms(t_in)}  "
          f"(CPU {statistics.median(inproc_cpu) * 1000:.1f} ms)")

    cold = DockerSandbox()
    if args.only != "batch":
        singles(cold, args.repeat, t_in)
    if args.only != "single":
        batch(cold, cls, args.sets, args.cpus)
    print(f"load average at end {os.getloadavg()[0]:.2f}")


def singles(cold: DockerSandbox, repeat: int, t_in: float) -> None:
    cold_t: list[dict] = []
    walls, phases = single(cold, repeat, warm=False, timings=cold_t)
    cold_w = walls
    t_cold = statistics.median(walls)
    print(f"docker cold single run (n={repeat})       median {ms(t_cold)}  "
          f"(min {ms(min(walls)).strip()}, max {ms(max(walls)).strip()}; target ≤ 600 ms)  "
          f"= {t_cold / t_in:.1f}x in-process")
    print("  phases (median): " + ", ".join(
        f"{k[7:-2]} {statistics.median(v) * 1000:.0f} ms" for k, v in phases.items() if v))

    warm_w, warm_t = kept(DockerSandbox(warm=1, cleanup=False), "warm", repeat, t_in, Container)
    walls, reused_t = kept(DockerSandbox(reuse=True, cleanup=False), "reused", repeat, t_in,
                           ReusedContainer)
    print("phases (median of each; '-' = not on this run's path):")
    table([("cold", cold_t, cold_w), ("warm", warm_t, warm_w), ("reused", reused_t, walls)])


def kept(sandbox: DockerSandbox, name: str, repeat: int, t_in: float,
         cls: type[Container]) -> tuple[list[float], list[dict]]:
    """Single runs through a sandbox that keeps containers: started ahead (warm) or
    reused for the same code version (its first run, which starts it, is not counted)."""
    timings: list[dict] = []
    meter, host_cpu = CpuMeter(cls), list[float]()
    try:
        if sandbox.reuse is not None:
            single(sandbox, 1, warm=False)
            meter.container.clear()
        walls, _ = single(sandbox, repeat, warm=sandbox.pool is not None, timings=timings,
                          cpu=host_cpu)
    finally:
        sandbox.close()
    t = statistics.median(walls)
    print(f"docker {name} single run (n={repeat})".ljust(42) + f"median {ms(t)}  "
          f"(min {ms(min(walls)).strip()}, max {ms(max(walls)).strip()})  = {t / t_in:.1f}x in-process")
    print(f"  {name} " + meter.line(host_cpu))
    return walls, timings


def batch(cold: DockerSandbox, cls: type, n: int, cpus: float) -> None:
    space, sets = grid(n)
    bt = Backtest(GOOG, cls, cash=10_000, commission=0.002, exclusive_orders=True)

    def optimize() -> float:
        t = time.perf_counter()
        bt.optimize(**space, maximize="Return [%]")
        return time.perf_counter() - t

    # native before AND after the docker batch, averaged: the machine's load drifts
    t_opt_before = optimize()
    # stats only, like optimize(): no trade list or equity curve per set
    req = RunRequest(code=CODE, data=GOOG, options=OPTS, param_sets=sets,
                     limits=Limits(cpus=cpus), max_trades=0, equity_points=0)
    t = time.perf_counter()
    results = sandbox_run_batch(req, backend=cold)
    t_batch = time.perf_counter() - t
    t_opt = (t_opt_before + optimize()) / 2
    bad = [r.status for r in results if r.status != "ok"]
    if bad:
        raise SystemExit(f"batch had {len(bad)} failed sets: {set(bad)}")
    par = results[0].isolation.get("cpus")
    print(f"native Backtest.optimize, {len(sets)} sets      {t_opt:8.2f} s  "
          f"({len(sets) / t_opt:6.1f} sets/s, its own process pool)")
    print(f"docker batch, {len(sets)} sets, 1 container    {t_batch:8.2f} s  "
          f"({len(sets) / t_batch:6.1f} sets/s, cpus={par}, parallel={min(len(sets), int(round(cpus)))})")
    print(f"batch throughput ratio docker/native: {t_opt / t_batch:.2f}x  (target ≥ 0.9x)")


if __name__ == "__main__":
    main()
