"""Follow the slope of a smooth (centred) moving average."""
import pandas as pd
from backtesting import Backtest, Strategy


def smooth(values, n):
    return pd.Series(values).rolling(n, center=True, min_periods=1).mean()


class SmoothSlope(Strategy):
    n = 11

    def init(self):
        self.mid = self.I(smooth, self.data.Close, self.n)

    def next(self):
        rising = self.mid[-1] > self.mid[-2]
        if rising and not self.position:
            self.buy()
        elif not rising and self.position:
            self.position.close()


df = pd.read_csv("walk_peek.csv", index_col=0, parse_dates=True)
bt = Backtest(df, SmoothSlope, cash=100_000, commission=0.002)
stats = bt.run()
print(stats)
