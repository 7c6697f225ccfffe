"""Results one stage ran, kept for the stage that runs them again (agents.stages.runcache).

Guards: the optimiser's search batch asks for exactly what the review's grid asks for
(same cache keys), and its results, run for real in the local sandbox, equal the
review runner's own batch (stats, every trade, every equity point); an evaluation fed
the kept grid equals one that runs it (every evidence number, every report section) with
no grid run at all; a kept result comes back as a copy with the new run id, a failed
run is never kept, and the cache stays bounded.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import pytest

from agents.research.evaluate import evaluate_candidate
from agents.research.runners import inprocess_runner, sandbox_runner
from agents.stages import runcache
from agents.stages.common import OPTIONS
from agents.stages.optimise import trial_request
from executor import run_batch
from executor.synthetic import synthetic_ohlcv
from executor.types import RunResult
from tests.agents.research.cases import OPTS, SMA_CROSS

GRID = [{"n1": a, "n2": b} for a, b in itertools.product([5, 10], [20, 40])]
FIELDS = ("status", "stats", "trades", "equity_curve", "code_sha256", "data_sha256")


@pytest.fixture(autouse=True)
def empty_cache() -> Any:
    runcache.clear()
    yield
    runcache.clear()


def test_the_search_batch_is_the_review_grid_run_for_real() -> None:
    data = synthetic_ohlcv(600, freq="1D", seed=21)
    review = sandbox_runner("local", OPTIONS, seed=0)
    search = trial_request(SMA_CROSS, data, GRID, OPTIONS, 0, "X", "e1-opt")
    asked = review.request(SMA_CROSS, data, GRID, OPTIONS)  # type: ignore[attr-defined]
    assert runcache.keys(search, GRID) == runcache.keys(asked, GRID)
    got = run_batch(search, "local")
    ran = review.batch(SMA_CROSS, data, GRID, OPTIONS)  # type: ignore[attr-defined]
    assert all(r.ok for r in got) and sum(len(r.trades) for r in got) > 20
    for a, b in zip(got, ran, strict=True):
        for f in FIELDS:
            assert getattr(a, f) == getattr(b, f), f
        assert len(a.equity_curve) == len(data)


class Known:
    """An in-process runner with a ``known`` over results it ran before (the cache's
    role in the stage runner), counting grid batches and multi-frame jobs."""

    def __init__(self, kept: dict[str, list[Any]] | None) -> None:
        self.inner, self.kept, self.jobs_run = inprocess_runner(OPTS), kept, 0
        if kept is not None:
            self.known = lambda code, data, sets, options=None: kept.get(repr(sets))

    def __call__(self, code: str, data: Any, params: dict[str, Any], options: Any = None) -> Any:
        return self.inner(code, data, params, options)

    def jobs(self, code: str, todo: list[Any], options: Any = None) -> list[Any]:
        self.jobs_run += len(todo)
        return [self.inner(code, d, p, options) for d, p in todo]


def test_an_evaluation_fed_the_kept_grid_equals_one_that_runs_it() -> None:
    from agents.research.config import parse_config
    from agents.research.splits import split_frame

    data = synthetic_ohlcv(900, freq="1D", seed=5)
    cfg = parse_config({"robustness": {"lookahead": {"cuts": [0.5, 0.9]},
                                       "random_data": {"walks": 3},
                                       "monte_carlo": {"paths": 500},
                                       "walk_forward": {"folds": 3}}}).robustness
    research = split_frame(data).research
    plain = inprocess_runner(OPTS)
    kept = {repr(GRID): [plain(SMA_CROSS, research, p, OPTS) for p in GRID]}
    fed, ran = Known(kept), Known(None)
    kw: dict[str, Any] = {"grid": GRID, "n_trials": 4, "options": OPTS, "robustness_cfg": cfg}
    a = evaluate_candidate(SMA_CROSS, {"n1": 10, "n2": 20}, data, fed, **kw).to_dict()
    b = evaluate_candidate(SMA_CROSS, {"n1": 10, "n2": 20}, data, ran, **kw).to_dict()
    assert "pbo" in a["report"] and a["evidence"]["reality_check_p"] is not None
    assert a == b
    assert ran.jobs_run - fed.jobs_run == len(GRID)  # the grid rode in the probes' call


def test_kept_results_are_copies_and_failures_are_not_kept() -> None:
    data = synthetic_ohlcv(50, freq="1D", seed=1)
    req = trial_request(SMA_CROSS, data, GRID[:2], OPTIONS, 0)
    k_ok, k_bad = runcache.keys(req, GRID[:2])
    assert k_ok != k_bad
    runcache.put(k_ok, RunResult(status="ok", stats={"Sharpe Ratio": 1.0}, run_id="a"))
    runcache.put(k_bad, RunResult(status="timeout"))
    got = runcache.get(k_ok, "b")
    assert got is not None and got.run_id == "b" and runcache.get(k_bad) is None
    got.stats["Execution model"] = "x"  # a stage labelling its copy
    assert runcache.get(k_ok).stats == {"Sharpe Ratio": 1.0}  # type: ignore[union-attr]
    other = trial_request(SMA_CROSS, data.iloc[:-1], GRID[:2], OPTIONS, 0)
    assert runcache.keys(other, GRID[:1]) != [k_ok]  # another frame: another run
    for i in range(runcache.MAX_RESULTS + 5):
        runcache.put((str(i),), RunResult(status="ok"))
    assert runcache.size() == runcache.MAX_RESULTS and runcache.get(k_ok) is None
    row = {"time": "t", "Equity": 1.0, "DrawdownPct": 0.0}
    big = RunResult(status="ok", equity_curve=[row] * (runcache.MAX_ROWS // 5))
    runcache.put(("huge",), replace(big, equity_curve=[row] * runcache.MAX_ROWS))
    assert runcache.get(("huge",)) is None  # a run on a very long frame is not kept
    for i in range(6):
        runcache.put(("big", str(i)), big)
    assert runcache.get(("big", "0")) is None and runcache.get(("big", "5")) is not None
    assert runcache.size() <= runcache.MAX_RESULTS  # rows bound: 4 big ones and a few small


def test_a_second_review_of_a_version_runs_nothing_again(tmp_path: Any) -> None:
    """The stage runner keeps every multi-frame job (look-ahead probes, random walks,
    the grid riding along): a version's final review, evaluating the same code,
    parameters and frames as its first, gets the same report without a sandbox call."""
    from agents.research.config import parse_config
    from agents.research.thresholds import load_thresholds
    from agents.stages.evaluation import _runner
    from agents.store import Store
    from tests.helpers import make_ctx, stage_settings

    cfg = parse_config({"robustness": {
        "lookahead": {"cuts": [0.5, 0.9]}, "random_data": {"walks": 3},
        "monte_carlo": {"paths": 500}, "walk_forward": {"enabled": False},
        "costs": {"enabled": False}, "stability": {"enabled": False},
        "regimes": {"enabled": False}}}).robustness
    th = load_thresholds(overrides={"kill": {"min_dsr": 0.0, "max_pbo": 1.0,
                                             "min_alpha_psr": 0.0, "max_reality_check_p": 1.0,
                                             "random_data_alpha": 0.0}})
    data = synthetic_ohlcv(700, freq="1D", seed=8)
    settings = stage_settings(tmp_path)
    with Store(settings.db) as store:
        ctx = make_ctx(store, settings, "review", {"strategy_id": 1, "version_id": 1})
        count = {"calls": 0, "runs": 0}
        run = _runner(ctx, count, OPTIONS)
        reviews = []
        for _ in range(2):
            ev = evaluate_candidate(SMA_CROSS, {"n1": 10, "n2": 20}, data, run, grid=GRID,
                                    n_trials=4, options=OPTIONS, robustness_cfg=cfg,
                                    thresholds=th, seed=0)
            reviews.append((ev.to_dict(), dict(count)))
    (first, after_first), (second, after_second) = reviews
    assert "random_data" in first["report"] and "pbo" in first["report"]  # all of it ran
    assert first == second
    # first: one call (full run, 4 probes, 4 grid sets) + one for the 3 walks
    assert after_first == {"calls": 2, "runs": 1 + 4 + 4 + 3}
    assert after_second == after_first  # nothing ran again
