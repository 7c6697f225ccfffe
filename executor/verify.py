"""Host side, after the sandbox returned: the numbers of every result come from the replay.

:func:`verify_docs` takes the harness's result documents (untrusted: the harness ran
next to the strategy) and, for each ``ok`` one, replays its order log through
:class:`executor.replay.Replayer` on the caller's own copy of the data. Stats, trades,
equity curve and the optional plot are then the replay's; the strategy process's own
claims are only compared, and a difference marks the run ``tampered`` (honest code
never differs: the same calls on the same data through the same engine give the same
numbers). A log that cannot be replayed gives ``unreplayable``; script mode, whose stats
are parsed from what the script printed, gives ``unverified``, never ``ok``.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from typing import Any

from executor.harness.protocol import decode_frame, encode_frame
from executor.replay import ReplayDeadline, Replayer, ReplayError
from executor.types import RunRequest

# a replay gets the time its run was allowed (Limits.timeout_s), and at least this much
REPLAY_MIN_S = 10.0
CLAIM_REL_TOL = 1e-6  # host and sandbox may differ in numpy/pandas patch version
RESULT_KEYS = ("stats", "trades", "equity_curve", "plot_html", "orderlog", "claimed_stats",
               "strategy_name")


def pristine_frame(request: RunRequest, index: int = 0) -> Any:
    """The frame set ``index`` ran on exactly as the sandbox received it (same wire round
    trip), from the caller's memory: the strategy never had a way to touch this copy."""
    return decode_frame(encode_frame(request.frame(index)))


_PREPARED: OrderedDict[tuple[Any, ...], tuple[Any, Any]] = OrderedDict()
_PREPARED_LOCK = threading.Lock()
# pristine frames and statistics facts kept in memory: up to this many frames and rows (a
# review's one-off look-ahead frames must not push out the dataset every run uses)
PREPARED_KEEP = 64
PREPARED_KEEP_ROWS = 2_000_000


def prepared_data(request: RunRequest, index: int = 0) -> tuple[Any, Any]:
    """(pristine frame, :class:`executor.replay_fast_stats.DatasetFacts`) of the request's
    data, kept for the next requests on the same data (the research loop's many runs on
    one dataset): the key is the content hash plus everything else the wire format keeps
    (index type, dtype, tz, name), so equal keys give equal pristine frames. Both are
    only read afterwards (each replay builds its own Backtest and broker)."""
    from executor.harness.protocol import frame_sha256
    from executor.replay_fast_stats import DatasetFacts

    data = request.frame(index)
    idx = data.index
    key = (frame_sha256(data), type(idx).__name__, str(idx.dtype), repr(idx.name),
           tuple(str(c) for c in data.columns))
    with _PREPARED_LOCK:
        hit = _PREPARED.get(key)
        if hit is not None:
            _PREPARED.move_to_end(key)
            return hit
    frame = pristine_frame(request, index)
    facts = DatasetFacts(_backtest_data(frame))
    with _PREPARED_LOCK:
        _PREPARED[key] = (frame, facts)
        rows = sum(len(f) for f, _ in _PREPARED.values())
        while len(_PREPARED) > 1 and (len(_PREPARED) > PREPARED_KEEP or rows > PREPARED_KEEP_ROWS):
            old, _ = _PREPARED.popitem(last=False)[1]
            rows -= len(old)
    return frame, facts


def _backtest_data(frame: Any) -> Any:
    """The frame as ``Backtest`` keeps it (``Backtest._data``), which compute_stats reads."""
    import warnings

    from backtesting import Backtest, Strategy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Backtest(frame, Strategy)._data


def same_number(a: Any, b: Any) -> bool:
    """Equal as statistics: None, NaN and ±inf are one 'undefined' value (JSON turns
    NaN/inf into None), numbers within :data:`CLAIM_REL_TOL`."""
    fa, fb = _as_float(a), _as_float(b)
    if fa is None or fb is None:
        return fa is None and fb is None
    return math.isclose(fa, fb, rel_tol=CLAIM_REL_TOL, abs_tol=1e-9)


def _as_float(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None if v is None else float(v)
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def claim_mismatch(claimed: Any, replayed: dict[str, Any]) -> str | None:
    """First statistic the strategy process reported differently from the replay."""
    if not isinstance(claimed, dict):
        return None
    for key, value in replayed.items():
        if key.startswith("_") or key not in claimed or isinstance(value, str):
            continue
        if not same_number(claimed[key], value):
            return (f"the strategy process reported {key!r} = {str(claimed[key])[:40]} but its orders, "
                    f"replayed on the original data with the requested options, give {value!r}")
    return None


def degenerate(status: str, stats: dict[str, Any]) -> str | None:
    """``zero_trades`` / ``nan_stats``: the run worked but gives nothing to score."""
    if status != "ok" or not stats:
        return None
    if stats.get("# Trades") == 0:
        return "zero_trades"
    for key in ("Return [%]", "Sharpe Ratio", "Max. Drawdown [%]"):
        if _as_float(stats.get(key)) is None:
            return "nan_stats"
    return None


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"type": kind.title(), "class": kind, "message": message, "traceback": "", "line": None}


