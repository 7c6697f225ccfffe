"""The 200-day rule: long above the 200-day average, short below it."""
import pandas as pd
from backtesting import Backtest, Strategy


def SMA(values, n):
    return pd.Series(values).rolling(n).mean()


class TwoHundredDay(Strategy):
    n = 200

    def init(self):
        self.sma = self.I(SMA, self.data.Close, self.n)

    def next(self):
        above = self.data.Close[-1] > self.sma[-1]
        if above and not self.position.is_long:
            self.position.close()
            self.buy()
        elif not above and not self.position.is_short:
            self.position.close()
            self.sell()


df = pd.read_csv("slow.csv", index_col=0, parse_dates=True)
bt = Backtest(df, TwoHundredDay, cash=100_000, commission=0.002)
stats = bt.run()
print(stats)
