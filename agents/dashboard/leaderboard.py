"""Leaderboard: one row per strategy with its best ok result, sortable and filterable.

Score and OOS efficiency come from the rankings / candidates files in the results
directory; absent -> blank.
"""

from __future__ import annotations

import math
import sqlite3
from typing import Any

from agents.dashboard.artifacts import Artifacts
from agents.store.dashboard_strategy import leaderboard_rows

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


def _scope(filt: str, art: Artifacts) -> tuple[list[str] | None, list[str]]:
    """(statuses, names) of the strategies ``filt`` shows (None: every strategy)."""
    if filt == "candidates":
        return list(CANDIDATE_STATUSES), sorted(art.candidates())
    if filt == "killed":
        return ["killed"], sorted(art.killed())
    if filt in ("active", "approved", "failed"):
        return [filt], []
    return None, []


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
    statuses, names = _scope(filt, art)
    found = leaderboard_rows(conn, statuses, names)
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
        "optional": [c for c in OPTIONAL if c in present],
        "filters": list(FILTERS),
    }
