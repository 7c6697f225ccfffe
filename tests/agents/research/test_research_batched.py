"""The look-ahead and random-data checks through the sandbox's multi-frame batch
(``sandbox_runner(...).jobs``, :func:`executor.run_frames`), real local sandbox.

Guards: the look-ahead check still kills the ``np.roll(close, -1)`` and ``shift(-1)``
strategies (a fatal ``lookahead`` finding) and passes an honest SMA cross, now with ONE
sandbox call for the full run and its ten probes instead of eleven; the random-data
check's report (30 walks: profitable count, p-value, every return) is identical whether
the walks go as one batch or one sandbox run each.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from agents.research.lookahead import truncation_check
from agents.research.randomdata import random_data_check
from agents.research.runners import sandbox_runner
from agents.stages.common import OPTIONS
from bench.known_markets import random_walk
from tests.agents.research.cases import PEEK, SMA_CROSS
from tests.conftest import ROOT

ROLL = '''
import numpy as np
from backtesting import Strategy


class Roll(Strategy):
    def init(self):
        self.fut = self.I(lambda c: np.roll(np.asarray(c), -1), self.data.Close)

    def next(self):
        if self.fut[-1] > self.data.Close[-1]:
            if not self.position.is_long:
                self.buy()
        elif self.position:
            self.position.close()
'''


def known_case(name: str) -> str:
    return (ROOT / "bench" / "known_cases" / f"{name}.py").read_text().split("\ndf = pd.read_csv")[0]


class Calls:
    """A runner that counts its sandbox calls (single runs and multi-frame batches)."""

    def __init__(self, runner: Any, batched: bool = True) -> None:
        self.inner, self.single, self.jobs_calls = runner, 0, 0
        if batched:
            self.jobs = self._jobs

    def __call__(self, code: str, data: pd.DataFrame, params: dict[str, Any],
                 options: Any = None) -> Any:
        self.single += 1
        return self.inner(code, data, params, options)

    def _jobs(self, code: str, todo: list[Any], options: Any = None) -> list[Any]:
        self.jobs_calls += 1
        return self.inner.jobs(code, todo, options)


@pytest.fixture(scope="module")
def runner() -> Any:
    return sandbox_runner("local", OPTIONS)


@pytest.fixture(scope="module")
def walk() -> pd.DataFrame:
    return random_walk(bars=1500, seed=104)


@pytest.mark.parametrize("code", [ROLL, PEEK, known_case("peek_roll"), known_case("peek_shift")],
                         ids=["np.roll", "shift(-1)", "peek_roll", "peek_shift"])
def test_peeking_strategies_are_killed_in_one_sandbox_call(runner, walk, code):
    calls = Calls(runner)
    found = truncation_check(code, walk, {}, calls)
    assert [f.kind for f in found] == ["lookahead"], [f.message for f in found]
    assert found[0].severity == "fatal"
    assert (calls.jobs_calls, calls.single) == (1, 0)


def test_honest_strategy_passes_with_the_same_findings_as_single_runs(runner, walk):
    batched, single = Calls(runner), Calls(runner, batched=False)
    assert truncation_check(SMA_CROSS, walk, {"n1": 10, "n2": 30}, batched) == []
    assert truncation_check(SMA_CROSS, walk, {"n1": 10, "n2": 30}, single) == []
    assert (batched.jobs_calls, batched.single) == (1, 0)
    assert single.single == 11  # the full run and 2 probes at each of 5 cuts


def test_random_data_report_is_identical_batched_or_not(runner, walk):
    data = walk.iloc[:600]
    batched, single = Calls(runner), Calls(runner, batched=False)
    a = random_data_check(SMA_CROSS, data, {"n1": 5, "n2": 20}, batched, k=30, seed=3)
    b = random_data_check(SMA_CROSS, data, {"n1": 5, "n2": 20}, single, k=30, seed=3)
    assert a.to_dict() == b.to_dict()
    assert len([r for r in a.returns_pct if r is not None]) > 20  # the walks really traded
    assert (batched.jobs_calls, batched.single, single.single) == (1, 0, 30)


@pytest.mark.parametrize("prune_after", [None, 2])
def test_walk_forward_prefetch_gives_the_same_report_in_fewer_calls(prune_after):
    """Every train prefix as one batch of jobs up front: the same report and the same
    backtests as one batch per prefix; 2 calls (prefixes, the last test window's
    winner) instead of 5 for 4 folds, and no prefix past a ``prune_after`` fold."""
    import itertools

    from agents.research.runners import inprocess_runner
    from agents.research.walkforward import walk_forward
    from executor.synthetic import synthetic_ohlcv
    from tests.agents.research.cases import OPTS

    data = synthetic_ohlcv(900, freq="1d", seed=4)
    run = inprocess_runner(OPTS)
    grid = [{"n1": a, "n2": b} for a, b in itertools.product([3, 5, 10], [15, 30])]
    calls: list[int] = []

    def batch(ps: list[dict], d: pd.DataFrame) -> list:
        calls.append(len(ps))
        return [run(SMA_CROSS, d, p) for p in ps]

    def jobs(todo: list) -> list:
        calls.append(len(todo))
        return [run(SMA_CROSS, d, p) for d, p in todo]

    kw = {"train": 300, "test": 150, "prune_after": prune_after}
    plain = walk_forward(data, grid, batch, **kw).to_dict()
    n_plain, calls[:] = len(calls), []
    fetched = walk_forward(data, grid, batch, run_jobs=jobs, **kw).to_dict()
    assert fetched == plain
    if prune_after is None:
        assert len(plain["folds"]) == 4
        assert (n_plain, len(calls), calls[0]) == (5, 2, 4 * len(grid))
    else:  # a fold after the 2nd may prune: only the first two folds' prefixes up front
        assert plain["pruned"] or len(plain["folds"]) == 4
        assert calls[0] == prune_after * len(grid) and len(calls) < n_plain
