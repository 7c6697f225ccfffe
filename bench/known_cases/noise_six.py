"""Trend filter + RSI pullback + stop: six knobs, on a random walk."""
import pandas as pd
from backtesting import Backtest, Strategy


def SMA(values, n):
    return pd.Series(values).rolling(n).mean()


def RSI(values, n):
    delta = pd.Series(values).diff()
    up = delta.clip(lower=0).rolling(n).mean()
    down = (-delta.clip(upper=0)).rolling(n).mean()
    return 100 - 100 / (1 + up / down)


class SixKnobs(Strategy):
    fast = 10
    slow = 50
    rsi_n = 14
    rsi_entry = 40
    rsi_exit = 65
    stop_pct = 5

    def init(self):
        self.f = self.I(SMA, self.data.Close, self.fast)
        self.s = self.I(SMA, self.data.Close, self.slow)
        self.rsi = self.I(RSI, self.data.Close, self.rsi_n)

    def next(self):
        price = self.data.Close[-1]
        if not self.position:
            if self.f[-1] > self.s[-1] and self.rsi[-1] < self.rsi_entry:
                self.buy(sl=price * (1 - self.stop_pct / 100))
        elif self.rsi[-1] > self.rsi_exit or self.f[-1] < self.s[-1]:
            self.position.close()


df = pd.read_csv("walk_six.csv", index_col=0, parse_dates=True)
bt = Backtest(df, SixKnobs, cash=100_000, commission=0.002)
stats = bt.run()
print(stats)
