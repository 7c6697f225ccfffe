import pandas as pd
import ta
from ta.momentum import RSIIndicator
from ta.volatility import BollingerBands
from backtesting import Backtest, Strategy

data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/ETH-USD-1h.csv')
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[col for col in data.columns if 'unnamed' in col.lower()])
data = data.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'})
data['datetime'] = pd.to_datetime(data['datetime'])
data = data.set_index('datetime')


class RsiBollingerTA(Strategy):
    rsi_window = 14
    bb_window = 20

    def init(self):
        close = pd.Series(self.data.Close)
        self.rsi = self.I(lambda: RSIIndicator(close, window=self.rsi_window).rsi())
        self.bb_low = self.I(lambda: BollingerBands(close, window=self.bb_window, window_dev=2).bollinger_lband())
        self.bb_high = self.I(lambda: ta.volatility.BollingerBands(close, window=self.bb_window, window_dev=2).bollinger_hband())
        self.atr = self.I(lambda: ta.volatility.AverageTrueRange(pd.Series(self.data.High), pd.Series(self.data.Low), close, window=14).average_true_range())

    def next(self):
        if not self.position and self.rsi[-1] < 35 and self.data.Close[-1] < self.bb_low[-1]:
            print("🌙 RSI + lower band confluence 🚀")
            self.buy()
        elif self.position and (self.rsi[-1] > 65 or self.data.Close[-1] > self.bb_high[-1]):
            print("💰 Exit")
            self.position.close()


bt = Backtest(data, RsiBollingerTA, cash=1_000_000, commission=.002)
stats = bt.run()
print(stats)
