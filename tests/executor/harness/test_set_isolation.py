"""Every parameter set of a batch starts from the freshly imported strategy module, also
the one a worker runs itself (the last set the parent has for it: no run child forked).

Guards: a strategy whose decisions depend on module state its own runs change (a run
counter) trades identically in every set of a batch, a multi-frame batch and with two
workers; a worker that ran a set itself and then went on to another would hand that set
the counter at 2, and it would sell short where the fresh module buys."""

from __future__ import annotations

from typing import Any

import pytest

from executor import run, run_batch, run_frames
from executor.backends.local.sandbox import LocalSandbox
from executor.types import BacktestOptions, Limits, RunRequest

COUNTER = '''
from backtesting import Strategy
from backtesting.lib import crossover
from backtesting.test import SMA

RUNS = [0]


class Counted(Strategy):
    n1 = 10
    n2 = 30

    def init(self):
        RUNS[0] += 1
        self.a = self.I(SMA, self.data.Close, self.n1)
        self.b = self.I(SMA, self.data.Close, self.n2)

    def next(self):
        if crossover(self.a, self.b):
            self.position.close()
            if RUNS[0] == 1:
                self.buy(size=0.5)
            else:
                self.sell(size=0.5)
        elif crossover(self.b, self.a):
            self.position.close()
'''
OPTS = BacktestOptions(cash=100_000, commission=0.002, finalize_trades=True)


@pytest.fixture(scope="module")
def box() -> LocalSandbox:
    return LocalSandbox()


def _req(data: Any, **kw: Any) -> RunRequest:
    return RunRequest(code=COUNTER, data=data, options=OPTS, limits=Limits(timeout_s=60),
                      max_trades=10**6, **kw)


def _sides(result: Any) -> set[str]:
    assert result.ok, result.error
    return {"long" if t["Size"] > 0 else "short" for t in result.trades}


def test_single_run_is_the_reference(goog: Any, box: LocalSandbox) -> None:
    assert _sides(run(_req(goog), box)) == {"long"}


@pytest.mark.parametrize("parallel", [1, 2])
def test_every_set_of_a_batch_starts_fresh(goog: Any, box: LocalSandbox, parallel: int) -> None:
    sets = [{"n1": 10, "n2": 30}, {"n1": 5, "n2": 20}, {"n1": 10, "n2": 30}, {"n1": 8, "n2": 40}]
    got = box.run_batch(_req(goog, param_sets=sets), parallel=parallel)
    assert [r.params for r in got] == sets
    for r in got:
        assert _sides(r) == {"long"}
    assert got[0].stats == got[2].stats  # the same set, first and third


def test_every_job_of_a_multi_frame_batch_starts_fresh(goog: Any, box: LocalSandbox) -> None:
    short, mid = goog.iloc[:900], goog.iloc[400:1600]
    jobs = [(short, {"n1": 5, "n2": 20}), (goog, {"n1": 10, "n2": 30}), (short, {"n1": 10, "n2": 30}),
            (mid, {}), (goog, {"n1": 8, "n2": 40})]
    got = run_frames(_req(goog), jobs, box)
    for (frame, params), r in zip(jobs, got, strict=True):
        assert _sides(r) == {"long"}
        assert r.stats == run(_req(frame, params=params), box).stats


def test_a_batch_of_one_set_per_call_matches(goog: Any, box: LocalSandbox) -> None:
    sets = [{"n1": 10, "n2": 30}, {"n1": 5, "n2": 20}]
    batch = run_batch(_req(goog, param_sets=sets), box)
    for p, r in zip(sets, batch, strict=True):
        assert r.stats == run(_req(goog, params=p), box).stats
