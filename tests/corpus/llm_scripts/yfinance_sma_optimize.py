"""
🌙 Moon Dev's SMA Crossover - downloads its own data with yfinance
"""
import os
import sys
import yfinance as yf
import pandas as pd
import matplotlib.pyplot as plt
from backtesting import Backtest, Strategy
from backtesting.lib import crossover
from backtesting.test import SMA

sys.path.append(os.path.dirname(os.path.abspath(__file__)))

SYMBOL = "BTC-USD"
data = yf.download(SYMBOL, start="2022-01-01", end="2023-12-31", interval="1d")
if isinstance(data.columns, pd.MultiIndex):
    data.columns = data.columns.get_level_values(0)
data = data[['Open', 'High', 'Low', 'Close', 'Volume']].dropna()


class SmaCross(Strategy):
    n1 = 10
    n2 = 30

    def init(self):
        self.sma1 = self.I(SMA, self.data.Close, self.n1)
        self.sma2 = self.I(SMA, self.data.Close, self.n2)

    def next(self):
        if crossover(self.sma1, self.sma2):
            self.position.close()
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
            self.sell()


bt = Backtest(data, SmaCross, cash=10_000, commission=.002, exclusive_orders=True)
stats = bt.run()
print(stats)
opt = bt.optimize(n1=range(5, 30, 5), n2=range(20, 80, 10), maximize='Equity Final [$]', constraint=lambda p: p.n1 < p.n2)
print(opt)
bt.plot(filename='sma_cross.html', open_browser=False)
plt.show()
