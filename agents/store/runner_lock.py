"""The ``runner_lock`` row: who runs the loop on this database (see agents.runtime.lock)."""

from __future__ import annotations

import time
from typing import Any

from agents.store.base import StoreBase
from agents.store.db import now_iso

__all__ = ["RunnerLockMixin"]


class RunnerLockMixin(StoreBase):
    def lock_row(self) -> dict[str, Any] | None:
        row = self.one("SELECT * FROM runner_lock WHERE id = 1")
        return dict(row) if row is not None else None

    def take_lock(self, token: str, pid: int, host: str, proc_start_ts: float) -> None:
        now = time.time()
        with self._tx():
            self._exec(
                "INSERT OR REPLACE INTO runner_lock (id, token, pid, host, proc_start_ts, "
                "started_at, heartbeat_ts) VALUES (1, ?, ?, ?, ?, ?, ?)",
                (token, pid, host, proc_start_ts, now_iso(), now),
            )

    def beat_lock(self, token: str) -> bool:
        """False when the lock row no longer carries ``token`` (taken over)."""
        with self._tx():
            cur = self._exec("UPDATE runner_lock SET heartbeat_ts = ? WHERE id = 1 AND token = ?",
                             (time.time(), token))
        return cur.rowcount == 1

    def drop_lock(self, token: str) -> None:
        with self._tx():
            self._exec("DELETE FROM runner_lock WHERE id = 1 AND token = ?", (token,))
