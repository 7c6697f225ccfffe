"""Dynamic look-ahead check: do the strategy's fills up to a cut depend on later bars?

For each cut bar ``c`` the strategy runs on ``data[:c+2]`` with bar ``c`` *perturbed*
(its Open kept: market orders decided at ``c-1`` fill there; High/Low/Close moved well
up, then well down) and bar ``c+1`` flat (finalisation happens there). A strategy that
only looks backwards decides identically at every bar before ``c``, so:

* every fill (entry or exit) at a bar before ``c`` must equal the full run's
  (bar, size, price);
* every market-like fill AT bar ``c`` (price = Open[c], spread-adjusted) must match the
  full run's by (bar, side, long/short): a decision made at ``c-1`` from bar ``c``'s
  close shows up here;
* fills at ``c`` at other prices (intrabar stops/limits) and later bars are ignored.

Any difference is a :class:`Finding` (severity ``fatal``) naming the first offending
bar and its time. Runs need ``finalize_trades=True`` (the research runners set it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from agents.research.lookahead_static import Finding
from agents.research.runners import Runner

__all__ = ["cut_points", "probe_frame", "truncation_check"]

DEFAULT_CUTS = (0.3, 0.45, 0.6, 0.75, 0.9)


def cut_points(n_bars: int, fractions: Sequence[float] = DEFAULT_CUTS,
               min_bar: int = 2) -> list[int]:
    cuts = sorted({int(n_bars * f) for f in fractions})
    return [c for c in cuts if min_bar <= c <= n_bars - 2]


def probe_frame(data: pd.DataFrame, cut: int, move: float) -> pd.DataFrame:
    """``data[:cut+2]`` with bar ``cut`` moved by ``move`` (fraction) and bar cut+1 flat."""
    out = data.iloc[: cut + 2].copy()
    o = float(out["Open"].iloc[cut])
    c = o * (1.0 + move)
    i_h, i_l, i_c = (out.columns.get_loc(k) for k in ("High", "Low", "Close"))
    out.iloc[cut, i_h], out.iloc[cut, i_l], out.iloc[cut, i_c] = max(o, c), min(o, c), c
    for k in ("Open", "High", "Low", "Close"):
        out.iloc[cut + 1, out.columns.get_loc(k)] = c
    return out


def _trades(result: Any) -> list[dict[str, Any]] | None:
    if isinstance(result, list):
        return result
    if getattr(result, "status", "ok") != "ok":
        return None
    return list(getattr(result, "trades", []) or [])


def _events(trades: list[dict[str, Any]]) -> list[tuple[int, str, float, float]]:
    """(bar, kind, size, price) of every entry and exit, in bar order."""
    ev: list[tuple[int, str, float, float]] = []
    for t in trades:
        size = float(t.get("Size") or 0)
        ev.append((int(t["EntryBar"]), "entry", size, float(t["EntryPrice"])))
        if t.get("ExitBar") is not None:
            ev.append((int(t["ExitBar"]), "exit", size, float(t["ExitPrice"])))
    return sorted(ev)


def _same(a: float, b: float, tol: float = 1e-7) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=1e-9)


def _market_like(ev: tuple[int, str, float, float], open_: float, spread: float) -> bool:
    return any(_same(ev[3], open_ * f, 1e-6) for f in (1.0, 1.0 + spread, 1.0 - spread))


def _compare(full: list[tuple[int, str, float, float]],
             probe: list[tuple[int, str, float, float]], cut: int, open_c: float,
             spread: float) -> int | None:
    """First bar where the probe's fills differ from the full run's, or None."""
    before_f = [e for e in full if e[0] < cut]
    before_p = [e for e in probe if e[0] < cut]
    for a, b in zip(before_f, before_p, strict=False):
        if a[:2] != b[:2] or not _same(a[2], b[2]) or not _same(a[3], b[3]):
            return min(a[0], b[0])
    if len(before_f) != len(before_p):
        longer = before_f if len(before_f) > len(before_p) else before_p
        return longer[min(len(before_f), len(before_p))][0]

    def at_cut(events: list[tuple[int, str, float, float]]) -> list[tuple[str, bool]]:
        return sorted((e[1], e[2] > 0) for e in events
                      if e[0] == cut and _market_like(e, open_c, spread))

    return cut if at_cut(full) != at_cut(probe) else None


def truncation_check(code: str, data: pd.DataFrame, params: dict[str, Any], runner: Runner,
                     *, cuts: Sequence[int] | None = None, move: float | None = None,
                     spread: float = 0.0, full_trades: list[dict[str, Any]] | None = None
                     ) -> list[Finding]:
    """Findings (empty = clean) from probing ``code`` at each cut (see module doc).

    ``move``: how far the probe bar's close is pushed, default 5 x the per-bar
    volatility clamped to [1 %, 20 %]. ``full_trades``: the full run's trades when the
    caller already has them (else the runner runs it)."""
    if move is None:
        lr = np.diff(np.log(data["Close"].to_numpy(dtype="float64")))
        move = float(np.clip(5 * np.nanstd(lr), 0.01, 0.2)) if len(lr) > 1 else 0.05
    if full_trades is None:
        full_trades = _trades(runner(code, data, params))
        if full_trades is None:
            return [Finding("run_failed", "the full run failed; look-ahead not checked",
                            severity="hint")]
    full = _events(full_trades)
    first: tuple[int, int] | None = None  # (bar, cut)
    failures: list[str] = []
    for cut in cuts if cuts is not None else cut_points(len(data)):
        open_c = float(data["Open"].iloc[cut])
        for m in (move, -move):
            probe = _trades(runner(code, probe_frame(data, cut, m), params))
            if probe is None:
                failures.append(f"cut {cut}")
                continue
            bar = _compare(full, _events(probe), cut, open_c, spread)
            if bar is not None and (first is None or bar < first[0]):
                first = (bar, cut)
    out: list[Finding] = []
    if first is not None:
        bar, cut = first
        when = pd.Timestamp(data.index[bar]).isoformat()
        out.append(Finding(
            "lookahead", f"orders differ from the full run when the data after bar {cut} "
            f"is withheld or altered: first offending bar {bar} ({when}); the strategy "
            "uses future data", bar=bar, time=when, severity="fatal"))
    if failures:
        out.append(Finding("probe_failed", "truncated runs failed at " + ", ".join(
            sorted(set(failures))) + "; the strategy may need the full series", severity="hint"))
    return out
