import pandas as pd
import talib
from backtesting import Backtest, Strategy

data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[col for col in data.columns if 'unnamed' in col.lower()])
data = data.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'})
data['datetime'] = pd.to_datetime(data['datetime'])
data = data.set_index('datetime')


class KeltnerBreakout(Strategy):
    ema_period = 20
    atr_period = 10
    mult = 2.0

    def init(self):
        self.ema = self.I(talib.EMA, self.data.Close, timeperiod=self.ema_period)
        self.atr = self.I(talib.ATR, self.data.Close, timeperiod=self.atr_period)
        self.rsi = self.I(talib.RSI(self.data.Close, timeperiod=14))

    def next(self):
        upper = self.ema[-1] + self.mult * self.atr[-1]
        if not self.position and self.data.Close[-1] > upper and self.rsi[-1] < 80:
            print("🚀 Keltner breakout!")
            self.buy()
        elif self.position and self.data.Close[-1] < self.ema[-1]:
            self.position.close()


bt = Backtest(data, KeltnerBreakout, cash=1_000_000, commission=.002)
stats = bt.run()
print(stats)
