"""SQLite plumbing: open a connection the loop's way, migrate, run write transactions.

Every connection: WAL, ``synchronous=NORMAL``, ``foreign_keys=ON``, ``busy_timeout``,
autocommit mode (``isolation_level=None``) so transactions are explicit
``BEGIN IMMEDIATE ... COMMIT``. Threads of one process share a lock per database
file for writes, so they queue in Python instead of spinning in SQLite's busy handler;
other processes are handled by ``busy_timeout``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from agents.errors import StoreError
from agents.store.schema import MIGRATIONS

__all__ = ["connect", "migrate", "now_iso", "write_tx", "describe_sqlite_error"]

_WRITE_LOCKS: dict[str, threading.RLock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def now_iso(ts: float | None = None) -> str:
    dt = datetime.fromtimestamp(time.time() if ts is None else ts, UTC)
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _write_lock(path: str) -> threading.RLock:
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(path, threading.RLock())


def describe_sqlite_error(e: sqlite3.Error, db: str = "") -> str:
    msg = str(e)
    low = msg.lower()
    where = f" ({db})" if db else ""
    if "locked" in low or "busy" in low:
        return f"database is locked{where}: another process held a write lock past busy_timeout"
    if "full" in low:
        return f"database or disk is full{where}: free disk space, then `rbi retry` the event"
    if "readonly" in low or "read-only" in low:
        return f"database is read-only{where}: check file permissions"
    if "malformed" in low or "not a database" in low:
        return f"database file is damaged or not SQLite{where}: {msg}"
    return f"{msg}{where}"


def connect(path: Path | str, *, busy_timeout_ms: int = 5000, migrate_schema: bool = True) -> sqlite3.Connection:
    """Open ``path`` (creating parent folders), set pragmas, bring the schema up to date."""
    p = Path(path)
    if str(p) != ":memory:":
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create folder for database {p}: {e.strerror}") from e
    try:
        conn = sqlite3.connect(
            str(p), isolation_level=None, check_same_thread=False,
            timeout=busy_timeout_ms / 1000.0,
        )
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        if migrate_schema:
            migrate(conn, str(p.resolve()) if str(p) != ":memory:" else ":memory:")
    except sqlite3.Error as e:
        raise StoreError(f"cannot open database {p}: {describe_sqlite_error(e)}") from e
    return conn


def _statements(script: str) -> Iterator[str]:
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                yield buf
            buf = ""
    if buf.strip():
        raise StoreError("migration script ends with an incomplete statement")


def migrate(conn: sqlite3.Connection, key: str = "") -> int:
    """Apply pending migrations, each in one transaction with its version bump."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > len(MIGRATIONS):
        raise StoreError(
            f"database schema version {current} is newer than this rbi ({len(MIGRATIONS)}): "
            "upgrade rbi or use another --db"
        )
    for number in range(current + 1, len(MIGRATIONS) + 1):
        with write_tx(conn, key):
            # re-check inside the lock: another process may have migrated meanwhile
            if conn.execute("PRAGMA user_version").fetchone()[0] >= number:
                continue
            for stmt in _statements(MIGRATIONS[number - 1]):
                conn.execute(stmt)
            conn.execute(f"PRAGMA user_version = {number}")
    return len(MIGRATIONS)


@contextmanager
def write_tx(conn: sqlite3.Connection, key: str = "") -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (ROLLBACK on error). Joins an open transaction."""
    if conn.in_transaction:
        yield conn
        return
    lock = _write_lock(key) if key else None
    if lock:
        lock.acquire()
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        if lock:
            lock.release()
