"""Long before up days: next-day return via pandas shift(-1)."""
import pandas as pd
from backtesting import Backtest, Strategy


def next_return(close):
    c = pd.Series(close)
    return c.pct_change().shift(-1)


class NextDay(Strategy):
    def init(self):
        self.ret = self.I(next_return, self.data.Close)

    def next(self):
        if self.ret[-1] > 0 and not self.position:
            self.buy()
        elif self.ret[-1] < 0 and self.position:
            self.position.close()


df = pd.read_csv("walk_peek.csv", index_col=0, parse_dates=True)
bt = Backtest(df, NextDay, cash=100_000, commission=0.002)
stats = bt.run()
print(stats)
