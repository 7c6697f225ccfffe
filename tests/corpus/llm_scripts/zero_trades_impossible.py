import pandas as pd
import talib
from backtesting import Backtest, Strategy

data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[col for col in data.columns if 'unnamed' in col.lower()])
data = data.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'})
data['datetime'] = pd.to_datetime(data['datetime'])
data = data.set_index('datetime')


class ExtremeOversold(Strategy):
    rsi_period = 14

    def init(self):
        self.rsi = self.I(talib.RSI, self.data.Close, timeperiod=self.rsi_period)
        self.sma200 = self.I(talib.SMA, self.data.Close, timeperiod=200)
        self.vol_ma = self.I(talib.SMA, self.data.Volume.astype(float), timeperiod=20)

    def next(self):
        if not self.position:
            if self.data.Close[-1] > self.sma200[-1]:
                if self.rsi[-1] < 5 and self.data.Volume[-1] > 3 * self.vol_ma[-1]:
                    print("🌙 Extreme capitulation in an uptrend 🚀")
                    self.buy()
        elif self.rsi[-1] > 50:
            self.position.close()


bt = Backtest(data, ExtremeOversold, cash=1_000_000, commission=.002)
stats = bt.run()
print(stats)
print(stats._strategy)
