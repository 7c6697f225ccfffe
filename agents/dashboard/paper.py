"""Paper sessions for the dashboard: the list, and one session's page — forward equity
against the backtest's Monte Carlo band, fills with their slippage against the
simulation's price, the parity check and why the session ended."""

from __future__ import annotations

import sqlite3
from html import escape
from typing import Any

from agents.dashboard.db import has_table
from agents.store.paper import read_bars, read_fills, read_sessions

__all__ = ["band_svg", "paper_list", "paper_page"]


def paper_list(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    if not has_table(conn, "paper_sessions"):
        return []
    out = []
    for row in read_sessions(conn):
        d = row.to_dict()
        start = (row.band or {}).get("start_equity")
        d["forward_return"] = (row.equity / start - 1) if row.equity and start else None
        out.append(d)
    return out


def paper_page(conn: sqlite3.Connection, session_id: int) -> dict[str, Any] | None:
    if not has_table(conn, "paper_sessions"):
        return None
    rows = read_sessions(conn, session_id)
    if not rows:
        return None
    row = rows[0]
    bars = read_bars(conn, session_id)
    fills = read_fills(conn, session_id)
    forward = [b for b in bars if b["phase"] == "forward"]
    band = (row.band or {}).get("band") or {}
    start = (row.band or {}).get("start_equity")
    slips = [f["slippage_bps"] for f in fills]
    return {
        "session": row.to_dict(), "forward_bars": len(forward), "history_bars": len(bars) - len(forward),
        "fills": fills[-200:], "fills_total": len(fills),
        "mean_slippage_bps": sum(slips) / len(slips) if slips else None,
        "fees": sum(f["fee"] for f in fills),
        "forward_return": (row.equity / start - 1) if row.equity and start else None,
        "chart": band_svg([b["equity"] for b in forward], band, start),
        "model": row.model, "model_text": _model_text(row.model), "parity": row.parity, "feed_note": (row.band or {}).get("feed"),
    }


def _model_text(spec: Any) -> str:
    """The session's execution model in words (fees, maker/taker, slippage, spread...)."""
    from executor import model_from

    try:
        return str(model_from(spec or None).describe())
    except (TypeError, ValueError):
        return str((spec or {}).get("name", "?"))


def band_svg(equity: list[float], band: dict[str, Any], start: float | None, *,
             width: int = 900, height: int = 260) -> str:
    """Forward equity (line) inside the backtest's Monte Carlo band (shaded) and median."""
    if len(equity) < 2 or not start:
        return ""
    n = len(equity)
    lower = [start * g for g in (band.get("lower") or [])[:n]]
    upper = [start * g for g in (band.get("upper") or [])[:n]]
    median = [start * g for g in (band.get("median") or [])[:n]]
    values = [*equity, *lower, *upper]
    y0, y1 = min(values), max(values)
    y1 = y1 if y1 > y0 else y0 + 1
    left, top, bottom, right = 70, 10, 20, 10

    def sx(i: int) -> float:
        return left + i / max(n - 1, 1) * (width - left - right)

    def sy(v: float) -> float:
        return top + (1 - (v - y0) / (y1 - y0)) * (height - top - bottom)

    def line(vals: list[float]) -> str:
        return " ".join(f"{sx(i):.1f},{sy(v):.1f}" for i, v in enumerate(vals))

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="paper equity against the Monte Carlo band">']
    if lower and upper:
        poly = line(upper) + " " + " ".join(
            f"{sx(i):.1f},{sy(v):.1f}" for i, v in reversed(list(enumerate(lower))))
        parts.append(f'<polygon class="band" points="{poly}" fill="#8ab4f8" fill-opacity="0.25"/>')
        parts.append(f'<polyline class="median" points="{line(median)}" fill="none" '
                     'stroke="#5f6368" stroke-dasharray="4 3"/>')
    parts.append(f'<polyline class="equity" points="{line(equity)}" fill="none" stroke="#d93025" '
                 'stroke-width="2"/>')
    for v in (y0, y1):
        parts.append(f'<text x="4" y="{sy(v) + 4:.1f}" font-size="11">{escape(f"{v:,.0f}")}</text>')
    parts.append("</svg>")
    return "".join(parts)
