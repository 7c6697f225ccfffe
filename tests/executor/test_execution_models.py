"""Execution models: fee regimes, slippage, spread, latency and partial fills, and their
mapping onto backtesting.py's own knobs (checked against a real Backtest)."""

from __future__ import annotations

import pickle

import pytest
from backtesting import Backtest, Strategy
from backtesting.test import GOOG

from executor.execution import DEFAULT, PERFECT, PRESETS, Fees, Model, model_from


class BuyOnceHold(Strategy):
    def init(self) -> None:
        pass

    def next(self) -> None:
        if len(self.data) == 20:
            self.buy(size=10)
        elif len(self.data) == 120:
            self.position.close()


def _trade(model: Model) -> tuple[float, float, float]:
    stats = Backtest(GOOG, BuyOnceHold, cash=100_000, **model.backtest_kwargs()).run()
    t = stats._trades.iloc[0]
    return float(t.EntryPrice), float(t.ExitPrice), float(stats["Equity Final [$]"])


def test_fee_regimes() -> None:
    assert Fees("percent", rate=0.001).fee(10, 200.0) == pytest.approx(2.0)
    per_unit = Fees("per_unit", per_unit=0.005, minimum=1.0)
    assert per_unit.fee(10, 200.0) == 1.0 and per_unit.fee(1000, 200.0) == pytest.approx(5.0)
    assert per_unit.fee(0, 200.0) == 0.0
    mt = Fees("maker_taker", maker=-0.0001, taker=0.0005)
    assert mt.fee(-10, 100.0, maker=True) == pytest.approx(-0.1)
    assert mt.fee(-10, 100.0) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="fractions"):
        Fees("percent", rate=1.0)  # 100 %: a rate given in percent by mistake


def test_taker_fill_crosses_half_the_spread_and_slips_maker_gets_its_price() -> None:
    m = Model(spread_bps=10, slippage_bps=5)
    assert m.fill_price(+1, 100.0) == pytest.approx(100.0 * (1 + 10e-4))
    assert m.fill_price(-1, 100.0) == pytest.approx(100.0 * (1 - 10e-4))
    assert m.fill_price(+1, 100.0, maker=True) == 100.0


def test_partial_fills_capped_at_a_share_of_volume() -> None:
    m = Model(max_volume_share=0.1)
    assert m.fill_size(500, 2_000) == 200 and m.fill_size(-500, 2_000) == -200
    assert m.fill_size(50, 2_000) == 50 and m.fill_size(50, None) == 50
    assert PERFECT.fill_size(10**9, 1.0) == 10**9


def test_backtest_costs_match_the_model_on_a_real_run() -> None:
    entry0, exit0, final0 = _trade(PERFECT)
    # spread: backtesting.py moves the entry price against the trader, once per trade
    entry, exit_, _ = _trade(Model(spread_bps=20))
    assert entry == pytest.approx(entry0 * 1.002) and exit_ == pytest.approx(exit0)
    # slippage + percent fee: paid on both fills, through the commission callable
    model = Model(fees=Fees("percent", rate=0.001), slippage_bps=5)
    _, _, final = _trade(model)
    cost = (entry0 + exit0) * 10 * (0.001 + 5e-4)
    assert final == pytest.approx(final0 - cost, rel=1e-9)
    # per-unit with a minimum: 10 units at 0.005 -> the 1.00 minimum, twice
    _, _, final_pu = _trade(Model(fees=Fees("per_unit", per_unit=0.005, minimum=1.0)))
    assert final_pu == pytest.approx(final0 - 2.0, rel=1e-9)


def test_the_research_default_is_never_perfect_and_says_what_it_is() -> None:
    assert not DEFAULT.perfect and PERFECT.perfect
    kw = DEFAULT.backtest_kwargs()
    assert callable(kw["commission"]) and kw["commission"](10, 100.0) > 0
    assert kw["commission"](10, 100.0) == pytest.approx(10 * 100.0 * 0.002)  # the loop's old cost
    assert "0.15 % fee" in DEFAULT.describe() and "5 bps slippage" in DEFAULT.describe()
    assert "comparison only" in PERFECT.describe()
    assert pickle.loads(pickle.dumps(kw["commission"])) == kw["commission"]


def test_models_from_config() -> None:
    assert model_from(None) is DEFAULT and model_from("crypto") is PRESETS["crypto"]
    m = model_from({"preset": "equities", "latency_bars": 2})
    assert m.latency_bars == 2 and m.fees.kind == "per_unit"
    assert model_from(m.to_dict()) == m
    custom = model_from({"fees": {"kind": "maker_taker", "maker": 0.0, "taker": 0.001}})
    assert custom.fees.taker == 0.001
    with pytest.raises(ValueError, match="unknown execution model field"):
        model_from({"slipage_bps": 3})
    with pytest.raises(ValueError, match="choose one of"):
        model_from("zero-cost")
