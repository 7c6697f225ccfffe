"""Reviews, their chart series, and the knowledge base of learnings (full-text)."""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from agents.errors import StoreError
from agents.store.base import StoreBase
from agents.store.db import now_iso
from agents.store.records import canonical_json, sha256_text

__all__ = ["ReviewsMixin"]


class ReviewsMixin(StoreBase):
    def add_review(
        self, version_id: int, outcome: str, *, gates: dict[str, Any] | None = None,
        summary: str = "", llm_call_id: int | None = None, event_id: int | None = None,
    ) -> int:
        sid = self._scalar("SELECT strategy_id FROM strategy_versions WHERE id = ?", (version_id,))
        if sid is None:
            raise StoreError(f"version {version_id} does not exist")
        with self._tx():
            cur = self._exec(
                "INSERT INTO reviews (strategy_id, version_id, outcome, gates_json, summary, "
                "llm_call_id, event_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (sid, version_id, outcome, canonical_json(gates or {}), summary,
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

    def latest_gates(self, version_id: int) -> dict[str, Any] | None:
        """``gates_json`` of the version's newest review (None: never reviewed)."""
        text = self._scalar("SELECT gates_json FROM reviews WHERE version_id = ? "
                            "ORDER BY id DESC LIMIT 1", (version_id,))
        if text is None:
            return None
        value = json.loads(text)
        return value if isinstance(value, dict) else {}

    # -- the knowledge base ----------------------------------------------------------
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

    def learning_texts(self, strategy_id: int, kind: str) -> list[str]:
        """Texts of the strategy's learnings of one kind, oldest first."""
        return [str(r[0]) for r in self.all(
            "SELECT text FROM learnings WHERE strategy_id = ? AND kind = ? ORDER BY id",
            (strategy_id, kind))]
