import os
import pandas as pd
import numpy as np
import talib
from backtesting import Backtest, Strategy
from backtesting.lib import crossover


def load_data(path):
    """Load and clean the BTC data 🌙"""
    df = pd.read_csv(path, parse_dates=['datetime'])
    df.columns = [c.strip().capitalize() for c in df.columns]
    df = df.loc[:, ~df.columns.str.contains('^Unnamed')]
    df = df.rename(columns={'Datetime': 'Date'}).set_index('Date')
    return df[['Open', 'High', 'Low', 'Close', 'Volume']]

class BrokerEquityDrawdownGuard(Strategy):
    fast = 10
    slow = 30
    max_drawdown = 0.15

    def init(self):
        self.sma_fast = self.I(talib.SMA, self.data.Close, timeperiod=self.fast)
        self.sma_slow = self.I(talib.SMA, self.data.Close, timeperiod=self.slow)
        self.peak_equity = None

    def next(self):
        equity = self._broker.equity
        if self.peak_equity is None or equity > self.peak_equity:
            self.peak_equity = equity
        drawdown = (self.peak_equity - equity) / self.peak_equity
        if drawdown > self.max_drawdown:
            print(f"⚠️ Drawdown {drawdown:.1%} - Moon Dev risk stop 🛑")
            self.position.close()
            return
        if crossover(self.sma_fast, self.sma_slow):
            print(f"🚀 Golden cross | equity ${equity:,.0f}")
            self.buy(size=0.5)
        elif crossover(self.sma_slow, self.sma_fast):
            self.position.close()


data = load_data('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')


# 🚀 Run the backtest
bt = Backtest(data, BrokerEquityDrawdownGuard, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
