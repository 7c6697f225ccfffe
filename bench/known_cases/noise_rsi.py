"""RSI oversold / overbought on a random walk."""
import pandas as pd
from backtesting import Backtest, Strategy


def RSI(values, n):
    delta = pd.Series(values).diff()
    up = delta.clip(lower=0).ewm(alpha=1 / n, adjust=False).mean()
    down = (-delta.clip(upper=0)).ewm(alpha=1 / n, adjust=False).mean()
    return 100 - 100 / (1 + up / down)


class RsiSwing(Strategy):
    period = 14
    low = 30
    high = 70

    def init(self):
        self.rsi = self.I(RSI, self.data.Close, self.period)

    def next(self):
        if not self.position and self.rsi[-1] < self.low:
            self.buy()
        elif self.position and self.rsi[-1] > self.high:
            self.position.close()


df = pd.read_csv("walk_rsi.csv", index_col=0, parse_dates=True)
bt = Backtest(df, RsiSwing, cash=100_000, commission=0.002)
stats = bt.run()
print(stats)
