import backtrader as bt
import pandas as pd


class SmaCrossBT(bt.Strategy):
    params = (('fast', 10), ('slow', 30))

    def __init__(self):
        self.fast = bt.indicators.SMA(self.data.close, period=self.p.fast)
        self.slow = bt.indicators.SMA(self.data.close, period=self.p.slow)
        self.crossover = bt.indicators.CrossOver(self.fast, self.slow)

    def next(self):
        if not self.position and self.crossover > 0:
            self.buy()
        elif self.position and self.crossover < 0:
            self.close()


cerebro = bt.Cerebro()
df = pd.read_csv('/Users/md/data/BTC-USD.csv', index_col=0, parse_dates=True)
cerebro.adddata(bt.feeds.PandasData(dataname=df))
cerebro.addstrategy(SmaCrossBT)
cerebro.broker.setcash(100000)
print('Final value', cerebro.broker.getvalue())
cerebro.run()
