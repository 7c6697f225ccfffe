import pandas as pd
import talib
from backtesting import Backtest, Strategy

data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[col for col in data.columns if 'unnamed' in col.lower()])
data = data.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'})
data['SMA200'] = talib.SMA(data['Close'], timeperiod=200)
data['RSI'] = talib.RSI(data['Close'], timeperiod=14)
data = data.dropna()


class TrendPullback(Strategy):
    def init(self):
        pass

    def next(self):
        if not self.position and self.data.Close[-1] > self.data.SMA200[-1] and self.data.RSI[-1] < 40:
            print("🌙 Pullback in an uptrend 🚀")
            self.buy()
        elif self.position and self.data.RSI[-1] > 60:
            self.position.close()


bt = Backtest(data, TrendPullback, cash=1_000_000, commission=.002)
stats = bt.run()
print(stats)
