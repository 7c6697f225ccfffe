"""backtesting.py's broker, told which fills made liquidity (maker) and which took it.

The engine prices each order's fill itself but charges fees through a ``commission``
callable that sees only ``(size, price)``: it cannot tell a limit order that rested in
the book from a market order, so a backtest pays the taker rate on every fill (the
conservative choice, see :mod:`executor.execution`). The paper broker knows more: while
the engine works through its order list, it asks ``order in self.orders`` once per order
just before filling it. :class:`MakerTakerBroker` listens there and marks the order a
**maker** when it is a limit order that was resting when the bar opened (no stop still to
trigger, and its limit not already crossed by the open — a limit the open gapped through
fills at the open, taking liquidity). Market, stop and SL orders, and limits marketable
at the open, are **takers**. A maker fill pays the model's maker fee and neither
slippage nor spread; a taker fill pays the taker fee, the slippage and half the spread.
Each trade remembers how it was entered (``rbi_entry_maker``) and exited
(``rbi_exit_maker``), so the fills the paper broker reports say which they were.

Tied to backtesting 0.6.x's ``_process_orders`` (checked by tests/test_execution_models).
"""

from __future__ import annotations

from typing import Any

from backtesting.backtesting import _Broker

from executor.execution import Model

__all__ = ["MakerTakerBroker", "is_maker"]


def is_maker(order: Any, open_price: float) -> bool:
    """A limit order resting when the bar opened: it adds liquidity when it fills."""
    limit = order.limit
    if not limit or order.stop:
        return False
    return bool(open_price > limit) if order.is_long else bool(open_price < limit)


class _WatchedOrders(list):  # type: ignore[type-arg]
    """The engine's order list; membership tests name the order about to be filled."""

    def __init__(self, broker: MakerTakerBroker) -> None:
        super().__init__()
        self._broker = broker

    def __contains__(self, order: object) -> bool:
        b = self._broker
        if b._processing:
            b._maker = is_maker(order, b._data._current_value("Open"))
        return list.__contains__(self, order)


class MakerTakerBroker(_Broker):
    """``_Broker`` whose costs follow ``model`` per fill, maker or taker."""

    def __init__(self, *, model: Model, **kwargs: Any) -> None:
        kwargs["commission"] = 0.0  # replaced below: the model charges per fill
        kwargs["spread"] = model.spread_bps / 1e4
        super().__init__(**kwargs)
        self._model = model
        self._processing = False
        self._maker = False
        self.orders = _WatchedOrders(self)
        self._commission = self._cost

    def _cost(self, size: float, price: float) -> float:
        """Fees, plus slippage for a taker (what ``_Commission`` charges a backtest)."""
        fee = self._model.fee(size, price, maker=self._maker)
        if self._maker:
            return fee
        return fee + abs(size) * price * self._model.slippage_bps / 1e4

    def _adjusted_price(self, size: Any = None, price: Any = None) -> float:
        if self._maker:  # a resting limit fills at its price: no spread to cross
            return float(price or self.last_price)
        return float(super()._adjusted_price(size, price))

    def _process_orders(self) -> None:
        self._processing, self._maker = True, False
        try:
            super()._process_orders()
        finally:
            self._processing = self._maker = False

    def _open_trade(self, price: float, size: int, sl: Any, tp: Any, time_index: int,
                    tag: Any) -> None:
        maker = self._maker
        super()._open_trade(price, size, sl, tp, time_index, tag)
        self.trades[-1].rbi_entry_maker = maker

    def _close_trade(self, trade: Any, price: float, time_index: int) -> None:
        trade.rbi_exit_maker = self._maker
        super()._close_trade(trade, price, time_index)
