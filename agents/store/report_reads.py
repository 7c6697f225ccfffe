"""Reads behind the per-cycle research reports (rankings, killed list, candidates).

Plain functions over a connection (the reports run on the store's connection or on a
read-only one); rows are dicts.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from agents.store.readonly import dict_rows

__all__ = ["killed_strategies", "latest_reviews", "primary_run"]

_LATEST_REVIEWS = """
SELECT r.version_id, r.outcome, r.gates_json, r.summary, r.created_at,
       v.strategy_id, v.version, v.params_json, v.status AS version_status,
       s.name AS strategy, s.status AS strategy_status
FROM reviews r
JOIN strategy_versions v ON v.id = r.version_id
JOIN strategies s ON s.id = v.strategy_id
WHERE r.id = (SELECT MAX(r2.id) FROM reviews r2 WHERE r2.version_id = r.version_id)
ORDER BY r.version_id
"""

_PRIMARY = """
SELECT r.dataset, r.stats_json FROM backtest_results r JOIN strategy_versions v
ON v.id = r.version_id WHERE r.version_id = ? AND r.status = 'ok'
AND r.params_json = v.params_json ORDER BY r.id LIMIT 1
"""



def latest_reviews(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The newest review of every reviewed version, with its version and strategy."""
    return dict_rows(conn, _LATEST_REVIEWS)


def primary_run(conn: sqlite3.Connection, version_id: int) -> dict[str, Any] | None:
    """``dataset`` and ``stats_json`` of the version's first ok run of its own params."""
    return next(iter(dict_rows(conn, _PRIMARY, (version_id,))), None)


def killed_strategies(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Killed strategies (id, name, reason, last_version) by id."""
    return dict_rows(conn, "SELECT s.id, s.name, s.reason, (SELECT MAX(version) FROM strategy_versions "
                    "v WHERE v.strategy_id = s.id) AS last_version FROM strategies s "
                    "WHERE s.status = 'killed' ORDER BY s.id")
