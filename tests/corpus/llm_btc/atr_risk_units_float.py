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

class AtrRiskUnitsFloat(Strategy):
    atr_period = 14
    risk = 0.01
    rsi_period = 14

    def init(self):
        self.atr = self.I(talib.ATR, self.data.High, self.data.Low, self.data.Close, timeperiod=self.atr_period)
        self.rsi = self.I(talib.RSI, self.data.Close, timeperiod=self.rsi_period)

    def next(self):
        price = self.data.Close[-1]
        if not self.position and self.rsi[-1] < 35:
            stop = price - 2 * self.atr[-1]
            risk_amount = self.equity * self.risk
            size = round(risk_amount / (price - stop), 3)
            print(f"🌙 RSI dip - risk ${risk_amount:.0f}, size {size} ✨")
            self.buy(size=size, sl=stop, tp=price + 4 * self.atr[-1])


data = load_data('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')


# 🚀 Run the backtest
bt = Backtest(data, AtrRiskUnitsFloat, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
