"""Maker/taker fees: the paper broker tells a resting limit order (maker: maker fee, no
slippage, no spread) from one that takes liquidity (market, stop, stop-loss, a limit the
open gapped through: taker fee, slippage, half the spread). A backtest cannot tell them
apart (backtesting's commission callable sees size and price only) and charges the taker
rate on every fill."""

from __future__ import annotations

import pandas as pd
import pytest
from backtesting import Backtest, Strategy

from executor.execution import Fees, Model, backtest_kwargs_of
from executor.paper.broker import PaperBroker
from executor.paper.engine import is_maker
from executor.types import BacktestOptions

MAKER, TAKER, SLIP, SPREAD = 0.0002, 0.001, 5.0, 2.0
MODEL = Model(name="mt", fees=Fees("maker_taker", maker=MAKER, taker=TAKER), slippage_bps=SLIP,
              spread_bps=SPREAD)
CASH = 100_000.0
DAY = 86_400 * 10**9


def _bar(i: int, o: float, h: float, low: float, c: float) -> list[float]:
    return [i * DAY, o, h, low, c, 1e6]


def _run(bars: list[list[float]], first: list[list]) -> tuple[PaperBroker, list]:
    broker = PaperBroker({"cash": CASH}, MODEL)
    fills = []
    for i, bar in enumerate(bars):
        report = broker.step(bar, first if i == 0 else [])
        assert not report.rejected, report.rejected
        fills += report.fills
    return broker, fills


def test_a_resting_limit_fills_as_maker_at_its_price() -> None:
    bars = [_bar(0, 100, 101, 99, 100), _bar(1, 100, 100, 94, 96)]
    broker, fills = _run(bars, [["buy", 0, {"size": 10, "limit": 95.0}]])
    (f,) = fills
    assert f.liquidity == "maker" and f.kind == "entry"
    assert f.price == pytest.approx(95.0)  # no slippage, no spread on a resting order
    assert f.fee == pytest.approx(10 * 95.0 * MAKER)  # 0.19, not the taker's 0.95
    # the books charged exactly that: cash minus the maker fee plus the open profit
    assert broker.broker.equity == pytest.approx(CASH - 10 * 95.0 * MAKER + 10 * (96 - 95))


def test_a_limit_the_open_gapped_through_takes_liquidity() -> None:
    bars = [_bar(0, 100, 101, 99, 100), _bar(1, 94, 95, 93, 96)]
    broker, fills = _run(bars, [["buy", 0, {"size": 10, "limit": 95.0}]])
    (f,) = fills
    assert f.liquidity == "taker"
    paid = 94.0 * (1 + SPREAD / 1e4)  # the open plus the engine's spread knob
    assert f.fee == pytest.approx(10 * paid * TAKER)
    cost = 10 * paid * (TAKER + SLIP / 1e4)
    assert broker.broker.equity == pytest.approx(CASH - cost + 10 * (96 - paid))


def test_market_entry_is_taker_take_profit_exit_is_maker_stop_loss_is_taker() -> None:
    bars = [_bar(0, 100, 101, 99, 100), _bar(1, 100, 101, 99, 100),
            _bar(2, 105, 111, 104, 108)]
    _, fills = _run(bars, [["buy", 0, {"size": 10, "tp": 110.0}]])
    assert [(f.kind, f.liquidity) for f in fills] == [("entry", "taker"), ("exit", "maker")]
    assert fills[1].fee == pytest.approx(10 * 110.0 * MAKER)
    bars[2] = _bar(2, 99, 99, 90, 92)
    _, fills = _run(bars, [["buy", 0, {"size": 10, "sl": 95.0}]])
    assert [(f.kind, f.liquidity) for f in fills] == [("entry", "taker"), ("exit", "taker")]
    assert fills[1].fee == pytest.approx(10 * 95.0 * TAKER)


def test_is_maker_needs_a_limit_not_marketable_at_the_open() -> None:
    class Order:
        def __init__(self, limit: float | None, stop: float | None, long: bool) -> None:
            self.limit, self.stop, self.is_long = limit, stop, long

    assert is_maker(Order(95, None, True), 100) and not is_maker(Order(95, None, True), 94)
    assert is_maker(Order(105, None, False), 100) and not is_maker(Order(105, None, False), 106)
    assert not is_maker(Order(None, None, True), 100)  # market
    assert not is_maker(Order(95, 97, True), 100)  # stop-limit whose stop has not triggered


class RestingLimit(Strategy):
    def init(self) -> None:
        pass

    def next(self) -> None:
        if len(self.data) == 2:
            self.buy(size=10, limit=95.0)


def test_a_backtest_charges_the_taker_rate_even_on_a_resting_limit() -> None:
    """backtesting 0.6's commission callable gets (size, price) only: it cannot know the
    fill rested, so the backtest is conservative (taker) — documented, not hidden."""
    idx = pd.date_range("2024-01-01", periods=4, freq="D")
    df = pd.DataFrame({"Open": [100, 100, 100, 96], "High": [101, 101, 100, 97],
                       "Low": [99, 99, 94, 95], "Close": [100, 100, 96, 96],
                       "Volume": [1e6] * 4}, index=idx)
    options = MODEL.options_for(BacktestOptions(cash=CASH, finalize_trades=True)).to_dict()
    stats = Backtest(df, RestingLimit, **backtest_kwargs_of(options)).run()
    t = stats._trades.iloc[0]
    assert float(t.EntryPrice) == pytest.approx(95.0 * (1 + SPREAD / 1e4))
    rate = TAKER + SLIP / 1e4  # a maker fill would have paid MAKER and no slippage
    assert float(t.Commission) == pytest.approx(10 * (float(t.EntryPrice) + 96.0) * rate)
