"""Offline loop throughput: strategies fully evaluated per hour, with the time per stage.

    python bench/bench_loop.py [--ideas 6] [--backend docker] [--workers N]
                               [--optimise-iterations N] [--seed 0]
    PYTHONPATH=/other/checkout python bench/bench_loop.py ...   # that checkout's loop

Runs the real loop (``agents.stages:PIPELINE`` under ``agents.runtime.Runtime``, what
``python -m agents.rbi run --once`` runs) in this process on a fresh database, with the
offline LLM provider and no API key, over the first ``--ideas`` trader ideas of
tests/fixtures/trader_ideas.json. Every gate is the default one. An idea counts as
fully evaluated when it reaches a final status (done, killed, failed) — research,
code, sandboxed runs, review, every optimisation round and promotion behind it.

Printed: ideas/hour and versions reviewed/hour; sandbox calls and runs per strategy; per
stage its events, handler seconds
(summed over the workers), the part spent inside the sandbox backend (``run`` /
``run_batch`` calls) and the sandbox's own phase timings (``RunResult.timings``, summed);
the load average before and after (other work on the machine slows everything: compare
the stage shares, not the absolute seconds, with a run made on another day).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# PYTHONPATH=/other/checkout python bench/bench_loop.py: time that checkout's loop
sys.path.insert(1 + len(os.environ.get("PYTHONPATH", "").split(os.pathsep)) if
                os.environ.get("PYTHONPATH") else 0, str(ROOT))

from agents.inbox import submit_idea  # noqa: E402
from agents.pipeline import load_pipeline  # noqa: E402
from agents.runtime import Runtime  # noqa: E402
from agents.settings import load_settings  # noqa: E402
from agents.store import Store  # noqa: E402

KEYS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL")


class Meter:
    """Seconds and calls per stage, and sandbox seconds attributed to the stage running."""

    def __init__(self) -> None:
        self.mu = threading.Lock()
        self.local = threading.local()
        self.stage: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
        self.box: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0])
        self.phases: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.checks: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0])

    def wrap_stage(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(ctx: Any, payload: dict[str, Any]) -> Any:
            self.local.stage = name
            t = time.perf_counter()
            try:
                return fn(ctx, payload)
            finally:
                with self.mu:
                    row = self.stage[name]
                    row[0] += 1
                    row[1] += time.perf_counter() - t
        return timed

    def wrap_box(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(request: Any, *a: Any, **k: Any) -> Any:
            depth = getattr(self.local, "depth", 0)
            if depth:  # a batch calling the backend's own run(): counted once, outside
                return fn(request, *a, **k)
            self.local.depth = 1
            t = time.perf_counter()
            try:
                out = fn(request, *a, **k)
            finally:
                self.local.depth = 0
            dt = time.perf_counter() - t
            name = getattr(self.local, "stage", "?")
            check = _caller()
            results = out if isinstance(out, list) else [out]
            with self.mu:
                row = self.box[name]
                row[0] += 1
                row[1] += dt
                row[2] += len(results)
                c = self.checks[f"{name}: {check}"]
                c[0] += 1
                c[1] += dt
                c[2] += len(results)
                for r in results:
                    for k, v in (getattr(r, "timings", None) or {}).items():
                        if isinstance(v, int | float) and not k.startswith("t_"):  # t_: clocks
                            self.phases[name][k] += float(v)
            return out
        return timed


def _caller() -> str:
    """The research check (else the stage function) that asked for this sandbox call."""
    f, stage = sys._getframe(2), "?"
    while f is not None:
        path, name = f.f_code.co_filename, f.f_code.co_name
        where = f"{Path(path).stem}.{name}"
        if "agents/research/" in path and not path.endswith(("runners.py", "evaluate.py")):
            return where
        if "agents/research/evaluate.py" in path and name != "evaluate_candidate":
            return where
        if "agents/research/evaluate.py" in path and stage == "?":
            stage = f"evaluate.evaluate_candidate:{f.f_lineno}"
        if "agents/stages/" in path and stage == "?" and name not in ("run", "batch"):
            stage = where
        f = f.f_back  # type: ignore[assignment]
    return stage


def _ideas(n: int) -> list[str]:
    doc = json.loads((ROOT / "tests" / "fixtures" / "trader_ideas.json").read_text())
    return [i["idea"] for i in doc["ideas"][:n]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ideas", type=int, default=6)
    ap.add_argument("--backend", default="docker")
    ap.add_argument("--workers", type=int, default=None, help="default: the settings' (cores)")
    ap.add_argument("--optimise-iterations", type=int, default=None,
                    help="default: the settings' optimise_max_iterations")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    for k in KEYS:  # the offline provider, whatever the caller's environment holds
        os.environ.pop(k, None)
    import agents

    print(f"code: {Path(agents.__file__).parent.parent}")
    print(f"load average before: {os.getloadavg()}, cpus: {os.cpu_count()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="rbi-bench-loop-") as tmp:
        os.environ["RBI_RESULTS_DIR"] = str(Path(tmp) / "results")
        os.environ["RBI_IDEAS_DIR"] = str(Path(tmp) / "ideas")
        kw: dict[str, Any] = {"db": Path(tmp) / "rbi.sqlite", "provider": "offline",
                              "backend": args.backend, "seed": args.seed}
        if args.workers:
            kw["workers"] = args.workers
        if args.optimise_iterations is not None:
            kw["optimise_max_iterations"] = args.optimise_iterations
        settings = load_settings(**kw)
        meter = Meter()
        pipeline = load_pipeline(settings.pipeline)
        for t in pipeline.types:
            pipeline._cache[t] = meter.wrap_stage(t, pipeline.handler(t))
        from agents.stages.common import sandbox

        box = sandbox(settings)
        box.run = meter.wrap_box(box.run)
        box.run_batch = meter.wrap_box(box.run_batch)
        with Store(settings.db) as store:
            for text in _ideas(args.ideas):
                submit_idea(store, text, source="cli")
        print(f"{args.ideas} ideas, backend {box.name}, workers {settings.workers}, "
              f"optimise_max_iterations {settings.optimise_max_iterations}", flush=True)
        t0 = time.perf_counter()
        counts = Runtime(settings, pipeline, once=True).run()
        wall = time.perf_counter() - t0
        with Store(settings.db) as store:
            status = dict(store.conn.execute(
                "SELECT status, COUNT(*) FROM ideas GROUP BY status").fetchall())
            reviewed = store.conn.execute("SELECT COUNT(DISTINCT version_id) FROM reviews").fetchone()[0]
            versions = store.conn.execute("SELECT COUNT(*) FROM strategy_versions").fetchone()[0]
    final = sum(v for k, v in status.items() if k in ("done", "killed", "failed"))
    print(f"events {dict(counts)}; ideas {status}; versions {versions}, reviewed {reviewed}")
    print(f"wall {wall:.1f} s: {final} strategies fully evaluated -> "
          f"{final / wall * 3600:.0f} / hour; {reviewed / wall * 3600:.0f} versions reviewed / hour")
    calls = sum(int(b[0]) for b in meter.box.values())
    runs = sum(int(b[2]) for b in meter.box.values())
    per = max(final, 1)
    print(f"sandbox: {calls} calls, {runs} runs -> {calls / per:.1f} calls and "
          f"{runs / per:.1f} runs per strategy fully evaluated")
    total = sum(r[1] for r in meter.stage.values()) or 1.0
    print(f"{'stage':<10} {'events':>6} {'handler s':>9} {'share':>6} {'sandbox s':>9} "
          f"{'calls':>5} {'runs':>5}  sandbox phases (s, summed over runs)")
    for name, (n, secs) in sorted(meter.stage.items(), key=lambda kv: -kv[1][1]):
        b = meter.box.get(name, [0, 0.0, 0])
        ph = ", ".join(f"{k} {v:.1f}" for k, v in sorted(meter.phases[name].items(),
                                                           key=lambda kv: -kv[1])[:6])
        print(f"{name:<10} {int(n):>6} {secs:>9.1f} {secs / total:>6.0%} {b[1]:>9.1f} "
              f"{int(b[0]):>5} {int(b[2]):>5}  {ph}")
    print(f"{'sandbox calls by caller':<48} {'calls':>5} {'runs':>5} {'seconds':>8}")
    for name, (n, secs, runs) in sorted(meter.checks.items(), key=lambda kv: -kv[1][1]):
        print(f"{name:<48} {int(n):>5} {int(runs):>5} {secs:>8.1f}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
