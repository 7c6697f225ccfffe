"""Runners: run strategy code on a frame and return an executor ``RunResult``.

Every check in :mod:`agents.research` takes a *runner* so it runs in-process in tests
and benches (:func:`inprocess_runner`) and through the executor sandbox in production
(:func:`sandbox_runner`, which uses batch mode for many parameter sets)::

    runner(code, data, params, options=None) -> RunResult
    run_many(runner, code, data, param_sets, options=None) -> list[RunResult]
    run_jobs(runner, code, [(data, params), ...], options=None) -> list[RunResult]

``run_jobs`` is the multi-frame batch (the same code on several frames): through the
sandbox one call (:func:`executor.run_frames`) instead of one sandbox per frame, with
exactly the results the single runs give.

Both set ``finalize_trades=True`` (the look-ahead check needs trades still open at the
end of a truncated run) and ask for every trade and the full-resolution equity curve.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import warnings
from dataclasses import replace
from typing import Any, Protocol

import numpy as np
import pandas as pd

from executor import backtest_kwargs_of
from executor.types import BacktestOptions, RunRequest, RunResult

__all__ = ["FULL_TRADES", "Job", "Runner", "equity_series", "inprocess_runner", "memo_runner", "run_jobs",
           "run_many", "sandbox_runner"]

DEFAULT_OPTIONS = BacktestOptions(cash=100_000.0, commission=0.002, finalize_trades=True)
FULL_TRADES = 1_000_000  # every trade listed (the checks read them all)


Job = tuple[pd.DataFrame, dict[str, Any]]  # (frame, parameter set) of a multi-frame batch


class Runner(Protocol):
    def __call__(self, code: str, data: pd.DataFrame, params: dict[str, Any],
                 options: BacktestOptions | None = None) -> RunResult: ...


def _strategy_class(code: str, cache: dict[str, type]) -> type:
    key = hashlib.sha256(code.encode()).hexdigest()
    if key not in cache:
        from backtesting import Strategy

        ns: dict[str, Any] = {"__name__": f"rbi_strategy_{key[:12]}"}
        exec(compile(code, "<strategy>", "exec"), ns)  # noqa: S102 - trusted test/bench code
        classes = [v for v in ns.values()
                   if isinstance(v, type) and issubclass(v, Strategy) and v is not Strategy]
        leaves = [c for c in classes if not any(o is not c and issubclass(o, c) for o in classes)]
        if not leaves:
            raise ValueError("no Strategy subclass in the code")
        cache[key] = leaves[-1]
    return cache[key]


def inprocess_runner(options: BacktestOptions | None = None) -> Runner:
    """Run TRUSTED code with backtesting.py in this process (tests, benches).

    Strategy exceptions come back as ``status="error"`` results, like the sandbox's."""
    from executor import stats_to_json, trades_to_json

    base = replace(options or DEFAULT_OPTIONS, finalize_trades=True)
    cache: dict[str, type] = {}

    def run(code: str, data: pd.DataFrame, params: dict[str, Any],
            options: BacktestOptions | None = None) -> RunResult:
        from backtesting import Backtest

        opts = replace(options or base, finalize_trades=True)
        printed = io.StringIO()  # what the strategy prints: the sandbox's stdout_tail
        try:
            cls = _strategy_class(code, cache)
            with warnings.catch_warnings(), contextlib.redirect_stdout(printed):
                warnings.simplefilter("ignore")
                stats = Backtest(data, cls, **backtest_kwargs_of(opts.to_dict())).run(**params)
        except Exception as exc:  # noqa: BLE001 - strategy faults are data
            return RunResult(status="error", params=dict(params),
                             error={"type": type(exc).__name__, "message": str(exc)})
        trades, total = trades_to_json(stats["_trades"], 10**9)
        out = stats_to_json(stats)
        out["_trades_total"] = total
        return RunResult(status="ok", stats=out, trades=trades, params=dict(params),
                         equity_curve=_equity_rows(stats["_equity_curve"]),
                         backend="inprocess", stdout_tail=printed.getvalue()[-(256 << 10):])

    def cuts(code: str, data: pd.DataFrame, param_sets: list[dict[str, Any]], stops: list[int],
             options: BacktestOptions | None = None) -> list[dict[int, Any]]:
        """Per set {stop: RunSeries as if run on ``data[:stop]``}: one backtest per set
        (:mod:`agents.research.cutruns`); a stop it cannot stand for is run on its own."""
        from agents.research.cutruns import cut_runs
        from agents.research.windowstats import run_series

        opts = replace(options or base, finalize_trades=True)
        out = []
        for params in param_sets:
            try:
                cls = _strategy_class(code, cache)
                with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                    warnings.simplefilter("ignore")
                    got, _ = cut_runs(data, cls, backtest_kwargs_of(opts.to_dict()), params,
                                      stops)
            except Exception:  # noqa: BLE001 - every stop is then run on its own
                got = {}
            out.append({s: _series(got[s]) if s in got
                        else run_series(run(code, data.iloc[:s], params, opts)) for s in stops})
        return out

    def jobs(code: str, todo: list[Job], options: BacktestOptions | None = None
             ) -> list[RunResult]:
        return [run(code, d, p, options) for d, p in todo]

    run.cuts = cuts  # type: ignore[attr-defined]
    run.jobs = jobs  # type: ignore[attr-defined]
    return run


