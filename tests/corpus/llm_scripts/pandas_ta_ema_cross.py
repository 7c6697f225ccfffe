import pandas as pd
import pandas_ta as ta
import numpy as np
from backtesting import Backtest, Strategy
from backtesting.lib import crossover

# 🌙 Load data
data_path = '/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv'
data = pd.read_csv(data_path)
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[c for c in data.columns if 'unnamed' in c])
data['datetime'] = pd.to_datetime(data['datetime'])
data.set_index('datetime', inplace=True)
data.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'}, inplace=True)


class EmaCrossPandasTA(Strategy):
    fast = 9
    slow = 21

    def init(self):
        close = pd.Series(self.data.close)
        self.ema_fast = self.I(ta.ema, close, length=self.fast)
        self.ema_slow = self.I(ta.ema, close, length=self.slow)
        self.rsi = self.I(lambda: ta.rsi(pd.Series(self.data.close), length=14))

    def next(self):
        if crossover(self.ema_fast, self.ema_slow) and self.rsi[-1] < 70:
            print("🌙✨ EMA bullish crossover! Buying 🚀")
            self.buy()
        elif crossover(self.ema_slow, self.ema_fast):
            print("📉 Bearish crossover, closing")
            self.position.close()


bt = Backtest(data, EmaCrossPandasTA, cash=1000000, commission=0.002, exclusive_orders=True)
stats = bt.run()
print(stats)
print(stats._strategy)
bt.plot()
