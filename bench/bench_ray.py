"""What the ray backend costs and what it buys: per-batch overhead through Ray against
the direct local sandbox, throughput on 1 and 2 real Ray nodes here, and a projection
for 10 and 100 nodes from the measured per-run and per-chunk costs.

    python bench/bench_ray.py [--sets 200] [--repeat 3]

Prints figures measured in this one run (medians of --repeat); no asserts. The nodes are
raylets on this machine, one CPU each (``LocalCluster``), each running the local sandbox.
Target: Ray adds <= 10 % to a 200-set batch on one node.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backtesting.test import GOOG  # noqa: E402

from executor.backends.ray import RaySandbox  # noqa: E402
from executor.backends.ray.local_cluster import LocalCluster  # noqa: E402
from executor.local import LocalSandbox  # noqa: E402
from executor.types import BacktestOptions, RunRequest  # noqa: E402

CODE = (ROOT / "tests" / "strategies" / "sma_cross.py").read_text()
OPTS = BacktestOptions(cash=10_000, commission=0.002, exclusive_orders=True)


def request(n: int) -> RunRequest:
    sets = [{"n1": 5 + i % 20, "n2": 30 + i // 20} for i in range(n)]
    return RunRequest(code=CODE, data=GOOG, options=OPTS, param_sets=sets,
                      max_trades=0, equity_points=0)


def timed(repeat: int, fn: Callable[[], object]) -> tuple[float, float]:
    """Median wall seconds and median driver CPU seconds (every thread of this process)."""
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", type=int, default=200, help="parameter sets per batch")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    n, rep = args.sets, args.repeat
    print(f"machine: {os.cpu_count()} cpus, load average {os.getloadavg()[0]:.2f} at start; "
          f"SmaCross on GOOG, {n} sets per batch, median of {rep}")

    direct = LocalSandbox()
    direct.run_batch(request(2))  # warm the fork server
    d1, _ = timed(rep, lambda: direct.run_batch(request(1)))
    dn, _ = timed(rep, lambda: direct.run_batch(request(n)))
    per_run = (dn - d1) / (n - 1)

    t = time.perf_counter()
    cluster = LocalCluster(nodes=1, cpus_per_node=1)
    cluster.connect()
    box = RaySandbox(node_backend="local")
    box.run_batch(request(2))  # warm the node's actor and its fork server
    start_s = time.perf_counter() - t
    r1, _ = timed(rep, lambda: box.run_batch(request(1)))
    rn, driver_cpu = timed(rep, lambda: box.run_batch(request(n)))
    chunks = len(__import__("executor.backends.ray.dispatch", fromlist=["split"]).split(
        request(n).all_param_sets(), 1, box.chunks_per_slot, box.min_chunk))

    cluster.add_node()
    box._pool.refresh(force=True)
    box.run_batch(request(4))  # warm the second node
    r2, _ = timed(rep, lambda: box.run_batch(request(n)))
    nodes2 = box.status()["nodes"]
    box.close()
    cluster.shutdown()

    per_chunk = max(0.0, (rn - n * per_run) / chunks)  # a chunk's cost beyond its runs
    driver_per_chunk = driver_cpu / chunks
    print(f"\ncluster start (1 node) + actor warm-up: {start_s:.1f} s (once per loop)")
    print(f"{'':34}{'direct local':>14}{'ray, 1 node':>14}{'ray / direct':>14}")
    print(f"{'1-set batch (per-batch fixed cost)':34}{d1 * 1e3:>11.0f} ms{r1 * 1e3:>11.0f} ms"
          f"{r1 / d1:>13.2f}x")
    print(f"{f'{n}-set batch':34}{dn:>12.2f} s{rn:>12.2f} s{rn / dn:>13.2f}x"
          f"   -> Ray adds {100 * (rn / dn - 1):+.1f} % (target <= +10 %)")
    print(f"\nthroughput: direct {n / dn:.1f} runs/s; ray 1 node {n / rn:.1f} runs/s; "
          f"ray {nodes2} nodes {n / r2:.1f} runs/s ({rn / r2:.2f}x of 1 node; the nodes "
          f"share this machine's {os.cpu_count()} cores with everything else running)")
    print(f"measured: per run {per_run * 1e3:.1f} ms; per chunk through Ray "
          f"{per_chunk * 1e3:.0f} ms ({chunks} chunks of ~{n // chunks} sets); driver CPU "
          f"{driver_per_chunk * 1e3:.1f} ms per chunk")

    size = n // chunks
    slot_rate = size / (size * per_run + per_chunk)  # runs/s one slot sustains
    ceiling = size / driver_per_chunk if driver_per_chunk else float("inf")
    print("\nprojection (computed, not measured): one slot sustains k / (k*c + o) runs/s with "
          f"k = {size} sets per chunk, c = {per_run * 1e3:.1f} ms per run, o = "
          f"{per_chunk * 1e3:.0f} ms per chunk; a cluster of N nodes x s slots gives "
          f"N*s times that, capped by the driver, which spends {driver_per_chunk * 1e3:.1f} ms "
          f"CPU per chunk (ceiling k / that = {ceiling:,.0f} runs/s)")
    print(f"{'nodes':>6}{'slots/node':>12}{'runs/s':>12}{'200-set batches/s':>20}{'bound by':>10}")
    for nodes in (1, 2, 10, 100):
        for slots in (1, 16):
            raw = nodes * slots * slot_rate
            rate = min(raw, ceiling)
            print(f"{nodes:>6}{slots:>12}{rate:>12,.0f}{rate / 200:>20,.2f}"
                  f"{'driver' if raw > ceiling else 'nodes':>10}")


if __name__ == "__main__":
    main()
