"""Shared strategy code and helpers for the test_research_* files (no tests here)."""

from __future__ import annotations

from executor.types import BacktestOptions

OPTS = BacktestOptions(cash=100_000.0, commission=0.001, exclusive_orders=True)

SMA_CROSS = '''
from backtesting import Strategy
from backtesting.lib import crossover
from backtesting.test import SMA


class SmaCross(Strategy):
    n1 = 10
    n2 = 20

    def init(self):
        self.sma1 = self.I(SMA, self.data.Close, self.n1)
        self.sma2 = self.I(SMA, self.data.Close, self.n2)

    def next(self):
        if crossover(self.sma1, self.sma2):
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.sell()
'''

# peeks one bar ahead: shift(-1) in init
PEEK = '''
import pandas as pd
from backtesting import Strategy


def tomorrow(close):
    return pd.Series(close).shift(-1).to_numpy()


class Peek(Strategy):
    def init(self):
        self.fut = self.I(tomorrow, self.data.Close)

    def next(self):
        if self.fut[-1] > self.data.Close[-1]:
            if not self.position.is_long:
                self.buy()
        elif self.position:
            self.position.close()
'''

# threshold from the whole series (the mean of ALL closes, including future ones)
WHOLE_MEAN = '''
import numpy as np
from backtesting import Strategy


class AboveMean(Strategy):
    def init(self):
        close = self.data.Close
        self.level = np.mean(close)

    def next(self):
        if self.data.Close[-1] < self.level and not self.position:
            self.buy()
        elif self.data.Close[-1] > self.level * 1.02 and self.position:
            self.position.close()
'''

OVERFIT = '''
import talib
from backtesting import Strategy


class Overfit(Strategy):
    n_fast = 5
    n_slow = 20
    rsi_n = 14
    rsi_lo = 40
    rsi_hi = 60
    hold = 5

    def init(self):
        close = self.data.Close.astype(float)
        self.fast = self.I(talib.SMA, close, self.n_fast)
        self.slow = self.I(talib.SMA, close, self.n_slow)
        self.rsi = self.I(talib.RSI, close, self.rsi_n)

    def next(self):
        if self.position and len(self.data) - self.trades[-1].entry_bar >= self.hold:
            self.position.close()
        elif (not self.position and self.fast[-1] > self.slow[-1]
              and self.rsi_lo < self.rsi[-1] < self.rsi_hi):
            self.buy()
'''

# long above a moving average, flat below: an honest trend follower
TREND = '''
from backtesting import Strategy
from backtesting.test import SMA


class Trend(Strategy):
    n = 20

    def init(self):
        self.ma = self.I(SMA, self.data.Close, self.n)

    def next(self):
        if self.data.Close[-1] > self.ma[-1]:
            if not self.position:
                self.buy()
        elif self.position:
            self.position.close()
'''


def trending(bars: int = 1000, seed: int = 0):
    """Daily synthetic prices with a strong upward drift (a real, learnable edge)."""
    from executor.synthetic import synthetic_ohlcv

    return synthetic_ohlcv(bars, freq="1D", seed=seed, drift=0.0015, vol=0.01)


def ohlcv_from_log_returns(log_ret, seed: int = 0, start: str = "2010-01-01"):
    """A daily OHLCV frame (business days) whose closes follow ``log_ret``."""
    import numpy as np
    import pandas as pd

    rng = np.random.RandomState(seed)
    n = len(log_ret)
    close = 100.0 * np.exp(np.cumsum(log_ret))
    prev = np.concatenate([[100.0], close[:-1]])
    open_ = prev * np.exp(rng.normal(0, 0.001, n))
    hi = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.004, n)))
    lo = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.004, n)))
    idx = pd.bdate_range(start, periods=n)
    return pd.DataFrame({"Open": open_, "High": hi, "Low": lo, "Close": close,
                         "Volume": rng.randint(1e5, 1e6, n).astype(float)}, index=idx)


def regime_market(bars: int = 1500, seed: int = 0, drift: float = 0.003, vol: float = 0.01,
                  stay: float = 0.985):
    """Zero net drift, trending regimes: the drift flips between +drift and -drift with
    probability 1 - stay per bar (a planted, learnable trend-following edge)."""
    import numpy as np

    rng = np.random.RandomState(seed)
    sign = np.empty(bars)
    s = 1.0
    for i in range(bars):
        if rng.rand() > stay:
            s = -s
        sign[i] = s
    return ohlcv_from_log_returns(sign * drift + vol * rng.randn(bars), seed + 1)


def bounce_market(bars: int = 1500, seed: int = 0, vol: float = 0.012, drop: float = 2.0,
                  bounce: float = 0.012):
    """Driftless walk with a planted next-day bounce: after a close-to-close drop of more
    than ``drop`` sigmas, the next bar's log return has mean +``bounce``."""
    import numpy as np

    rng = np.random.RandomState(seed)
    r = vol * rng.randn(bars)
    for i in range(1, bars):
        if r[i - 1] < -drop * vol:
            r[i] += bounce
    return ohlcv_from_log_returns(r - r.mean(), seed + 1)


# buys the close after a sharp drop, sells the next close: the planted bounce edge
BOUNCE = '''
import numpy as np
from backtesting import Strategy


def log_ret(close):
    c = np.asarray(close, dtype=float)
    out = np.full(len(c), np.nan)
    out[1:] = np.log(c[1:] / c[:-1])
    return out


class Bounce(Strategy):
    drop = 2.0
    lookback = 60

    def init(self):
        self.r = self.I(log_ret, self.data.Close)

    def next(self):
        if self.position:
            self.position.close()
            return
        r = self.r[-self.lookback:]
        if len(r) < self.lookback or np.isnan(r).any():
            return
        if r[-1] < -self.drop * np.std(r):
            self.buy()
'''
