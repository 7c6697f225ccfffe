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

class AdjustedPriceEntry(Strategy):
    ema_period = 34
    atr_period = 14

    def init(self):
        self.ema = self.I(talib.EMA, self.data.Close, timeperiod=self.ema_period)
        self.atr = self.I(talib.ATR, self.data.High, self.data.Low, self.data.Close, timeperiod=self.atr_period)

    def next(self):
        if crossover(self.data.Close, self.ema) and not self.position:
            entry = self._broker._adjusted_price(1)
            stop = entry - 2 * self.atr[-1]
            target = entry + 4 * self.atr[-1]
            print(f"🚀 Entry {entry:.2f} (with commission) SL {stop:.2f} TP {target:.2f}")
            self.buy(size=0.5, sl=stop, tp=target)


bt = Backtest(data, AdjustedPriceEntry, cash=1_000_000, commission=.002, exclusive_orders=True)
stats = bt.run()
print("\n🌙 MOON DEV BACKTEST RESULTS 🌙")
print("=" * 50)
print(stats)
print("\n✨ Strategy details:")
print(stats._strategy)
