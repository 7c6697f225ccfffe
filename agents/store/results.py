"""Backtest results and optimization records: writes and the reads the stages use."""

from __future__ import annotations

import json
from typing import Any

from agents.errors import StoreError
from agents.store.base import StoreBase
from agents.store.db import now_iso
from agents.store.records import canonical_json, git_commit, params_hash, result_row
from agents.store.rows import PrimaryResult

__all__ = ["ResultsMixin"]


class ResultsMixin(StoreBase):
    def record_result(
        self, version_id: int, result: Any, dataset: str, *,
        params: dict[str, Any] | None = None, seed: int = 0, backend: str | None = None,
        event_id: int | None = None, keep_series: bool = True,
    ) -> tuple[int, bool]:
        """Store one run; a re-delivered (version, dataset, params, seed) adds no row."""
        v = self.one(
            "SELECT v.version, v.code_sha256, v.strategy_id, s.name FROM strategy_versions v "
            "JOIN strategies s ON s.id = v.strategy_id WHERE v.id = ?", (version_id,),
        )
        if v is None:
            raise StoreError(f"version {version_id} does not exist")
        row = result_row(result, keep_series=keep_series)
        p = params if params is not None else row.pop("params")
        row.pop("params", None)
        row.update(
            version_id=version_id, strategy_id=v["strategy_id"], strategy_name=v["name"],
            version=v["version"], code_hash=v["code_sha256"], dataset=dataset,
            params_json=canonical_json(p), params_hash=params_hash(p), seed=seed,
            git_commit=git_commit(), event_id=event_id, created_at=now_iso(),
        )
        if backend is not None:
            row["backend"] = backend
        return self._insert_once(
            "backtest_results", row, "version_id, dataset, params_hash, seed"
        )

    def primary_result(self, version_id: int) -> PrimaryResult | None:
        """The version's first ok run of its own parameters."""
        r = self.one(
            "SELECT r.id, r.dataset, r.stats_json FROM backtest_results r JOIN strategy_versions v "
            "ON v.id = r.version_id WHERE r.version_id = ? AND r.status = 'ok' "
            "AND r.params_json = v.params_json ORDER BY r.id LIMIT 1", (version_id,))
        if r is None:
            return None
        return PrimaryResult(id=int(r["id"]), dataset=str(r["dataset"]),
                             stats_json=str(r["stats_json"]))

    def ok_param_sets(self, version_id: int) -> list[dict[str, Any]]:
        """Distinct parameter sets of the version's ok runs (sorted by their JSON text)."""
        rows = self.all("SELECT DISTINCT params_json FROM backtest_results WHERE version_id = ? "
                        "AND status = 'ok' ORDER BY params_json", (version_id,))
        return [json.loads(r[0]) for r in rows]

    def distinct_variants(self, strategy_id: int) -> int:
        """Distinct (data, params, stats) of the strategy's ok runs: the variants tried."""
        return int(self._scalar(
            "SELECT COUNT(*) FROM (SELECT DISTINCT data_sha256, params_hash, "
            "json_remove(stats_json, '$._strategy') "
            "FROM backtest_results WHERE strategy_id = ? AND status = 'ok')", (strategy_id,)) or 0)

    def other_strategies_trials(self, strategy_id: int, dataset: str) -> list[tuple[int, float | None]]:
        """Per other strategy with ok runs on ``dataset`` (any case): (raw distinct variants
        there, ``n_trials_own`` of its latest research review or None)."""
        rows = self.all(
            "SELECT r.strategy_id, COUNT(DISTINCT r.params_hash || json_remove(r.stats_json, "
            "'$._strategy')) AS raw, "
            "(SELECT json_extract(w.gates_json, '$.research.evidence.n_trials_own') FROM reviews w "
            " WHERE w.strategy_id = r.strategy_id AND json_extract(w.gates_json, "
            " '$.research.evidence.n_trials_own') IS NOT NULL ORDER BY w.id DESC LIMIT 1) AS eff "
            "FROM backtest_results r WHERE r.strategy_id != ? AND r.status = 'ok' "
            "AND upper(r.dataset) = upper(?) GROUP BY r.strategy_id", (strategy_id, dataset))
        return [(int(r["raw"]), None if r["eff"] is None else float(r["eff"])) for r in rows]

    # -- optimization -------------------------------------------------------------
    def add_optimization(
        self, parent_version: int, child_version: int, optimization_type: str, *,
        changes_made: str = "", performance_delta: float | None = None,
        metric: str = "sharpe_ratio", event_id: int | None = None,
    ) -> tuple[int, bool]:
        v = self.one(
            "SELECT s.id, s.name FROM strategy_versions v JOIN strategies s "
            "ON s.id = v.strategy_id WHERE v.id = ?", (child_version,),
        )
        if v is None:
            raise StoreError(f"version {child_version} does not exist")
        return self._insert_once("optimization_history", {
            "strategy_id": v["id"], "strategy_name": v["name"], "parent_version": parent_version,
            "child_version": child_version, "optimization_type": optimization_type,
            "changes_made": changes_made, "performance_delta": performance_delta,
            "metric": metric, "event_id": event_id, "created_at": now_iso(),
        }, "parent_version, child_version")

    def optimization_count(self, strategy_id: int) -> int:
        """Accepted optimizations (``optimization_history`` rows) of the strategy."""
        return int(self._scalar("SELECT COUNT(*) FROM optimization_history WHERE strategy_id = ?",
                                (strategy_id,)) or 0)

    def optimization_steps(self, strategy_id: int) -> list[tuple[str, str, float]]:
        """(type, changes made, performance delta) of each accepted optimization, in order."""
        rows = self.all("SELECT optimization_type, changes_made, performance_delta FROM "
                        "optimization_history WHERE strategy_id = ? ORDER BY id", (strategy_id,))
        return [(str(r[0]), str(r[1]), r[2]) for r in rows]

    def add_optimization_round(
        self, strategy_id: int, version_id: int, *, child_version: int | None = None,
        method: str = "", dataset: str = "", data_sha256: str = "", trials: int = 0,
        rejected_logic: int = 0, objectives: list[str] | None = None,
        pareto: list[dict[str, Any]] | None = None, outcome: str = "",
        event_id: int | None = None,
    ) -> tuple[int, bool]:
        """One optimise round (its Pareto front, rejected logic changes); once per event."""
        return self._insert_once("optimization_rounds", {
            "strategy_id": strategy_id, "version_id": version_id, "child_version": child_version,
            "method": method, "dataset": dataset, "data_sha256": data_sha256, "trials": trials,
            "rejected_logic": rejected_logic, "objectives": canonical_json(objectives or []),
            "pareto_json": canonical_json(pareto or []), "outcome": outcome,
            "event_id": event_id, "created_at": now_iso(),
        }, "version_id, event_id")

    def rejected_logic_changes(self, strategy_id: int) -> int:
        """Logic changes optimise rounds tried and rejected (variants for the DSR)."""
        return int(self._scalar("SELECT COALESCE(SUM(rejected_logic), 0) FROM optimization_rounds "
                                "WHERE strategy_id = ?", (strategy_id,)) or 0)
