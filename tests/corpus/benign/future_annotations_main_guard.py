# expect: benign
from __future__ import annotations

import numpy as np
import pandas as pd
from backtesting import Backtest, Strategy
from backtesting.test import GOOG, SMA


class Donchian(Strategy):
    n: int = 20

    def init(self) -> None:
        high = pd.Series(self.data.High)
        low = pd.Series(self.data.Low)
        self.upper = self.I(lambda: high.rolling(self.n).max().shift(1).values, name="upper")
        self.lower = self.I(lambda: low.rolling(self.n).min().shift(1).values, name="lower")

    def next(self) -> None:
        close = self.data.Close[-1]
        if np.isnan(self.upper[-1]):
            return
        if close > self.upper[-1] and not self.position:
            self.buy()
        elif close < self.lower[-1] and self.position:
            self.position.close()


if __name__ == "__main__":
    bt = Backtest(GOOG, Donchian, cash=10_000, commission=.002)
    stats = bt.run()
    print(stats)
    print(stats._trades.head())
