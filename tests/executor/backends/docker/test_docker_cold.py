"""A one-shot (cold) container imports only what every run needs (``lean``, see
executor/harness/preload.py); what a strategy needs beyond that is loaded when the
request names it, or by the strategy itself. These runs prove nothing is missing:
talib and ``backtesting.test`` strategies run, a restricted run is still compiled and
guarded by RestrictedPython, and the hash of the data the run used is the frame's.
The validator is bypassed (``sandbox.run``), so the guards are what refuses."""

from __future__ import annotations

import pytest

from executor.harness.protocol import frame_sha256
from executor.types import BacktestOptions, Limits, RunRequest
from tests.conftest import read_strategy, require_docker

pytestmark = pytest.mark.docker
OPTS = BacktestOptions(cash=10_000, commission=0.002, exclusive_orders=True)
LIMITS = Limits(timeout_s=60)

TALIB = '''
import talib
from backtesting import Strategy
from backtesting.lib import crossover


class TalibCross(Strategy):
    def init(self):
        self.fast = self.I(talib.SMA, self.data.Close, 10)
        self.slow = self.I(talib.SMA, self.data.Close, 20)

    def next(self):
        if crossover(self.fast, self.slow):
            self.buy()
        elif crossover(self.slow, self.fast):
            self.sell()
'''

# a dunder: RestrictedPython refuses to compile it; plain Python runs it
DUNDER = '''
from backtesting import Strategy


class Dunder(Strategy):
    def init(self):
        self.kinds = len(().__class__.__subclasses__())

    def next(self):
        pass
'''


@pytest.fixture(scope="module")
def sandbox():
    box = require_docker()
    assert box.pool is None  # every run below starts its own (cold, lean) container
    return box


def test_a_cold_run_imports_the_core_only_and_reports_its_start_phases(sandbox, goog):
    res = sandbox.run(RunRequest(code=read_strategy("sma_cross.py"), data=goog, options=OPTS,
                                 limits=LIMITS, restricted=False))
    assert res.status == "ok", res.error
    assert res.stats["# Trades"] == 93
    assert res.data_sha256 == frame_sha256(goog)  # from the wire bytes, without a decode
    # the harness parent never loaded what this strategy does not name
    assert "talib" not in res.versions and "RestrictedPython" not in res.versions
    t = res.timings
    # the container's python may start before the daemon's start call returns to us: it
    # starts after that call began (one monotonic clock, host and container)
    began = t["t_docker_started"] - t["docker_start_s"]
    assert began <= t["t_py_start"] < t["t_preimported"] <= t["t_request_start"]


def test_a_talib_strategy_runs_in_a_cold_container(sandbox, goog):
    res = sandbox.run(RunRequest(code=TALIB, data=goog, options=OPTS, limits=LIMITS,
                                 restricted=False))
    assert res.status == "ok", res.error
    assert res.stats["# Trades"] == 93  # talib.SMA and backtesting.test's SMA agree


def test_a_restricted_run_is_still_compiled_by_restricted_python(sandbox, goog):
    ok = sandbox.run(RunRequest(code=read_strategy("sma_cross.py"), data=goog, options=OPTS,
                                limits=LIMITS, restricted=True))
    assert ok.status == "ok", ok.error
    assert ok.stats["# Trades"] == 93
    refused = sandbox.run(RunRequest(code=DUNDER, data=goog, options=OPTS, limits=LIMITS,
                                     restricted=True))
    assert refused.status == "error"
    assert refused.error["type"] == "SyntaxError" and "__subclasses__" in refused.error["message"]
    plain = sandbox.run(RunRequest(code=DUNDER, data=goog, options=OPTS, limits=LIMITS,
                                   restricted=False))
    assert plain.status == "ok", plain.error  # the refusal above came from the guards


def test_a_restricted_talib_batch_runs_on_workers_the_parent_forks(sandbox, goog):
    """Two sets, two at a time: the parent forks a worker itself (besides the spare), after
    loading what the code names (talib) and RestrictedPython for it."""
    req = RunRequest(code=TALIB, data=goog, options=OPTS, limits=Limits(timeout_s=60, cpus=2),
                     restricted=True, param_sets=[{}, {}, {}])
    results = sandbox.run_batch(req, parallel=2)
    assert [r.status for r in results] == ["ok"] * 3, [r.error for r in results]
    assert {r.stats["# Trades"] for r in results} == {93}
    assert "talib" in results[0].versions and "RestrictedPython" in results[0].versions


# backtesting.test's data, read by the strategy: the stand-in of a one-shot container
# (executor/harness/lazy_testdata.py) hands over to the real module
DATA_USER = '''
from backtesting import Strategy
from backtesting.test import GOOG, SMA


class UsesData(Strategy):
    def init(self):
        if len(GOOG) != 2148 or float(GOOG.Close.iloc[-1]) != 806.19:
            raise ValueError("backtesting.test.GOOG is not the real data")
        self.sma = self.I(SMA, self.data.Close, 10)

    def next(self):
        pass
'''


@pytest.mark.parametrize("restricted", [False, True])
def test_backtesting_test_data_reads_the_real_module_in_a_cold_container(sandbox, goog, restricted):
    res = sandbox.run(RunRequest(code=DATA_USER, data=goog, options=OPTS, limits=LIMITS,
                                 restricted=restricted))
    assert res.status == "ok", res.error
