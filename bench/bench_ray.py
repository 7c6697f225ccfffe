"""What the ray backend costs and what it buys: per-batch overhead through Ray against
the direct local sandbox, throughput on 1 and 2 real Ray nodes here, and a projection
for 10 and 100 nodes from the measured per-run and per-chunk costs.

    python bench/bench_ray.py [--sets 200] [--repeat 3]

Prints figures measured in this one run (medians of --repeat, the direct and the Ray
batch alternated so a change in load hits both); no asserts. The nodes are
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

from executor.backends.local.sandbox import LocalSandbox  # noqa: E402
from executor.backends.ray import RaySandbox  # noqa: E402
from executor.backends.ray.dispatch import split  # noqa: E402
from executor.backends.ray.local_cluster import LocalCluster  # noqa: E402
from executor.types import BacktestOptions, RunRequest  # noqa: E402

CODE = (ROOT / "tests" / "strategies" / "sma_cross.py").read_text()
OPTS = BacktestOptions(cash=10_000, commission=0.002, exclusive_orders=True)


def request(n: int) -> RunRequest:
    sets = [{"n1": 5 + i % 20, "n2": 30 + i // 20} for i in range(n)]
    return RunRequest(code=CODE, data=GOOG, options=OPTS, param_sets=sets,
                      max_trades=0, equity_points=0)


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall seconds and driver CPU seconds (every thread of this process) of one call."""
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def alternate(repeat: int, a: Callable[[], object], b: Callable[[], object]) -> list[tuple]:
    """a, b, a, b...: a load change on this shared machine hits both sides alike."""
    return [(timed(a), timed(b)) for _ in range(repeat)]


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", type=int, default=200, help="parameter sets per batch")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    n, rep = args.sets, args.repeat
    print(f"machine: {os.cpu_count()} cpus, load average {os.getloadavg()[0]:.2f} at start; "
          f"SmaCross on GOOG, {n} sets per batch, median of {rep}, direct and Ray alternated")

    t = time.perf_counter()
    cluster = LocalCluster(nodes=1, cpus_per_node=1)
    cluster.connect()
    box = RaySandbox(node_backend="local")
    direct = LocalSandbox()
    direct.run_batch(request(2))  # warm the fork server
    box.run_batch(request(2))  # warm the node's actor and its fork server
    start_s = time.perf_counter() - t

    small = alternate(rep, lambda: direct.run_batch(request(1)), lambda: box.run_batch(request(1)))
    big = alternate(rep, lambda: direct.run_batch(request(n)), lambda: box.run_batch(request(n)))
    d1, r1 = med([d[0] for d, _ in small]), med([r[0] for _, r in small])
    dn, rn = med([d[0] for d, _ in big]), med([r[0] for _, r in big])
    ratio = med([r[0] / d[0] for d, r in big])
    driver_per_chunk = med([r[1] for _, r in small])  # one chunk: all the driver does for it
    chunks = len(split(request(n).all_param_sets(), 1, box.chunks_per_slot, box.min_chunk))

    cluster.add_node()
    box._pool.refresh(force=True)
    box.run_batch(request(4))  # warm the second node
    r2 = med([timed(lambda: box.run_batch(request(n)))[0] for _ in range(rep)])
    nodes2 = box.status()["nodes"]
    box.close()
    cluster.shutdown()

    per_run = (dn - d1) / (n - 1)  # c: one more set in a batch
    harness = max(0.0, d1 - per_run)  # h: a chunk's fixed cost without Ray (harness start)
    via_ray = r1 - d1  # R: what Ray adds per chunk (actor call, data ref, results back)
    print(f"\ncluster start (1 node) + actor warm-up: {start_s:.1f} s (once per loop)")
    print(f"{'':34}{'direct local':>14}{'ray, 1 node':>14}{'ray / direct':>14}")
    print(f"{'1-set batch (per-batch fixed cost)':34}{d1 * 1e3:>11.0f} ms{r1 * 1e3:>11.0f} ms"
          f"{r1 / d1:>13.2f}x")
    print(f"{f'{n}-set batch':34}{dn:>12.2f} s{rn:>12.2f} s{ratio:>13.2f}x"
          f"   -> Ray adds {100 * (ratio - 1):+.1f} % (target <= +10 %)")
    print(f"\nthroughput: direct {n / dn:.1f} runs/s; ray 1 node {n / rn:.1f} runs/s; "
          f"ray {nodes2} nodes {n / r2:.1f} runs/s ({rn / r2:.2f}x of 1 node; the nodes "
          f"share this machine's {os.cpu_count()} cores with everything else running)")
    print(f"measured: c = {per_run * 1e3:.1f} ms per run, h = {harness * 1e3:.0f} ms per chunk "
          f"(harness), R = {via_ray * 1e3:.0f} ms per chunk added by Ray, driver CPU "
          f"{driver_per_chunk * 1e3:.1f} ms per chunk; a {n}-set batch on one slot is "
          f"{chunks} chunks")

    k = max(1, n // chunks)
    slot_rate = k / (k * per_run + harness + max(0.0, via_ray))  # runs/s one slot sustains
    ceiling = k / driver_per_chunk if driver_per_chunk > 0 else float("inf")
    print("\nprojection (computed from c, h, R and the driver CPU above, not measured): one "
          f"slot sustains k / (k*c + h + R) runs/s with k = {k} sets per chunk; N nodes x s "
          "slots give N*s times that, capped by the driver (one process: k / driver CPU per "
          f"chunk = {ceiling:,.0f} runs/s). Assumes nodes as fast as this one, no other load.")
    print(f"{'nodes':>6}{'slots/node':>12}{'runs/s':>12}{'200-set batches/s':>20}{'bound by':>10}")
    for nodes in (1, 2, 10, 100):
        for slots in (1, 16):
            raw = nodes * slots * slot_rate
            rate = min(raw, ceiling)
            print(f"{nodes:>6}{slots:>12}{rate:>12,.0f}{rate / 200:>20,.2f}"
                  f"{'driver' if raw > ceiling else 'nodes':>10}")


if __name__ == "__main__":
    main()