def verify_docs(docs: list[dict[str, Any]], request: RunRequest, *,
                verifier: Verifier | None = None, skip: set[int] | None = None) -> None:
    """Replace each document's numbers with the replay's (in place); see module doc.
    Documents whose ``id()`` is in ``skip`` were verified already (a stream's replay)."""
    verifier = verifier or Verifier(request)
    for doc in docs:
        if skip is None or id(doc) not in skip:
            verifier.verify(doc)


class Verifier:
    """One request's verification: a lazily built :class:`Replayer`, reused by every doc."""

    def __init__(self, request: RunRequest) -> None:
        self.request = request
        self.sets = request.all_param_sets()
        self._replayers: dict[int, Replayer] = {}  # by frame (one unless multi-frame)

    def replayer(self, index: int = 0) -> Replayer:
        """The replayer of the frame set ``index`` ran on."""
        k = self.request.frame_index(index)
        if k not in self._replayers:
            frame, facts = prepared_data(self.request, index)
            self._replayers[k] = Replayer(frame, self.request.options.to_dict(), facts=facts)
        return self._replayers[k]

    def verify(self, doc: dict[str, Any]) -> None:
        """Replace ``doc``'s numbers with the replay's (in place)."""
        from executor.harness.statsjson import stats_to_json
        from executor.replay_json import equity_json_of, trades_json_of

        request, sets = self.request, self.sets
        claimed_ok = doc.get("status") in ("ok", "unverified")
        log, claimed = doc.get("orderlog"), doc.get("claimed_stats")
        name = doc.get("strategy_name")
        script_stats = doc.get("stats") if request.script else None
        for key in RESULT_KEYS:
            doc.pop(key, None)
        idx = doc.get("index")
        if not claimed_ok:
            return
        if request.script:
            if doc.get("status") in ("ok", "unverified"):
                doc.update(status="unverified", stats=script_stats or {}, stats_source="stdout")
            return
        if not isinstance(idx, int) or not 0 <= idx < len(sets):
            doc.update(status="error", error=_error("harness", "a result for no requested set"))
            return
        t0, c0 = time.perf_counter(), time.thread_time()
        frames = bool(request.plot)  # the trades/equity JSON is written from the columns
        budget = max(REPLAY_MIN_S, float(request.limits.timeout_s))
        try:
            replayer = self.replayer(idx)
            out = replayer.run(log, sets[idx], str(name or "Strategy"), frames=frames,
                               deadline_s=budget)
        except ReplayDeadline as exc:
            doc.update(status="unreplayable", error=_error(
                "unreplayable", f"replaying the run's order log on the original data took longer "
                                f"than the run itself was allowed ({budget:g} s; stopped at bar "
                                f"{exc.bar}). An honest run's log replays in a fraction of its "
                                "run time; this one was not taken as a result."))
            return
        except ReplayError as exc:
            doc.update(status="unreplayable", error=_error(
                "unreplayable", f"the run's order log cannot be replayed on the original data: {exc}. "
                                "This happens when the strategy changes the engine, the data or its "
                                "own trades instead of using buy()/sell()/close(); use only the public "
                                "Strategy API."))
            return
        stats = out.stats
        if request.keep_orderlog:  # exactly what was replayed: these numbers' decisions
            doc["orderlog"] = log
        doc["stats"] = stats_to_json(stats)
        doc["stats"]["_trades_total"] = int(stats["# Trades"])
        doc["stats_source"] = "replay"
        if request.max_trades > 0 or request.equity_points > 0:
            facts = replayer.facts()
            times = facts.iso_times()
            if request.max_trades > 0:
                doc["trades"] = trades_json_of(stats, request.max_trades, times, getattr(facts, "ns", None))
            if request.equity_points > 0:
                doc["equity_curve"] = equity_json_of(stats, request.equity_points, times)
        if request.plot:
            try:
                doc["plot_html"] = replayer.plot_html(out)
            except Exception as exc:  # noqa: BLE001 - a plot failure must not fail the run
                doc.setdefault("warnings", []).append(f"plot failed: {type(exc).__name__}: {exc}")
        mismatch = claim_mismatch(claimed, doc["stats"])
        if mismatch:
            doc.update(status="tampered", tamper=mismatch, error=_error("tampered", mismatch))
        # this result's own replay (on the stream's thread, usually while the sandbox runs);
        # the result's "replay_s" is what the caller waited for replays after the sandbox ended
        timings = doc.setdefault("timings", {})
        timings["replay_set_s"] = time.perf_counter() - t0
        timings["replay_cpu_s"] = time.thread_time() - c0  # what load does not inflate
        doc["degenerate"] = degenerate(doc["status"], doc["stats"])
