"""FastBacktest gives backtesting.py's ``Backtest.run`` stats bit for bit.

Every stat (floats compared exactly, NaN == NaN), the whole equity curve and the whole
trades table, over strategies that exercise each branch the fast loop touches: market,
limit and stop orders, SL/TP, partial closes, a 2-D indicator, ``trade_on_close``,
hedging, ``exclusive_orders``, commission (rate, fixed + rate, callable), spread,
margin, running out of money, trades left open, and a strategy that reads the equity
and the position's P&L every bar (the cached unrealised P&L the fast broker fills in).
A fast path that skipped or reordered any broker step changes at least one of them.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest, Strategy
from backtesting.lib import crossover
from backtesting.test import SMA

from executor.harness.fastrun import FastBacktest
from executor.synthetic import synthetic_ohlcv


class Cross(Strategy):
    n1 = 5
    n2 = 20

    def init(self) -> None:
        self.fast = self.I(SMA, self.data.Close, self.n1)
        self.slow = self.I(SMA, self.data.Close, self.n2)

    def next(self) -> None:
        if crossover(self.fast, self.slow):
            self.position.close()
            self.buy(size=0.5)
        elif crossover(self.slow, self.fast):
            self.position.close()
            self.sell(size=0.5)


class Busy(Strategy):
    """SL/TP, limit and stop entries, partial closes, several trades open at once."""

    def init(self) -> None:
        self.fast = self.I(SMA, self.data.Close, 4)
        self.slow = self.I(SMA, self.data.Close, 12)

    def next(self) -> None:
        price = self.data.Close[-1]
        bar = len(self.data)
        if crossover(self.fast, self.slow):
            self.buy(size=0.3, sl=price * 0.97, tp=price * 1.04)
            self.buy(size=0.2, limit=price * 0.995, tp=price * 1.02)
        elif crossover(self.slow, self.fast):
            self.sell(size=0.25, stop=price * 0.998, sl=price * 1.03)
            self.position.close(0.5)
        if bar % 9 == 0 and self.trades:
            self.trades[0].close(0.5)
        if bar % 23 == 0 and self.orders:
            self.orders[-1].cancel()


class Band(Strategy):
    """A 2-D indicator (sliced as ``[..., :length]``) and reads of the equity and P&L."""

    def init(self) -> None:
        def band(close: pd.Series) -> np.ndarray:
            s = pd.Series(close).rolling(10).mean()
            return np.vstack([s * 0.99, s * 1.01])

        self.band = self.I(band, self.data.Close)
        self.seen: list[float] = []

    def next(self) -> None:
        self.seen.append(self.equity + self.position.pl)
        lo, hi = self.band[0][-1], self.band[1][-1]
        if self.data.Close[-1] < lo and not self.position.is_long:
            self.buy()
        elif self.data.Close[-1] > hi and self.position:
            self.position.close()


class Ruin(Strategy):
    """Leveraged, always long on a falling market: runs out of money mid-run."""

    def init(self) -> None:
        pass

    def next(self) -> None:
        if not self.position:
            self.buy()


def _falling(n: int) -> pd.DataFrame:
    d = synthetic_ohlcv(n, freq="1h", seed=11)
    scale = np.linspace(1.0, 0.2, n)
    for col in ("Open", "High", "Low", "Close"):
        d[col] = d[col] * scale
    return d


CASES: list[tuple[str, type, dict[str, Any]]] = [
    ("cross exclusive commission", Cross,
     {"cash": 100_000, "commission": 0.002, "exclusive_orders": True, "finalize_trades": True}),
    ("cross trade_on_close spread", Cross,
     {"cash": 50_000, "spread": 0.001, "trade_on_close": True, "finalize_trades": True}),
    ("cross open at end", Cross, {"cash": 100_000, "commission": (1.0, 0.001)}),
    ("busy", Busy, {"cash": 100_000, "commission": 0.001, "finalize_trades": True}),
    ("busy hedging", Busy,
     {"cash": 100_000, "commission": 0.001, "hedging": True, "finalize_trades": True}),
    ("busy margin trade_on_close", Busy,
     {"cash": 100_000, "margin": 0.2, "trade_on_close": True, "finalize_trades": True}),
    ("busy callable commission", Busy,
     {"cash": 100_000, "commission": lambda size, price: abs(size) * price * 0.0005 + 0.1,
      "exclusive_orders": True, "finalize_trades": True}),
    ("band", Band, {"cash": 100_000, "commission": 0.001, "finalize_trades": True}),
]


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, pd.DataFrame | pd.Series):
        return a.equals(b) and list(a.index) == list(b.index)
    if isinstance(a, float | np.floating) and isinstance(b, float | np.floating):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, Strategy):
        return str(a) == str(b)
    return bool(a == b) or (a is pd.NaT and b is pd.NaT)


def _assert_same_stats(fast: pd.Series, slow: pd.Series) -> None:
    assert list(fast.index) == list(slow.index)
    differ = [k for k in slow.index if not _same_value(fast[k], slow[k])]
    assert not differ, {k: (fast[k], slow[k]) for k in differ}


def _run(cls: type, data: pd.DataFrame, kw: dict[str, Any]) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(data, kw.pop("strategy"), **kw).run()


@pytest.mark.parametrize(("name", "strategy", "kw"), CASES, ids=[c[0] for c in CASES])
def test_fast_run_gives_backtest_run_stats_bit_for_bit(name: str, strategy: type,
                                                       kw: dict[str, Any]) -> None:
    data = synthetic_ohlcv(1500, freq="1h", seed=7)
    slow = _run(Backtest, data, {**kw, "strategy": strategy})
    fast = _run(FastBacktest, data, {**kw, "strategy": strategy})
    assert slow["# Trades"] >= 8, "the case must trade to prove anything"
    _assert_same_stats(fast, slow)


def test_fast_run_runs_out_of_money_where_backtest_run_does() -> None:
    data = _falling(800)
    kw = {"cash": 10_000, "margin": 0.05, "commission": 0.001, "finalize_trades": True}
    slow = _run(Backtest, data, {**kw, "strategy": Ruin})
    fast = _run(FastBacktest, data, {**kw, "strategy": Ruin})
    assert slow["Equity Final [$]"] == 0 and slow["_equity_curve"]["Equity"].iloc[-1] == 0
    _assert_same_stats(fast, slow)


def test_band_strategy_reads_the_same_equity_every_bar() -> None:
    data = synthetic_ohlcv(800, freq="1h", seed=5)
    seen = {}
    for engine in (Backtest, FastBacktest):
        stats = engine(data, Band, cash=100_000, commission=0.001).run()
        seen[engine.__name__] = stats["_strategy"].seen
    assert len(seen["Backtest"]) > 700
    assert seen["FastBacktest"] == seen["Backtest"]


def test_fast_run_without_stats_gives_the_equity_and_trades_of_the_stats() -> None:
    data = synthetic_ohlcv(900, freq="1h", seed=2)
    kw = {"cash": 100_000, "commission": 0.001, "finalize_trades": True}
    slow = Backtest(data, Busy, **kw).run()
    broker, equity = FastBacktest(data, Busy, **kw).run(stats=False)
    assert np.array_equal(equity, slow["_equity_curve"]["Equity"].to_numpy())
    assert [t.entry_time for t in broker.closed_trades] == list(slow["_trades"]["EntryTime"])
    assert [t.pl for t in broker.closed_trades] == list(slow["_trades"]["PnL"])
