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

class PositionAvgPriceStop(Strategy):
    period = 20
    stop_pct = 0.015

    def init(self):
        self.mom = self.I(talib.MOM, self.data.Close, timeperiod=self.period)

    def next(self):
        if self.mom[-1] > 0 and self.mom[-2] <= 0 and not self.position:
            print("🌙 Momentum turned positive 🚀")
            self.buy(size=0.5)
        elif self.position:
            if self.data.Close[-1] < self.position.avg_price * (1 - self.stop_pct) or self.mom[-1] < 0:
                print(f"🛑 Exit, avg price {self.position.avg_price:.2f}")
                self.position.close()


bt = Backtest(data, PositionAvgPriceStop, cash=1_000_000, commission=.002, exclusive_orders=True)
stats = bt.run()
print("\n🌙 MOON DEV BACKTEST RESULTS 🌙")
print("=" * 50)
print(stats)
print("\n✨ Strategy details:")
print(stats._strategy)
