"""Read-only connections to the results database (the dashboard's).

Every connection is opened with ``file:...?mode=ro`` and ``PRAGMA query_only``: the
reader can never write, lock a writer out for long, or create a database that does
not exist.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

__all__ = ["ReadOnlyDB", "dict_rows", "has_table"]


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


def has_table(conn: sqlite3.Connection, table: str) -> bool:
    """Whether the schema has ``table`` (a database older than the paper tables lacks them)."""
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?", (table,)
    ).fetchone() is not None


def dict_rows(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Rows as dicts on any connection (whatever its own ``row_factory``)."""
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row
    return [dict(r) for r in cur.execute(sql, args).fetchall()]
