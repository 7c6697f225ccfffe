"""Trend following: long above, short below, on a fast/slow moving-average cross."""
import pandas as pd
from backtesting import Backtest, Strategy
from backtesting.lib import crossover


def SMA(values, n):
    return pd.Series(values).rolling(n).mean()


class MaLongShort(Strategy):
    fast = 10
    slow = 40

    def init(self):
        self.ma_fast = self.I(SMA, self.data.Close, self.fast)
        self.ma_slow = self.I(SMA, self.data.Close, self.slow)

    def next(self):
        if crossover(self.ma_fast, self.ma_slow):
            self.position.close()
            self.buy()
        elif crossover(self.ma_slow, self.ma_fast):
            self.position.close()
            self.sell()


df = pd.read_csv("regimes.csv", index_col=0, parse_dates=True)
bt = Backtest(df, MaLongShort, cash=100_000, commission=0.002)
stats = bt.run()
print(stats)
