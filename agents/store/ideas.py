"""Ideas: add (content-addressed), status changes, lookups and the CLI's idea list."""

from __future__ import annotations

from typing import Any

from agents.errors import StoreError
from agents.store.base import StoreBase
from agents.store.db import now_iso
from agents.store.records import sha256_text
from agents.store.rows import Idea

__all__ = ["IDEA_SOURCES", "IDEA_TERMINAL", "IdeasMixin", "idea_sha256"]

IDEA_TERMINAL = ("done", "failed", "cancelled", "killed", "promoted")
IDEA_SOURCES = ("file", "cli", "generator")


def idea_sha256(text: str) -> str:
    """Hash of the idea text with line endings and outer whitespace normalised."""
    return sha256_text(text.replace("\r\n", "\n").strip())


class IdeasMixin(StoreBase):
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
        with self._tx():
            self._exec("UPDATE ideas SET status = ?, reason = ?, updated_at = ? WHERE id = ?",
                       (status, reason, now_iso(), idea_id))

    def idea(self, idea_id: int) -> Idea | None:
        r = self.one("SELECT * FROM ideas WHERE id = ?", (idea_id,))
        return Idea.from_row(r) if r is not None else None

    def idea_by_text(self, text: str) -> Idea | None:
        """The idea with the same (normalised) content as ``text``."""
        r = self.one("SELECT * FROM ideas WHERE content_sha256 = ?", (idea_sha256(text),))
        return Idea.from_row(r) if r is not None else None

    def ideas_listing(self, *, status: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Newest first: id, source, status, reason, created_at, text (80 chars), strategies."""
        sql = ("SELECT i.id, i.source, i.status, i.reason, i.created_at, substr(i.text, 1, 80) text, "
               "(SELECT COUNT(*) FROM strategies s WHERE s.idea_id = i.id) strategies FROM ideas i")
        if status:
            return self._dicts(sql + " WHERE i.status = ? ORDER BY i.id DESC LIMIT ?", (status, limit))
        return self._dicts(sql + " ORDER BY i.id DESC LIMIT ?", (limit,))

    def idea_detail(self, idea_id: int) -> dict[str, Any] | None:
        """The idea row with its strategies and events (``rbi show idea``)."""
        row = self.one("SELECT * FROM ideas WHERE id = ?", (idea_id,))
        if row is None:
            return None
        doc = dict(row)
        doc["strategies"] = self._dicts(
            "SELECT id, name, status, reason FROM strategies WHERE idea_id = ?", (idea_id,))
        doc["events"] = self._dicts(
            "SELECT id, type, status, attempts, error_class, last_error FROM events "
            "WHERE idea_id = ? ORDER BY id", (idea_id,))
        return doc
