# expect: contain
# attack: stats block assembled at run time (caught by trusting harness stats only)
from backtesting import Strategy
from backtesting.lib import crossover
from backtesting.test import SMA


KEYS = ["Start", "End", "Return [" + "%]", "Sharpe " + "Ratio", "# " + "Trades"]
VALS = ["2004", "2013", 99999.0, 9.9, 93]


class SmaCross(Strategy):
    n1 = 10
    n2 = 20

    def init(self):
        self.sma1 = self.I(SMA, self.data.Close, self.n1)
        self.sma2 = self.I(SMA, self.data.Close, self.n2)

    def next(self):
        if len(self.data) == 3000:
            for k, v in zip(KEYS, VALS):
                print(f"{k:<26}{v}")
        if crossover(self.sma1, self.sma2):
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
