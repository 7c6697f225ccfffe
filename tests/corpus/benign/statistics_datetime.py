# expect: benign
import datetime
import statistics

from backtesting import Strategy


class WeekdayDrift(Strategy):
    window = 10

    def init(self):
        self.start = datetime.datetime(2000, 1, 1)

    def next(self):
        if len(self.data) < self.window:
            return
        closes = list(self.data.Close[-self.window:])
        mu = statistics.mean(closes)
        sd = statistics.pstdev(closes)
        ts = self.data.index[-1]
        if ts.weekday() == 0 and self.data.Close[-1] < mu - 0.5 * sd and not self.position:
            self.buy()
        elif self.position and (ts - self.trades[-1].entry_time) > datetime.timedelta(days=7):
            self.position.close()
