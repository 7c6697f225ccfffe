"""Bollinger dip + RSI confirm + volume filter + ATR stop + time exit: eight knobs."""
import numpy as np
import pandas as pd
from backtesting import Backtest, Strategy


def bands(close, n, k):
    s = pd.Series(close)
    return s.rolling(n).mean() - k * s.rolling(n).std()


def rsi(close, n):
    d = pd.Series(close).diff()
    up, dn = d.clip(lower=0).rolling(n).mean(), (-d.clip(upper=0)).rolling(n).mean()
    return 100 - 100 / (1 + up / dn)


def atr(high, low, close, n):
    prev = pd.Series(close).shift(1)
    tr = np.maximum(pd.Series(high) - pd.Series(low), (pd.Series(high) - prev).abs())
    return tr.rolling(n).mean()


class EightKnobs(Strategy):
    bb_n = 20
    bb_k = 2.0
    rsi_n = 10
    rsi_max = 35
    vol_n = 20
    atr_n = 14
    atr_stop = 2.5
    max_bars = 12

    def init(self):
        c = self.data.Close
        self.lower = self.I(bands, c, self.bb_n, self.bb_k)
        self.rsi = self.I(rsi, c, self.rsi_n)
        self.vavg = self.I(lambda v, n: pd.Series(v).rolling(n).mean(), self.data.Volume, self.vol_n)
        self.atr = self.I(atr, self.data.High, self.data.Low, c, self.atr_n)

    def next(self):
        price = self.data.Close[-1]
        if self.position:
            if len(self.data) - 1 - self.trades[-1].entry_bar >= self.max_bars:
                self.position.close()
        elif (price < self.lower[-1] and self.rsi[-1] < self.rsi_max
              and self.data.Volume[-1] > self.vavg[-1]):
            self.buy(sl=price - self.atr_stop * self.atr[-1])


df = pd.read_csv("walk_eight.csv", index_col=0, parse_dates=True)
bt = Backtest(df, EightKnobs, cash=100_000, commission=0.002)
stats = bt.run()
print(stats)
