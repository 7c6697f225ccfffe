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


class ObvTrend(Strategy):
    obv_ma = 20

    def init(self):
        self.obv = self.I(talib.OBV, self.data.Close, self.data.Volume)
        self.obv_sma = self.I(talib.SMA, self.obv, timeperiod=self.obv_ma)
        self.sma = self.I(talib.SMA, self.data.Close, timeperiod=50)

    def next(self):
        if not self.position and self.obv[-1] > self.obv_sma[-1] and self.data.Close[-1] > self.sma[-1]:
            print("🌊 OBV rising above its average, buying 🚀")
            self.buy()
        elif self.position and self.obv[-1] < self.obv_sma[-1]:
            print("🌙 OBV weakening, exit")
            self.position.close()


bt = Backtest(data, ObvTrend, cash=1_000_000, commission=.002)
stats = bt.run()
print(stats)
