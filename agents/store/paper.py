"""Paper-trading rows: sessions, per-bar books and fills (all SQL for paper trading).

A processed bar is one transaction (:meth:`PaperBooks.record_bar`): its equity, position,
the strategy's decisions and the fills they produced land together, and the session's
``bars``/``last_ts`` move with them, so a crash resumes after the last whole bar and a
bar is never booked twice (primary keys on ``(session, bar[, seq])``).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from agents.errors import StoreError
from agents.store.db import now_iso
from agents.store.store import Store

__all__ = ["ACTIVE", "PaperBooks", "PaperSessionRow", "TERMINAL", "TradableVersion", "read_bars",
           "read_fills", "read_sessions"]

ACTIVE = ("starting", "running", "stopping")
TERMINAL = ("stopped", "finished", "diverged", "failed", "graduated", "killed")


@dataclass(frozen=True)
class PaperSessionRow:
    id: int
    strategy_id: int
    version_id: int
    status: str
    feed: str
    dataset: str
    speed: float
    cash: float
    backend: str
    model: dict[str, Any]
    params: dict[str, Any]
    parity: dict[str, Any] | None
    band: dict[str, Any] | None
    reason: str | None
    pid: int | None
    heartbeat: float | None
    stop_requested: bool
    bars: int
    last_ts: int | None
    equity: float | None
    created_at: str
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _row(r: Any) -> PaperSessionRow:
    return PaperSessionRow(
        id=r["id"], strategy_id=r["strategy_id"], version_id=r["version_id"], status=r["status"],
        feed=r["feed"], dataset=r["dataset"], speed=r["speed"], cash=r["cash"], backend=r["backend"],
        model=_loads(r["model_json"]) or {}, params=_loads(r["params_json"]) or {},
        parity=_loads(r["parity_json"]), band=_loads(r["band_json"]), reason=r["reason"],
        pid=r["pid"], heartbeat=r["heartbeat"], stop_requested=bool(r["stop_requested"]),
        bars=r["bars"], last_ts=r["last_ts"], equity=r["equity"], created_at=r["created_at"],
        updated_at=r["updated_at"])


@dataclass(frozen=True)
class TradableVersion:
    id: int
    params: dict[str, Any]
    dataset: str


def read_sessions(conn: sqlite3.Connection, session_id: int | None = None) -> list[PaperSessionRow]:
    """Sessions (all, or one) over any connection, read-only ones included (the dashboard)."""
    if session_id is None:
        return [_row(r) for r in conn.execute("SELECT * FROM paper_sessions ORDER BY id")]
    return [_row(r) for r in conn.execute("SELECT * FROM paper_sessions WHERE id = ?",
                                          (session_id,))]


def read_bars(conn: sqlite3.Connection, session_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(
        "SELECT bar, ts, phase, open, high, low, close, volume, equity, position, actions_json, "
        "rejected FROM paper_bars WHERE session_id = ? ORDER BY bar", (session_id,))]


def read_fills(conn: sqlite3.Connection, session_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(
        "SELECT bar, seq, kind, size, price, reference, fee, slippage_bps, tag, liquidity "
        "FROM paper_fills "
        "WHERE session_id = ? ORDER BY bar, seq", (session_id,))]


class PaperBooks:
    """The paper tables of one results database (wraps a :class:`Store`)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- sessions ---------------------------------------------------------------------
    def create(self, *, strategy_id: int, version_id: int, feed: str, dataset: str, speed: float,
               cash: float, backend: str, model: dict[str, Any], params: dict[str, Any]) -> int:
        now = now_iso()
        with self.store.tx():
            row = self.store.one(
                "INSERT INTO paper_sessions (strategy_id, version_id, feed, dataset, speed, cash, "
                "backend, model_json, params_json, created_at, updated_at) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (strategy_id, version_id, feed, dataset, speed, cash, backend,
                 json.dumps(model, sort_keys=True), json.dumps(params, sort_keys=True), now, now))
        assert row is not None
        return int(row[0])

    def tradable_version(self, strategy_id: int, version_id: int | None = None) -> TradableVersion:
        """The strategy's approved version (or ``version_id``), with its params and dataset."""
        if version_id is not None:
            row = self.store.one("SELECT id, params_json, spec_json FROM strategy_versions "
                                 "WHERE id = ? AND strategy_id = ?", (version_id, strategy_id))
        else:
            row = self.store.one("SELECT id, params_json, spec_json FROM strategy_versions "
                                 "WHERE strategy_id = ? AND status = 'approved' ORDER BY id DESC "
                                 "LIMIT 1", (strategy_id,))
        if row is None:
            raise StoreError(f"S{strategy_id} has no approved (promoted) version: paper trading "
                             "starts from a promoted strategy (or name one: --version V12)")
        spec = _loads(row["spec_json"]) or {}
        datasets = spec.get("datasets") or ["GOOG"]
        return TradableVersion(int(row["id"]), _loads(row["params_json"]) or {}, str(datasets[0]))

    def get(self, session_id: int) -> PaperSessionRow:
        r = self.store.one("SELECT * FROM paper_sessions WHERE id = ?", (session_id,))
        if r is None:
            raise StoreError(f"no paper session {session_id}: `python -m agents.rbi paper list` "
                             "shows them")
        return _row(r)

    def sessions(self, *, strategy_id: int | None = None, active_only: bool = False
             ) -> list[PaperSessionRow]:
        sql, args = "SELECT * FROM paper_sessions WHERE 1 = 1", list[Any]()
        if strategy_id is not None:
            sql += " AND strategy_id = ?"
            args.append(strategy_id)
        if active_only:
            sql += f" AND status IN ({', '.join('?' * len(ACTIVE))})"
            args.extend(ACTIVE)
        return [_row(r) for r in self.store.all(sql + " ORDER BY id", tuple(args))]

    def update(self, session_id: int, **fields: Any) -> None:
        """Set columns; ``parity``/``band``/``model`` are stored as JSON."""
        cols: dict[str, Any] = {}
        for key, value in fields.items():
            if key in ("parity", "band", "model", "params"):
                cols[f"{key}_json"] = None if value is None else json.dumps(value, sort_keys=True)
            else:
                cols[key] = value
        cols["updated_at"] = now_iso()
        sets = ", ".join(f"{k} = :{k}" for k in cols)
        with self.store.tx():
            self.store.conn.execute(f"UPDATE paper_sessions SET {sets} WHERE id = :id",
                                    {**cols, "id": session_id})

    def finish(self, session_id: int, status: str, reason: str) -> None:
        self.update(session_id, status=status, reason=reason[:2000], pid=None)

    def request_stop(self, session_id: int) -> bool:
        """Ask a running session to stop after its current bar; True if it was active."""
        with self.store.tx():
            cur = self.store.conn.execute(
                "UPDATE paper_sessions SET stop_requested = 1, updated_at = ? WHERE id = ? AND "
                f"status IN ({', '.join('?' * len(ACTIVE))})", (now_iso(), session_id, *ACTIVE))
        return cur.rowcount > 0

    def beat(self, session_id: int, pid: int) -> bool:
        """Heartbeat; returns whether a stop was requested."""
        with self.store.tx():
            self.store.conn.execute("UPDATE paper_sessions SET heartbeat = ?, pid = ? WHERE id = ?",
                                    (time.time(), pid, session_id))
        r = self.store.one("SELECT stop_requested FROM paper_sessions WHERE id = ?", (session_id,))
        return bool(r and r[0])

    # -- books --------------------------------------------------------------------------
    def record_bar(self, session_id: int, *, bar: int, ohlcv: list[Any], phase: str,
                   equity: float, position: float, actions: list[Any], rejected: list[str],
                   fills: list[dict[str, Any]]) -> None:
        """``ohlcv`` = ``[ts_ns, open, high, low, close, volume]`` (the wire bar)."""
        ts = int(ohlcv[0])
        with self.store.tx():
            c = self.store.conn
            c.execute("INSERT INTO paper_bars (session_id, bar, ts, phase, open, high, low, close, "
                      "volume, equity, position, actions_json, rejected) VALUES "
                      "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      (session_id, bar, ts, phase, *ohlcv[1:6], equity, position,
                       json.dumps(actions), "\n".join(rejected)[:4000] or None))
            c.executemany(
                "INSERT INTO paper_fills (session_id, bar, seq, kind, size, price, reference, fee, "
                "slippage_bps, tag, liquidity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(session_id, bar, k, f["kind"], f["size"], f["price"], f["reference"], f["fee"],
                  f["slippage_bps"], None if f.get("tag") is None else str(f["tag"])[:200],
                  f.get("liquidity", "taker"))
                 for k, f in enumerate(fills)])
            c.execute("UPDATE paper_sessions SET bars = ?, last_ts = ?, equity = ?, updated_at = ? "
                      "WHERE id = ?", (bar + 1, ts, equity, now_iso(), session_id))

    def bars(self, session_id: int) -> list[dict[str, Any]]:
        return read_bars(self.store.conn, session_id)

    def fills(self, session_id: int) -> list[dict[str, Any]]:
        return read_fills(self.store.conn, session_id)
