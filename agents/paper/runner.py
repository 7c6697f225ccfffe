"""Run one paper session to its end: preflight, warm-up, forward bars, verdict.

1. **Preflight** (once per session): the parity check — the strategy's own backtest
   period replayed bar by bar with perfect fills must reproduce its sandboxed
   ``Backtest.run()`` trade for trade (a mismatch: the code decides differently when it
   cannot see the future; the session ends ``killed``) — and the Monte Carlo band from
   that backtest's equity.
2. **Warm-up**: the research bars before the forward start go through the session and
   the books (phase ``history``), so indicators and positions are where a running
   strategy would have them; the forward equity is measured from the last of them.
3. **Forward**: every closed bar from the feed: the sandbox decides, the paper broker
   books, and bar + decisions + fills commit in one transaction. Known bars (the
   warm-up, an unpaced replay, a resume) go in chunks with one ``init()`` each and
   random prefix spot checks (:mod:`executor.harness.chunk`); a failed check ends the
   session ``killed`` (look-ahead), which kills the strategy. After each bar the
   guards and the band are checked; a stop request (``paper stop``) is honoured
   between bars.

A crash or ``kill -9`` loses nothing: on restart the booked bars are fed again (from the
database, not the feed) to rebuild the sandbox's and the broker's state — every fill must
come out identical, or the session fails as non-deterministic — and the feed resumes
after the last booked bar.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from agents.paper.divergence import Band, Guards, band_from_equity, check
from agents.store import Store
from agents.store.paper import PaperBooks, PaperSessionRow
from executor import (
    CsvFeed,
    Feed,
    LookAheadDetected,
    PaperSession,
    ReplayFeed,
    SessionFailed,
    bar_row,
    model_from,
    parity,
)
from executor.types import BacktestOptions

if TYPE_CHECKING:
    from agents.settings import Settings

log = logging.getLogger("rbi.paper")

__all__ = ["Plan", "plan_for", "run_session"]

HISTORY_BARS = 500  # warm-up bars fed before the forward period
PARITY_BARS = 750  # the last bars of the research period checked for parity
BAND_HORIZON = 2_000


@dataclass
class Plan:
    """What a session needs besides its row: code, dataset slices and the feed."""

    code: str
    params: dict[str, Any]
    options: BacktestOptions
    history: pd.DataFrame  # warm-up bars (research period tail)
    parity_data: pd.DataFrame  # the backtest period the parity check replays
    feed: Feed
    feed_note: str
    band_data: pd.DataFrame | None = None  # the research period the band's backtest runs on
    band_options: BacktestOptions | None = None  # research costs (the band must include them)
    trials: int = 1  # the DSR's N of the promoted version (the band's selection haircut)


def _forward(full: pd.DataFrame, holdout: pd.DataFrame,
             dataset_all: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Bars the strategy's research never used: after the configured data's end when the
    dataset has any, else the sealed holdout (after the research period)."""
    after = dataset_all[dataset_all.index > full.index[-1]] if len(full) else dataset_all.iloc[:0]
    if len(after):
        return after, f"{len(after)} bars after the research data's end ({full.index[-1].date()})"
    return holdout, (f"the {len(holdout)} holdout bars after the research period "
                     f"(no bars after {full.index[-1].date()} in the dataset)")


def _trials(store: Store, version_id: int) -> int:
    """The DSR's N (effective trials on the dataset) of the version's newest research
    review; 1 when it has none."""
    gates = store.latest_gates(version_id) or {}
    n = ((gates.get("research") or {}).get("evidence") or {}).get("n_trials")
    return int(n) if isinstance(n, (int, float)) and n >= 1 else 1


