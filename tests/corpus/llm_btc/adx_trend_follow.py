import os
import pandas as pd
import numpy as np
import talib
from backtesting import Backtest, Strategy
from backtesting.lib import crossover

# 🌙 Moon Dev's data loading - clean those columns! ✨
data_path = '/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv'
data = pd.read_csv(data_path)
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[col for col in data.columns if 'unnamed' in col.lower()])
data = data.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'})
data['datetime'] = pd.to_datetime(data['datetime'])
data = data.set_index('datetime')
print(f"🌙 Loaded {len(data)} candles 🚀")

class AdxTrendFollow(Strategy):
    adx_period = 14
    adx_threshold = 25
    ema_period = 50

    def init(self):
        self.adx = self.I(talib.ADX, self.data.High, self.data.Low, self.data.Close, timeperiod=self.adx_period)
        self.plus_di = self.I(talib.PLUS_DI, self.data.High, self.data.Low, self.data.Close, timeperiod=self.adx_period)
        self.minus_di = self.I(talib.MINUS_DI, self.data.High, self.data.Low, self.data.Close, timeperiod=self.adx_period)
        self.ema = self.I(talib.EMA, self.data.Close, timeperiod=self.ema_period)

    def next(self):
        if self.adx[-1] > self.adx_threshold and crossover(self.plus_di, self.minus_di):
            print(f"🚀 Strong trend (ADX {self.adx[-1]:.1f}) +DI over -DI")
            self.position.close()
            self.buy(size=0.5)
        elif crossover(self.minus_di, self.plus_di) and self.position:
            print("🌑 Trend faded")
            self.position.close()


# 🚀 Run the backtest
bt = Backtest(data, AdxTrendFollow, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
