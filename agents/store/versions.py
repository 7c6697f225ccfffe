"""Strategies and their code versions: writes, typed reads, lineage lookups."""

from __future__ import annotations

from typing import Any

from agents.store.base import StoreBase
from agents.store.db import now_iso
from agents.store.records import canonical_json, sha256_text
from agents.store.rows import Strategy, Version

__all__ = ["VersionsMixin"]


class VersionsMixin(StoreBase):
    # -- strategies -------------------------------------------------------------
    def add_strategy(self, idea_id: int | None, name: str,
                     spec: dict[str, Any] | None = None) -> tuple[int, bool]:
        now = now_iso()
        return self._insert_once("strategies", {
            "idea_id": idea_id, "name": name, "spec_json": canonical_json(spec or {}),
            "status": "active", "created_at": now, "updated_at": now,
        }, "idea_id, name")

    def set_strategy_status(self, strategy_id: int, status: str, reason: str | None = None) -> None:
        with self._tx():
            self._exec("UPDATE strategies SET status = ?, reason = ?, updated_at = ? WHERE id = ?",
                       (status, reason, now_iso(), strategy_id))

    def strategy(self, strategy_id: int) -> Strategy | None:
        r = self.one("SELECT * FROM strategies WHERE id = ?", (strategy_id,))
        return Strategy.from_row(r) if r is not None else None

    def strategy_exists(self, strategy_id: int) -> bool:
        return self.one("SELECT 1 FROM strategies WHERE id = ?", (strategy_id,)) is not None

    def active_siblings(self, idea_id: int) -> int:
        """Strategies of ``idea_id`` still active."""
        return int(self._scalar("SELECT COUNT(*) FROM strategies WHERE idea_id = ? AND "
                                "status = 'active'", (idea_id,)) or 0)

    # -- versions -------------------------------------------------------------------
    def add_version(
        self, strategy_id: int, code: str, *, parent_id: int | None = None,
        spec: dict[str, Any] | None = None, params: dict[str, Any] | None = None,
        agent: str = "", llm_call_id: int | None = None, note: str | None = None,
    ) -> tuple[int, bool]:
        """A new code version; the same code for the same strategy is one version."""
        with self._tx():
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
        with self._tx():
            self._exec("UPDATE strategy_versions SET status = ? WHERE id = ?", (status, version_id))

    def version(self, version_id: int) -> Version | None:
        r = self.one("SELECT * FROM strategy_versions WHERE id = ?", (version_id,))
        return Version.from_row(r) if r is not None else None

    def version_with_code(self, strategy_id: int, code: str) -> int | None:
        """Id of the strategy's version whose code is exactly ``code`` (None: new code)."""
        got = self._scalar("SELECT id FROM strategy_versions WHERE strategy_id = ? AND "
                           "code_sha256 = ?", (strategy_id, sha256_text(code)))
        return int(got) if got is not None else None
