"""Inline SVG charts rendered on the server (no JS library, no CDN).

``equity_svg``: equity line, buy-and-hold of the same starting equity on the same axes,
drawdown band below it, trade entries/exits as markers.
``series_svg``: a small line chart of one metric per version (lineage).
"""

from __future__ import annotations

import math
from datetime import datetime
from html import escape
from typing import Any

from agents.numbers import finite

__all__ = ["equity_svg", "series_svg"]


def _x_of(value: Any, index: int) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    return float(index)


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.2f}"


def _label(value: Any) -> str:
    return escape(str(value)[:10]) if value is not None else ""


def equity_svg(points: list[dict[str, Any]], trades: list[dict[str, Any]] | None = None, *,
               benchmark: list[float | None] | None = None,
               width: int = 900, height: int = 300) -> str:
    """SVG markup, or '' when there is nothing to draw. ``benchmark``: one value per
    point (buy-and-hold equity), drawn on the same axes."""
    bench = list(benchmark or [])
    pts = [(_x_of(p.get("time"), i), finite(p.get("Equity")), finite(p.get("DrawdownPct")), p.get("time"),
            finite(bench[i]) if i < len(bench) else None)
           for i, p in enumerate(points) if isinstance(p, dict)]
    pts = [p for p in pts if p[1] is not None]
    if len(pts) < 2:
        return ""
    bpts = [(p[0], p[4]) for p in pts if p[4] is not None]
    left, right, top, dd_h, gap, bottom = 70, 10, 10, 60, 14, 22
    eq_h = height - top - dd_h - gap - bottom
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts if p[1] is not None] + [b for _, b in bpts if b is not None]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y1 = y0 + 1
    pw = width - left - right

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * pw

    def sy(y: float) -> float:
        return top + (1 - (y - y0) / (y1 - y0)) * eq_h

    line = " ".join(f"{sx(p[0]):.1f},{sy(p[1]):.1f}" for p in pts if p[1] is not None)
    dds = [abs(p[2]) for p in pts if p[2] is not None]
    dmax = max(dds) if dds and max(dds) > 0 else 1.0
    dtop = top + eq_h + gap
    band = " ".join(f"{sx(p[0]):.1f},{dtop + abs(p[2]) / dmax * dd_h:.1f}"
                    for p in pts if p[2] is not None)
    parts = [
        f'<svg class="chart equity" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="equity curve" data-points="{len(pts)}" '
        f'data-benchmark-points="{len(bpts)}" '
        f'data-trades="{len(trades or [])}" xmlns="http://www.w3.org/2000/svg">',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{eq_h}" class="plot"/>',
    ]
    for frac in (0.0, 0.5, 1.0):
        y = y0 + (y1 - y0) * frac
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" '
                     f'class="grid"/><text x="{left - 4}" y="{sy(y) + 4:.1f}" '
                     f'class="axis" text-anchor="end">{_fmt(y)}</text>')
    if len(bpts) >= 2:
        bline = " ".join(f"{sx(x):.1f},{sy(b):.1f}" for x, b in bpts)
        parts.append(f'<polyline class="bh" fill="none" points="{bline}">'
                     '<title>buy-and-hold</title></polyline>')
    parts.append(f'<polyline class="eq" fill="none" points="{line}"><title>strategy</title></polyline>')
    if len(bpts) >= 2:
        parts.append(f'<g class="legend"><line x1="{left + 8}" x2="{left + 28}" y1="{top + 10}" '
                     f'y2="{top + 10}" class="eq"/><text x="{left + 32}" y="{top + 14}" '
                     f'class="axis">strategy</text><line x1="{left + 90}" x2="{left + 110}" '
                     f'y1="{top + 10}" y2="{top + 10}" class="bh"/><text x="{left + 114}" '
                     f'y="{top + 14}" class="axis">buy-and-hold</text></g>')
    if band:
        parts.append(f'<polyline class="dd" points="{sx(pts[0][0]):.1f},{dtop} {band} '
                     f'{sx(pts[-1][0]):.1f},{dtop}"/>')
        parts.append(f'<text x="{left - 4}" y="{dtop + 10}" class="axis" text-anchor="end">DD</text>'
                     f'<text x="{left - 4}" y="{dtop + dd_h}" class="axis" text-anchor="end">'
                     f'-{dmax * 100:.1f}%</text>')  # DrawdownPct is a fraction
    parts.append(f'<text x="{left}" y="{height - 6}" class="axis">{_label(pts[0][3])}</text>'
                 f'<text x="{width - right}" y="{height - 6}" class="axis" text-anchor="end">'
                 f'{_label(pts[-1][3])}</text>')
    parts.extend(_trade_marks(trades or [], pts, sx, sy))
    parts.append("</svg>")
    return "".join(parts)


