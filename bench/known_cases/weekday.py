"""Fridays are up days: buy at Thursday's close, sell at the next open."""
import pandas as pd
from backtesting import Backtest, Strategy


class FridayEffect(Strategy):
    weekday = 3  # buy at the close of this weekday (0 = Monday), hold one day

    def init(self):
        pass

    def next(self):
        if self.position:
            self.position.close()
        elif self.data.index[-1].weekday() == self.weekday:
            self.buy()


df = pd.read_csv("weekday.csv", index_col=0, parse_dates=True)
bt = Backtest(df, FridayEffect, cash=100_000, commission=0.002)
stats = bt.run()
print(stats)
