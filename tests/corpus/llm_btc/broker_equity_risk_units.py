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

class BrokerEquityRiskUnits(Strategy):
    atr_period = 14
    risk_per_trade = 0.02
    breakout = 30

    def init(self):
        self.atr = self.I(talib.ATR, self.data.High, self.data.Low, self.data.Close, timeperiod=self.atr_period)
        self.hh = self.I(talib.MAX, self.data.High, timeperiod=self.breakout)

    def next(self):
        price = self.data.Close[-1]
        if not self.position and price > self.hh[-2]:
            equity = self._broker.equity
            stop_distance = 1.5 * self.atr[-1]
            units = (equity * self.risk_per_trade) / stop_distance
            print(f"🌙 Risking {self.risk_per_trade:.0%} of ${equity:,.0f}: {units:.3f} units")
            self.buy(size=units, sl=price - stop_distance)
        elif self.position and price < self.data.Close[-5]:
            self.position.close()


data = load_data('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')


# 🚀 Run the backtest
bt = Backtest(data, BrokerEquityRiskUnits, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
