import os
import pandas as pd
import numpy as np
import talib
from backtesting import Backtest, Strategy
from backtesting.lib import crossover

class PartialClosePercent(Strategy):
    ema_period = 21
    take_half_at = 0.01

    def init(self):
        self.ema = self.I(talib.EMA, self.data.Close, timeperiod=self.ema_period)

    def next(self):
        price = self.data.Close[-1]
        if not self.position and crossover(self.data.Close, self.ema):
            print("🌙 Price crossed EMA - long 🚀")
            self.buy(size=0.5)
        elif self.position and self.position.pl_pct > self.take_half_at:
            print("💰 Taking 50% off the table")
            self.position.close(portion=50)
        elif self.position and price < self.ema[-1] * 0.99:
            self.position.close()


if __name__ == "__main__":
    data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')
    data.columns = data.columns.str.strip()
    data = data.drop(columns=[c for c in data.columns if c.startswith('Unnamed')])
    data.columns = [c.capitalize() for c in data.columns]
    data['Datetime'] = pd.to_datetime(data['Datetime'])
    data.set_index('Datetime', inplace=True)
    bt = Backtest(data, PartialClosePercent, cash=1_000_000, commission=0.002)
    stats = bt.run()
    print("🌙 Results:")
    print(stats)
