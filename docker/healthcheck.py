"""Compose healthcheck of the ``rbi`` service: healthy while the runner's heartbeat is fresh.

The runtime heartbeats its runner lock row every few seconds (agents.runtime.lock); a
fresh row means the loop is alive and owns the database. Stdlib only, ~50 ms.
Exit 0 healthy, 1 not (with a one-line reason on stdout for `docker inspect`).
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time


def main() -> int:
    db = os.environ.get("RBI_DB") or "results/rbi.sqlite"
    stale = float(os.environ.get("RBI_LOCK_STALE_SECONDS") or 30)
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        row = conn.execute("SELECT pid, heartbeat_ts FROM runner_lock WHERE id = 1").fetchone()
        conn.close()
    except sqlite3.Error as e:
        print(f"unhealthy: cannot read {db}: {e}")
        return 1
    if row is None:
        print("unhealthy: no runner holds the lock")
        return 1
    age = time.time() - float(row[1])
    if age > stale:
        print(f"unhealthy: runner pid {row[0]} last heartbeat {age:.0f} s ago")
        return 1
    print(f"healthy: runner pid {row[0]}, heartbeat {age:.1f} s ago")
    return 0


if __name__ == "__main__":
    sys.exit(main())
