"""One ``run`` per database: a lock row with PID, process start time and heartbeat.

Policy: a second ``rbi run`` on the same database is REFUSED with a message naming
the running one. A lock is stale (taken over) when its process is gone on this host
(PID missing, or reused by a process with another start time — e.g. PID 1 of a
restarted container) or, from another host, when its heartbeat is older than
``lock_stale_seconds``. Claims are atomic anyway, so even a mistaken takeover cannot
run an event twice; the lock keeps inbox scans and operator reasoning simple.
"""

from __future__ import annotations

import os
import socket
import time
import uuid

import psutil

from agents.errors import RbiError
from agents.store import Store

__all__ = ["AlreadyRunning", "RunnerLock", "lock_info"]


class AlreadyRunning(RbiError):
    """Another ``rbi run`` holds this database."""


def _proc_start(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except (psutil.Error, OSError):
        return None


def lock_info(store: Store, stale_s: float = 30.0) -> dict[str, object] | None:
    """The current lock holder with ``alive`` and ``heartbeat_age_s``; None when free."""
    row = store.lock_row()
    if row is None:
        return None
    info = dict(row)
    info["heartbeat_age_s"] = round(time.time() - row["heartbeat_ts"], 1)
    if row["host"] == socket.gethostname():
        start = _proc_start(row["pid"])
        info["alive"] = start is not None and abs(start - row["proc_start_ts"]) < 1.0
    else:
        info["alive"] = info["heartbeat_age_s"] < stale_s  # type: ignore[operator]
    return info


class RunnerLock:
    def __init__(self, store: Store, *, stale_s: float = 30.0) -> None:
        self.store = store
        self.stale_s = stale_s
        self.token = uuid.uuid4().hex
        self.pid = os.getpid()
        self.host = socket.gethostname()

    def acquire(self) -> dict[str, object] | None:
        """Take the lock; returns the stale holder it replaced (or None)."""
        with self.store.tx():
            info = lock_info(self.store, self.stale_s)
            if info is not None and info["alive"] and info["token"] != self.token:
                raise AlreadyRunning(
                    f"another `rbi run` is using {self.store.path} (pid {info['pid']} on "
                    f"{info['host']}, started {info['started_at']}, heartbeat "
                    f"{info['heartbeat_age_s']} s ago): stop it first, or raise --workers there"
                )
            self.store.take_lock(self.token, self.pid, self.host,
                                 _proc_start(self.pid) or time.time())
        return info

    def heartbeat(self) -> bool:
        """False when someone else took the lock over (we should stop)."""
        return self.store.beat_lock(self.token)

    def release(self) -> None:
        self.store.drop_lock(self.token)
