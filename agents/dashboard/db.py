"""Read-only access to the results database for the dashboard.

Every request gets its own connection opened with ``file:...?mode=ro`` and
``PRAGMA query_only``: the dashboard can never write, lock a writer out for long, or
create a database that does not exist. The schema may grow while the dashboard runs
(other issues add columns), so queries ask :func:`columns` what exists first.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

__all__ = ["ReadOnlyDB", "columns", "has_table", "loads", "rows"]


class ReadOnlyDB:
    """A factory of read-only connections to one SQLite file."""

    def __init__(self, path: Path | str, *, busy_timeout_ms: int = 2000) -> None:
        self.path = Path(path).resolve()
        self.busy_timeout_ms = busy_timeout_ms

    @property
    def uri(self) -> str:
        return f"file:{quote(str(self.path))}?mode=ro"

    def exists(self) -> bool:
        return self.path.is_file()

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.uri, uri=True, timeout=self.busy_timeout_ms / 1000.0,
                               check_same_thread=False)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA query_only = ON")
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            yield conn
        finally:
            conn.close()


def columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """Column names of ``table`` (empty when the table does not exist)."""
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


def has_table(conn: sqlite3.Connection, table: str) -> bool:
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?", (table,)
    ).fetchone() is not None


def rows(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sql, args).fetchall()]


def loads(text: Any, default: Any = None) -> Any:
    """JSON text -> value; anything unreadable -> ``default``."""
    if text is None or text == "":
        return default
    if not isinstance(text, str | bytes):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return default
