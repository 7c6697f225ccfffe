import pandas as pd
import talib
from backtesting import Backtest, Strategy

data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')
data.columns = data.columns.str.strip().str.lower()


class DonchianBreakout(Strategy):
    period = 20

    def init(self):
        self.upper = self.I(talib.MAX, self.data.High, timeperiod=self.period)
        self.lower = self.I(talib.MIN, self.data.Low, timeperiod=self.period)

    def next(self):
        if not self.position and self.data.Close[-1] > self.upper[-2]:
            print(f"🚀 Breakout above {self.upper[-2]:.2f
