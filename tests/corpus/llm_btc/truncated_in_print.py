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

class MacdHistogramFlip(Strategy):
    fastperiod = 12
    slowperiod = 26
    signalperiod = 9

    def init(self):
        close = self.data.Close
        self.macd, self.signal, self.hist = self.I(talib.MACD, close, fastperiod=self.fastperiod,
                                                   slowperiod=self.slowperiod, signalperiod=self.signalperiod)

    def next(self):
        if self.hist[-2] < 0 and self.hist[-1] > 0:
            if self.position.is_short:
                self.position.close()
            print("🟢 MACD histogram flipped positive 🚀")
            self.buy(size=0.3)
        elif self.hist[-2] > 0 and self.hist[-1] < 0:
            if self.position.is_long:
                self.position.close()
            print("🔴 MACD histogram flipped negative 🌑")
            self.sell(size=0.3)


bt = Backtest(data, MacdHistogramFlip, cash=1_000_000, commission=.002, exclusive_orders=True)
stats = bt.run()
print("\n🌙 MOON DEV BACKTEST RESULTS 🌙")
print("=" * 50)
print(stats)
print("\n✨ Strateg