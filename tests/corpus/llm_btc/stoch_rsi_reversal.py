import os
import pandas as pd
import numpy as np
import talib
from backtesting import Backtest, Strategy
from backtesting.lib import crossover

class StochRsiReversal(Strategy):
    rsi_period = 14
    k_period = 5
    d_period = 3
    oversold = 20
    overbought = 80

    def init(self):
        self.k, self.d = self.I(talib.STOCHRSI, self.data.Close, timeperiod=self.rsi_period,
                                fastk_period=self.k_period, fastd_period=self.d_period, fastd_matype=0)

    def next(self):
        if crossover(self.k, self.d) and self.k[-1] < self.oversold:
            print(f"🌙✨ StochRSI bullish cross in oversold zone ({self.k[-1]:.1f})")
            self.buy(size=0.25)
        elif crossover(self.d, self.k) and self.k[-1] > self.overbought and self.position:
            self.position.close()
            print("💰 StochRSI exit")


if __name__ == "__main__":
    data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')
    data.columns = data.columns.str.strip()
    data = data.drop(columns=[c for c in data.columns if c.startswith('Unnamed')])
    data.columns = [c.capitalize() for c in data.columns]
    data['Datetime'] = pd.to_datetime(data['Datetime'])
    data.set_index('Datetime', inplace=True)
    bt = Backtest(data, StochRsiReversal, cash=1_000_000, commission=0.002)
    stats = bt.run()
    print("🌙 Results:")
    print(stats)
