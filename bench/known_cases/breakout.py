"""Buy a close above the 20-day high, hold it two weeks."""
import pandas as pd
from backtesting import Backtest, Strategy


def prior_high(values, n):
    return pd.Series(values).rolling(n).max().shift(1)


class Breakout(Strategy):
    n = 20      # look-back of the high
    hold = 10   # bars to hold

    def init(self):
        self.high = self.I(prior_high, self.data.Close, self.n)

    def next(self):
        if self.position:
            if len(self.data) - 1 - self.trades[-1].entry_bar >= self.hold:
                self.position.close()
        elif self.data.Close[-1] > self.high[-1]:
            self.buy()


df = pd.read_csv("breakout.csv", index_col=0, parse_dates=True)
bt = Backtest(df, Breakout, cash=100_000, commission=0.002)
stats = bt.run()
print(stats)
