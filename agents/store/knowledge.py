"""What earlier strategies teach a new idea: similar specs, how far they got."""

from __future__ import annotations

from typing import Any

from agents.store.base import StoreBase

__all__ = ["MIN_TRADES", "OWN_RESULTS", "KnowledgeMixin"]

MIN_TRADES = 10  # a "best" result needs this many trades (settings.review_min_trades)
# a version's best is a run of its OWN parameters (not a search trial) with enough
# trades: an open position never closed once showed "# Trades 0" with a real return
OWN_RESULTS = ("FROM backtest_results r JOIN strategy_versions v ON v.id = r.version_id "
        "WHERE r.strategy_id = {sid} AND r.status = 'ok' AND r.params_json = v.params_json "
        "AND r.num_trades >= ?")


class KnowledgeMixin(StoreBase):
    def similar_strategies(self, words: list[str], limit: int,
                           min_trades: int = MIN_TRADES) -> list[dict[str, Any]]:
        """Newest strategies whose spec mentions any of ``words``: id, name, status, reason,
        best_sharpe (own parameters, ``min_trades``), last_review, sealed (holdout read)."""
        if not words:
            return []
        where = " OR ".join("lower(s.spec_json) LIKE ?" for _ in words)
        return self._dicts(
            "SELECT s.id, s.name, s.status, s.reason, "
            "(SELECT MAX(r.sharpe_ratio) " + OWN_RESULTS.format(sid="s.id") + ") AS best_sharpe, "
            "(SELECT outcome FROM reviews v WHERE v.strategy_id = s.id ORDER BY v.id DESC "
            " LIMIT 1) AS last_review, "
            "EXISTS (SELECT 1 FROM holdout_reads h WHERE h.strategy_id = s.id) AS sealed "
            f"FROM strategies s WHERE {where} ORDER BY s.id DESC LIMIT ?",
            (min_trades, *[f"%{w}%" for w in words], limit))
