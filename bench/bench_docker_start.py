"""What each create/start option of a sandbox container costs, in one run.

    python bench/bench_docker_start.py [--repeat 12] [--image rbi-sandbox:latest]

Creates and starts containers running ``true`` with the sandbox's own configuration
(executor/backends/docker/container.py ``Container.config``), then with one group of
options removed at a time (or /tmp as the former ``HostConfig.Tmpfs`` instead of a tmpfs
mount), interleaved so machine load hits every variant alike; prints the median create
and start time of each (no asserts). Removing an option here only measures it: the
sandbox keeps every one (tests/executor/backends/docker/test_docker_security.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from executor.backends.docker.container import Container  # noqa: E402
from executor.backends.docker.image import default_image  # noqa: E402
from executor.backends.docker.sandbox import _connect  # noqa: E402
from executor.types import Limits  # noqa: E402

# variant -> HostConfig keys removed
VARIANTS: dict[str, tuple[str, ...]] = {
    "sandbox config": (),
    "/tmp as HostConfig.Tmpfs": ("Mounts",),
    "- shm size / private ipc": ("ShmSize", "IpcMode"),
    "- ulimits": ("Ulimits",),
    "- log driver none": ("LogConfig",),
    "- oom_score_adj": ("OomScoreAdj",),
    "- memory/cpu/pids caps": ("Memory", "MemorySwap", "NanoCpus", "PidsLimit"),
    "- caps drop / no-new-privileges": ("CapDrop", "SecurityOpt"),
}


def config(api: Any, image: str, drop: tuple[str, ...]) -> dict[str, Any]:
    box = Container(api, image, Limits(), "bench-start", 60)
    cfg = box.config()
    host = cfg["host_config"]
    for key in drop:
        host.pop(key, None)
    if drop == ("Mounts",):
        host["Tmpfs"] = {"/tmp": f"rw,nosuid,nodev,noexec,size={Limits().scratch_mb}m,mode=1777"}
    cfg.update(command=["true"], labels={"rbi.bench": "start-options"}, stdin_open=False)
    return cfg


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=12)
    ap.add_argument("--image", default=default_image())
    args = ap.parse_args()
    api = _connect().api
    print(f"machine: {os.cpu_count()} cpus, load average {os.getloadavg()[0]:.2f} at start; "
          f"image {args.image}")
    times: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in VARIANTS}
    for _ in range(args.repeat):
        for name, drop in VARIANTS.items():
            cfg = config(api, args.image, drop)
            t0 = time.perf_counter()
            cid = api.create_container(**cfg)["Id"]
            t1 = time.perf_counter()
            api.start(cid)
            t2 = time.perf_counter()
            api.wait(cid)
            api.remove_container(cid, force=True)
            times[name][0].append(t1 - t0)
            times[name][1].append(t2 - t1)
    base = statistics.median(times["sandbox config"][1])
    for name, (create, start) in times.items():
        s = statistics.median(start)
        print(f"{name:34s} create {statistics.median(create) * 1000:6.1f} ms   "
              f"start {s * 1000:6.1f} ms  ({(s - base) * 1000:+6.1f} ms vs the sandbox config)")
    print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
