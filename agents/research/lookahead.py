"""Dynamic look-ahead check: do the strategy's decisions before a cut depend on later bars?

For each cut bar ``c`` the strategy runs on ``data[:c+2]`` with bar ``c`` *perturbed*
(its Open kept; High/Low/Close moved well up, then well down) and bar ``c+1`` flat. A
strategy that only looks backwards decides identically at every bar before ``c``, so
every ORDER it created at a bar before ``c`` (market, limit, stop, SL/TP, closes,
cancels) must equal the full run's, in order, size and prices. Through the sandbox the
orders are the run's own replayed order log (:mod:`agents.research.lookahead_actions`:
the probes run the version's unchanged code, so they share its container); a runner
without order logs (in-process) runs the code with a recorder appended
(:mod:`agents.research.lookahead_orders`). An order decided at ``c-1`` from bar ``c``'s
close or low (``np.roll``, ``shift(-1)``, a limit priced from the next bar's low)
differs here even when it fills intrabar. What the engine does with the orders
afterwards (fills at ``c``, position sizing from bar ``c``'s close, partial closes of a
reversed position, the closing of open trades at the end of the data) is not the
strategy's decision and is not compared.

Findings (severity ``fatal`` blocks approval):

* ``lookahead``: an order before the cut differs; names the first offending bar/time;
* ``probe_failed``: the strategy crashed (or timed out) on truncated data, so it could
  not be verified; it may need the full series.

When the order record is unavailable (no order log, or the instrumented run failed
where the plain one ran, or its output was cut), the check falls back to the fills of
trades CLOSED before the cut (entry and exit bar, size, prices), which the engine's
end-of-data handling cannot change.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from agents.research.lookahead_actions import Action, actions_of, first_action_difference
from agents.research.lookahead_orders import (
    RECORDER,
    Record,
    first_difference,
    instrument,
    parse_record,
    strategy_leaf,
)
from agents.research.lookahead_static import Finding
from agents.research.runners import Runner, run_jobs, run_many
from agents.store.records import sha256_text
from executor import frames_per_batch
from executor.types import BacktestOptions, RunResult

__all__ = ["Probed", "cut_points", "probe", "probe_frame", "truncation_check"]

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


Fill = tuple[int, int, float, float, float]  # entry bar, exit bar, size, entry, exit price


@dataclass
class _Run:
    ok: bool
    orders: Record | None  # None: no complete order record
    fills: list[Fill]
    error: str = ""
    actions: list[Action] | None = None  # the run's replayed order log (keep_orderlog)


def _closed_fills(result: Any, before: int | None = None) -> list[Fill]:
    """Trades closed before bar ``before`` (all closed trades when None), in order."""
    out = []
    for t in list(getattr(result, "trades", None) or []):
        exit_bar = t.get("ExitBar")
        if exit_bar is None or (before is not None and int(exit_bar) >= before):
            continue
        out.append((int(t["EntryBar"]), int(exit_bar), float(t.get("Size") or 0),
                    float(t["EntryPrice"]), float(t["ExitPrice"])))
    return sorted(out)


def _error(result: Any) -> str:
    err = getattr(result, "error", None) or {}
    what = f"{err.get('type', '')}: {err.get('message', '')}".strip(": ")
    return f"{getattr(result, 'status', 'error')}" + (f" ({what[:200]})" if what else "")


def _as_run(res: Any) -> _Run:
    """A run's result; its order record is read from the captured stdout."""
    if getattr(res, "status", "ok") != "ok":
        return _Run(False, None, [], _error(res))
    actions = actions_of(getattr(res, "orderlog", None))
    orders = None if actions is not None else parse_record(getattr(res, "stdout_tail", None))
    return _Run(True, orders, _closed_fills(res), actions=actions)


