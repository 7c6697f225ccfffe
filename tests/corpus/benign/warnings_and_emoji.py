# expect: benign
import warnings

import numpy as np
import talib
from backtesting import Strategy

warnings.filterwarnings("ignore")


class EmojiRsi(Strategy):
    period = 14

    def init(self):
        self.rsi = self.I(talib.RSI, self.data.Close, timeperiod=self.period)
        print("🌙 Moon Dev strategy initialised 🚀")

    def next(self):
        rsi = self.rsi[-1]
        if np.isnan(rsi):
            return
        if rsi < 30 and not self.position:
            self.buy()
            print(f"🚀 BUY at {self.data.Close[-1]:.2f} | RSI {rsi:.1f}")
        elif rsi > 70 and self.position:
            print(f"💰 SELL at {self.data.Close[-1]:.2f} | P/L {self.position.pl:.2f}")
            self.position.close()
