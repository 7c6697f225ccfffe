"""Execution health: success rate, run times (avg, p95), resources, errors per backend;
LLM spend vs budget by day."""

from __future__ import annotations

import sqlite3
from typing import Any

from agents.dashboard.runstats import RunAggregates, RunSnapshot
from agents.store import dashboard_events as reads

__all__ = ["health", "percentile"]


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (``q`` in 0..100) of unsorted ``values``."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _sorted_percentile(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    pos = (len(xs) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _backends(snap: RunSnapshot) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for (backend, status), n in sorted(snap.by_status.items()):
        b = out.setdefault(backend, {"backend": backend, "runs": 0, "ok": 0, "by_status": {}})
        b["runs"] += n
        b["by_status"][status] = n
        if status == "ok":
            b["ok"] += n
    for name, b in out.items():
        ts = snap.times.get(name, [])
        b["success_rate"] = b["ok"] / b["runs"] if b["runs"] else None
        b["avg_s"] = sum(ts) / len(ts) if ts else None
        b["p50_s"] = _sorted_percentile(ts, 50)
        b["p95_s"] = _sorted_percentile(ts, 95)
        b["max_s"] = ts[-1] if ts else None
    return sorted(out.values(), key=lambda b: -b["runs"])


def _resources(snap: RunSnapshot) -> dict[str, Any]:
    by_backend = [{"backend": b, "metrics": {k: {"avg": sum(v) / len(v), "p95": percentile(v, 95),
                                                 "max": max(v)} for k, v in sorted(m.items())}}
                  for b, m in sorted(snap.resources.items())]
    return {"source": f"backtest_results.{snap.resource_col}", "by_backend": by_backend}


def health(conn: sqlite3.Connection, *, token_budget: int = 0, cost_budget: float = 0.0,
           days: int = 14, runs: RunAggregates | None = None) -> dict[str, Any]:
    snap = (runs or RunAggregates()).snapshot(conn)
    backends = _backends(snap)
    total = sum(b["runs"] for b in backends)
    ok = sum(b["ok"] for b in backends)
    errors: list[dict[str, Any]] = [
        {"error_class": cls, "backend": b, "n": n, "last_id": last}
        for (cls, b), (n, last) in sorted(snap.errors.items(), key=lambda kv: -kv[1][0])][:50]
    summary = reads.stage_summary(conn)
    dead, stages = summary["dead"], summary["stages"]
    llm = reads.llm_by_day(conn, days)
    for d in llm:
        tokens = (d["tokens_in"] or 0) + (d["tokens_out"] or 0)
        d["tokens"] = tokens
        d["token_share"] = tokens / token_budget if token_budget else None
        d["cost_share"] = (d["cost_usd"] or 0) / cost_budget if cost_budget else None
    by_model = reads.llm_by_model(conn)
    return {
        "total_runs": total, "ok_runs": ok, "success_rate": ok / total if total else None,
        "backends": backends, "resources": _resources(snap), "errors": errors, "dead": dead,
        "stages": stages, "llm_days": llm, "llm_by_model": by_model,
        "token_budget": token_budget, "cost_budget": cost_budget,
    }
