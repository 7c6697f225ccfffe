"""Inline SVG charts of the research report (no JS library, no CDN, render offline).

``walk_forward_svg``: per fold, the in-sample winner's metric beside its out-of-sample
metric (grouped bars around a zero line). ``fan_svg``: the Monte Carlo fan (5-95 % and
25-75 % bands, the median) of equity after each trade, with the realised path.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

from agents.numbers import finite

__all__ = ["fan_svg", "report_svgs", "walk_forward_svg"]


def report_svgs(report: dict[str, Any] | None) -> dict[str, str]:
    """{"wf_svg", "fan_svg"} for the strategy template ('' each without data)."""
    if not report:
        return {"wf_svg": "", "fan_svg": ""}
    metric = str((report.get("walk_forward") or {}).get("metric") or "Sharpe Ratio")
    return {"wf_svg": walk_forward_svg(report.get("folds") or [], metric=metric),
            "fan_svg": fan_svg(report.get("fan"))}


def _tick(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.2f}"


def walk_forward_svg(folds: list[dict[str, Any]], *, metric: str = "Sharpe Ratio",
                     width: int = 560, height: int = 240) -> str:
    """Grouped IS / OOS bars per fold; '' without folds. A fold without a value (no
    trades) draws no bar and says so in its tooltip."""
    rows = [(f, finite(f.get("is_metric")), finite(f.get("oos_metric")))
            for f in folds if isinstance(f, dict)]
    if not rows:
        return ""
    vals = [v for _, a, b in rows for v in (a, b) if v is not None] or [0.0]
    lo, hi = min(0.0, *vals), max(0.0, *vals)
    if hi == lo:
        hi = lo + 1.0
    left, right, top, bottom = 48, 10, 22, 34
    ph = height - top - bottom
    slot = (width - left - right) / len(rows)
    bw = max(2.0, min(28.0, slot * 0.36))

    def sy(v: float) -> float:
        return top + (1 - (v - lo) / (hi - lo)) * ph

    parts = [f'<svg class="chart walkforward" viewBox="0 0 {width} {height}" width="{width}" '
             f'role="img" aria-label="walk-forward in-sample vs out-of-sample {escape(metric)}" '
             f'data-folds="{len(rows)}" xmlns="http://www.w3.org/2000/svg">',
             f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{ph}" class="plot"/>']
    for g in sorted({lo, 0.0, hi}):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{sy(g):.1f}" y2="{sy(g):.1f}" '
                     f'class="{"zero" if g == 0 else "grid"}"/><text x="{left - 4}" '
                     f'y="{sy(g) + 4:.1f}" class="axis" text-anchor="end">{_tick(g)}</text>')
    for i, (f, a, b) in enumerate(rows):
        cx = left + slot * (i + 0.5)
        test = f.get("test") or ["", ""]
        for cls, v, x in (("is", a, cx - bw - 1), ("oos", b, cx + 1)):
            label = "in-sample" if cls == "is" else "out-of-sample"
            tip = escape(f"fold {i + 1} {label} {metric}: "
                         + (f"{v:.3f}" if v is not None else "no value (no trades)")
                         + (f"; test {str(test[0])[:10]} to {str(test[-1])[:10]}" if cls == "oos" else ""))
            if v is None:
                parts.append(f'<text class="axis wfbar {cls} none" x="{x + bw / 2:.1f}" '
                             f'y="{sy(0.0) - 3:.1f}" text-anchor="middle">n/a<title>{tip}</title></text>')
                continue
            y0, y1 = sorted((sy(0.0), sy(v)))
            parts.append(f'<rect class="wfbar {cls}" x="{x:.1f}" y="{y0:.1f}" width="{bw:.1f}" '
                         f'height="{max(y1 - y0, 0.5):.1f}"><title>{tip}</title></rect>')
        parts.append(f'<text x="{cx:.1f}" y="{height - bottom + 14}" class="axis" '
                     f'text-anchor="middle">F{i + 1}</text>')
    parts.append(f'<g class="legend"><rect x="{left + 6}" y="6" width="10" height="10" class="wfbar is"/>'
                 f'<text x="{left + 20}" y="15" class="axis">in-sample (train winner)</text>'
                 f'<rect x="{left + 160}" y="6" width="10" height="10" class="wfbar oos"/>'
                 f'<text x="{left + 174}" y="15" class="axis">out-of-sample (next window)</text></g>')
    parts.append(f'<text x="{left}" y="{height - 4}" class="axis">{escape(metric)} per fold</text>')
    parts.append("</svg>")
    return "".join(parts)


def fan_svg(fan: dict[str, Any] | None, *, width: int = 560, height: int = 240) -> str:
    """The fan of :func:`agents.dashboard.fan.fan_paths`; '' when there is none."""
    if not fan or not fan.get("x"):
        return ""
    xs = [float(x) for x in fan["x"]]
    q = {k: [finite(v) for v in vs] for k, vs in (fan.get("quantiles") or {}).items()}
    obs = [finite(v) for v in fan.get("observed") or []]
    vals = [v for vs in (*q.values(), obs) for v in vs if v is not None and v > 0]
    if len(xs) < 2 or not vals:
        return ""
    lo, hi = math.log(min(vals)), math.log(max(vals))
    if hi == lo:
        hi = lo + 0.1
    left, right, top, bottom = 48, 10, 22, 26
    x0, x1 = xs[0], xs[-1] if xs[-1] > xs[0] else xs[0] + 1
    ph = height - top - bottom

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def sy(v: float) -> float:
        return top + (1 - (math.log(v) - lo) / (hi - lo)) * ph

    def line(vs: list[float | None]) -> str:
        return " ".join(f"{sx(x):.1f},{sy(v):.1f}" for x, v in zip(xs, vs, strict=False)
                        if v is not None and v > 0)

    def band(a: str, b: str) -> str:
        up, down = q.get(b) or [], q.get(a) or []
        if not up or not down:
            return ""
        return f'{line(up)} {" ".join(reversed(line(down).split()))}'

    parts = [f'<svg class="chart fan" viewBox="0 0 {width} {height}" width="{width}" role="img" '
             f'aria-label="Monte Carlo fan with the realised equity" data-paths="{fan.get("paths")}" '
             f'data-trades="{fan.get("trades")}" xmlns="http://www.w3.org/2000/svg">',
             f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{ph}" class="plot"/>']
    for v in sorted({math.exp(lo), 1.0, math.exp(hi)}):
        if math.exp(lo) <= v <= math.exp(hi):
            parts.append(f'<line x1="{left}" x2="{width - right}" y1="{sy(v):.1f}" y2="{sy(v):.1f}" '
                         f'class="{"zero" if v == 1.0 else "grid"}"/><text x="{left - 4}" '
                         f'y="{sy(v) + 4:.1f}" class="axis" text-anchor="end">×{v:.2f}</text>')
    for a, b, cls in (("p05", "p95", "outer"), ("p25", "p75", "inner")):
        pts = band(a, b)
        if pts:
            parts.append(f'<polygon class="fan {cls}" points="{pts}"><title>{a[1:]}-{b[1:]} % of '
                         f'{fan.get("paths")} bootstrap paths</title></polygon>')
    if q.get("p50"):
        parts.append(f'<polyline class="median" fill="none" points="{line(q["p50"])}">'
                     '<title>median path</title></polyline>')
    if obs:
        parts.append(f'<polyline class="eq realised" fill="none" points="{line(obs)}">'
                     f'<title>realised: ×{obs[-1] or 0:.3f} after {fan.get("trades")} trades</title>'
                     '</polyline>')
    parts.append(f'<g class="legend"><rect x="{left + 6}" y="6" width="10" height="10" class="fan outer"/>'
                 f'<text x="{left + 20}" y="15" class="axis">5-95 %</text>'
                 f'<rect x="{left + 70}" y="6" width="10" height="10" class="fan inner"/>'
                 f'<text x="{left + 84}" y="15" class="axis">25-75 %</text>'
                 f'<line x1="{left + 140}" x2="{left + 160}" y1="11" y2="11" class="eq realised"/>'
                 f'<text x="{left + 164}" y="15" class="axis">realised</text></g>')
    parts.append(f'<text x="{left}" y="{height - 6}" class="axis">equity multiple after each '
                 f'trade (log scale), trades 0 to {int(xs[-1])}</text>')
    parts.append("</svg>")
    return "".join(parts)
