"""Buy the day after a sharp drop, sell a day later."""
import pandas as pd
from backtesting import Backtest, Strategy


class DropBounce(Strategy):
    drop = 0.03  # a close this far below the previous close is a sharp drop
    hold = 1     # bars to hold

    def init(self):
        pass

    def next(self):
        if self.position:
            if len(self.data) - 1 - self.trades[-1].entry_bar >= self.hold:
                self.position.close()
        elif self.data.Close[-1] < self.data.Close[-2] * (1 - self.drop):
            self.buy()


df = pd.read_csv("bounce.csv", index_col=0, parse_dates=True)
bt = Backtest(df, DropBounce, cash=100_000, commission=0.002)
stats = bt.run()
print(stats)
