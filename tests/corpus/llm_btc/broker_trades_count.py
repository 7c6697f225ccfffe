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

class BrokerTradesCount(Strategy):
    period = 14
    max_open = 1

    def init(self):
        self.cci = self.I(talib.CCI, self.data.High, self.data.Low, self.data.Close, timeperiod=self.period)

    def next(self):
        open_trades = len(self._broker.trades)
        if self.cci[-1] < -100 and open_trades < self.max_open:
            print(f"🌙 CCI {self.cci[-1]:.0f} oversold, {open_trades} open trades")
            self.buy(size=0.4)
        elif self.cci[-1] > 100 and self._broker.position.size > 0:
            print("✨ CCI overbought, closing")
            self.position.close()


# 🚀 Run the backtest
bt = Backtest(data, BrokerTradesCount, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
