# expect: benign
import talib
from backtesting import Strategy
from backtesting.lib import resample_apply


class WeeklyRsiFilter(Strategy):
    d_rsi = 14
    w_rsi = 14
    level = 60

    def init(self):
        self.daily_rsi = self.I(talib.RSI, self.data.Close, self.d_rsi)
        self.weekly_rsi = resample_apply('W-FRI', talib.RSI, self.data.Close, self.w_rsi)

    def next(self):
        price = self.data.Close[-1]
        if (not self.position and self.daily_rsi[-1] > self.level
                and self.weekly_rsi[-1] > self.level
                and self.weekly_rsi[-1] > self.daily_rsi[-1]):
            self.buy(sl=.92 * price)
        elif price < .98 * self.data.Close[-2]:
            self.position.close()
