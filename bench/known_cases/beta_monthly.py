"""Stay long; step aside for the last days of each month, buy again on the 1st."""
import pandas as pd
from backtesting import Backtest, Strategy


class MonthlyLong(Strategy):
    exit_day = 27

    def init(self):
        pass

    def next(self):
        day = self.data.index[-1].day
        if self.position and day >= self.exit_day:
            self.position.close()
        elif not self.position and day < self.exit_day:
            self.buy()


df = pd.read_csv("drift.csv", index_col=0, parse_dates=True)
bt = Backtest(df, MonthlyLong, cash=100_000, commission=0.002)
stats = bt.run()
print(stats)
