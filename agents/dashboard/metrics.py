"""Prometheus text exposition (format 0.0.4), computed from the database at scrape time.

Counters are totals over the database's life (``backtest_results`` and ``llm_calls`` are
append-only), so they only move up while the same database is scraped.
"""

from __future__ import annotations

import bisect
import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

from agents.dashboard.runstats import RunAggregates

__all__ = ["CONTENT_TYPE", "DURATION_BUCKETS", "render_metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


def _esc(v: Any) -> str:
    return str(v).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _prom_value(v: Any) -> str:
    if v is None:
        return "0"
    f = float(v)
    if f == float("inf"):
        return "+Inf"
    return repr(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)


class _Out:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")

    def sample(self, name: str, value: Any, labels: dict[str, Any] | None = None) -> None:
        lab = ""
        if labels:
            lab = "{" + ",".join(f'{k}="{_esc(v)}"' for k, v in labels.items()) + "}"
        self.lines.append(f"{name}{lab} {_prom_value(value)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _histogram(out: _Out, name: str, per: dict[str, list[float]]) -> None:
    """``per``: backend -> sorted durations."""
    out.family(name, "histogram", "Wall time of sandbox runs (backtest_results.execution_time).")
    for backend, values in sorted(per.items()):
        for le in DURATION_BUCKETS:
            out.sample(f"{name}_bucket", bisect.bisect_right(values, le),
                       {"backend": backend, "le": repr(float(le))})
        out.sample(f"{name}_bucket", len(values), {"backend": backend, "le": "+Inf"})
        out.sample(f"{name}_sum", sum(values), {"backend": backend})
        out.sample(f"{name}_count", len(values), {"backend": backend})


def render_metrics(conn: sqlite3.Connection, *, token_budget: int = 0,
                   cost_budget: float = 0.0, runs: RunAggregates | None = None) -> str:
    t0 = time.perf_counter()
    snap = (runs or RunAggregates()).snapshot(conn)
    out = _Out()
    out.family("rbi_runs_total", "counter", "Backtest runs recorded, by status and backend.")
    for (backend, status), n in sorted(snap.by_status.items(), key=lambda kv: kv[0][::-1]):
        out.sample("rbi_runs_total", n, {"status": status, "backend": backend})
    _histogram(out, "rbi_run_duration_seconds", snap.times)

    counts = conn.execute("SELECT type, status, COUNT(*) FROM events GROUP BY type, status "
                          "ORDER BY type, status").fetchall()
    out.family("rbi_queue_depth", "gauge", "Events ready to run, by stage.")
    ready = {t: n for t, s, n in counts if s == "ready"}
    for t in sorted({t for t, _, _ in counts}):
        out.sample("rbi_queue_depth", ready.get(t, 0), {"stage": t})
    out.family("rbi_events", "gauge", "Events by stage and status.")
    for t, s, n in counts:
        out.sample("rbi_events", n, {"stage": t, "status": s})

    for table, metric in (("strategies", "rbi_strategies"), ("ideas", "rbi_ideas")):
        out.family(metric, "gauge", f"Rows of {table} by status.")
        for s, n in conn.execute(f"SELECT status, COUNT(*) FROM {table} GROUP BY status "
                                 "ORDER BY status"):
            out.sample(metric, n, {"status": s})

    llm = conn.execute(
        "SELECT provider, model, SUM(tokens_in), SUM(tokens_out), SUM(cost_usd), COUNT(*), "
        "SUM(error IS NOT NULL) FROM llm_calls GROUP BY provider, model ORDER BY provider, model"
    ).fetchall()
    out.family("rbi_llm_tokens_total", "counter", "LLM tokens used, by provider, model, direction.")
    for p, m, tin, tout, _, _, _ in llm:
        out.sample("rbi_llm_tokens_total", tin, {"provider": p, "model": m, "direction": "in"})
        out.sample("rbi_llm_tokens_total", tout, {"provider": p, "model": m, "direction": "out"})
    out.family("rbi_llm_cost_usd_total", "counter", "LLM spend in US dollars.")
    for p, m, _, _, cost, _, _ in llm:
        out.sample("rbi_llm_cost_usd_total", cost, {"provider": p, "model": m})
    out.family("rbi_llm_calls_total", "counter", "LLM calls, by outcome.")
    for p, m, _, _, _, calls, errs in llm:
        out.sample("rbi_llm_calls_total", calls - (errs or 0), {"provider": p, "model": m,
                                                               "outcome": "ok"})
        out.sample("rbi_llm_calls_total", errs, {"provider": p, "model": m, "outcome": "error"})

    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    tok, cost = conn.execute(
        "SELECT COALESCE(SUM(tokens_in + tokens_out), 0), COALESCE(SUM(cost_usd), 0) "
        "FROM llm_calls WHERE created_ts >= ?", (day,)).fetchone()
    out.family("rbi_llm_tokens_today", "gauge", "LLM tokens used since 00:00 UTC.")
    out.sample("rbi_llm_tokens_today", tok)
    out.family("rbi_llm_cost_usd_today", "gauge", "LLM spend since 00:00 UTC.")
    out.sample("rbi_llm_cost_usd_today", cost)
    out.family("rbi_llm_budget_remaining_tokens", "gauge",
               "Daily token budget left today (NaN-free: unlimited budget reports -1).")
    out.sample("rbi_llm_budget_remaining_tokens", max(token_budget - tok, 0) if token_budget else -1)
    out.family("rbi_llm_budget_remaining_usd", "gauge",
               "Daily cost budget left today (unlimited budget reports -1).")
    out.sample("rbi_llm_budget_remaining_usd", max(cost_budget - cost, 0.0) if cost_budget else -1)
    out.family("rbi_metrics_scrape_seconds", "gauge", "Time spent computing this page.")
    out.sample("rbi_metrics_scrape_seconds", round(time.perf_counter() - t0, 6))
    return out.text()
