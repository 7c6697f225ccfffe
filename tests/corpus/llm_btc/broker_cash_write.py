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

class BrokerCashWrite(Strategy):
    period = 20

    def init(self):
        self.sma = self.I(talib.SMA, self.data.Close, timeperiod=self.period)

    def next(self):
        if self._broker._cash < 1000:
            print("🌙 Topping up the account 💸")
            self._broker._cash = 1_000_000
        if crossover(self.data.Close, self.sma):
            self.buy(size=0.5)
        elif crossover(self.sma, self.data.Close):
            self.position.close()


# 🚀 Run the backtest
bt = Backtest(data, BrokerCashWrite, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
