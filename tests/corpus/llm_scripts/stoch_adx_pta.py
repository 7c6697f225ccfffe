import pandas as pd
import pandas_ta as ta
import numpy as np
from backtesting import Backtest, Strategy

data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[col for col in data.columns if 'unnamed' in col.lower()])
data = data.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'})
data['datetime'] = pd.to_datetime(data['datetime'])
data = data.set_index('datetime')


class StochAdxTrend(Strategy):
    adx_threshold = 25

    def init(self):
        high = pd.Series(self.data.High)
        low = pd.Series(self.data.Low)
        close = pd.Series(self.data.Close)
        self.adx = self.I(lambda: ta.adx(high, low, close, length=14)['ADX_14'])
        stoch = ta.stoch(high, low, close, k=14, d=3, smooth_k=3)
        self.k = self.I(lambda: stoch['STOCHk_14_3_3'])
        self.d = self.I(lambda: stoch['STOCHd_14_3_3'])
        macd = ta.macd(close, fast=12, slow=26, signal=9)
        self.macd_hist = self.I(lambda: macd.iloc[:, 1])
        self.atr = self.I(ta.atr, high, low, close, length=14)

    def next(self):
        if self.adx[-1] > self.adx_threshold and self.k[-1] > self.d[-1] and self.k[-2] <= self.d[-2] and self.macd_hist[-1] > 0:
            if not self.position:
                print("🌙 Stoch cross in a trending market 🚀")
                self.buy()
        elif self.position and self.k[-1] > 80:
            print("✨ Overbought, exiting")
            self.position.close()


bt = Backtest(data, StochAdxTrend, cash=1_000_000, commission=.002)
stats = bt.run()
print(stats)
print(stats._strategy)
