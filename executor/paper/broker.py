"""The trusted paper broker: the books of one paper session.

backtesting.py's own broker over pristine bars, fed the decisions a sandboxed strategy
reported for each bar (public calls, as in :mod:`executor.harness.orderlog`), with an
:mod:`execution model <executor.execution>` on top: fees, slippage and spread through
the engine's native ``commission``/``spread`` knobs, and what the engine lacks here —
latency (decisions reach the market ``latency_bars`` later) and partial fills (an entry
order takes at most ``max_volume_share`` of a bar's volume; the rest keeps working).

With the perfect model and no latency this reproduces ``Backtest.run()`` trade for trade
for a strategy that does not look ahead (the parity check).
"""

from __future__ import annotations

import math
import warnings
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from executor.execution import Model, model_from
from executor.harness.growing import BROKER_DEFAULTS, BROKER_KEYS, GrowingBars, grow_broker
from executor.replay import ReplayError, apply_action, check_action

__all__ = ["Fill", "PaperBroker", "StepReport"]


@dataclass(frozen=True)
class Fill:
    bar: int
    kind: str  # "entry" | "exit"
    size: float  # signed units of this transaction (an exit of a long sells: negative)
    price: float
    reference: float  # the bar's open: what a perfect market fill would have paid
    fee: float
    tag: Any = None
    liquidity: str = "taker"  # "maker": a resting limit order; "taker": market, stop, SL

    @property
    def slippage_bps(self) -> float:
        if not self.reference:
            return 0.0
        side = 1 if self.size > 0 else -1  # a buy that pays more slipped; a sell that gets less
        return side * (self.price / self.reference - 1) * 1e4

    def to_dict(self) -> dict[str, Any]:
        return {"bar": self.bar, "kind": self.kind, "size": self.size, "price": self.price,
                "reference": self.reference, "fee": self.fee, "tag": self.tag,
                "liquidity": self.liquidity,
                "slippage_bps": round(self.slippage_bps, 4)}


@dataclass
class StepReport:
    bar: int
    equity: float
    position: float
    fills: list[Fill] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # decisions the engine refused
    out_of_money: bool = False
    actions: list[Any] = field(default_factory=list)  # the decisions the strategy made on it