def _series(cut: Any) -> Any:
    """The RunSeries a RunResult of this cut would give (times to the second, as the
    result's rows hold them)."""
    from agents.research.windowstats import RunSeries

    eq = cut.equity.astype("float64")
    eq.index = _seconds(pd.DatetimeIndex(eq.index))
    return RunSeries.from_equity(eq.dropna() if eq.hasnans else eq, cut.entry_times)


def _seconds(idx: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Wall-clock times to the second, zone dropped (what the result's rows say)."""
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    return idx.floor("s")


def _equity_rows(eq: pd.DataFrame) -> list[dict[str, Any]]:
    """Every equity row in the harness's JSON shape (vectorised; NaN -> None)."""
    times = np.datetime_as_string(_seconds(pd.DatetimeIndex(eq.index)).to_numpy(), unit="s").tolist()
    e = eq["Equity"].astype("float64")
    d = eq["DrawdownPct"].astype("float64")
    return [{"time": t, "Equity": x, "DrawdownPct": y}
            for t, x, y in zip(times, e.where(e.notna(), None).tolist(),
                               d.where(d.notna(), None).tolist(), strict=True)]


def sandbox_runner(backend: Any = "auto", options: BacktestOptions | None = None,
                   seed: int | None = None, **request_kw: Any) -> Runner:
    """Run code through :func:`executor.sandbox.run` (validated, sandboxed).

    ``backend`` is a name or a Sandbox instance (reuse the stage's ``sandbox(settings)``).
    The returned runner has a ``batch(code, data, param_sets, options)`` attribute that
    uses the executor's batch mode (one validation, one sandbox for all sets), and a
    ``jobs(code, [(data, params), ...], options)`` one for several frames
    (:func:`executor.run_frames`: one validation, one sandbox for all frames)."""
    from executor import get_sandbox, run_batch, run_frames

    box = get_sandbox(backend) if isinstance(backend, str) else backend
    base = replace(options or DEFAULT_OPTIONS, finalize_trades=True)

    def request(code: str, data: pd.DataFrame, sets: list[dict[str, Any]],
                opts: BacktestOptions | None, keep_orderlog: bool = False) -> RunRequest:
        return RunRequest(code=code, data=data, params=dict(sets[0]), param_sets=sets,
                          options=replace(opts or base, finalize_trades=True), seed=seed,
                          max_trades=FULL_TRADES, equity_points=len(data) + 1,
                          keep_orderlog=keep_orderlog, **request_kw)

    def run(code: str, data: pd.DataFrame, params: dict[str, Any],
            options: BacktestOptions | None = None) -> RunResult:
        return run_batch(request(code, data, [dict(params)], options), box)[0]

    def batch(code: str, data: pd.DataFrame, param_sets: list[dict[str, Any]],
              options: BacktestOptions | None = None) -> list[RunResult]:
        if not param_sets:
            return []
        return run_batch(request(code, data, [dict(p) for p in param_sets], options), box)

    def jobs(code: str, todo: list[Job], options: BacktestOptions | None = None,
             keep_orderlog: bool = False) -> list[RunResult]:
        if not todo:
            return []
        req = request(code, todo[0][0], [dict(todo[0][1])], options, keep_orderlog)
        req.equity_points = max(len(d) for d, _ in todo) + 1
        return run_frames(req, [(d, dict(p)) for d, p in todo], box)

    run.batch = batch  # type: ignore[attr-defined]
    run.jobs = jobs  # type: ignore[attr-defined]
    run.request = request  # type: ignore[attr-defined]  # what a batch of sets would send
    run.orderlog = True  # type: ignore[attr-defined]  # jobs(..., keep_orderlog=True) works
    return run


def memo_runner(runner: Runner, frame: pd.DataFrame) -> Runner:
    """``runner`` that runs each (code, params, options) on ``frame`` once: a repeat (the
    cost check's base scenario is the base run) gets the first result. Other frames and
    batches go straight through (their results are not kept: a big frame's are big); the
    ``batch``, ``cuts``, ``jobs``, ``known`` and ``orderlog`` of ``runner`` are kept."""
    import json

    done: dict[tuple[str, str, str], RunResult] = {}

    def run(code: str, data: pd.DataFrame, params: dict[str, Any],
            options: BacktestOptions | None = None) -> RunResult:
        if data is not frame:
            return runner(code, data, params, options)
        k = key(code, params, options)
        if k not in done:
            done[k] = runner(code, data, params, options)
        return done[k]

    def remember(code: str, data: pd.DataFrame, params: dict[str, Any],
                 options: BacktestOptions | None, result: RunResult) -> None:
        """Keep ``result`` as the run of (code, params, options) on ``frame`` (one made
        another way, e.g. inside a multi-frame batch): a later identical run gets it."""
        if data is frame:
            done[key(code, params, options)] = result

    def key(code: str, params: dict[str, Any], options: BacktestOptions | None
            ) -> tuple[str, str, str]:
        return (hashlib.sha256(code.encode()).hexdigest(),
                json.dumps(params, sort_keys=True, default=repr), repr(options))

    for name in ("batch", "cuts", "jobs", "known", "orderlog"):
        if getattr(runner, name, None) is not None:
            setattr(run, name, getattr(runner, name))
    run.remember = remember  # type: ignore[attr-defined]
    return run


def run_many(runner: Runner, code: str, data: pd.DataFrame, param_sets: list[dict[str, Any]],
             options: BacktestOptions | None = None) -> list[RunResult]:
    """Run every parameter set; the runner's batch mode when it has one."""
    batch = getattr(runner, "batch", None)
    if batch is not None:
        results: list[RunResult] = batch(code, data, param_sets, options)
        return results
    return [runner(code, data, p, options) for p in param_sets]


def run_jobs(runner: Runner, code: str, todo: list[Job],
             options: BacktestOptions | None = None, *,
             keep_orderlog: bool = False) -> list[RunResult]:
    """Run ``code`` on every (frame, params) job; the runner's multi-frame batch when it
    has one, else one run each. Results in order. ``keep_orderlog``: each result carries
    its replayed order log (``RunResult.orderlog``) when the runner can give it (its
    ``orderlog`` attribute is true)."""
    multi = getattr(runner, "jobs", None)
    if multi is not None:
        if keep_orderlog and getattr(runner, "orderlog", False):
            results: list[RunResult] = multi(code, todo, options, keep_orderlog=True)
        else:
            results = multi(code, todo, options)
        return results
    return [runner(code, d, p, options) for d, p in todo]


def equity_series(result: RunResult) -> pd.Series:
    """The run's equity curve as a float Series on its time index (empty when absent)."""
    rows = result.equity_curve or []
    if not rows:
        return pd.Series(dtype="float64")
    idx = pd.to_datetime([r["time"] for r in rows], format="ISO8601", errors="coerce")
    eq = pd.Series([r.get("Equity") for r in rows], index=idx, dtype="float64")
    return eq[~eq.index.isna()].dropna()
