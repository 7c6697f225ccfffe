# expect: benign
import talib.abstract as ta
from backtesting import Strategy


def stoch_k(df):
    return ta.STOCH(df)["slowk"].values


class StochAbstract(Strategy):
    def init(self):
        df = self.data.df.copy()
        df.columns = [c.lower() for c in df.columns]
        self.k = self.I(stoch_k, df)

    def next(self):
        if self.k[-1] < 20 and not self.position:
            self.buy()
        elif self.k[-1] > 80:
            self.position.close()
