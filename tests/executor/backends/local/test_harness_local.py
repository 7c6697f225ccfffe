"""The harness through the real local sandbox: golden equality, errors, integrity, script mode."""

from __future__ import annotations

import math

import pytest
from backtesting import Backtest

from executor.backends.local.sandbox import LocalSandbox
from executor.types import BacktestOptions, Limits, RunRequest
from tests.conftest import read_strategy

GOLDEN_OPTS = BacktestOptions(cash=10_000, commission=0.002, exclusive_orders=True)


@pytest.fixture(scope="module")
def sandbox():
    return LocalSandbox()


def _req(code, data, **kw):
    kw.setdefault("options", GOLDEN_OPTS)
    kw.setdefault("limits", Limits(timeout_s=60))
    return RunRequest(code=code, data=data, **kw)


def _in_process(code, data, params=None):
    ns: dict = {}
    exec(compile(code, "strategy.py", "exec"), ns)
    from backtesting import Strategy

    cls = [v for v in ns.values() if isinstance(v, type) and issubclass(v, Strategy) and v is not Strategy][-1]
    return Backtest(data, cls, cash=10_000, commission=0.002, exclusive_orders=True).run(**(params or {}))


def _same(a, b):
    if a is None or b is None:
        return a is None and (b is None or (isinstance(b, float) and math.isnan(b)))
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def test_golden_sma_cross_equals_in_process(sandbox, goog):
    from executor.harness.statsjson import stats_to_json

    code = read_strategy("sma_cross.py")
    res = sandbox.run(_req(code, goog))
    assert res.status == "ok", res.error
    expected = stats_to_json(_in_process(code, goog))
    assert res.stats["# Trades"] == 93
    assert round(res.stats["Return [%]"], 3) == 462.635
    for key, value in expected.items():
        assert _same(res.stats.get(key), value), key
    assert res.stats_source == "replay"
    assert res.code_sha256 and res.data_sha256
    assert res.trades and len(res.trades) == 93
    assert res.equity_curve
    assert res.timings["run_s"] > 0 and res.resources["peak_rss_mb"] > 0


def test_batch_equals_one_by_one(sandbox, goog):
    code = read_strategy("sma_cross.py")
    sets = [{"n1": 5, "n2": 15}, {"n1": 10, "n2": 30}, {"n1": 20, "n2": 50}]
    batch = sandbox.run_batch(_req(code, goog, param_sets=sets))
    singles = [sandbox.run(_req(code, goog, params=p)) for p in sets]
    assert [r.params for r in batch] == sets
    for b, s in zip(batch, singles, strict=True):
        assert b.status == s.status == "ok"
        assert b.stats == s.stats


def test_exception_in_next_reports_type_line_and_class(sandbox, goog):
    code = read_strategy("sma_cross.py").replace("self.buy()", "self.buy(size=-3)")
    line = next(i for i, t in enumerate(code.splitlines(), 1) if "size=-3" in t)
    res = sandbox.run(_req(code, goog))
    assert res.status == "error"
    assert res.error["line"] == line
    assert res.error["class"] == "size_assertion"
    assert "strategy.py" in res.error["traceback"]


def test_exception_in_init_has_the_real_cause(sandbox, goog):
    code = read_strategy("sma_cross.py").replace("self.n1)", "self.n1, 'bogus', 3)")
    res = sandbox.run(_req(code, goog))
    assert res.status == "error"
    assert res.error["class"] == "indicator_error"
    assert res.error["cause"]["type"] == "TypeError"


def test_zero_trades_is_ok_but_degenerate(sandbox, goog):
    code = read_strategy("sma_cross.py").replace("self.buy()", "pass").replace("self.sell()", "pass")
    res = sandbox.run(_req(code, goog))
    assert res.status == "ok"
    assert res.stats["# Trades"] == 0
    assert res.degenerate == "zero_trades"


def test_data_tampering_is_detected(sandbox, goog):
    res = sandbox.run(_req(read_strategy("tamper_data.py"), goog))
    # the data is read-only (the write fails) or its numbers differ from the replay's
    assert res.status in ("tampered", "error"), (res.status, res.error)


def test_engine_monkeypatch_is_detected(sandbox, goog):
    res = sandbox.run(_req(read_strategy("tamper_engine.py"), goog))
    # the patched compute_stats never produces the result (the host replays the orders)
    assert res.status in ("tampered", "error"), (res.status, res.error)


def test_fake_stats_on_stdout_are_ignored(sandbox, goog):
    res = sandbox.run(_req(read_strategy("fake_stdout.py"), goog))
    assert res.status == "ok"
    assert res.stats["# Trades"] == 0
    assert "99999" in res.stdout_tail  # printed, but never taken as the result


def test_script_mode_parses_stdout_and_maps_the_csv(sandbox):
    from backtesting.test import BTCUSD

    res = sandbox.run(_req(read_strategy("script_style.py"), BTCUSD, script=True,
                           options=BacktestOptions()))
    assert res.status == "unverified", res.error  # printed stats: never ok
    assert not res.ok
    assert res.stats_source == "stdout"
    assert res.stats["# Trades"] > 0
    assert "Return [%]" in res.stats
    assert "/Users/someone/Dropbox/data/BTC-USD-15m.csv" in res.artifacts["mapped_paths"]


def test_params_unknown_to_the_strategy_fail_clearly(sandbox, goog):
    res = sandbox.run(_req(read_strategy("sma_cross.py"), goog, params={"nope": 1}))
    assert res.status == "error"
    assert "nope" in res.error["message"]
