import pandas as pd
import talib
import numpy as np
from backtesting import Backtest, Strategy

data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[col for col in data.columns if 'unnamed' in col.lower()])
data = data.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'})
data['datetime'] = pd.to_datetime(data['datetime'])
data = data.set_index('datetime')


class MacdMomentum(Strategy):
    stop_pct = 0.03
    target_pct = 0.06

    def init(self):
        self.macd, self.signal, self.hist = self.I(talib.MACD, self.data.Close, fastperiod=12, slowperiod=26, signalperiod=9)

    def next(self):
        if not self.position:
            if self.hist[-1] > 0 and self.hist[-2] <= 0:
                print("🌙 MACD histogram turned positive! 🚀")
                self.buy()
        else:
            entry = self.position.entry_price
            if self.data.Close[-1] < entry * (1 - self.stop_pct):
                print("🛑 Stop hit")
                self.position.close()
            elif self.data.Close[-1] > entry * (1 + self.target_pct):
                print("💰 Target hit")
                self.position.close()


bt = Backtest(data, MacdMomentum, cash=1_000_000, commission=.002)
stats = bt.run()
print(stats)
print(stats._strategy)
