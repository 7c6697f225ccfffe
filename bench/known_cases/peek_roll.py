"""Buy when tomorrow closes higher (np.roll reads tomorrow)."""
import numpy as np
import pandas as pd
from backtesting import Backtest, Strategy


class Tomorrow(Strategy):
    def init(self):
        self.tomorrow = self.I(lambda c: np.roll(c, -1), self.data.Close)

    def next(self):
        up = self.tomorrow[-1] > self.data.Close[-1]
        if up and not self.position:
            self.buy()
        elif not up and self.position:
            self.position.close()


df = pd.read_csv("walk_peek.csv", index_col=0, parse_dates=True)
bt = Backtest(df, Tomorrow, cash=100_000, commission=0.002)
stats = bt.run()
print(stats)
