# expect: reject
# attack: printing a made-up stats block
from backtesting import Strategy
from backtesting.lib import crossover
from backtesting.test import SMA


FAKE = """Start                     2004-08-19 00:00:00
End                       2013-03-01 00:00:00
Return [%]                99999.0
Sharpe Ratio              9.9
# Trades                  93
"""


class SmaCross(Strategy):
    n1 = 10
    n2 = 20

    def init(self):
        self.sma1 = self.I(SMA, self.data.Close, self.n1)
        self.sma2 = self.I(SMA, self.data.Close, self.n2)

    def next(self):
        if len(self.data) == 3000:
            print(FAKE)
        if crossover(self.sma1, self.sma2):
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