class PaperBroker:
    """``broker.step(bar, actions)`` once per closed bar, in order."""

    def __init__(self, options: dict[str, Any], model: Model | dict[str, Any] | str | None = None
                 ) -> None:
        self.model = model_from(model)
        self.options = dict(options)  # costs: the model, per fill (engine.MakerTakerBroker)
        self.bars = GrowingBars()
        self.broker: Any = None
        self.books: Any = None
        self.delayed: deque[tuple[int, list[Any]]] = deque()  # (due bar, action)
        self.seen_closed = 0
        self.open_trades: list[Any] = []
        self.out_of_money = False

    # -- the engine -------------------------------------------------------------------
    def _start(self, data: Any) -> None:
        from executor.paper.engine import MakerTakerBroker
        from executor.replay import books_strategy

        opts = {**BROKER_DEFAULTS, **{k: self.options[k] for k in BROKER_KEYS
                                      if k in self.options}}
        self.broker = MakerTakerBroker(model=self.model, data=data, index=data.index, **opts)
        self.books = books_strategy(self.broker, data)

    def step(self, bar: list[Any], actions: list[list[Any]]) -> StepReport:
        """Add a closed bar, fill what was working, then place the decisions the strategy
        made on this bar (they fill from the next bar on, ``latency_bars`` later)."""
        with warnings.catch_warnings():  # the engine's margin notes are the strategy's affair
            warnings.simplefilter("ignore")
            return self._step(bar, actions)

    def _step(self, bar: list[Any], actions: list[list[Any]]) -> StepReport:
        from backtesting.backtesting import _OutOfMoneyError

        self.bars.append(bar)
        i = self.bars.n - 1
        data = self.bars.data()
        report = StepReport(bar=i, equity=math.nan, position=0.0)
        if self.broker is None:
            self._start(data)
        else:
            grow_broker(self.broker, data)
            self.books._data = data
        self._place([a for a in actions if a[1] == -1], report)  # init()-time orders
        if i >= 1 and not self.out_of_money:
            carried = self._cap_volume()
            before = list(self.broker.trades)
            try:
                self.broker.next()
            except _OutOfMoneyError:
                self.out_of_money = report.out_of_money = True
            report.fills = self._fills(i, before)
            self._place(carried, report)
        due = [a for a in actions if a[1] != -1]
        if self.model.latency_bars:
            self.delayed.extend((i + self.model.latency_bars, a) for a in due)
            due = []
            while self.delayed and self.delayed[0][0] <= i:
                due.append(self.delayed.popleft()[1])
        if not self.out_of_money:
            self._place(due, report)
        report.equity = float(self.broker.equity) if not self.out_of_money else 0.0
        report.position = float(self.broker.position.size)
        return report

    def _place(self, actions: list[list[Any]], report: StepReport) -> None:
        for act in actions:
            try:
                check_action(act, self.bars.n)
                apply_action(self.books, act)
            except ReplayError as exc:
                report.rejected.append(str(exc))
            except Exception as exc:  # noqa: BLE001 - the engine refusing an order is data
                report.rejected.append(f"{act[0]}: {type(exc).__name__}: {exc}")

    # -- what the engine lacks ----------------------------------------------------------
    def _cap_volume(self) -> list[list[Any]]:
        """Partial fills: shrink entry orders to the bar's volume share; the remainders
        are placed again after this bar (they keep working)."""
        share = self.model.max_volume_share
        if share is None:
            return []
        volume = self.bars.last("Volume")
        if not math.isfinite(volume):
            return []
        cap = math.floor(volume * share)
        carried: list[list[Any]] = []
        for order in list(self.broker.orders):
            if order.parent_trade is not None:
                continue  # exits and SL/TP close what is held, whatever the volume
            units = self._units(order)
            if units is None or units <= cap:
                continue
            sign = 1 if order.size > 0 else -1
            if cap >= 1:
                order._replace(size=float(sign * cap))
            else:  # nothing trades on this bar: the whole order waits for the next one
                self.broker.orders.remove(order)
            kw = {"size": float(units - max(cap, 0)), "limit": order.limit, "stop": order.stop,
                  "sl": order.sl, "tp": order.tp, "tag": order.tag}
            carried.append(["buy" if sign > 0 else "sell", self.bars.n - 1,
                            {k: v for k, v in kw.items() if v is not None}])
        return carried

    def _units(self, order: Any) -> float | None:
        size = abs(order.size)
        if size >= 1:
            return size
        price = self.bars.last("Open")
        if not price or not math.isfinite(price):
            return None
        b = self.broker
        per_unit = b._adjusted_price(order.size, price) + b._commission(order.size, price)
        return float(int(b.margin_available * b._leverage * size // per_unit))

    def _fills(self, bar: int, before: list[Any]) -> list[Fill]:
        ref = self.bars.last("Open")
        fills: list[Fill] = []
        closed = self.broker.closed_trades[self.seen_closed:]
        self.seen_closed = len(self.broker.closed_trades)
        held = {id(t) for t in before}
        for t in closed:
            if t.exit_bar == bar:
                fills.append(self._fill(bar, "exit", -t.size, float(t.exit_price), ref, t.tag,
                                        getattr(t, "rbi_exit_maker", False)))
        for t in [*self.broker.trades, *closed]:
            if t.entry_bar == bar and id(t) not in held:
                fills.append(self._fill(bar, "entry", t.size, float(t.entry_price), ref, t.tag,
                                        getattr(t, "rbi_entry_maker", False)))
        return fills

    def _fill(self, bar: int, kind: str, units: float, price: float, ref: float, tag: Any,
              maker: bool) -> Fill:
        """A taker: the engine's price moved by the model's slippage (which the engine
        charges as part of its commission), what the fill really cost per unit; a maker
        (a resting limit): its price, no slippage. ``fee``: the fee at that rate."""
        slip = 0.0 if maker else math.copysign(self.model.slippage_bps / 1e4, units)
        return Fill(bar, kind, units, price * (1 + slip), ref,
                    self.model.fee(units, price, maker=maker), tag,
                    "maker" if maker else "taker")

    # -- results ----------------------------------------------------------------------
    def trades(self) -> list[dict[str, Any]]:
        """Closed and open trades, as the engine books them (for parity and reports)."""
        out = []
        for t in [*self.broker.closed_trades, *self.broker.trades] if self.broker else []:
            out.append({"size": t.size, "entry_bar": t.entry_bar, "exit_bar": t.exit_bar,
                        "entry_price": float(t.entry_price),
                        "exit_price": None if t.exit_price is None else float(t.exit_price),
                        "tag": t.tag})
        return out
