# Rewrites the prices it is scored on, through the public data frame.
from backtesting import Strategy


class Tamper(Strategy):
    def init(self):
        df = self.data.df
        df.loc[:, "Close"] = df["Close"] * 0 + 1.0

    def next(self):
        if not self.position:
            self.buy()
