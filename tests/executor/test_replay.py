"""The trusted replay (executor/replay.py) reproduces honest runs exactly, refuses logs
it cannot replay, and the claim comparison never fires on honest conventions.

Gate: every stat of every benign corpus strategy under several option sets equals the
engine's own run (the replay replaced the child's numbers, so a difference here would
change honest results); the golden SmaCross(10, 20) run stays at 93 trades, 462.635 %.
"""

from __future__ import annotations

import math
import sys
import types
import warnings
from pathlib import Path

import pytest
from backtesting import Backtest, Strategy
from backtesting._util import _indicator_warmup_nbars
from backtesting.test import GOOG

from executor.harness import caps, orderlog
from executor.harness.framing import _HEAD, MessageReader
from executor.harness.statsjson import stats_to_json, trades_to_json
from executor.replay import Replayer, ReplayError
from executor.types import RunRequest
from executor.verify import claim_mismatch, same_number, verify_docs
from tests.conftest import TESTS

BENIGN = TESTS / "corpus" / "benign"
STRATEGIES = sorted(p for p in BENIGN.glob("*.py") if "expect: benign-script" not in p.read_text().splitlines()[0])
OPTION_SETS = {
    "default": {},
    "exclusive_finalize": {"exclusive_orders": True, "finalize_trades": True},
    "close_hedge_margin_spread": {"trade_on_close": True, "hedging": True, "margin": 0.5, "spread": 0.001},
}


def _strategy(code: str) -> type:
    mod = types.ModuleType("strategy")
    sys.modules["strategy"] = mod  # dataclasses look their module up
    ns = mod.__dict__
    exec(compile(code, "strategy.py", "exec"), ns)
    classes = [v for v in ns.values() if isinstance(v, type) and issubclass(v, Strategy)
               and v.__module__ == "strategy"]
    return [c for c in classes if not any(o is not c and issubclass(o, c) for o in classes)][-1]


def _record(cls: type, opts: dict, params: dict | None = None) -> tuple:
    """(the engine's own stats, the order log of the same run)."""
    orderlog.install()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        truth = Backtest(GOOG, cls, **opts).run(**(params or {}))
        recorded = orderlog.wrap_strategy(cls)
        with orderlog.recording(recorded) as rec:
            light = Backtest(GOOG, recorded, **opts).run(**(params or {}))
    return truth, orderlog.log_doc(rec, _indicator_warmup_nbars(light["_strategy"])), rec.claims


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return same_number(a, b) and (a is None) == (b is None or (isinstance(b, float) and math.isnan(b)))
    return a == b


@pytest.mark.parametrize("opt_name", list(OPTION_SETS))
@pytest.mark.parametrize("path", STRATEGIES, ids=[p.stem for p in STRATEGIES])
def test_replay_equals_the_engine(path: Path, opt_name: str) -> None:
    opts = {"cash": 1_000_000, "commission": 0.002, **OPTION_SETS[opt_name]}
    cls = _strategy(path.read_text(encoding="utf-8"))
    truth, log, claims = _record(cls, opts)
    out = Replayer(GOOG, opts).run(log, {}, cls.__name__)
    want, got = stats_to_json(truth), stats_to_json(out.stats)
    for key, value in want.items():
        assert key in got and got[key] == value, (key, got.get(key), value)
    assert trades_to_json(out.stats["_trades"], 10_000) == trades_to_json(truth["_trades"], 10_000)
    assert claim_mismatch(claims, got) is None


def test_golden_sma_cross() -> None:
    cls = _strategy(Path("examples/sma_cross.py").read_text())
    opts = {"cash": 10_000, "commission": 0.002, "exclusive_orders": True}
    _, log, _ = _record(cls, opts, {"n1": 10, "n2": 20})
    stats = Replayer(GOOG, opts).run(log, {"n1": 10, "n2": 20}, "SmaCross").stats
    assert stats["# Trades"] == 93
    assert round(stats["Return [%]"], 3) == 462.635
    assert str(stats["_strategy"]) == "SmaCross(n1=10,n2=20)"


