"""``StoreCallLog``: the store behind the LLM layer's ``CallLog`` Protocol."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agents.store.store import Store

__all__ = ["StoreCallLog"]


class StoreCallLog:
    """``record(call) -> id`` and ``spent_since(ts) -> (tokens, cost_usd)`` on ``llm_calls``.

    A call is written at once in its own short transaction (or joins the handler's open
    one): money spent stays spent even if the stage later fails.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, call: Any) -> int:
        return self.store.record_llm_call(call)

    def spent_since(self, ts: datetime) -> tuple[int, float]:
        return self.store.spent_since(ts)
