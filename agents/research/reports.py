"""Per-cycle reports from the database: rankings, killed list, candidate set.

:func:`write_reports(conn, results_dir, generated_at)` writes into ``results_dir``
(``RBI_RESULTS_DIR``, default ``results/``):

* ``rankings_<YYYY-MM-DD>.json``: every reviewed version that is not killed (latest
  review not ``kill``, strategy not killed), best score first;
* ``killed.json``: every killed strategy with its reason;
* ``candidates.json``: ``{"candidates": [{"strategy", "version", "params", "score",
  ...}], "generated_at": ISO-8601}``: versions that PASSED THE HOLDOUT (the promote
  stage's review approved them after reading the sealed holdout); a version merely
  approved by review has not been confirmed and is not a candidate.

Scores and evidence come from the latest review's ``gates_json["research"]`` (an
:meth:`Evaluation.to_dict`); versions reviewed without it have ``score`` null and rank
last. Output is canonical JSON (sorted keys, floats rounded to 6 digits, fixed row
order, no database timestamps), so the same database content and ``generated_at`` give
byte-identical files.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agents.research.jsonsafe import canonical
from agents.store.report_reads import killed_strategies, latest_reviews, primary_run

__all__ = ["collect", "results_dir", "write_reports"]

STAT_KEYS = {"sharpe": "Sharpe Ratio", "return_pct": "Return [%]",
             "max_drawdown_pct": "Max. Drawdown [%]", "trades": "# Trades",
             "win_rate_pct": "Win Rate [%]"}
EVIDENCE_KEYS = ("dsr", "psr", "pbo", "oos_efficiency", "wf_psr", "n_trials", "n_trials_raw",
                 "reality_check_p", "alpha_psr", "exposure", "prob_ruin",
                 "random_profitable_fraction", "random_p_value", "holdout_sharpe",
                 "holdout_psr", "holdout_reads")


def results_dir(default: str | Path = "results") -> Path:
    return Path(os.environ.get("RBI_RESULTS_DIR") or default)


def _loads(text: str | None) -> Any:
    try:
        return json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}


def _row(conn: sqlite3.Connection, r: Any) -> dict[str, Any]:
    gates = _loads(r["gates_json"])
    research = gates.get("research") if isinstance(gates, dict) else None
    research = research if isinstance(research, dict) else {}
    decision = research.get("decision") or {}
    evidence = research.get("evidence") or {}
    prim = primary_run(conn, r["version_id"])
    stats = _loads(prim["stats_json"]) if prim else {}
    out: dict[str, Any] = {
        "strategy": r["strategy"], "strategy_id": r["strategy_id"], "version": r["version"],
        "version_id": r["version_id"], "outcome": r["outcome"],
        "strategy_status": r["strategy_status"], "params": _loads(r["params_json"]),
        "score": decision.get("score"), "reasons": decision.get("reasons") or [],
        "dataset": prim["dataset"] if prim else None,
        "holdout_read": bool(research.get("holdout_read")),
    }
    out.update({k: stats.get(v) for k, v in STAT_KEYS.items()})
    out.update({k: evidence.get(k) for k in EVIDENCE_KEYS})
    return out


def _order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = sorted(rows, key=lambda x: (x["score"] is None, -(x["score"] or 0.0),
                                       x["strategy"], x["strategy_id"], x["version"]))
    for i, row in enumerate(rows, 1):
        row["rank"] = i
    return rows


def collect(conn: sqlite3.Connection) -> dict[str, list[dict[str, Any]]]:
    """{"rankings", "killed", "candidates"} rows from the database (no clock)."""
    every = _order([_row(conn, r) for r in latest_reviews(conn)])
    rows = _order([dict(r) for r in every
                   if r["outcome"] != "kill" and r["strategy_status"] != "killed"])
    cands = [dict(r) for r in rows if r["outcome"] == "approve" and r["holdout_read"]
             and r["strategy_status"] in ("approved", "promoted", "graduated")]
    killed = []
    by_strategy: dict[int, dict[str, Any]] = {}
    for r in every:
        by_strategy.setdefault(r["strategy_id"], r)
    for s in killed_strategies(conn):
        best = by_strategy.get(s["id"], {})
        killed.append({"strategy": s["name"], "strategy_id": s["id"], "reason": s["reason"],
                       "last_version": s["last_version"],
                       "best_score": best.get("score"),
                       "research_reasons": best.get("reasons", [])})
    return {"rankings": rows, "killed": killed, "candidates": _order(cands)}


def _write(path: Path, doc: dict[str, Any]) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(canonical(doc), encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_reports(conn: sqlite3.Connection, out_dir: str | Path | None = None,
                  generated_at: str | None = None) -> dict[str, Path]:
    """Write the three reports; ``generated_at`` (ISO-8601, default now UTC) is the only
    clock value in them and names the rankings file's date."""
    stamp = generated_at or datetime.now(UTC).isoformat(timespec="seconds")
    day = datetime.fromisoformat(stamp.replace("Z", "+00:00")).date().isoformat()
    root = Path(out_dir) if out_dir is not None else results_dir()
    root.mkdir(parents=True, exist_ok=True)
    data = collect(conn)
    return {
        "rankings": _write(root / f"rankings_{day}.json",
                           {"generated_at": stamp, "rankings": data["rankings"]}),
        "killed": _write(root / "killed.json", {"generated_at": stamp, "killed": data["killed"]}),
        "candidates": _write(root / "candidates.json",
                             {"generated_at": stamp, "candidates": data["candidates"]}),
    }
