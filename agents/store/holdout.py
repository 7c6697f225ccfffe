"""The append-only holdout ledger: every read of a sealed holdout, once per decision.

One table definition (the schema's ``holdout_reads``, append-only by trigger) and one
writer, :func:`record_holdout_read`: a second read with the same (version, dataset,
decision) raises :class:`HoldoutAlreadyRead`. A *decision* key (default
``promote:v<version_id>``) is stored in ``reason``.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any, Protocol

from agents.errors import RbiError
from agents.store.base import StoreBase
from agents.store.db import migrate, write_tx

__all__ = ["HoldoutAlreadyRead", "HoldoutLedger", "HoldoutMixin", "record_holdout_read"]


class HoldoutAlreadyRead(RbiError):
    """The holdout was already read for this promotion decision."""


class _HasHoldout(Protocol):
    @property
    def holdout(self) -> Any: ...


def record_holdout_read(
    conn: sqlite3.Connection, *, strategy_id: int | None, version_id: int | None, dataset: str,
    decision: str | None = None, reader: str = "promote", event_id: int | None = None,
    when: str | None = None,
) -> int:
    """Log one read; raises when this decision already read this dataset's holdout."""
    key = decision or f"promote:v{version_id}"
    with write_tx(conn):
        seen = conn.execute(
            "SELECT created_at FROM holdout_reads WHERE version_id IS ? AND dataset = ? "
            "AND reason = ? AND split = 'holdout'", (version_id, dataset, key)).fetchone()
        if seen is not None:
            raise HoldoutAlreadyRead(
                f"holdout of {dataset} already read for decision {key!r} at {seen[0]}; "
                "a sealed holdout is read once per promotion decision")
        stamp = when or datetime.now(UTC).isoformat(timespec="milliseconds")
        cur = conn.execute(
            "INSERT INTO holdout_reads (strategy_id, version_id, dataset, split, reader, "
            "reason, event_id, created_at) VALUES (?, ?, ?, 'holdout', ?, ?, ?, ?)",
            (strategy_id, version_id, dataset, reader, key, event_id, stamp))
    return int(cur.lastrowid or 0)


class HoldoutLedger:
    """The ledger over one connection (a bare database gets the store's schema)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        migrate(conn)

    def reads(self, version_id: int | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM holdout_reads"
        args: tuple[Any, ...] = ()
        if version_id is not None:
            sql, args = sql + " WHERE version_id = ?", (version_id,)
        cur = self.conn.execute(sql + " ORDER BY id", args)
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def count(self, dataset: str) -> int:
        """Reads of ``dataset``'s holdout so far, by every strategy (the holdout PSR is
        deflated by it: each read is one more look at the same sealed data)."""
        row = self.conn.execute("SELECT COUNT(*) FROM holdout_reads WHERE dataset = ? AND "
                                "split = 'holdout'", (dataset,)).fetchone()
        return int(row[0]) if row else 0

    def record(self, *, strategy_id: int | None, version_id: int | None, dataset: str,
               decision: str | None = None, reader: str = "promote",
               event_id: int | None = None, when: str | None = None) -> int:
        """Log one read (see :func:`record_holdout_read`)."""
        return record_holdout_read(self.conn, strategy_id=strategy_id, version_id=version_id,
                                   dataset=dataset, decision=decision, reader=reader,
                                   event_id=event_id, when=when)

    def read(self, split: _HasHoldout, **record_kw: Any) -> Any:
        """Record the read (see :meth:`record`), then hand out the holdout frame."""
        self.record(**record_kw)
        return split.holdout


class HoldoutMixin(StoreBase):
    def record_holdout_read(
        self, dataset: str, *, strategy_id: int | None = None, version_id: int | None = None,
        reader: str = "", reason: str = "", event_id: int | None = None,
    ) -> int:
        """One holdout read for the decision ``reason`` (the ledger's once-only check)."""
        with self._tx():
            return record_holdout_read(self.conn, strategy_id=strategy_id,
                                       version_id=version_id, dataset=dataset,
                                       decision=reason or None, reader=reader,
                                       event_id=event_id)

    def holdout_ledger(self) -> HoldoutLedger:
        return HoldoutLedger(self.conn)
