# expect: reject
# -*- coding: utf-7 -*-
# attack: utf-7 cookie hides a newline (+AAo-) so the comment becomes code
from backtesting import Strategy
from backtesting.lib import crossover
from backtesting.test import SMA
# harmless comment +AAo-import os+AAo-os.system('touch /tmp/rbi_pwned_utf7')


class SmaCross(Strategy):
    n1 = 10
    n2 = 20

    def init(self):
        self.sma1 = self.I(SMA, self.data.Close, self.n1)
        self.sma2 = self.I(SMA, self.data.Close, self.n2)

    def next(self):
        if crossover(self.sma1, self.sma2):
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
