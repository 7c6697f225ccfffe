"""backtesting.py's ``Backtest.run`` with a cheaper per-bar loop, same numbers (in-process).

At a million bars a simple strategy spends most of its time in the engine's per-bar
bookkeeping, not in its own ``next()``: the broker pops a cached property, reads the
bar's open/high/low for an empty order book, recomputes the equity through a locked
``functools.cached_property`` and the data view is resized through two method calls.
:class:`FastBacktest` runs the same steps in the same order with the same float
operations, skipping only work that cannot change anything:

* ``_Broker._process_orders`` is not called while the order book is empty (it only
  reads the bar's prices, then loops over no orders);
* the unrealised P&L is computed with the very expression of
  ``_Broker._position_unrealized_pl`` and stored where that cached property stores it,
  so the strategy reads the same cached value; its price-free part (sum of size x entry
  price over the open trades) is kept until the trades change, i.e. until the broker
  clears its trade caches (``_trades_cache_clear``, which also resets ``_position_size``);
* the run can stop at chosen bars (``at``) to let a caller copy the broker as if the run
  had ended there (:mod:`agents.research.cutruns`), without a wrapper ``next()`` per bar;
* ``stats=False`` skips ``compute_stats`` (callers that only read the equity curve and
  the trades).

``tests/executor/harness/test_fastrun.py`` proves the stats bit-identical to
``Backtest.run`` over strategies that use SL/TP, limit and stop orders, ``trade_on_close``,
hedging, ``exclusive_orders``, commission, margin, spread and running out of money. It
relies on backtesting.py 0.6.x internals (``_Broker``, ``_Data``); the test pins them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from backtesting import Backtest
from backtesting import backtesting as engine
from backtesting._util import _indicator_warmup_nbars, _strategy_indicators, try_
from backtesting.backtesting import _Broker, _OutOfMoneyError

__all__ = ["FastBacktest", "FastBroker"]

_UPL = _Broker._position_unrealized_pl.attrname  # where the cached property keeps its value
_HELD = "_fast_held_value"  # sum of size x entry price over the open trades, cached alike


class FastBroker(_Broker):
    """``_Broker`` whose ``next()`` skips an empty order book and the cached-property lock."""

    _closes: Any = None  # the Close column FastBacktest.run reads bars from

    def _trades_cache_clear(self) -> None:
        super()._trades_cache_clear()
        self.__dict__.pop(_HELD, None)

    def next(self) -> None:
        self._step(len(self._data) - 1)

    def _step(self, i: int) -> None:
        """``next()`` on bar ``i`` (== ``len(self._data) - 1``)."""
        cache = self.__dict__
        cache.pop(_UPL, None)
        self._i = i
        if self.orders:
            self._process_orders()
        # _Broker.equity == self._cash + self._position_unrealized_pl, with that property's
        # very expression (sum() itself: Python 3.12+ sums floats with compensation)
        closes = self._closes
        price = self._data._current_value("Close") if closes is None else closes[i]
        held = cache.get(_HELD, cache)
        if held is cache:  # the trades changed since the last bar
            held = cache[_HELD] = sum(trade.size * trade.entry_price for trade in self.trades)
        upl = price * self._position_size - held
        cache[_UPL] = upl
        equity = self._cash + upl  # type: ignore[has-type]
        self._equity[i] = equity
        if equity <= 0:  # out of money: the engine's own handling
            assert self.margin_available <= 0
            for trade in self.trades:
                self._close_trade(trade, self.last_price, i)
            self._cash = 0
            self._equity[i:] = 0
            raise _OutOfMoneyError


class FastBacktest(Backtest):
    """``Backtest`` with :class:`FastBroker` and a leaner loop (module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        base: Any = self._broker  # type: ignore[has-type]
        self._broker = partial(FastBroker, *base.args, **base.keywords)

    def run(self, *, at: dict[int, Callable[[Any], None]] | None = None,  # type: ignore[override]
            stats: bool = True, **kwargs: Any) -> Any:
        """``Backtest.run(**kwargs)``; ``at={length: fn}`` calls ``fn(strategy)`` right
        after the strategy's ``next()`` on bar ``length - 1``. With ``stats=False`` the
        result is ``(broker, equity array)`` instead of the stats Series."""
        n = len(self._data)
        data = engine._Data(self._data.copy(deep=False))
        broker = self._broker(data=data)
        strategy = self._strategy(broker, data, kwargs)
        strategy.init()
        data._update()  # Strategy.init might have changed/added to data.df
        indicators = _strategy_indicators(strategy)
        start = 1 + _indicator_warmup_nbars(strategy)
        hooks = at or {}
        # data._set_length(length) is these two steps; 1-D indicators are cut as [:length]
        state, clear = data.__dict__, data._Data__cache.clear  # type: ignore[attr-defined]
        broker._closes = data._Data__arrays["Close"]  # type: ignore[attr-defined]
        cut = [(attr, ind, ind.ndim == 1) for attr, ind in indicators]
        step = broker._step
        with np.errstate(invalid="ignore"):
            for i in range(start, n):
                stop = i + 1
                state["_Data__len"] = stop
                clear()
                for attr, indicator, flat in cut:
                    setattr(strategy, attr, indicator[:stop] if flat else indicator[..., :stop])
                try:
                    step(i)
                except _OutOfMoneyError:
                    break
                strategy.next()
                if stop in hooks:
                    hooks[stop](strategy)
            else:
                if self._finalize_trades is True:
                    for trade in reversed(broker.trades):
                        trade.close()
                    if start < n:
                        try_(broker.next, exception=_OutOfMoneyError)
                elif len(broker.trades):
                    warnings.warn(
                        "Some trades remain open at the end of backtest. Use "
                        "`Backtest(..., finalize_trades=True)` to close them and "
                        "include them in stats.", stacklevel=2)
            data._set_length(n)
            equity = pd.Series(broker._equity).bfill().fillna(broker._cash).values
            if not stats:
                return broker, equity
            # looked up at call time, as Backtest.run does (the sandbox's order log patches it)
            self._results = engine.compute_stats(trades=broker.closed_trades, equity=equity,
                                          ohlc_data=self._data, risk_free_rate=0.0,
                                          strategy_instance=strategy)
        return self._results
