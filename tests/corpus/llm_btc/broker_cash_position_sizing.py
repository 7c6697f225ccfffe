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

class BrokerCashPositionSizing(Strategy):
    rsi_period = 14
    rsi_entry = 30
    risk_fraction = 0.5

    def init(self):
        self.rsi = self.I(talib.RSI, self.data.Close, timeperiod=self.rsi_period)
        self.ema = self.I(talib.EMA, self.data.Close, timeperiod=50)

    def next(self):
        cash = self._broker._cash
        price = self.data.Close[-1]
        if not self.position and self.rsi[-1] < self.rsi_entry and price > self.ema[-1] * 0.99:
            units = int(cash * self.risk_fraction / price)
            print(f"🌙 Cash available: ${cash:,.2f} -> buying {units} units 🚀")
            if units > 0:
                self.buy(size=units)
        elif self.position and self.rsi[-1] > 65:
            print("💰 RSI recovered, closing")
            self.position.close()


# 🚀 Run the backtest
bt = Backtest(data, BrokerCashPositionSizing, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