def plan_for(settings: Settings, store: Store, row: PaperSessionRow) -> Plan:
    from agents.stages.common import OPTIONS, options_for
    from agents.stages.evaluation import frames
    from executor import load_dataset

    v = store.version(row.version_id)
    if v is None:
        raise SessionFailed(f"version {row.version_id} of S{row.strategy_id} is gone")
    fr = frames(settings, row.dataset)
    research = fr.research
    options = BacktestOptions(**{**OPTIONS.to_dict(), "cash": row.cash, "commission": 0.0,
                                 "spread": 0.0})
    if row.feed == "replay":
        forward, note = _forward(fr.full, fr.split.holdout, load_dataset(fr.name).df)
        feed: Feed = ReplayFeed(forward, speed=row.speed)
    elif row.feed.startswith("csv:"):
        feed, note = CsvFeed(row.feed[4:], poll_s=1.0), f"rows appended to {row.feed[4:]}"
    else:
        raise SessionFailed(f"unknown feed {row.feed!r}: use replay or csv:PATH")
    return Plan(code=v.code, params=row.params, options=options,
                history=research.iloc[-HISTORY_BARS:], parity_data=research.iloc[-PARITY_BARS:],
                feed=feed, feed_note=note, band_data=research,
                band_options=dataclasses.replace(options_for(settings, row.dataset), cash=row.cash),
                trials=_trials(store, row.version_id))


def _equity_of(result: Any) -> list[float]:
    return [float(p["Equity"]) for p in (result.equity_curve or []) if p.get("Equity") is not None]


def preflight(books: PaperBooks, row: PaperSessionRow, plan: Plan, guards: Guards,
              backend: str) -> tuple[bool, Band | None]:
    """Parity + band, once per session (stored); returns (parity ok, band)."""
    if row.parity is not None:
        return bool(row.parity.get("ok")), Band.from_dict(row.band["band"]) if row.band else None
    from executor import run
    from executor.types import RunRequest

    result = parity(plan.code, plan.parity_data, params=plan.params, options=plan.options,
                    backend=backend)
    data = plan.history if plan.band_data is None else plan.band_data
    bt = run(RunRequest(code=plan.code, data=data, params=plan.params,
                        options=plan.band_options or plan.options, max_trades=0,
                        equity_points=len(data)), backend=backend)
    band = band_from_equity(_equity_of(bt), BAND_HORIZON, guards, plan.trials) if bt.ok else None
    books.update(row.id, parity=result.to_dict(),
                 band={"band": band.to_dict() if band else None, "guards": guards.__dict__,
                       "source": f"{len(data)} research bars with research costs, N = "
                                 f"{plan.trials} trial(s), {bt.status}"})
    return result.ok, band


def run_session(settings: Settings, session_id: int, *, guards: Guards | None = None,
                should_stop: Callable[[], bool] | None = None) -> PaperSessionRow:
    """Run (or resume) session ``session_id`` until its feed ends, it diverges, or a stop
    is requested. Returns the final row."""
    guards = guards or Guards()
    store = Store(settings.db, busy_timeout_ms=settings.busy_timeout_ms)
    books = PaperBooks(store)
    try:
        row = books.get(session_id)
        books.update(session_id, status="running", pid=os.getpid(), heartbeat=time.time(),
                     stop_requested=0)
        try:
            status, reason = _run(settings, books, books.get(session_id), guards, should_stop)
        except LookAheadDetected as exc:  # its code reads the future: the strategy is killed
            status, reason = "killed", str(exc)
        except SessionFailed as exc:
            status, reason = "failed", str(exc)
        books.finish(session_id, status, reason)
        log.info("paper session %d (S%d): %s — %s", session_id, row.strategy_id, status, reason)
        return books.get(session_id)
    finally:
        store.close()


