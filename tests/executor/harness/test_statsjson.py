"""statsjson on real Backtest.run() results: GOOG SmaCross, zero trades, open trades."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import warnings
from functools import cache

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest, Strategy
from backtesting.test import EURUSD, GOOG

from examples.sma_cross import SmaCross
from executor.harness.statsjson import equity_to_json, json_safe, stats_to_json, trades_to_json
from executor.harness.stdout_stats import parse_stats_block


class Idle(Strategy):
    def init(self) -> None:
        pass

    def next(self) -> None:
        pass


class BuyAndHoldWithStops(Strategy):
    def init(self) -> None:
        pass

    def next(self) -> None:
        if not self.position and len(self.data) == 30:
            price = self.data.Close[-1]
            self.buy(size=0.5, sl=price * 0.5, tp=price * 10, tag="hold")


@cache
def run(strategy: str, data: str = "GOOG", finalize: bool = False) -> pd.Series:
    cls = {"SmaCross": SmaCross, "Idle": Idle, "Hold": BuyAndHoldWithStops}[strategy]
    frame = {"GOOG": GOOG, "EURUSD": EURUSD}[data]
    bt = Backtest(frame, cls, cash=10_000, commission=0.002, exclusive_orders=True,
                  finalize_trades=finalize)
    with warnings.catch_warnings():  # "Some trades remain open" is part of these cases
        warnings.simplefilter("ignore")
        return bt.run()


def dumps(obj: object) -> str:
    return json.dumps(obj, allow_nan=False)


def test_goog_smacross_stats() -> None:
    stats = run("SmaCross")
    out = stats_to_json(stats)
    dumps(out)
    assert list(out) == [k for k in stats.index if k not in ("_equity_curve", "_trades")]
    assert out["# Trades"] == 93 and type(out["# Trades"]) is int
    assert out["Return [%]"] == pytest.approx(462.6351934, abs=1e-6)
    assert type(out["Return [%]"]) is float
    assert out["Start"] == "2004-08-19T00:00:00" and out["End"] == "2013-03-01T00:00:00"
    assert out["Duration"] == 3116 * 86400.0
    assert out["Max. Drawdown Duration"] == stats["Max. Drawdown Duration"].total_seconds()
    assert out["_strategy"] == "SmaCross"
    for key in ("CAGR [%]", "Alpha [%]", "Beta", "Kelly Criterion", "Commissions [$]"):
        assert isinstance(out[key], float)


def test_stats_agree_with_printed_block() -> None:
    stats = run("SmaCross")
    printed = parse_stats_block(str(stats))
    assert printed is not None
    harness = stats_to_json(stats)
    assert set(printed) == set(harness)
    for key, value in printed.items():
        if isinstance(value, float):
            assert harness[key] == pytest.approx(value, rel=1e-5, abs=1e-5), key
        else:
            assert harness[key] == value, key


def test_zero_trades_nan_becomes_null() -> None:
    stats = run("Idle", "EURUSD")
    out = stats_to_json(stats)
    text = dumps(out)
    assert out["# Trades"] == 0
    for key in ("Sharpe Ratio", "Win Rate [%]", "SQN", "Avg. Trade Duration", "Profit Factor",
                "Max. Drawdown Duration", "Kelly Criterion"):
        assert out[key] is None, key
    assert "NaN" not in text and "Infinity" not in text
    assert trades_to_json(stats._trades, 10) == ([], 0)
    eq = equity_to_json(stats._equity_curve, 20)
    assert len(eq) <= 20 and eq[0]["Equity"] == 10_000.0 and eq[-1]["time"] == "2018-02-07T15:00:00"


def test_trades_capped_with_total() -> None:
    stats = run("SmaCross")
    trades, total = trades_to_json(stats._trades, 5)
    dumps(trades)
    assert total == 93 and len(trades) == 5
    first = stats._trades.iloc[0]
    t = trades[0]
    assert list(t) == ["Size", "EntryBar", "ExitBar", "EntryPrice", "ExitPrice", "SL", "TP", "PnL",
                       "Commission", "ReturnPct", "EntryTime", "ExitTime", "Duration", "Tag"]
    assert t["Size"] == first["Size"] and type(t["EntryBar"]) is int
    assert t["EntryTime"] == first["EntryTime"].isoformat()
    assert t["Duration"] == first["Duration"].total_seconds()
    assert t["SL"] is None and t["Tag"] is None  # NaN / None in the frame
    assert trades_to_json(stats._trades, 0) == ([], 93)
    assert len(trades_to_json(stats._trades, 10_000)[0]) == 93


def test_open_trades_at_end() -> None:
    still_open = run("Hold")
    assert still_open["# Trades"] == 0  # the open position is not in stats (0.6 default)
    dumps(stats_to_json(still_open))
    assert trades_to_json(still_open._trades, 10) == ([], 0)
    closed = run("Hold", finalize=True)
    trades, total = trades_to_json(closed._trades, 10)
    dumps(trades)
    assert total == 1 and trades[0]["Tag"] == "hold" and trades[0]["ExitBar"] == len(GOOG) - 1
    assert trades[0]["SL"] == pytest.approx(closed._trades["SL"].iloc[0])
    assert stats_to_json(closed)["# Trades"] == 1


@pytest.mark.parametrize("points", [3, 7, 50, 500, 5000])
def test_equity_downsampling_keeps_first_last_trough(points: int) -> None:
    curve = run("SmaCross")._equity_curve
    eq = equity_to_json(curve, points)
    dumps(eq)
    assert len(eq) == min(points, len(curve))
    times = [e["time"] for e in eq]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert times[0] == curve.index[0].isoformat() and times[-1] == curve.index[-1].isoformat()
    trough = curve["DrawdownPct"].idxmax().isoformat()
    assert trough in times
    row = eq[times.index(trough)]
    assert row["DrawdownPct"] == pytest.approx(curve["DrawdownPct"].max())
    assert row["Equity"] == pytest.approx(curve.loc[curve["DrawdownPct"].idxmax(), "Equity"])


def test_equity_small_points_and_range_index() -> None:
    curve = run("SmaCross")._equity_curve.reset_index(drop=True)
    eq = equity_to_json(curve, 1)  # below 3 means 3: first, trough, last
    assert [e["time"] for e in eq] == [0, int(curve["DrawdownPct"].idxmax()), len(curve) - 1]
    assert equity_to_json(None, 10) == [] and equity_to_json(curve.iloc[:0], 10) == []


def test_json_safe_values() -> None:
    obj = {
        "i": np.int64(3), "f": np.float32(1.5), "nan": np.float64("nan"), "inf": math.inf,
        "b": np.bool_(True), "ts": pd.Timestamp("2020-01-02 03:04:05", tz="UTC"),
        "nat": pd.NaT, "dt64nat": np.datetime64("NaT"), "td": pd.Timedelta("1 days 00:00:01"),
        "pytd": dt.timedelta(minutes=2), "np_td": np.timedelta64(3, "s"), "d": dt.date(2020, 1, 2),
        "dt64": np.datetime64("2020-01-02T00:00:00"), "dec": decimal.Decimal("1.25"),
        "arr": np.array([1.0, np.nan]), "tuple": (1, "a"), 5: {"nested": [np.inf]},
        "series": pd.Series({"a": np.int32(1)}), "obj": object,
    }
    out = json_safe(obj)
    dumps(out)
    assert out["i"] == 3 and type(out["i"]) is int and out["f"] == 1.5 and out["b"] is True
    assert out["nan"] is None and out["inf"] is None and out["nat"] is None
    assert out["dt64nat"] is None and out["ts"] == "2020-01-02T03:04:05+00:00"
    assert (out["td"], out["pytd"], out["np_td"]) == (86401.0, 120.0, 3.0)
    assert out["d"] == "2020-01-02" and out["dt64"] == "2020-01-02T00:00:00"
    assert out["dec"] == 1.25 and out["arr"] == [1.0, None] and out["tuple"] == [1, "a"]
    assert out["5"] == {"nested": [None]} and out["series"] == {"a": 1}
    assert out["obj"] == "<class 'object'>"


@pytest.mark.parametrize("index_kind", ["datetime", "range", "utc"])
@pytest.mark.parametrize("points", [3, 50, 5000])
def test_equity_rows_are_json_safe_per_value(index_kind: str, points: int) -> None:
    """equity_to_json converts values in bulk; each must be what json_safe() gives."""
    rng = np.random.default_rng(points)
    n = 700
    index = {"datetime": pd.date_range("2020", periods=n, freq="h"), "range": pd.RangeIndex(n),
             "utc": pd.date_range("2020", periods=n, freq="D", tz="UTC")}[index_kind]
    frame = pd.DataFrame({"Equity": rng.normal(100, 5, n), "DrawdownPct": rng.random(n)}, index=index)
    frame.iloc[[0, 7, 300], 0] = [np.nan, np.inf, -np.inf]
    frame.iloc[[1, 8], 1] = np.nan
    rows = equity_to_json(frame, points)
    positions = [frame.index.get_loc(pd.Timestamp(r["time"])) if index_kind != "range" else r["time"]
                 for r in rows]
    want = [{"time": json_safe(frame.index[i]) if index_kind != "range" else i,
             "Equity": json_safe(frame["Equity"].iloc[i]),
             "DrawdownPct": json_safe(frame["DrawdownPct"].iloc[i])} for i in positions]
    assert rows == want
    assert len(rows) == min(n, max(points, 3))
