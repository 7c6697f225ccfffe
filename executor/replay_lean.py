"""The lean replay: backtesting's own broker, driven only where a decision can change something.

``Backtest.run`` spends most of a replay calling ``_Broker.next()`` on bars where nothing
can happen: no order is pending (no entry, no close, no contingent SL/TP) and the log
places none. On such a bar the broker only books ``equity = cash + unrealised P&L`` at
the close and checks for a margin call. :func:`run_lean` runs the same loop as
``Backtest.run`` (same ``_Data``, same ``_Broker`` built from the Backtest's own
options, same strategy instance, same finalisation, backtesting's own ``compute_stats``)
but books such stretches in one numpy expression computed exactly like
``_Broker.equity`` (``cash + (close * position_size - sum(size * entry_price))``, the same
IEEE operations in the same order), and hands the first bar whose equity is <= 0 back to
the real ``_Broker.next()`` (which raises the margin call). Every bar with a pending order,
and every fill, goes through the real broker: no fill rule is re-implemented here.

The full ``Backtest.run`` replay stays the reference (:class:`executor.replay.Replayer`
with ``lean=False``); tests/executor/test_replay_lean.py checks both give the same stats, trades
and equity on random order logs.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np
import pandas as pd


def run_lean(bt: Any, strategy_cls: type, params: dict[str, Any],
             by_bar: dict[int, list[list[Any]]], facts: Any = None, frames: bool = True,
             deadline: float | None = None) -> Any:
    """``bt.run(**params)`` for a replay strategy class (see :mod:`executor.replay`); the
    actions left in ``by_bar`` afterwards are those at bars the run never reached.
    ``facts`` (:class:`executor.replay_fast_stats.DatasetFacts` of ``bt._data``) switches
    the statistics to :func:`executor.replay_fast_stats.fast_stats` where it applies;
    without ``frames`` they may come without the ``_trades``/``_equity_curve`` frames.
    Past ``deadline`` (``time.monotonic()``), a bar through the real broker raises
    :class:`executor.replay.ReplayDeadline`."""
    from backtesting._util import _Data, _indicator_warmup_nbars
    from backtesting.backtesting import _OutOfMoneyError

    from executor.replay_stats import compute_stats

    n = len(bt._data)
    data = _Data(bt._data.copy(deep=False))
    broker = bt._broker(data=data)
    strategy = strategy_cls(broker, data, params)
    strategy.init()  # the warm-up marker and the init() decisions (bar -1)
    data._update()
    start = 1 + _indicator_warmup_nbars(strategy)
    close = bt._data.Close.to_numpy()
    action_bars = sorted(b for b in by_bar if b >= start)
    next_action = 0  # index into action_bars
    with np.errstate(invalid="ignore"):
        i = start
        broke = False
        while i < n:
            while next_action < len(action_bars) and action_bars[next_action] < i:
                next_action += 1
            if not broker.orders:
                # nothing pending: book equity up to the next decision bar (inclusive: its
                # broker step comes before its decisions) in one go
                end = action_bars[next_action] if next_action < len(action_bars) else n - 1
                out_at = _book_equity(broker, close, i, end)
                if out_at is None:
                    i = end
                    data._set_length(i + 1)
                    broker.__dict__.pop("_position_unrealized_pl", None)
                    broker._i = i
                    strategy._rbi_apply(i)
                    i += 1
                    continue
                i = out_at  # the margin call: the real broker books it and stops
            data._set_length(i + 1)
            if deadline is not None and time.monotonic() > deadline:
                from executor.replay import ReplayDeadline

                raise ReplayDeadline(i)
            try:
                broker.next()
            except _OutOfMoneyError:
                broke = True
                break
            strategy._rbi_apply(i)
            i += 1
        if not broke:
            _finish(bt, broker, start, n, _OutOfMoneyError)
        data._set_length(n)
        equity = pd.Series(broker._equity).bfill().fillna(broker._cash).values
        if facts is not None:
            from executor.replay_fast_stats import fast_stats

            stats = fast_stats(broker.closed_trades, equity, facts, strategy, frames=frames)
            if stats is not None:
                return stats
        return compute_stats(trades=broker.closed_trades, equity=equity, ohlc_data=bt._data,
                             risk_free_rate=0.0, strategy_instance=strategy)


def _book_equity(broker: Any, close: np.ndarray, i: int, end: int) -> int | None:
    """Write bars ``i..end``'s equity as ``_Broker.next()`` would with no order pending;
    return the first bar whose equity is <= 0 (left for the real broker), else None."""
    trades = broker.trades
    size = broker._position_size
    basis = sum(trade.size * trade.entry_price for trade in trades)
    equity = broker._cash + (close[i:end + 1] * size - basis)
    low = np.flatnonzero(equity <= 0)
    if len(low):
        k = int(low[0])
        broker._equity[i:i + k] = equity[:k]
        return i + k
    broker._equity[i:end + 1] = equity
    return None


def _finish(bt: Any, broker: Any, start: int, n: int, out_of_money: type[BaseException]) -> None:
    """``Backtest.run``'s for-else: close what is open (finalize_trades) and let the
    broker book those closes on the last bar once more."""
    if bt._finalize_trades is True:
        for trade in reversed(broker.trades):
            trade.close()
        if start < n:
            try:
                broker.next()
            except out_of_money:
                pass
    elif len(broker.trades):
        warnings.warn("Some trades remain open at the end of backtest.", stacklevel=2)
