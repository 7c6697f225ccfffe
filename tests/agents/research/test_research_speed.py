"""The fast paths of the research checks give the slow paths' numbers.

* Monte Carlo walked block by block == walked trade by trade (same draws): quantiles,
  P(ruin) (guards review's max_prob_ruin 0.05) and P(loss); and the same report, bit
  for bit, whatever the size of the chunks of paths walked at once.
* One backtest cut at several bars == separate backtests on ``data[:stop]`` (equity
  returns and trade entries, bit for bit), also with stops, targets, limit orders,
  partial closes, a stop inside the warm-up and a strategy that raises late.
* numpy's pct_change == pandas' (window scoring's per-bar returns), NaN, inf and all.
* walk-forward with cuts == walk-forward re-running each fold (the whole report: the
  stitched OOS PSR the kill.min_wf_psr gate reads, OOS efficiency, every fold).
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from agents.research.montecarlo import monte_carlo
from agents.research.runners import inprocess_runner
from agents.research.walkforward import walk_forward
from agents.research.windowstats import run_series, window_stats
from executor.synthetic import synthetic_ohlcv
from tests.agents.research.cases import OPTS, SMA_CROSS

BUSY = '''
from backtesting import Strategy
from backtesting.lib import crossover
from backtesting.test import SMA


class Busy(Strategy):
    n1 = 5
    n2 = 15
    fail_at = 10**9

    def init(self):
        self.fast = self.I(SMA, self.data.Close, self.n1)
        self.slow = self.I(SMA, self.data.Close, self.n2)

    def next(self):
        bar = len(self.data) - 1
        if bar >= self.fail_at:
            raise RuntimeError("late failure")
        price = self.data.Close[-1]
        if crossover(self.fast, self.slow):
            self.buy(size=0.5, sl=price * 0.97, tp=price * 1.05)
            self.buy(size=0.2, limit=price * 0.995)
        elif crossover(self.slow, self.fast):
            self.position.close(0.5)
        if bar % 7 == 0 and self.trades:
            self.trades[-1].close(0.5)
'''


@pytest.mark.parametrize(("n", "block"), [(1, 1), (7, 3), (7, 20), (60, 1), (203, 5)])
def test_monte_carlo_block_walk_equals_the_trade_walk(n: int, block: int) -> None:
    rng = np.random.default_rng(n)
    rets = rng.normal(0.002, 0.08, n)  # deep falls that span several blocks
    fast = monte_carlo(rets, paths=3000, block=block, seed=5, ruin_drawdown=0.3)
    slow = monte_carlo(rets, paths=3000, block=block, seed=5, ruin_drawdown=0.3, by_block=False)
    assert 0 < slow.prob_ruin < 1 or n < 10
    assert fast.prob_ruin == slow.prob_ruin and fast.prob_loss == slow.prob_loss
    for key in slow.final_equity:
        assert fast.final_equity[key] == pytest.approx(slow.final_equity[key], rel=1e-10)
        assert fast.max_drawdown[key] == pytest.approx(slow.max_drawdown[key], rel=1e-10, abs=1e-14)


def test_monte_carlo_gives_the_same_numbers_whatever_the_chunk(monkeypatch) -> None:
    from agents.research import montecarlo

    rets = np.random.default_rng(9).normal(0.001, 0.03, 3001)
    small = monte_carlo(rets, paths=700, block=5, seed=2)
    monkeypatch.setattr(montecarlo, "WALK_CHUNK_ELEMENTS", 1 << 22)  # every path in one chunk
    assert monte_carlo(rets, paths=700, block=5, seed=2) == small


def test_numpy_pct_change_is_pandas_pct_change_bit_for_bit() -> None:
    import pandas as pd

    from agents.research.windowstats import pct_change

    rng = np.random.default_rng(4)
    x = 1e5 * np.cumprod(1 + rng.normal(0, 0.01, 5000))
    x[[10, 11, 400]] = 0.0  # 0 / 0 and x / 0
    x[900] = -3.0
    eq = pd.Series(x, index=pd.date_range("2021-01-01", periods=len(x), freq="1min"), name="E")
    fast, slow = pct_change(eq), eq.pct_change()
    assert fast.index.equals(slow.index) and fast.name == slow.name
    assert np.array_equal(fast.to_numpy(), slow.to_numpy(), equal_nan=True)
    assert np.isinf(fast.to_numpy()).any() and np.isnan(fast.to_numpy()[1:]).any()
    with_gap = eq.copy()
    with_gap.iloc[50] = np.nan  # pandas pads it (and warns): the fallback must too
    with pytest.warns(FutureWarning):
        got = pct_change(with_gap)
    with pytest.warns(FutureWarning):
        assert got.equals(with_gap.pct_change())


def _same(a, b) -> None:
    assert a.ok == b.ok
    assert a.returns.equals(b.returns)
    assert np.array_equal(a.entries, b.entries)


@pytest.mark.parametrize(("code", "params"), [
    (SMA_CROSS, {"n1": 5, "n2": 20}),
    (BUSY, {}),
    (BUSY, {"fail_at": 700}),
])
def test_one_run_cut_at_several_bars_equals_separate_runs(code: str, params: dict) -> None:
    data = synthetic_ohlcv(1000, freq="1d", seed=3)
    run = inprocess_runner(OPTS)
    stops = [10, 300, 555, 699, 701, 999, 1000]  # 10: inside the 20-bar warm-up
    [cut] = run.cuts(code, data, [params], stops)
    for stop in stops:
        alone = run_series(run(code, data.iloc[:stop], params))
        _same(cut[stop], alone)
        assert window_stats(cut[stop], data.index[0]) == window_stats(alone, data.index[0])
    assert cut[555].ok and cut[555].entries.size > 5
    assert cut[701].ok is ("fail_at" not in params)
    # and those stops came from the one run (a failing fast path falls back silently)
    from agents.research.cutruns import cut_runs
    from agents.research.runners import _strategy_class
    from executor import backtest_kwargs_of

    kw = backtest_kwargs_of(replace(OPTS, finalize_trades=True).to_dict())
    got, failed = cut_runs(data, _strategy_class(code, {}), kw, params, stops)
    reached = [s for s in stops if 20 < s <= (700 if "fail_at" in params else 1000)]
    assert sorted(got) == reached
    assert isinstance(failed, Exception) is ("fail_at" in params)


def test_walk_forward_with_cuts_equals_rerunning_each_fold() -> None:
    data = synthetic_ohlcv(1500, freq="1d", seed=4)
    run = inprocess_runner(OPTS)
    grid = [{"n1": a, "n2": b} for a, b in itertools.product([3, 10], [15, 40])]

    def batch(ps: list[dict], d) -> list:
        return [run(SMA_CROSS, d, p) for p in ps]

    def cuts(ps: list[dict], d, stops: list[int]) -> list:
        return run.cuts(SMA_CROSS, d, ps, stops)

    slow = walk_forward(data, grid, batch, train=400, test=200).to_dict()
    fast = walk_forward(data, grid, batch, train=400, test=200, run_cuts=cuts).to_dict()
    assert len(slow["folds"]) == 5 and slow["oos_psr"] is not None
    # per fold: the grid on the train prefix; the test prefix is the next fold's train
    assert slow.pop("backtests") == 5 * len(grid) + 1
    assert fast.pop("backtests") == len(grid)
    assert fast == slow
