# expect: benign
import pandas as pd
from backtesting import Strategy


def rolling_zscore(values, window):
    s = pd.Series(values)
    mean = s.rolling(window).mean()
    std = s.rolling(window).std()
    return ((s - mean) / std).to_numpy()


class ZScoreMeanReversion(Strategy):
    window = 30
    entry_z = 1.5

    def init(self):
        self.z = self.I(rolling_zscore, self.data.Close, self.window)

    def next(self):
        z = self.z[-1]
        if z < -self.entry_z and not self.position:
            self.buy()
        elif z > 0 and self.position:
            self.position.close()