def _trade_marks(trades: list[dict[str, Any]], pts: list[tuple[float, Any, Any, Any, Any]],
                 sx: Any, sy: Any) -> list[str]:
    """Entry (triangle) and exit (circle) markers placed on the equity line."""
    if not trades:
        return []
    xs = [p[0] for p in pts]
    by_time = isinstance(pts[0][3], str)

    def at(t: Any, bar: Any) -> tuple[float, float] | None:
        if by_time and isinstance(t, str):
            x = _x_of(t, 0)
        elif finite(bar) is not None:
            x = float(bar)
        else:
            return None
        if x < xs[0] or x > xs[-1]:
            return None
        lo, hi = 0, len(xs) - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if xs[mid] <= x:
                lo = mid
            else:
                hi = mid
        a, b = pts[lo], pts[hi]
        f = 0.0 if b[0] == a[0] else (x - a[0]) / (b[0] - a[0])
        return sx(x), sy(a[1] + (b[1] - a[1]) * f)

    out = ['<g class="trades">']
    for t in trades[:1000]:
        if not isinstance(t, dict):
            continue
        pnl = finite(t.get("PnL")) or 0.0
        cls = "win" if pnl >= 0 else "loss"
        tip = escape(f"{'long' if (finite(t.get('Size')) or 0) >= 0 else 'short'} "
                     f"{t.get('EntryTime', t.get('EntryBar'))} -> "
                     f"{t.get('ExitTime', t.get('ExitBar'))} PnL {pnl:,.2f}")
        e = at(t.get("EntryTime"), t.get("EntryBar"))
        if e:
            out.append(f'<path class="mark entry {cls}" d="M{e[0]:.1f},{e[1] - 6:.1f} '
                       f'l4,7 h-8 z"><title>{tip}</title></path>')
        x = at(t.get("ExitTime"), t.get("ExitBar"))
        if x:
            out.append(f'<circle class="mark exit {cls}" cx="{x[0]:.1f}" cy="{x[1]:.1f}" r="2.5">'
                       f'<title>{tip}</title></circle>')
    out.append("</g>")
    return out


def series_svg(labels: list[str], values: list[float | None], *, name: str = "",
               width: int = 420, height: int = 120) -> str:
    """A small line chart with one dot per label ('' when fewer than one value)."""
    pts = [(i, v) for i, v in enumerate(values) if v is not None and math.isfinite(v)]
    if not pts:
        return ""
    left, right, top, bottom = 44, 10, 10, 20
    lo, hi = min(v for _, v in pts), max(v for _, v in pts)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    n = max(len(values) - 1, 1)

    def sx(i: int) -> float:
        return left + i / n * (width - left - right) if len(values) > 1 else (width / 2)

    def sy(v: float) -> float:
        return top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom)

    parts = [f'<svg class="chart series" viewBox="0 0 {width} {height}" width="{width}" '
             f'data-points="{len(pts)}" role="img" aria-label="{escape(name)}" '
             'xmlns="http://www.w3.org/2000/svg">',
             f'<text x="{left - 4}" y="{sy(hi) + 4:.1f}" class="axis" text-anchor="end">{hi:.2f}</text>',
             f'<text x="{left - 4}" y="{sy(lo) + 4:.1f}" class="axis" text-anchor="end">{lo:.2f}</text>',
             '<polyline class="eq" fill="none" points="'
             + " ".join(f"{sx(i):.1f},{sy(v):.1f}" for i, v in pts) + '"/>']
    for i, v in pts:
        parts.append(f'<circle class="mark" cx="{sx(i):.1f}" cy="{sy(v):.1f}" r="3">'
                     f'<title>{escape(labels[i])}: {v:.3f}</title></circle>')
    for i, lab in enumerate(labels):
        parts.append(f'<text x="{sx(i):.1f}" y="{height - 4}" class="axis" '
                     f'text-anchor="middle">{escape(lab)}</text>')
    parts.append("</svg>")
    return "".join(parts)
