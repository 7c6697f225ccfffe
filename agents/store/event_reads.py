"""Reads of the event queue for the CLI (the queue itself is :mod:`agents.store.queue`)."""

from __future__ import annotations

from typing import Any

from agents.store.base import StoreBase

__all__ = ["EventReadsMixin"]


class EventReadsMixin(StoreBase):
    def ready_by_type(self) -> list[dict[str, Any]]:
        """Per event type with ready events: type, n, first_ts (the earliest due time)."""
        return self._dicts("SELECT type, COUNT(*) n, MIN(available_ts) first_ts FROM events "
                           "WHERE status = 'ready' GROUP BY type ORDER BY type")

    def event_row(self, event_id: int) -> dict[str, Any] | None:
        row = self.one("SELECT * FROM events WHERE id = ?", (event_id,))
        return dict(row) if row is not None else None
