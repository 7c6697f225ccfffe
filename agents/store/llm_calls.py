"""LLM calls (money spent stays spent) and the settings each run started with."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from agents.store.base import StoreBase
from agents.store.db import now_iso
from agents.store.records import canonical_json, field_of, git_commit, sha256_text

__all__ = ["LlmCallsMixin"]


class LlmCallsMixin(StoreBase):
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
        with self._tx():
            cur = self._exec(
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

    def snapshot_settings(self, run_id: str, settings: dict[str, Any], *, pid: int, host: str) -> int:
        text = canonical_json(settings)
        with self._tx():
            cur = self._exec(
                "INSERT INTO settings_snapshots (run_id, settings_json, sha256, pid, host, "
                "git_commit, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (run_id, text, sha256_text(text), pid, host, git_commit(), now_iso()),
            )
            return int(cur.lastrowid or 0)
