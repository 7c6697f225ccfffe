"""In-sample / validation / sealed holdout splits and the append-only holdout ledger.

:func:`split_frame` cuts a frame by date, one of three ways (first match wins):

* explicit dates: ``validation_start`` and ``holdout_start`` (ISO dates);
* ``holdout_last_n_days`` (+ optional ``validation_last_n_days``) counted back from the
  last bar;
* fractions ``(in_sample, validation, holdout)`` of the bars, default 0.6/0.2/0.2.

Optimisation and selection may only see ``in_sample`` and ``validation``; the holdout
is read through :class:`HoldoutLedger`, once per promotion decision, every read logged.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from agents.errors import RbiError

__all__ = ["HoldoutAlreadyRead", "HoldoutLedger", "Split", "split_frame"]


@dataclass(frozen=True)
class Split:
    in_sample: pd.DataFrame
    validation: pd.DataFrame
    holdout: pd.DataFrame

    @property
    def research(self) -> pd.DataFrame:
        """In-sample + validation: everything selection may look at."""
        return pd.concat([self.in_sample, self.validation])

    def bounds(self) -> dict[str, list[str | None]]:
        def b(df: pd.DataFrame) -> list[str | None]:
            return [df.index[0].isoformat(), df.index[-1].isoformat()] if len(df) else [None, None]

        return {"in_sample": b(self.in_sample), "validation": b(self.validation),
                "holdout": b(self.holdout)}


def _ts(value: Any, key: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{key}: {value!r} is not a date (write e.g. 2012-01-31)") from exc


def split_frame(df: pd.DataFrame, *, fractions: tuple[float, float, float] = (0.6, 0.2, 0.2),
                validation_start: Any = None, holdout_start: Any = None,
                holdout_last_n_days: int | None = None,
                validation_last_n_days: int | None = None) -> Split:
    """Cut ``df`` (DatetimeIndex, sorted) into in-sample / validation / holdout."""
    idx = df.index
    if holdout_start is not None or validation_start is not None:
        if holdout_start is None or validation_start is None:
            raise ValueError("give both validation_start and holdout_start, or neither")
        v, h = _ts(validation_start, "validation_start"), _ts(holdout_start, "holdout_start")
        if not v < h:
            raise ValueError(f"validation_start {v.date()} must be before holdout_start {h.date()}")
        i_v, i_h = int(idx.searchsorted(v)), int(idx.searchsorted(h))
    elif holdout_last_n_days is not None:
        if holdout_last_n_days <= 0:
            raise ValueError(f"holdout_last_n_days must be > 0, got {holdout_last_n_days}")
        end = idx[-1]
        i_h = int(idx.searchsorted(end - pd.Timedelta(days=holdout_last_n_days), side="right"))
        vdays = validation_last_n_days or holdout_last_n_days
        i_v = int(idx.searchsorted(idx[min(i_h, len(idx) - 1)] - pd.Timedelta(days=vdays),
                                   side="left"))
    else:
        f_is, f_v, f_h = fractions
        if min(fractions) < 0 or abs(f_is + f_v + f_h - 1.0) > 1e-9 or f_is <= 0:
            raise ValueError(f"fractions {fractions} must be >= 0, in-sample > 0, sum to 1")
        i_v = int(round(len(idx) * f_is))
        i_h = int(round(len(idx) * (f_is + f_v)))
    if not 0 < i_v <= i_h <= len(idx):
        raise ValueError(f"split leaves no in-sample data (validation at bar {i_v}, holdout "
                         f"at bar {i_h} of {len(idx)})")
    return Split(df.iloc[:i_v], df.iloc[i_v:i_h], df.iloc[i_h:])


class HoldoutAlreadyRead(RbiError):
    """The holdout was already read for this promotion decision."""


_TABLE = """
CREATE TABLE IF NOT EXISTS holdout_reads (
    id           INTEGER PRIMARY KEY,
    strategy_id  INTEGER,
    version_id   INTEGER,
    dataset      TEXT NOT NULL,
    split        TEXT NOT NULL DEFAULT 'holdout',
    reader       TEXT NOT NULL DEFAULT '',
    reason       TEXT NOT NULL DEFAULT '',
    event_id     INTEGER,
    created_at   TEXT NOT NULL
)"""


class HoldoutLedger:
    """Append-only record of holdout reads in the store's ``holdout_reads`` table.

    A *decision* key (default ``promote:v<version_id>``) is stored in ``reason``; a second
    read with the same (version, dataset, decision) raises :class:`HoldoutAlreadyRead`.
    The table (same columns as the store's schema) is created if the DB lacks it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.execute(_TABLE)

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
        """Log one read; raises when this decision already read this dataset's holdout."""
        key = decision or f"promote:v{version_id}"
        own_tx = not self.conn.in_transaction
        if own_tx:
            self.conn.execute("BEGIN IMMEDIATE")
        try:
            seen = self.conn.execute(
                "SELECT created_at FROM holdout_reads WHERE version_id IS ? AND dataset = ? "
                "AND reason = ? AND split = 'holdout'", (version_id, dataset, key)).fetchone()
            if seen is not None:
                raise HoldoutAlreadyRead(
                    f"holdout of {dataset} already read for decision {key!r} at {seen[0]}; "
                    "a sealed holdout is read once per promotion decision")
            stamp = when or datetime.now(UTC).isoformat(timespec="milliseconds")
            cur = self.conn.execute(
                "INSERT INTO holdout_reads (strategy_id, version_id, dataset, split, reader, "
                "reason, event_id, created_at) VALUES (?, ?, ?, 'holdout', ?, ?, ?, ?)",
                (strategy_id, version_id, dataset, reader, key, event_id, stamp))
            if own_tx:
                self.conn.execute("COMMIT")
        except BaseException:
            if own_tx and self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        return int(cur.lastrowid or 0)

    def read(self, split: Split, **record_kw: Any) -> pd.DataFrame:
        """Record the read (see :meth:`record`), then hand out the holdout frame."""
        self.record(**record_kw)
        return split.holdout
