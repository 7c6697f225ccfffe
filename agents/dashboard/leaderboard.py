"""Leaderboard: one row per strategy with its best ok result, sortable and filterable.

Score and OOS efficiency come from ``backtest_results`` columns when the schema has them,
else from the rankings / candidates files in the results directory; absent -> blank.
"""

from __future__ import annotations

import math
import sqlite3
from typing import Any

from agents.dashboard.artifacts import Artifacts
from agents.dashboard.db import columns

__all__ = ["FILTERS", "SORTS", "leaderboard"]

# key -> (label, best-first direction)
SORTS: dict[str, tuple[str, str]] = {
    "score": ("Score", "desc"),
    "sharpe_ratio": ("Sharpe", "desc"),
    "total_return": ("Return %", "desc"),
    "max_drawdown": ("Max DD %", "desc"),  # backtesting.py drawdowns are <= 0: -5 beats -30
    "oos_efficiency": ("OOS eff.", "desc"),
    "win_rate": ("Win %", "desc"),
    "num_trades": ("Trades", "desc"),
    "name": ("Strategy", "asc"),
    "strategy_id": ("ID", "desc"),
}
FILTERS = ("all", "candidates", "killed", "active", "approved", "failed")
OPTIONAL = ("score", "oos_efficiency", "deflated_sharpe", "pbo")
CANDIDATE_STATUSES = ("approved", "promoted", "candidate")


def _where(filt: str, art: Artifacts) -> tuple[str, list[Any]]:
    if filt == "candidates":
        names = sorted(art.candidates())
        marks = ",".join("?" * len(names))
        extra = f" OR s.name IN ({marks})" if names else ""
        return (f"(s.status IN ({','.join('?' * len(CANDIDATE_STATUSES))}){extra})",
                [*CANDIDATE_STATUSES, *names])
    if filt == "killed":
        names = sorted(art.killed())
        extra = f" OR s.name IN ({','.join('?' * len(names))})" if names else ""
        return f"(s.status = 'killed'{extra})", names
    if filt in ("active", "approved", "failed"):
        return "s.status = ?", [filt]
    return "1", []


def _key(sort: str, desc: bool) -> Any:
    def k(row: dict[str, Any]) -> tuple[int, Any]:
        v = row.get(sort)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return (1, 0)  # blanks last in either direction
        if isinstance(v, str):
            return (0, v.lower())
        return (0, -v if desc else v)
    return k


def leaderboard(conn: sqlite3.Connection, art: Artifacts, *, sort: str = "sharpe_ratio",
                direction: str | None = None, filt: str = "all", limit: int = 100,
                offset: int = 0) -> dict[str, Any]:
    sort = sort if sort in SORTS else "sharpe_ratio"
    filt = filt if filt in FILTERS else "all"
    desc = (direction or SORTS[sort][1]) == "desc"
    have = columns(conn, "backtest_results")
    optional = [c for c in OPTIONAL if c in have]
    extra = "".join(f", r.{c}" for c in optional)
    where, args = _where(filt, art)
    sql = (
        "SELECT s.id AS strategy_id, s.name, s.status, s.reason, s.updated_at, r.id AS result_id, "
        "r.version, r.dataset, r.sharpe_ratio, r.total_return, r.max_drawdown, r.win_rate, "
        f"r.num_trades{extra}, "
        "(SELECT COUNT(*) FROM backtest_results x WHERE x.strategy_id = s.id) AS runs "
        "FROM strategies s LEFT JOIN backtest_results r ON r.id = ("
        "SELECT b.id FROM backtest_results b WHERE b.strategy_id = s.id AND b.status = 'ok' "
        f"ORDER BY b.sharpe_ratio DESC LIMIT 1) WHERE {where}"
    )
    found = [dict(r) for r in conn.execute(sql, args).fetchall()]
    file_scores = art.scores()
    for row in found:
        f = file_scores.get(row["name"])
        if f:
            for c in ("score", "oos_efficiency", "deflated_sharpe", "pbo"):
                if row.get(c) is None and f.get(c) is not None:
                    row[c] = f[c]
    found.sort(key=_key(sort, desc))
    present = {c for c in OPTIONAL if any(r.get(c) is not None for r in found)}
    return {
        "rows": found[offset: offset + limit], "total": len(found), "sort": sort,
        "dir": "desc" if desc else "asc", "filter": filt, "limit": limit, "offset": offset,
        "optional": [c for c in OPTIONAL if c in present or c in optional],
        "filters": list(FILTERS),
    }
