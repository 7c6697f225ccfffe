"""Where a sandboxed run's time goes: phases from a RunResult's timings, printed as a table.

The harness stamps ``t_*`` (``time.monotonic()``, one clock for host, fork server, jail
and container) at each step and the backends add host-side durations (see
executor/harness/protocol.py ``stamp``); :func:`phases` turns them into the durations
below, in path order. A phase that happened before the request arrived (a run made
ahead of need) is not on the request's path and is left out (``-`` in the table).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any

PHASES = (
    "request encode", "acquire sandbox", "fork+exec (zygote/container)", "namespace/jail setup",
    "python start (container)", "harness import (container)", "spare fork (container)",
    "data transfer", "harness import", "data parse", "worker fork", "strategy import",
    "strategy run", "result encode", "harness exit -> host", "host decode", "replay",
    "teardown (on path)",
)


def _span(t: dict[str, float], a: str, b: str) -> float | None:
    return t[b] - t[a] if a in t and b in t else None


def phases(timings: dict[str, Any]) -> dict[str, float | None]:
    """Seconds per phase of one run (None: not on this run's path, or not measured)."""
    t = {k: float(v) for k, v in timings.items() if isinstance(v, int | float)}
    spare = bool(t.get("spare"))
    cold = "docker_start_s" in t
    run_end = t["t_run_start"] + t["run_s"] if "t_run_start" in t and "run_s" in t else None
    spawn = _span(t, "t_host_spawn", "t_forked")
    if spawn is None and "docker_start_s" in t:
        spawn = t.get("docker_create_s", 0) + t.get("docker_attach_s", 0) + t["docker_start_s"]
    return {
        "request encode": t.get("encode_s"),
        "acquire sandbox": t.get("acquire_s"),
        "fork+exec (zygote/container)": spawn,
        "namespace/jail setup": _span(t, "t_go", "t_jailed") if "t_host_spawn" in t else None,
        # a container started for this request (a warm one did these before it existed):
        # its interpreter start, its imports, its spare's fork until the request is read
        "python start (container)": _span(t, "t_docker_started", "t_py_start") if cold else None,
        "harness import (container)": _span(t, "t_py_start", "t_preimported") if cold else None,
        "spare fork (container)": _span(t, "t_preimported", "t_request_start") if cold else None,
        "data transfer": _span(t, "t_request_start", "t_request_read"),
        "harness import": _span(t, "t_request_read", "t_imports"),
        # a spare worker (forked before the request) decodes its own copy: that is the
        # path; the parent's decode runs beside it. Otherwise the parent decodes, then forks.
        "data parse": _span(t, "t_imports", "t_worker_start" if spare else "t_data_parsed"),
        "worker fork": None if spare else _span(t, "t_data_parsed", "t_worker_start"),
        "strategy import": _span(t, "t_worker_start", "t_run_start"),
        "strategy run": t.get("run_s"),
        "result encode": (t["t_done"] - run_end) if run_end is not None and "t_done" in t else None,
        "harness exit -> host": _span(t, "t_done", "t_host_done"),
        "host decode": t.get("host_decode_s"),
        "replay": t.get("replay_s"),
        "teardown (on path)": t.get("teardown_s", t.get("docker_remove_s")),
    }


def table(columns: Sequence[tuple[str, Sequence[dict[str, Any]], Sequence[float]]],
          out: Callable[[str], None] = print) -> None:
    """Median ms per phase, one column per (name, timings of each run, wall of each run)."""
    width = max(len(p) for p in PHASES) + 2
    out(" " * width + "".join(f"{name:>16}" for name, _, _ in columns))
    per = [[phases(t) for t in runs] for _, runs, _ in columns]
    for p in PHASES:
        cells = []
        for col in per:
            vals = [r[p] for r in col if r[p] is not None]
            cells.append(f"{statistics.median(vals) * 1000:13.1f} ms" if vals else f"{'-':>16}")
        out(f"{p:<{width}}" + "".join(cells))
    out(f"{'wall (median)':<{width}}" + "".join(
        f"{statistics.median(w) * 1000:13.1f} ms" for _, _, w in columns))