def _runs(runner: Runner, code: str, data: pd.DataFrame, params: dict[str, Any],
          probes: list[tuple[int, float]], options: BacktestOptions | None = None,
          extra: Sequence[dict[str, Any]] = (), keep_orderlog: bool = False
          ) -> tuple[_Run, list[_Run], list[RunResult]]:
    """The full run, every probe (cut, move) and every ``extra`` parameter set on the
    full frame, as ONE multi-frame batch per :func:`executor.frames_per_batch` frames
    (:func:`agents.research.runners.run_jobs`; the extra sets share the full frame, so
    they add no frame to send) -> (full, probes, [full-run result, *extra results])."""
    per = frames_per_batch(data)
    todo: list[Any] = [None, *probes]
    got: list[RunResult] = []
    plain: list[RunResult] = []
    for i in range(0, len(todo), per):  # a few probe frames in memory at a time
        jobs = [(data if t is None else probe_frame(data, t[0], t[1]), params)
                for t in todo[i:i + per]]
        if i == 0:
            jobs += [(data, dict(p)) for p in extra]
        res = run_jobs(runner, code, jobs, options, keep_orderlog=keep_orderlog)
        if i == 0:
            n = len(jobs) - len(extra)
            res, plain = res[:n], [res[0], *res[n:]]
        got += res
    runs = [_as_run(r) for r in got]
    return runs[0], runs[1:], plain


def _same_fills(a: list[Fill], b: list[Fill]) -> int | None:
    """First bar where two lists of closed trades differ, or None."""
    for x, y in zip(a, b, strict=False):
        if x[:2] != y[:2] or not all(math.isclose(p, q, rel_tol=1e-7, abs_tol=1e-9)
                                     for p, q in zip(x[2:], y[2:], strict=True)):
            return min(x[0], y[0])
    if len(a) != len(b):
        return (a if len(a) > len(b) else b)[min(len(a), len(b))][0]
    return None


def _differs(full: _Run, probe: _Run, cut: int) -> tuple[int, str] | None:
    """(first offending bar, what differs) between the full run and a probe, or None."""
    if full.actions is not None and probe.actions is not None:
        return first_action_difference(full.actions, probe.actions, cut)
    if full.orders is not None and probe.orders is not None:
        found = first_difference(full.orders, probe.orders, cut)
        if found is None or found[0] >= 0:
            return found
    bar = _same_fills([f for f in full.fills if f[1] < cut], [f for f in probe.fills if f[1] < cut])
    return None if bar is None else (bar, "a trade closed before the cut differs")


def default_move(data: pd.DataFrame) -> float:
    """5 x the per-bar volatility of the close, clamped to [1 %, 20 %]."""
    lr = np.diff(np.log(data["Close"].to_numpy(dtype="float64")))
    return float(np.clip(5 * np.nanstd(lr), 0.01, 0.2)) if len(lr) > 1 else 0.05


@dataclass
class Probed:
    """What :func:`probe` found and ran: the findings, the full run's result (as a plain
    run of ``code`` gives it; None when there were no cuts to probe) and the results of
    the extra parameter sets run on the full frame in the same sandbox call."""

    findings: list[Finding]
    full: RunResult | None = None
    extra: list[RunResult] = field(default_factory=list)


_RECORD_LINE = re.compile(r"^@rbi-(mark|order) .*\n?", re.MULTILINE)


def _plain(res: RunResult, code: str, instrumented: bool) -> RunResult:
    """``res`` of the recorder-instrumented code as the plain ``code``'s run gives it:
    the recorder only prints (its lines are dropped), it never changes an order or a
    fill; the result names ``code``'s hash."""
    if not instrumented:
        return res
    sha = sha256_text(code)
    stats = dict(res.stats)
    name = str(stats.get("_strategy", ""))
    if name.startswith(RECORDER + "("):  # str(strategy): the class run and its params
        stats["_strategy"] = f"{strategy_leaf(code)}{name[len(RECORDER):]}"
    return replace(res, stats=stats, stdout_tail=_RECORD_LINE.sub("", res.stdout_tail or ""),
                   code_sha256=sha if res.code_sha256 else "")


