import os
import pandas as pd
import numpy as np
import talib
from backtesting import Backtest, Strategy
from backtesting.lib import crossover

class BacktraderBrokerValue(Strategy):
    period = 30

    def init(self):
        self.sma = self.I(talib.SMA, self.data.Close, timeperiod=self.period)

    def next(self):
        value = self.broker.getvalue()
        if self.data.Close[-1] > self.sma[-1] and not self.position:
            print(f"🌙 Portfolio value ${value:,.0f}, going long")
            self.buy(size=0.5)
        elif self.data.Close[-1] < self.sma[-1] * 0.995 and self.position:
            self.position.close()


if __name__ == "__main__":
    data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')
    data.columns = data.columns.str.strip()
    data = data.drop(columns=[c for c in data.columns if c.startswith('Unnamed')])
    data.columns = [c.capitalize() for c in data.columns]
    data['Datetime'] = pd.to_datetime(data['Datetime'])
    data.set_index('Datetime', inplace=True)
    bt = Backtest(data, BacktraderBrokerValue, cash=1_000_000, commission=0.002)
    stats = bt.run()
    print("🌙 Results:")
    print(stats)
