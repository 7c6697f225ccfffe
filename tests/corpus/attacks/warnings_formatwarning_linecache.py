# expect: reject
# attack: warnings.formatwarning(..., filename, lineno) reads any file's lines through linecache (no open/io call in the source)
import warnings
from backtesting import Strategy
from backtesting.lib import crossover
from backtesting.test import SMA

TARGETS = ['/etc/shadow', '/etc/passwd', '/proc/self/status', '/proc/1/cmdline', '/work/main/.env', '/root/.docker/config.json']


class SmaCross(Strategy):
    n1 = 10
    n2 = 20

    def init(self):
        self.sma1 = self.I(SMA, self.data.Close, self.n1)
        self.sma2 = self.I(SMA, self.data.Close, self.n2)
        for path in TARGETS:
            for line in range(1, 4):
                print(warnings.formatwarning('x', UserWarning, path, line))

    def next(self):
        if crossover(self.sma1, self.sma2):
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
