"""Docker multi-frame batches: ONE container runs the code on every frame, and each job's
result equals the single run on its frame (stats, trades, equity, data hash)."""

from __future__ import annotations

import pytest

from executor import run, run_frames
from executor.types import BacktestOptions, Limits, RunRequest
from tests.conftest import read_strategy, require_docker

pytestmark = pytest.mark.docker
OPTS = BacktestOptions(cash=100_000, commission=0.002, finalize_trades=True)


@pytest.fixture(scope="module")
def sandbox():
    return require_docker()


def _req(data, **kw):
    return RunRequest(code=read_strategy("sma_cross.py"), data=data, options=OPTS,
                      limits=Limits(timeout_s=60), max_trades=10**6, equity_points=10**6, **kw)


def test_one_container_gives_the_single_runs_results(sandbox, goog):
    short, mid = goog.iloc[:700], goog.iloc[300:1500]
    jobs = [(short, {"n1": 5, "n2": 15}), (goog, {"n1": 10, "n2": 30}),
            (mid, {"n1": 10, "n2": 30}), (short, {"n1": 20, "n2": 50})]
    got = run_frames(_req(goog), jobs, sandbox)
    assert len({r.isolation["container"] for r in got}) == 1  # one container for all
    singles = [run(_req(d, params=p), sandbox) for d, p in jobs]
    for a, b in zip(got, singles, strict=True):
        assert a.status == b.status == "ok", (a.error, b.error)
        assert a.backend == "docker" and a.params == b.params
        assert a.stats == b.stats and a.trades == b.trades
        assert a.equity_curve == b.equity_curve and a.data_sha256 == b.data_sha256
    assert len({r.data_sha256 for r in got}) == 3