@pytest.mark.parametrize("log, reason", [
    ({"warmup": 0, "actions": [["tclose", 5, ["t", 3], 1.0]]}, "open trade 3"),
    ({"warmup": 0, "actions": [["cancel", 5, 0]]}, "order 0"),
    ({"warmup": 0, "actions": [["buy", 99_999, {}]]}, "outside the data"),
    ({"warmup": 100, "actions": [["buy", 50, {}]]}, "never reached"),
    ({"warmup": 0, "actions": [["buy", 5, {"size": -3}]]}, "positive"),
    ({"warmup": 0, "actions": [["mint", 5, {}]]}, "malformed"),
    ({"warmup": 0, "actions": [["buy", 5, {"sl": 1e9}]]}, "refused by the engine"),
    ({"actions": "nope"}, "no order log"),
])
def test_unreplayable_logs_say_why(log, reason) -> None:
    with pytest.raises(ReplayError, match=reason):
        Replayer(GOOG, {"cash": 10_000}).run(log, {}, "X")


def test_an_engine_failure_is_unreplayable_not_a_crash() -> None:
    with pytest.raises(ReplayError, match="engine stopped"):
        Replayer(GOOG, {"cash": 10_000}).run({"warmup": 0, "actions": []}, {"init": 3}, "X")


def test_an_unreplayable_log_is_its_own_status_never_ok() -> None:
    req = RunRequest(code="", data=GOOG)
    docs = [{"index": 0, "status": "ok", "stats": {"Return [%]": 1e6},
             "orderlog": {"warmup": 0, "actions": [["tclose", 5, ["t", 0], 1.0]]}}]
    verify_docs(docs, req)
    assert docs[0]["status"] == "unreplayable"
    assert "open trade 0" in docs[0]["error"]["message"]
    assert "stats" not in docs[0]


def test_claims_compare_undefined_values_as_equal() -> None:
    """None (JSON), NaN and inf are all 'undefined' (issue 12: Sortino None vs inf)."""
    assert same_number(None, math.inf) and same_number(math.nan, None) and same_number(None, None)
    assert same_number(1.0, 1.0 + 1e-12) and not same_number(1.0, 1.01) and not same_number(None, 0.0)
    assert claim_mismatch({"Sortino Ratio": None, "Return [%]": 5.0},
                          {"Sortino Ratio": math.inf, "Return [%]": 5.0}) is None
    assert "Return" in claim_mismatch({"Return [%]": 50.0}, {"Return [%]": 5.0})


def test_caps_bound_every_field_and_check_the_mode() -> None:
    huge = "x" * 10_000_000
    raw = {"index": 0, "nonce": "n", "status": "ok", "orderlog": {"actions": []},
           "claimed_stats": {"_strategy": huge, **{f"k{i}": i for i in range(1000)}},
           "strategy_name": huge, "error": {"message": huge, "traceback": huge},
           "warnings": [huge] * 1000, "extra": huge}
    kind, doc, problem = caps.checked(raw, b"", False, "n")
    assert kind == "result" and problem is None
    assert len(repr(doc)) < 100_000 and "extra" not in doc
    assert caps.checked(dict(raw, script_done=True), b"", False, "n")[2]  # not in strategy mode
    assert caps.checked(raw, b"", True, "n")[2]  # a strategy result in script mode
    assert caps.checked(raw, b"blob", False, "n")[2]
    assert caps.checked(dict(raw, nonce="other"), b"", False, "n")[0] == "foreign"
    # an import failure from anything but this worker's first assignment is ignored too
    assert caps.checked({"index": -1, "status": "error"}, b"", False, "n")[0] == "foreign"
    assert caps.checked({"index": -1, "status": "error", "nonce": "n"}, b"", False, "n")[0] == "import_failed"
    assert caps.checked(dict(raw, status="ok", orderlog=None), b"", False, "n")[2]


def test_a_huge_frame_is_refused_from_its_header() -> None:
    reader = MessageReader()
    reader.feed(_HEAD.pack(10, 512 * 1024 * 1024))  # a 512 MB blob announced
    assert reader.corrupt and not reader.messages
