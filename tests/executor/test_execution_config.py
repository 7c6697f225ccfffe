"""The execution model per dataset in the settings (``execution:``), what research runs
pay with it, and the label each result carries."""

from __future__ import annotations

from pathlib import Path

import pytest
from backtesting import Backtest
from backtesting.test import GOOG

from agents.errors import ConfigError
from agents.settings import Settings, load_settings
from agents.stages.common import OPTIONS, label_model, options_for
from executor.execution import DEFAULT, _Commission, backtest_kwargs_of
from executor.sandbox import run
from executor.types import RunRequest, RunResult
from tests.conftest import ROOT

SMA = (ROOT / "examples" / "sma_cross.py").read_text()
CONFIG = {"*": "default", "GOOG": "equities",
          "BTC-USD": {"preset": "crypto", "fees": {"kind": "maker_taker", "maker": 0.0002,
                                                    "taker": 0.001}}}


def test_no_config_is_the_default_model_which_is_the_old_0_2_percent() -> None:
    opts = options_for(Settings(), "GOOG")
    assert opts.execution is not None and opts.execution["name"] == "default"
    # 0.15 % fee + 5 bps slippage: the same 0.2 % per fill research always charged, so
    # results before and after this change compare
    assert opts.commission == pytest.approx(OPTIONS.commission) and opts.spread == 0.0
    assert Settings().execution_model("anything") == DEFAULT


def test_each_dataset_gets_its_model() -> None:
    s = Settings(execution=CONFIG)
    btc = options_for(s, "BTC-USD")
    assert btc.execution["name"] == "crypto"
    assert btc.commission == pytest.approx(0.001 + 5e-4)  # taker + slippage: backtests can't tell maker
    assert btc.spread == pytest.approx(2e-4)
    eur = options_for(s, "EURUSD")  # not named: the "*" entry
    assert eur.execution["name"] == "default" and eur.commission == pytest.approx(0.002)
    goog = options_for(s, "GOOG")  # per-share fee with a minimum: no rate, a callable
    assert goog.execution["name"] == "equities" and goog.commission == 0.0
    kw = backtest_kwargs_of(goog.to_dict())
    assert isinstance(kw["commission"], _Commission) and "execution" not in kw
    assert kw["commission"](10, 100.0) == pytest.approx(1.0 + 10 * 100 * 2e-4)  # the $1 minimum
    assert kw["commission"](1000, 100.0) == pytest.approx(5.0 + 1000 * 100 * 2e-4)  # $0.005/share


def test_perfect_fills_and_nonsense_are_refused_in_the_config(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("execution:\n  '*': perfect\n")
    with pytest.raises(ConfigError, match="perfect fills are for the parity check"):
        load_settings(cfg)
    cfg.write_text("execution:\n  GOOG: {preset: crypto, slipage_bps: 3}\n")
    with pytest.raises(ConfigError, match="execution.GOOG: unknown execution model field"):
        load_settings(cfg)


def test_a_cost_stress_still_scales_a_rate_model_and_adds_to_a_per_unit_one() -> None:
    from dataclasses import replace

    s = Settings(execution=CONFIG)
    btc = options_for(s, "BTC-USD")
    assert backtest_kwargs_of(replace(btc, commission=btc.commission * 1.5).to_dict())[
        "commission"] == pytest.approx(0.0015 * 1.5)
    goog = replace(options_for(s, "GOOG"), commission=0.001)
    fee = backtest_kwargs_of(goog.to_dict())["commission"]
    assert fee(1000, 100.0) == pytest.approx(5.0 + 1000 * 100 * (2e-4 + 0.001))


def test_a_sandboxed_run_pays_the_per_unit_model_and_says_so() -> None:
    """The harness and the host's verifying replay both price with the model: the result
    equals an in-process Backtest with the same commission callable."""
    opts = options_for(Settings(execution=CONFIG), "GOOG")
    from dataclasses import replace

    opts = replace(opts, exclusive_orders=True)
    res = run(RunRequest(code=SMA, data=GOOG, options=opts), backend="local")
    assert res.ok, res.error
    ref = Backtest(GOOG, _sma_class(), **backtest_kwargs_of(opts.to_dict())).run()
    assert res.stats["Equity Final [$]"] == pytest.approx(float(ref["Equity Final [$]"]))
    plain = Backtest(GOOG, _sma_class(), cash=opts.cash, exclusive_orders=True,
                     finalize_trades=True).run()
    assert float(ref["Equity Final [$]"]) < float(plain["Equity Final [$]"])  # it did cost
    label_model([res], opts)
    assert res.stats["Execution model"].startswith("equities: 0.005/unit fee (min 1)")


def test_label_skips_failed_runs_and_unpriced_options() -> None:
    failed = RunResult(status="error")
    label_model([failed], options_for(Settings(), "GOOG"))
    assert failed.stats == {}
    ok = RunResult(status="ok", stats={"Return [%]": 1.0})
    label_model([ok], OPTIONS)  # options not priced by a model: nothing to say
    assert "Execution model" not in ok.stats


def _sma_class() -> type:
    ns: dict = {}
    exec(compile(SMA, "sma_cross.py", "exec"), ns)  # noqa: S102 - our own example
    return ns["SmaCross"]
