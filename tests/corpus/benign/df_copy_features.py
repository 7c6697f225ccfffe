# expect: benign
import numpy as np
import pandas as pd
from backtesting import Strategy


class FeatureFrame(Strategy):
    lookback = 10

    def init(self):
        df = self.data.df.copy()
        df["ret"] = df["Close"].pct_change()
        df["vol"] = df["ret"].rolling(self.lookback).std()
        df.loc[df["vol"].isna(), "vol"] = 0.0
        df = df.rename(columns={"ret": "returns"})
        self.vol = self.I(lambda: df["vol"].to_numpy(), name="vol")
        self.ret = self.I(lambda: df["returns"].fillna(0).values, name="ret")
        self.dates = pd.to_datetime(df.index).to_list()
        closes = self.data.Close.tolist()
        self.first = closes[0]
        self.series = pd.Series(self.data.Close, index=self.data.index).to_frame("c")

    def next(self):
        if self.vol[-1] > 0 and self.ret[-1] < -2 * self.vol[-1] and not self.position:
            self.buy(size=0.25)
        elif self.position and self.ret[-1] > 0:
            self.position.close()
        _ = np.mean(self.data.Close[-5:])
