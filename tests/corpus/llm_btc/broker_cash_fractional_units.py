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

class BrokerCashFractionalUnits(Strategy):
    ema_fast = 12
    ema_slow = 26

    def init(self):
        self.fast = self.I(talib.EMA, self.data.Close, timeperiod=self.ema_fast)
        self.slow = self.I(talib.EMA, self.data.Close, timeperiod=self.ema_slow)

    def next(self):
        price = self.data.Close[-1]
        if crossover(self.fast, self.slow):
            cash = self._broker._cash
            size = (cash * 0.9) / price
            print(f"🚀 Buying {size:.4f} BTC with ${cash:,.0f}")
            self.buy(size=size)
        elif crossover(self.slow, self.fast) and self.position:
            self.position.close()


bt = Backtest(data, BrokerCashFractionalUnits, cash=1_000_000, commission=.002, exclusive_orders=True)
stats = bt.run()
print("\n🌙 MOON DEV BACKTEST RESULTS 🌙")
print("=" * 50)
print(stats)
print("\n✨ Strategy details:")
print(stats._strategy)
