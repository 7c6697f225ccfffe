"""The parent's fast recomputation agrees with backtesting's own stats, and catches edits."""

from __future__ import annotations

import math
import warnings

import pytest
from backtesting import Backtest
from backtesting.test import BTCUSD, EURUSD, GOOG

from conftest import read_strategy
from executor.harness import child, integrity
from executor.harness.statsjson import stats_to_json

ns: dict = {}
exec(compile(read_strategy("sma_cross.py"), "sma_cross.py", "exec"), ns)
SmaCross = ns["SmaCross"]


def _run(data, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Backtest(data, SmaCross, cash=1_000_000, commission=0.002, **kw).run()


@pytest.mark.parametrize("data", [GOOG, EURUSD, BTCUSD], ids=["GOOG", "EURUSD", "BTCUSD"])
@pytest.mark.parametrize("kw", [{"exclusive_orders": True}, {}, {"finalize_trades": True}],
                         ids=["exclusive", "default", "finalize"])
def test_recompute_matches_the_engine(data, kw):
    stats = _run(data, **kw)
    ours = integrity.recompute_stats(child._raw_arrays(stats), stats["_equity_curve"]["Equity"].to_numpy(), data)
    for key in integrity.CHECKED_KEYS:
        a, b = ours[key], stats[key]
        if isinstance(b, float) and math.isnan(b):
            assert a is None or math.isnan(a), key
        else:
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (key, a, b)
    assert integrity.verify_result(stats_to_json(stats), child._raw_arrays(stats), data,
                                   {"cash": 1_000_000}) is None


def test_edited_document_or_prices_are_caught():
    stats = _run(GOOG, exclusive_orders=True)
    arrays, doc = child._raw_arrays(stats), stats_to_json(stats)
    assert "Return [%]" in integrity.verify_result(dict(doc, **{"Return [%]": 999.0}), arrays, GOOG,
                                                    {"cash": 1_000_000})
    arrays["EntryPrice"] = arrays["EntryPrice"] * 0.5  # fills no bar could give
    assert "outside bar" in integrity.verify_result(doc, arrays, GOOG, {"cash": 1_000_000})
