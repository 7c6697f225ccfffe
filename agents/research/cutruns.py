"""One backtest, finished as if it had been cut at several bars (in-process runs only).

A warm walk-forward scores windows of runs on ``data[:stop]`` for a few stops. For a
strategy that decides each bar from the bars before it (what the look-ahead check
verifies), such a run is the full run up to bar ``stop - 1`` followed by
backtesting.py's end of a run: every open trade closed, the broker run once more on that
last bar. :func:`cut_runs` runs the whole frame once and, right after the strategy's
``next()`` on bar ``stop - 1``, does that end of run on a copy of the broker and keeps
what window scoring reads: the equity curve and the trades' entry times. A stop the run never reached as a live bar (it ran out of money,
raised, or was still warming up) is left out: the caller runs ``data[:stop]`` itself.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["Cut", "cut_runs"]


@dataclass(frozen=True)
class Cut:
    """A run as if on ``data[:stop]``: its equity per bar and its closed trades' entry
    times (what backtesting.py's stats would list as ``_equity_curve.Equity`` and
    ``_trades.EntryTime``)."""

    equity: pd.Series
    entry_times: list[Any]


def _finish(strategy: Any, stop: int, index: pd.Index, finalize: bool) -> Cut:
    """The run as backtesting.py ends one whose last bar is ``stop - 1``."""
    from backtesting.backtesting import _OutOfMoneyError

    broker = strategy._broker
    memo: dict[int, Any] = {id(broker._data): broker._data,
                            id(broker._equity): broker._equity[:stop].copy()}
    closes = getattr(broker, "_closes", None)  # FastBroker's view of the Close column
    if closes is not None:
        memo[id(closes)] = closes
    for t in broker.closed_trades:  # closed trades never change again: share them
        memo[id(t)] = t
    b = copy.deepcopy(broker, memo)
    if finalize:
        for trade in reversed(b.trades):
            trade.close()
        try:
            b.next()
        except _OutOfMoneyError:
            pass
    equity = pd.Series(b._equity).bfill().fillna(b._cash).values  # as Backtest.run
    return Cut(pd.Series(equity, index=index[:stop]), [t.entry_time for t in b.closed_trades])


def cut_runs(data: pd.DataFrame, cls: type, bt_kwargs: dict[str, Any],
             params: dict[str, Any], stops: list[int]) -> tuple[dict[int, Cut], Exception | None]:
    """({stop: Cut as ``Backtest(data[:stop]).run()`` would end}, the exception the full
    run raised or None). Stops missing from the dict: see the module doc. The run is
    :class:`executor.harness.fastrun.FastBacktest` (``Backtest.run``'s numbers, a cheaper
    loop, no stats computed: a cut reads only the equity curve and the trades)."""
    from executor import FastBacktest

    n = len(data)
    got: dict[int, Cut] = {}
    finalize = bt_kwargs.get("finalize_trades") is True
    bt = FastBacktest(data, cls, **bt_kwargs)
    index = bt._data.index

    def cut_at(stop: int) -> Any:
        def finish(strategy: Any) -> None:
            got[stop] = _finish(strategy, stop, index, finalize)
        return finish

    try:
        broker, equity = bt.run(at={s: cut_at(s) for s in stops if 0 < s < n}, stats=False,
                                **params)
    except Exception as exc:  # noqa: BLE001 - the stops reached before it are still exact
        return got, exc
    if n in stops:  # the full run: Backtest.run's _equity_curve.Equity and _trades.EntryTime
        got[n] = Cut(pd.Series(equity, index=index), [t.entry_time for t in broker.closed_trades])
    return got, None