def _run(settings: Settings, books: PaperBooks, row: PaperSessionRow, guards: Guards,
         should_stop: Callable[[], bool] | None) -> tuple[str, str]:
    plan = plan_for(settings, books.store, row)
    ok, band = preflight(books, row, plan, guards, row.backend)
    if not ok:
        fresh = books.get(row.id)
        diff = (fresh.parity or {}).get("first_difference")
        return "killed", f"parity failed on the backtest period: {diff}"
    stop_flag = {"stop": False}

    def stopping() -> bool:
        if should_stop is not None and should_stop():
            stop_flag["stop"] = True
        return stop_flag["stop"]

    model = model_from(row.model)
    with PaperSession(plan.code, params=plan.params, options=plan.options, model=model,
                      backend=row.backend) as session:
        stored = books.bars(row.id)
        start_equity, peak, last_ts = _catch_up(session, stored)
        forward_started = any(b["phase"] == "forward" for b in stored)
        if not forward_started:  # warm-up bars not booked yet (a fresh or an early-crashed session)
            todo = [bar for bar in (bar_row(pd.Timestamp(ts).value, r)
                                    for ts, r in plan.history.iterrows())
                    if last_ts is None or bar[0] > last_ts]
            _book_many(books, row.id, session, todo, "history")
            if todo:
                last_ts = todo[-1][0]
            start_equity = peak = session.equity(row.cash)
        books.update(row.id, band={**(books.get(row.id).band or {}), "start_equity": start_equity,
                                   "feed": plan.feed_note})
        h = sum(1 for b in stored if b["phase"] == "forward")
        last_beat = 0.0

        def verdict(report: Any) -> str | None:
            nonlocal h, peak
            h += 1
            peak = max(peak, report.equity)
            why = check(band=band, guards=guards, start_equity=start_equity,
                        equity=report.equity, peak=peak, h=h)
            if why:
                return why
            return "the account ran out of money" if report.out_of_money else None

        for chunk in _chunks(plan.feed, plan.feed.bars(after_ts=last_ts, stop=stopping)):
            why = _book_many(books, row.id, session, chunk, "forward", verdict)
            if why:
                return "diverged", why
            if time.monotonic() - last_beat > 1.0:
                last_beat = time.monotonic()
                if books.beat(row.id, os.getpid()):
                    stop_flag["stop"] = True
            if stop_flag["stop"]:
                break
    if stop_flag["stop"]:
        return "stopped", f"stopped on request after {h} forward bars"
    growth = session.equity(row.cash) / start_equity - 1 if start_equity else math.nan
    return "finished", (f"feed ended after {h} forward bars ({plan.feed_note}); forward return "
                        f"{growth:+.2%}, within the Monte Carlo band")


def _chunks(feed: Feed, bars: Iterator[list[Any]]) -> Iterator[list[list[Any]]]:
    """The feed's bars in lists: several at once only from an unpaced replay (bars that
    exist already), one at a time from anything live or paced. Either way the sandbox
    decides one bar after the other; a batch only saves round trips."""
    size = PaperSession.batch if isinstance(feed, ReplayFeed) and feed.speed <= 0 else 1
    while chunk := list(itertools.islice(bars, size)):
        yield chunk


def _book_many(books: PaperBooks, session_id: int, session: PaperSession,
               bars: list[list[Any]], phase: str,
               verdict: Callable[[Any], str | None] | None = None) -> str | None:
    """Step ``bars`` through the session and record each booked bar (those booked before
    a failure too). ``verdict`` judges each recorded bar; the first reason it gives ends
    the recording there (bars the sandbox decided after it are never booked) and is
    returned."""
    first = session.bars
    failure: SessionFailed | None = None
    try:
        session.step_many(bars)
    except SessionFailed as exc:
        failure = exc
    for k, (bar, report) in enumerate(zip(bars, session.reports, strict=False)):
        books.record_bar(session_id, bar=first + k, ohlcv=bar, phase=phase,
                         equity=report.equity, position=report.position,
                         actions=report.actions, rejected=report.rejected,
                         fills=[f.to_dict() for f in report.fills])
        if verdict is not None and (why := verdict(report)):
            return why
    if failure is not None:
        raise failure
    return None


def _catch_up(session: PaperSession, stored: list[dict[str, Any]]
              ) -> tuple[float, float, int | None]:
    """Feed the booked bars again; every equity must come out as booked."""
    start_equity = peak = math.nan
    last_ts = None
    reports = session.step_many([[b["ts"], b["open"], b["high"], b["low"], b["close"],
                                  b["volume"]] for b in stored]) if stored else []
    for b, report in zip(stored, reports, strict=True):
        if not math.isclose(report.equity, b["equity"], rel_tol=1e-9, abs_tol=1e-6):
            raise SessionFailed(f"resume: bar {b['bar']} books equity {report.equity:,.4f} now but "
                                f"{b['equity']:,.4f} before the restart — the strategy is not "
                                "deterministic")
        if b["phase"] == "history":
            start_equity = peak = report.equity
        else:
            peak = max(peak, report.equity) if math.isfinite(peak) else report.equity
        last_ts = int(b["ts"])
    return start_equity, peak, last_ts
