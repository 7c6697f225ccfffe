"""A log can be far costlier to replay than the run that sent it: orders that never fill,
placed at an early bar, make the host's broker walk all of them on every later bar (a
hijacked recorder can append them without the sandbox's engine ever holding them). The
host gives each replay the time its run was allowed, then marks it unreplayable."""

from __future__ import annotations

import time

import pytest
from backtesting.test import GOOG

import executor.verify as verify
from executor.replay import ReplayDeadline, Replayer
from executor.types import BacktestOptions, Limits, RunRequest

OPTIONS = BacktestOptions(cash=10_000, commission=0.002)
HONEST = {"warmup": 0, "actions": [["buy", 40, {"size": 1.0}], ["pclose", 400, 1.0],
                                   ["sell", 600, {"size": 2.0}], ["pclose", 900, 1.0]]}
# 3,000 limit buys at 0.01 placed on bar 30: unfilled on every one of GOOG's 2,148 bars
FLOOD = {"warmup": 0, "actions": [["buy", 30, {"size": 1.0, "limit": 0.01}]] * 3000}


@pytest.mark.parametrize("lean", [True, False])
def test_a_flood_of_unfillable_orders_stops_at_the_deadline(lean: bool) -> None:
    rp = Replayer(GOOG, OPTIONS.to_dict(), lean=lean)
    t0 = time.monotonic()
    with pytest.raises(ReplayDeadline) as err:
        rp.run(FLOOD, {}, deadline_s=0.3)
    assert 30 < err.value.bar < len(GOOG) - 1  # stopped mid-way, not after the whole walk
    assert time.monotonic() - t0 < 60  # bounded (the whole walk takes minutes)


def test_an_honest_log_replays_the_same_within_its_deadline() -> None:
    rp = Replayer(GOOG, OPTIONS.to_dict())
    free = rp.run(HONEST, {}).stats
    bounded = rp.run(HONEST, {}, deadline_s=10).stats
    assert bounded["# Trades"] == free["# Trades"] == 2
    assert bounded["Equity Final [$]"] == free["Equity Final [$]"]


def test_the_host_marks_the_flood_unreplayable_within_the_runs_time_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify, "REPLAY_MIN_S", 0.2)
    request = RunRequest(code="", data=GOOG, options=OPTIONS, limits=Limits(timeout_s=0.5))
    doc = {"status": "ok", "index": 0, "orderlog": FLOOD, "strategy_name": "Flood",
           "claimed_stats": {"# Trades": 0}}
    verify.Verifier(request).verify(doc)
    assert doc["status"] == "unreplayable"
    assert "took longer than the run itself was allowed (0.5 s" in doc["error"]["message"]
    assert "stats" not in doc  # nothing of it is taken as a result
