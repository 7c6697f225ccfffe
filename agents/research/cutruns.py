"""One backtest, finished as if it had been cut at several bars (in-process runs only).

A warm walk-forward scores windows of runs on ``data[:stop]`` for a few stops. For a
strategy that decides each bar from the bars before it (what the look-ahead check
verifies), such a run is the full run up to bar ``stop - 1`` followed by
backtesting.py's end of a run: every open trade closed, the broker run once more on that
last bar, stats computed on the bars so far. :func:`cut_stats` runs the whole frame once
and, right after the strategy's ``next()`` on bar ``stop - 1``, does that end of run on
a copy of the broker. A stop the run never reached as a live bar (it ran out of money,
raised, or was still warming up) is left out: the caller runs ``data[:stop]`` itself.
"""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd

__all__ = ["cut_stats"]


def _finish(strategy: Any, stop: int, ohlc: pd.DataFrame, finalize: bool) -> pd.Series:
    """Stats of the run as backtesting.py ends one whose last bar is ``stop - 1``."""
    from backtesting._stats import compute_stats
    from backtesting.backtesting import _OutOfMoneyError

    broker = strategy._broker
    memo: dict[int, Any] = {id(broker._data): broker._data,
                            id(broker._equity): broker._equity[:stop].copy()}
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
    equity = pd.Series(b._equity).bfill().fillna(b._cash).values
    return compute_stats(trades=b.closed_trades, equity=equity, ohlc_data=ohlc.iloc[:stop],
                         strategy_instance=strategy, risk_free_rate=0.0)


def cut_stats(data: pd.DataFrame, cls: type, bt_kwargs: dict[str, Any],
              params: dict[str, Any], stops: list[int]) -> tuple[dict[int, pd.Series], Any]:
    """({stop: stats as ``Backtest(data[:stop]).run()`` gives}, full-run stats or the
    exception the full run raised). Stops missing from the dict: see the module doc."""
    from backtesting import Backtest

    n = len(data)
    wanted = {s for s in stops if 0 < s < n}
    got: dict[int, pd.Series] = {}
    frame: dict[str, pd.DataFrame] = {}

    class Cut(cls):  # type: ignore[valid-type, misc]
        def next(self) -> None:
            super().next()
            stop = len(self.data)
            if stop in wanted:
                got[stop] = _finish(self, stop, frame["ohlc"], bt_kwargs.get("finalize_trades") is True)

    Cut.__name__, Cut.__qualname__, Cut.__module__ = cls.__name__, cls.__qualname__, cls.__module__
    bt = Backtest(data, Cut, **bt_kwargs)
    frame["ohlc"] = bt._data
    try:
        full: Any = bt.run(**params)
    except Exception as exc:  # noqa: BLE001 - the stops reached before it are still exact
        return got, exc
    if n in stops:
        got[n] = full
    return got, full
