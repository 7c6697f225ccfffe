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

class AtrPercentDailyThreshold(Strategy):
    atr_period = 14
    min_atr_pct = 0.04
    ema_period = 50

    def init(self):
        self.atr = self.I(talib.ATR, self.data.High, self.data.Low, self.data.Close, timeperiod=self.atr_period)
        self.ema = self.I(talib.EMA, self.data.Close, timeperiod=self.ema_period)

    def next(self):
        price = self.data.Close[-1]
        atr_pct = self.atr[-1] / price
        if not self.position and atr_pct > self.min_atr_pct and price > self.ema[-1]:
            print(f"💥 Volatility expansion {atr_pct:.2%} 🚀")
            self.buy(size=0.5)
        elif self.position and price < self.ema[-1]:
            self.position.close()


bt = Backtest(data, AtrPercentDailyThreshold, cash=1_000_000, commission=.002, exclusive_orders=True)
stats = bt.run()
print("\n🌙 MOON DEV BACKTEST RESULTS 🌙")
print("=" * 50)
print(stats)
print("\n✨ Strategy details:")
print(stats._strategy)
