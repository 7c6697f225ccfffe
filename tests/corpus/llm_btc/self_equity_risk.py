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

class SelfEquityRisk(Strategy):
    lookback = 20
    risk_pct = 0.5

    def init(self):
        self.highest = self.I(talib.MAX, self.data.High, timeperiod=self.lookback)
        self.lowest = self.I(talib.MIN, self.data.Low, timeperiod=self.lookback)

    def next(self):
        current_equity = self._equity[-1] if hasattr(self._equity, '__len__') else self._equity
        price = self.data.Close[-1]
        if not self.position and price >= self.highest[-2]:
            budget = current_equity * self.risk_pct
            print(f"🌙 New {self.lookback}-bar high, budget ${budget:,.0f} ✨")
            self.buy(size=0.5)
        elif self.position and price <= self.lowest[-2]:
            print("🌑 New low - exit")
            self.position.close()


# 🚀 Run the backtest
bt = Backtest(data, SelfEquityRisk, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
