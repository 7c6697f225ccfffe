"""The review's runs shared between checks give exactly what separate runs give.

The look-ahead check's full run (the recorder-instrumented code, in the same multi-frame
sandbox call as its probes) IS the base run, and the search grid's sets ride in that
call on the same frame. Guards: that full run's result equals a plain single run of the
code (stats, every trade, every equity point, the code hash, what it printed), each grid
result equals the plain batch's, the whole evaluation (every evidence number, every
report section but the look-ahead's) equals the one with the look-ahead check off
(where the base and the grid are separate plain runs), with one sandbox call fewer per
review, and a strategy the recorder breaks is still evaluated on its plain run.
"""

from __future__ import annotations

import itertools
from typing import Any

import pandas as pd
import pytest

from agents.research import lookahead
from agents.research.config import parse_config
from agents.research.evaluate import evaluate_candidate
from agents.research.runners import inprocess_runner, run_many, sandbox_runner
from executor.synthetic import synthetic_ohlcv
from tests.agents.research.cases import OPTS, SMA_CROSS

FIELDS = ("status", "stats", "trades", "equity_curve", "code_sha256", "stdout_tail", "error")

PRINTS = SMA_CROSS + '''

class Loud(SmaCross):
    def next(self):
        super().next()
        if len(self.data) % 97 == 0:
            print("bar", len(self.data))
'''

# the recorder subclass breaks it (it insists on being the class the harness runs)
PICKY = SMA_CROSS.replace("    def init(self):\n", "    def init(self):\n"
                          "        assert type(self).__name__ == 'SmaCross', 'subclassed'\n", 1)


class Counting:
    """Counts single runs, batches and multi-frame calls of the wrapped runner."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.single, self.batches, self.jobs_calls = inner, 0, 0, 0

    def __call__(self, code: str, data: pd.DataFrame, params: dict[str, Any],
                 options: Any = None) -> Any:
        self.single += 1
        return self.inner(code, data, params, options)

    def batch(self, code: str, data: pd.DataFrame, sets: list[dict[str, Any]],
              options: Any = None) -> list[Any]:
        self.batches += 1
        return run_many(self.inner, code, data, sets, options)

    def jobs(self, code: str, todo: list[Any], options: Any = None) -> list[Any]:
        self.jobs_calls += 1
        return self.inner.jobs(code, todo, options)

    @property
    def calls(self) -> int:
        return self.single + self.batches + self.jobs_calls


def same(a: Any, b: Any) -> None:
    for f in FIELDS:
        assert getattr(a, f) == getattr(b, f), f


GRID = [{"n1": a, "n2": b} for a, b in itertools.product([5, 10], [20, 40])]


@pytest.mark.parametrize("code", [SMA_CROSS, PRINTS], ids=["silent", "prints"])
def test_probe_full_run_and_grid_equal_plain_sandbox_runs(code: str) -> None:
    data = synthetic_ohlcv(700, freq="1D", seed=11)
    box = sandbox_runner("local", OPTS)
    calls = Counting(box)
    got = lookahead.probe(code, data, {"n1": 10, "n2": 20}, calls, options=OPTS, extra=GRID)
    assert (calls.jobs_calls, calls.single, calls.batches) == (1, 0, 0)
    assert got.findings == [] and got.full is not None and got.full.ok
    same(got.full, box(code, data, {"n1": 10, "n2": 20}, OPTS))
    assert len(got.full.trades) > 5 and len(got.full.equity_curve) == len(data)
    assert ("bar 97" in got.full.stdout_tail) == (code is PRINTS)
    assert "@rbi-" not in got.full.stdout_tail
    for a, b in zip(got.extra, box.batch(code, data, GRID, OPTS), strict=True):  # type: ignore[attr-defined]
        same(a, b)


def test_recorder_breaking_the_run_falls_back_to_plain_runs() -> None:
    data = synthetic_ohlcv(500, freq="1D", seed=12)
    run = inprocess_runner(OPTS)
    got = lookahead.probe(PICKY, data, {}, Counting(run), options=OPTS, extra=GRID)
    assert got.full is not None and got.full.ok and got.findings == []
    same(got.full, run(PICKY, data, {}, OPTS))
    for a, p in zip(got.extra, GRID, strict=True):
        same(a, run(PICKY, data, p, OPTS))


def _evaluate(lookahead_on: bool, calls: Counting) -> Any:
    from agents.research.thresholds import load_thresholds

    cfg = parse_config({"robustness": {
        "lookahead": {"enabled": lookahead_on, "cuts": [0.5, 0.9]}, "random_data": {"walks": 3}, "monte_carlo": {"paths": 500},
        "walk_forward": {"folds": 3}, "pbo": {"blocks": 8},
        "regimes": {"enabled": False}}}).robustness
    # every gate passes, so every check (and the costs' repeat of the base) runs
    th = load_thresholds(overrides={"kill": {"min_dsr": 0.0, "max_pbo": 1.0,
                                             "min_alpha_psr": 0.0, "max_reality_check_p": 1.0,
                                             "min_wf_psr": 0.0, "random_data_alpha": 0.0}})
    data = synthetic_ohlcv(900, freq="1D", seed=5)
    return evaluate_candidate(SMA_CROSS, {"n1": 10, "n2": 20}, data, calls, grid=GRID,
                              n_trials=len(GRID), options=OPTS, robustness_cfg=cfg,
                              thresholds=th, seed=1)


def test_evaluation_with_shared_runs_equals_separate_runs() -> None:
    shared, separate = Counting(inprocess_runner(OPTS)), Counting(inprocess_runner(OPTS))
    a, b = _evaluate(True, shared), _evaluate(False, separate)
    da, db = a.to_dict(), b.to_dict()
    da["report"].pop("lookahead")
    assert "costs" in da["report"] and "walk_forward" in da["report"]  # every check ran
    assert da["report"] == db["report"]
    assert da["evidence"].pop("lookahead_findings") == []
    assert da["evidence"] == {k: v for k, v in db["evidence"].items()
                              if k != "lookahead_findings"}
    # (the decisions differ only because approval requires the look-ahead evidence)
    # separate: the base run and the grid's batch; shared: neither (both in the probes'
    # multi-frame call), and the cost check's base scenario still reuses the base
    assert separate.single - shared.single == 1
    assert separate.batches - shared.batches >= 1
    assert shared.jobs_calls - separate.jobs_calls == 1
