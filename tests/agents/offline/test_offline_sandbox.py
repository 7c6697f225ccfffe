"""The v1 code the offline engine writes for trader ideas runs in the executor's real
local sandbox (validator, isolated subprocess, rlimits) and returns stats with trades,
and it carries the idea's numbers as its class-attribute defaults."""

from __future__ import annotations

import pytest

from agents.offline import idea_to_spec, spec_to_code
from executor.backends.local.sandbox import LocalSandbox
from executor.datasets import load_dataset
from executor.sandbox import run
from executor.types import BacktestOptions, Limits, RunRequest

# one idea per new reading: the RSI example, an exit rule of the idea's own, the
# gap fade (custom indicator, both sides, one-bar hold), the MACD histogram both ways, a
# trailing-stop-only exit, a short-only idea, hourly EURUSD, an ATR bracket, a filter
IDEAS = [
    "RSI oversold bounce on GOOG: buy when RSI(14) crosses back above 30, exit above 70",
    "RSI(2) < 10 then sell on close above 5-day MA",
    "fade gaps over 1.5%",
    "MACD 12/26/9 histogram flip, short too",
    "golden cross 50/200 with a 2% trailing stop",
    "Short GOOG when RSI(14) goes above 80, cover when it falls below 50",
    "Dual EMA 9/21 crossover on EURUSD hourly, long and short",
    "Bollinger(20,2) squeeze breakout with 2x ATR stop, 4x ATR target",
    "Price above 200-day SMA, buy RSI(2) under 10, exit above 70 (Connors style)",
    "Williams %R(10) below -90 buy, exit above -20",
    "Parabolic SAR (0.01, 0.1) trend following with 2 ATR stop",
    "KAMA(10) crosses above KAMA(50), exit on the cross back, 4% trailing stop",
]
SANDBOX = LocalSandbox()


@pytest.mark.parametrize("idea", IDEAS, ids=[i[:40] for i in IDEAS])
def test_generated_v1_runs_in_the_local_sandbox(idea: str) -> None:
    spec = idea_to_spec(idea)
    code = spec_to_code(spec)
    for p in spec.parameters:
        assert f"    {p.name} = {p.default!r}\n" in code, p.name
    dataset = load_dataset(spec.datasets[0])
    req = RunRequest(code=code, data=dataset.df, data_name=dataset.name,
                     limits=Limits(timeout_s=120),
                     options=BacktestOptions(cash=100_000, commission=0.001,
                                             finalize_trades=True))
    res = run(req, SANDBOX)
    assert res.status == "ok", (res.status, res.violations[:3], res.error)
    assert res.stats["# Trades"] > 0, res.stats
    assert res.stats["Return [%]"] is not None
    sides = {t["Size"] > 0 for t in res.trades}
    if spec.direction == "long":
        assert sides == {True}
    elif spec.direction == "short":
        assert sides == {False}
    else:  # "short too" / "long and short": both sides trade, not whichever came first
        assert sides == {True, False}
