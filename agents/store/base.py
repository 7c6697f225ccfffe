"""``StoreBase``: one connection, its write transactions and the raw query helpers.

The grouped modules (``ideas``, ``versions``, ``results``, ...) add their methods to
it as mixins; :class:`agents.store.Store` combines them. Only code inside
``agents/store`` writes SQL: everything else calls a named method.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agents.errors import StoreError
from agents.store.db import connect, describe_sqlite_error, write_tx

__all__ = ["Args", "StoreBase"]

Args = tuple[Any, ...] | dict[str, Any]


class StoreBase:
    """Typed access to one SQLite file. ``Store(path)`` creates and migrates it."""

    def __init__(self, path: Path | str, *, busy_timeout_ms: int = 5000) -> None:
        self.path = Path(path)
        self._key = str(self.path.resolve()) if str(path) != ":memory:" else f"mem:{id(self)}"
        self.conn = connect(self.path, busy_timeout_ms=busy_timeout_ms)

    def close(self) -> None:
        self.conn.close()

    # -- plumbing -------------------------------------------------------------
    @contextmanager
    def _tx(self) -> Iterator[None]:
        try:
            with write_tx(self.conn, self._key):
                yield
        except sqlite3.OperationalError as e:
            raise StoreError(describe_sqlite_error(e, str(self.path))) from e

    @property
    def in_tx(self) -> bool:
        return self.conn.in_transaction

    def rollback(self) -> None:
        """Abandon an open transaction (a failed COMMIT can leave one open)."""
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def one(self, sql: str, args: Args = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(sql, args).fetchone()
        return row

    def all(self, sql: str, args: Args = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, args).fetchall()

    def _exec(self, sql: str, args: Args = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, args)

    def _dicts(self, sql: str, args: Args = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self.all(sql, args)]

    def _scalar(self, sql: str, args: Args = ()) -> Any:
        row = self.one(sql, args)
        return row[0] if row is not None else None

    def _insert_once(self, table: str, row: dict[str, Any], conflict: str) -> tuple[int, bool]:
        cols = ", ".join(row)
        marks = ", ".join(f":{k}" for k in row)
        with self._tx():
            got = self.one(
                f"INSERT INTO {table} ({cols}) VALUES ({marks}) "
                f"ON CONFLICT ({conflict}) DO NOTHING RETURNING id",
                row,
            )
            if got is not None:
                return int(got[0]), True
            where = " AND ".join(f"{c.strip()} IS :{c.strip()}" for c in conflict.split(","))
            existing = self.one(f"SELECT id FROM {table} WHERE {where}", row)
        if existing is None:  # pragma: no cover - the conflict row vanished
            raise StoreError(f"{table}: conflicting row not found")
        return int(existing[0]), False

    def schema_version(self) -> int:
        return int(self._scalar("PRAGMA user_version") or 0)