def truncation_check(code: str, data: pd.DataFrame, params: dict[str, Any], runner: Runner,
                     *, cuts: Sequence[int] | None = None, move: float | None = None,
                     spread: float = 0.0, full_trades: list[dict[str, Any]] | None = None,
                     options: BacktestOptions | None = None) -> list[Finding]:
    """Findings (empty = clean) from probing ``code`` at each cut (see module doc).

    ``move``: how far the probe bar's close is pushed (default :func:`default_move`).
    ``spread`` and ``full_trades`` are accepted for callers of the fill-based check; the
    full run is repeated here with the order recorder (see :func:`probe`, which also
    returns that run)."""
    del spread, full_trades
    return probe(code, data, params, runner, cuts=cuts, move=move, options=options).findings


def probe(code: str, data: pd.DataFrame, params: dict[str, Any], runner: Runner, *,
          cuts: Sequence[int] | None = None, move: float | None = None,
          options: BacktestOptions | None = None,
          extra: Sequence[dict[str, Any]] = ()) -> Probed:
    """The truncation check (see module doc) with its full run kept: the caller's base
    run comes for free, and ``extra`` parameter sets on the full frame (a search grid)
    ride in the same sandbox call. Their results are those of plain runs of ``code``:
    an instrumented run that failed is run again without the recorder."""
    move = default_move(data) if move is None else move
    cuts = list(cuts if cuts is not None else cut_points(len(data)))
    if not cuts:
        return Probed([])
    probes = [(cut, m) for cut in cuts for m in (move, -move)]
    if getattr(runner, "orderlog", False):  # every run's decisions come back with it
        full, runs, plain = _runs(runner, code, data, params, probes, options, extra,
                                  keep_orderlog=True)
        first, *rest = [replace(r, orderlog=None) for r in plain]
        return Probed(_findings(full, runs, probes, data), first, rest)
    probe_code = instrument(code, cuts) or code  # a runner without order logs
    full, runs, plain = _runs(runner, probe_code, data, params, probes, options, extra)
    instrumented = probe_code is not code
    if not full.ok and instrumented:  # the recorder itself broke the run
        full, runs, plain = _runs(runner, code, data, params, probes, options, extra)
        instrumented = False
    elif instrumented and not all(r.ok for r in plain[1:]):  # exactly what plain runs give
        plain[1:] = run_many(runner, code, data, [dict(p) for p in extra], options)
    first, *rest = [_plain(r, code, instrumented) for r in plain]
    return Probed(_findings(full, runs, probes, data), first, rest)


def _findings(full: _Run, runs: list[_Run], probes: list[tuple[int, float]],
              data: pd.DataFrame) -> list[Finding]:
    if not full.ok:
        return [Finding("run_failed", f"the full run failed ({full.error}); look-ahead not "
                        "checked", severity="hint")]
    first: tuple[int, int, str] | None = None  # (bar, cut, what)
    failures: list[str] = []
    for (cut, _), run in zip(probes, runs, strict=True):
        if not run.ok:
            failures.append(f"bar {cut}: {run.error}")
            continue
        found = _differs(full, run, cut)
        if found is not None and (first is None or found[0] < first[0]):
            first = (found[0], cut, found[1])
    out: list[Finding] = []
    if first is not None:
        bar, cut, what = first
        when = pd.Timestamp(data.index[bar]).isoformat()
        out.append(Finding(
            "lookahead", f"orders differ from the full run when the data after bar {cut} "
            f"is withheld or altered: first offending bar {bar} ({when}), {what}; the "
            "strategy uses future data", bar=bar, time=when, severity="fatal"))
    if failures:
        out.append(Finding(
            "probe_failed", "look-ahead could not be verified: the strategy failed on the "
            f"data cut at {'; '.join(sorted(set(failures))[:3])}; make it run on any prefix "
            "of the data (it may need the full series, i.e. peek at it)", severity="fatal"))
    return out
