"""``Store``: the typed write/read API over the results database (one connection).

One ``Store`` per thread. Every write method runs in :meth:`Store.tx`, which joins an
already open transaction: a stage handler that opens ``with store.tx():`` gets all its
writes, the events it emits and the queue ack committed together.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from agents.errors import StoreError
from agents.store.db import connect, describe_sqlite_error, now_iso, write_tx
from agents.store.records import (
    canonical_json,
    field_of,
    git_commit,
    params_hash,
    result_row,
    sha256_text,
)

__all__ = ["Store", "IDEA_TERMINAL", "idea_sha256"]

IDEA_TERMINAL = ("done", "failed", "cancelled", "killed", "promoted")
IDEA_SOURCES = ("file", "cli", "generator")


def idea_sha256(text: str) -> str:
    """Hash of the idea text with line endings and outer whitespace normalised."""
    return sha256_text(text.replace("\r\n", "\n").strip())


class Store:
    """Typed access to one SQLite file. ``Store(path)`` creates and migrates it."""

    def __init__(self, path: Path | str, *, busy_timeout_ms: int = 5000) -> None:
        self.path = Path(path)
        self._key = str(self.path.resolve()) if str(path) != ":memory:" else f"mem:{id(self)}"
        self.conn = connect(self.path, busy_timeout_ms=busy_timeout_ms)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------------
    @contextmanager
    def tx(self) -> Iterator[Store]:
        """One write transaction (``BEGIN IMMEDIATE``); nested calls join the outer one."""
        try:
            with write_tx(self.conn, self._key):
                yield self
        except sqlite3.OperationalError as e:
            raise StoreError(describe_sqlite_error(e, str(self.path))) from e

    @property
    def in_tx(self) -> bool:
        return self.conn.in_transaction

    def one(self, sql: str, args: tuple[Any, ...] | dict[str, Any] = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, args).fetchone()

    def all(self, sql: str, args: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, args).fetchall()

    def _insert_once(self, table: str, row: dict[str, Any], conflict: str) -> tuple[int, bool]:
        cols = ", ".join(row)
        marks = ", ".join(f":{k}" for k in row)
        with self.tx():
            got = self.one(
                f"INSERT INTO {table} ({cols}) VALUES ({marks}) "
                f"ON CONFLICT ({conflict}) DO NOTHING RETURNING id",
                row,
            )
            if got is not None:
                return int(got[0]), True
            where = " AND ".join(f"{c.strip()} IS :{c.strip()}" for c in conflict.split(","))
            existing = self.one(f"SELECT id FROM {table} WHERE {where}", row)
        if existing is None:  # pragma: no cover - the conflict row vanished
            raise StoreError(f"{table}: conflicting row not found")
        return int(existing[0]), False

    # -- ideas ------------------------------------------------------------------
    def add_idea(self, text: str, *, source: str = "cli", path: str | None = None) -> tuple[int, bool]:
        """Insert an idea; the same content (any source) is one idea. -> (id, created)."""
        if source not in IDEA_SOURCES:
            raise StoreError(f"idea source must be one of {IDEA_SOURCES}, not {source!r}")
        if not text.strip():
            raise StoreError("an idea needs some text")
        now = now_iso()
        return self._insert_once("ideas", {
            "source": source, "source_path": path, "text": text.strip(),
            "content_sha256": idea_sha256(text), "status": "new",
            "created_at": now, "updated_at": now,
        }, "content_sha256")

    def set_idea_status(self, idea_id: int, status: str, reason: str | None = None) -> None:
        with self.tx():
            self.conn.execute(
                "UPDATE ideas SET status = ?, reason = ?, updated_at = ? WHERE id = ?",
                (status, reason, now_iso(), idea_id),
            )

    # -- strategies and versions -----------------------------------------------
    def add_strategy(self, idea_id: int | None, name: str, spec: dict[str, Any] | None = None) -> tuple[int, bool]:
        now = now_iso()
        return self._insert_once("strategies", {
            "idea_id": idea_id, "name": name, "spec_json": canonical_json(spec or {}),
            "status": "active", "created_at": now, "updated_at": now,
        }, "idea_id, name")

    def set_strategy_status(self, strategy_id: int, status: str, reason: str | None = None) -> None:
        with self.tx():
            self.conn.execute(
                "UPDATE strategies SET status = ?, reason = ?, updated_at = ? WHERE id = ?",
                (status, reason, now_iso(), strategy_id),
            )

    def add_version(
        self, strategy_id: int, code: str, *, parent_id: int | None = None,
        spec: dict[str, Any] | None = None, params: dict[str, Any] | None = None,
        agent: str = "", llm_call_id: int | None = None, note: str | None = None,
    ) -> tuple[int, bool]:
        """A new code version; the same code for the same strategy is one version."""
        with self.tx():
            nxt = self.one(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM strategy_versions WHERE strategy_id = ?",
                (strategy_id,),
            )
            return self._insert_once("strategy_versions", {
                "strategy_id": strategy_id, "version": int(nxt[0]) if nxt else 1,
                "parent_id": parent_id, "code": code, "code_sha256": sha256_text(code),
                "spec_json": canonical_json(spec or {}), "params_json": canonical_json(params or {}),
                "agent": agent, "llm_call_id": llm_call_id, "note": note, "status": "new",
                "created_at": now_iso(),
            }, "strategy_id, code_sha256")

    def set_version_status(self, version_id: int, status: str) -> None:
        with self.tx():
            self.conn.execute(
                "UPDATE strategy_versions SET status = ? WHERE id = ?", (status, version_id)
            )

    def version(self, version_id: int) -> sqlite3.Row | None:
        return self.one("SELECT * FROM strategy_versions WHERE id = ?", (version_id,))

    # -- results ----------------------------------------------------------------
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

    def add_optimisation_round(
        self, strategy_id: int, version_id: int, *, child_version: int | None = None,
        method: str = "", dataset: str = "", data_sha256: str = "", trials: int = 0,
        rejected_logic: int = 0, objectives: list[str] | None = None,
        pareto: list[dict[str, Any]] | None = None, outcome: str = "",
        event_id: int | None = None,
    ) -> tuple[int, bool]:
        """One optimise round (its Pareto front, rejected logic changes); once per event."""
        return self._insert_once("optimisation_rounds", {
            "strategy_id": strategy_id, "version_id": version_id, "child_version": child_version,
            "method": method, "dataset": dataset, "data_sha256": data_sha256, "trials": trials,
            "rejected_logic": rejected_logic, "objectives": canonical_json(objectives or []),
            "pareto_json": canonical_json(pareto or []), "outcome": outcome,
            "event_id": event_id, "created_at": now_iso(),
        }, "version_id, event_id")

    # -- reviews and the knowledge base ------------------------------------------
    def add_review(
        self, version_id: int, outcome: str, *, gates: dict[str, Any] | None = None,
        summary: str = "", llm_call_id: int | None = None, event_id: int | None = None,
    ) -> int:
        v = self.version(version_id)
        if v is None:
            raise StoreError(f"version {version_id} does not exist")
        with self.tx():
            cur = self.conn.execute(
                "INSERT INTO reviews (strategy_id, version_id, outcome, gates_json, summary, "
                "llm_call_id, event_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (v["strategy_id"], version_id, outcome, canonical_json(gates or {}), summary,
                 llm_call_id, event_id, now_iso()),
            )
            return int(cur.lastrowid or 0)

    def add_review_series(self, review_id: int, name: str, series: Any) -> tuple[int, bool]:
        """A chart series of one review (e.g. ``monte_carlo_fan``); once per name."""
        if self.one("SELECT 1 FROM reviews WHERE id = ?", (review_id,)) is None:
            raise StoreError(f"review {review_id} does not exist; record the review first")
        return self._insert_once("review_series", {
            "review_id": review_id, "name": name, "series_json": canonical_json(series),
            "created_at": now_iso(),
        }, "review_id, name")

    def add_learning(
        self, text: str, *, kind: str = "note", tags: str = "", strategy_id: int | None = None,
        version_id: int | None = None, review_id: int | None = None,
    ) -> tuple[int, bool]:
        return self._insert_once("learnings", {
            "strategy_id": strategy_id, "version_id": version_id, "review_id": review_id,
            "kind": kind, "text": text.strip(), "tags": tags,
            "text_sha256": sha256_text(text.strip()), "created_at": now_iso(),
        }, "text_sha256")

    def learnings_for(self, text: str, limit: int = 5) -> list[sqlite3.Row]:
        """Learnings most relevant to ``text`` (full-text rank), newest first as fallback."""
        words = sorted({w.lower() for w in re.findall(r"[A-Za-z0-9_]{3,}", text)})
        if words:
            query = " OR ".join(f'"{w}"' for w in words[:32])
            rows = self.all(
                "SELECT l.* FROM learnings_fts f JOIN learnings l ON l.id = f.rowid "
                "WHERE learnings_fts MATCH ? ORDER BY bm25(learnings_fts) LIMIT ?",
                (query, limit),
            )
            if rows:
                return rows
        return self.all("SELECT * FROM learnings ORDER BY id DESC LIMIT ?", (limit,))

    # -- LLM calls ----------------------------------------------------------------
    def record_llm_call(self, call: Any) -> int:
        """Insert one call (dict or object with the ``llm_calls`` column names)."""
        ts = time.time()
        created = field_of(call, "created_at")
        if isinstance(created, datetime):
            ts = created.timestamp()
        values = (
            str(field_of(call, "provider", "") or ""), str(field_of(call, "model", "") or ""),
            str(field_of(call, "purpose", "") or ""),
            str(field_of(call, "prompt_version", "") or ""),
            int(field_of(call, "tokens_in", 0) or 0), int(field_of(call, "tokens_out", 0) or 0),
            float(field_of(call, "cost_usd", 0.0) or 0.0),
            float(field_of(call, "latency_ms", 0.0) or 0.0),
            field_of(call, "error"), field_of(call, "event_id"), now_iso(ts), ts,
        )
        with self.tx():
            cur = self.conn.execute(
                "INSERT INTO llm_calls (provider, model, purpose, prompt_version, tokens_in, "
                "tokens_out, cost_usd, latency_ms, error, event_id, created_at, created_ts) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values,
            )
            return int(cur.lastrowid or 0)

    def spent_since(self, ts: datetime) -> tuple[int, float]:
        row = self.one(
            "SELECT COALESCE(SUM(tokens_in + tokens_out), 0), COALESCE(SUM(cost_usd), 0) "
            "FROM llm_calls WHERE created_ts >= ?", (ts.timestamp(),),
        )
        return (int(row[0]), float(row[1])) if row else (0, 0.0)

    # -- provenance -----------------------------------------------------------------
    def record_holdout_read(
        self, dataset: str, *, strategy_id: int | None = None, version_id: int | None = None,
        split: str = "holdout", reader: str = "", reason: str = "", event_id: int | None = None,
    ) -> int:
        with self.tx():
            cur = self.conn.execute(
                "INSERT INTO holdout_reads (strategy_id, version_id, dataset, split, reader, "
                "reason, event_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (strategy_id, version_id, dataset, split, reader, reason, event_id, now_iso()),
            )
            return int(cur.lastrowid or 0)

    def snapshot_settings(self, run_id: str, settings: dict[str, Any], *, pid: int, host: str) -> int:
        text = canonical_json(settings)
        with self.tx():
            cur = self.conn.execute(
                "INSERT INTO settings_snapshots (run_id, settings_json, sha256, pid, host, "
                "git_commit, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (run_id, text, sha256_text(text), pid, host, git_commit(), now_iso()),
            )
            return int(cur.lastrowid or 0)
