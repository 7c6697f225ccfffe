"""parse_stats_block on real printed backtesting stats, with the noise real scripts add."""

from __future__ import annotations

import ast
import math
import sys
import warnings
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from backtesting import Backtest, Strategy
from backtesting.test import BTCUSD, EURUSD, GOOG

from examples.sma_cross import SmaCross
from executor.harness.stdout_stats import parse_stats_block


class Idle(Strategy):
    def init(self) -> None:
        pass

    def next(self) -> None:
        pass


@cache
def run(data_name: str, strategy: str, **params: int) -> pd.Series:
    data = {"GOOG": GOOG, "EURUSD": EURUSD, "BTCUSD": BTCUSD}[data_name]
    cls = {"SmaCross": SmaCross, "Idle": Idle}[strategy]
    cash = 1_000_000 if data_name == "BTCUSD" else 10_000  # BTC above 10k: no whole units
    bt = Backtest(data, cls, cash=cash, commission=0.002, exclusive_orders=True)
    with warnings.catch_warnings():  # "Some trades remain open" is expected here
        warnings.simplefilter("ignore")
        return bt.run(**params)


CASES = [("GOOG", "SmaCross", {}), ("EURUSD", "SmaCross", {"n1": 5, "n2": 30}),
         ("BTCUSD", "SmaCross", {"n1": 3, "n2": 6}), ("EURUSD", "Idle", {})]
NOISE = "".join(f"🚀 bar {i}: Close=1.07{i % 10} | Start checking 📈  signal   {i}\n"
                for i in range(300))


def assert_matches(parsed: dict[str, object], stats: pd.Series) -> None:
    expected_keys = [k for k in stats.index if k not in ("_equity_curve", "_trades")]
    assert list(parsed) == expected_keys
    for key in expected_keys:
        want, got = stats[key], parsed[key]
        if key == "_strategy":
            assert got == str(want)
        elif isinstance(want, pd.Timestamp):
            assert got == want.isoformat()
        elif isinstance(want, pd.Timedelta):
            assert got == want.total_seconds()
        elif key == "# Trades":
            assert isinstance(got, int) and got == want
        elif pd.isna(want):
            assert isinstance(got, float) and math.isnan(got), key
        else:
            assert isinstance(got, float)
            assert got == pytest.approx(float(want), rel=1e-5, abs=1e-5), key


@pytest.mark.parametrize(("data", "strategy", "params"), CASES)
def test_real_block_with_noise_roundtrips(data: str, strategy: str, params: dict[str, int]) -> None:
    stats = run(data, strategy, **params)
    text = NOISE + str(stats) + "\n" + str(stats._strategy) + "\n✅ done\n"
    parsed = parse_stats_block(text)
    assert parsed is not None
    assert_matches(parsed, stats)


def test_goog_numbers_and_strategy_repr() -> None:
    parsed = parse_stats_block(str(run("BTCUSD", "SmaCross", n1=3, n2=6)))
    assert parsed is not None and parsed["_strategy"] == "SmaCross(n1=3,n2=6)"
    goog = parse_stats_block(str(run("GOOG", "SmaCross")))
    assert goog is not None
    assert goog["# Trades"] == 93 and goog["Return [%]"] == pytest.approx(462.635, abs=1e-3)
    assert goog["Start"] == "2004-08-19T00:00:00" and goog["Duration"] == 3116 * 86400.0


def test_long_strategy_repr_recovered_from_following_print() -> None:
    stats = run("EURUSD", "SmaCross", n1=5, n2=30)
    alone = parse_stats_block(str(stats) + "\n✅ done\n")
    assert alone is not None and alone["_strategy"] == "SmaCross(n1=5,n2..."  # as printed
    both = parse_stats_block(str(stats) + "\nSmaCross(n1=5,n2=30)\n")
    assert both is not None and both["_strategy"] == "SmaCross(n1=5,n2=30)"


def test_last_complete_block_wins_and_crlf() -> None:
    a, b = str(run("GOOG", "SmaCross")), str(run("EURUSD", "Idle"))
    text = (NOISE + a + "\n" + NOISE + b + "\nSmaCross\n").replace("\n", "\r\n")
    parsed = parse_stats_block(text)
    assert parsed is not None and parsed["_strategy"] == "Idle" and parsed["# Trades"] == 0
    # a later truncated block does not hide the earlier complete one
    cut = b[: b.index("Return [%]")]
    parsed = parse_stats_block(a + "\n" + NOISE + cut)
    assert parsed is not None and parsed["# Trades"] == 93


def test_truncated_or_missing_blocks_give_none() -> None:
    block = str(run("GOOG", "SmaCross"))
    assert parse_stats_block(NOISE + block[: block.index("# Trades")]) is None
    assert parse_stats_block(block[block.index("End"):]) is None  # tail began mid-block
    assert parse_stats_block(NOISE) is None
    assert parse_stats_block("") is None
    assert parse_stats_block("Start   now\nReturn [%]  5\n") is None


def test_prefixed_and_to_string_blocks() -> None:
    stats = run("GOOG", "SmaCross")
    parsed = parse_stats_block("Results: " + str(stats))
    assert parsed is not None and parsed["# Trades"] == 93
    parsed = parse_stats_block(stats.to_string() + "\nStart   " + "x" * 10)
    assert parsed is not None and parsed["End"] == "2013-03-01T00:00:00"


def test_special_values() -> None:
    text = ("Start                     2024-01-01 00:00:00+00:00\n"
            "Duration                    0 days 04:00:00\n"
            "Avg. Trade Duration       323 days 19:15:00\n"
            "Max. Trade Duration       -1 days +23:00:00\n"
            "Avg. Drawdown Duration     0 days -00:30:00\n"
            "Return [%]                            inf\n"
            "Sharpe Ratio                         -inf\n"
            "Sortino Ratio                         NaN\n"
            "Calmar Ratio                           --\n"
            "Some Future Key [x]                 1e-07\n"
            "# Trades                                3\n"
            "_strategy                       MyStrat\n"
            "_equity_curve                       ...\n"
            "_trades                   Empty DataFrame\n"
            "...\n"
            "dtype: object\n"
            "Extra   line after\n")
    p = parse_stats_block(text)
    assert p is not None
    assert p["Start"] == "2024-01-01T00:00:00+00:00"
    assert p["Duration"] == 4 * 3600.0
    assert p["Avg. Trade Duration"] == 323 * 86400 + 19 * 3600 + 15 * 60.0
    assert p["Max. Trade Duration"] == -3600.0 and p["Avg. Drawdown Duration"] == -1800.0
    assert p["Return [%]"] == math.inf and p["Sharpe Ratio"] == -math.inf
    assert math.isnan(p["Sortino Ratio"]) and math.isnan(p["Calmar Ratio"])  # type: ignore[arg-type]
    assert p["Some Future Key [x]"] == 1e-07 and p["_strategy"] == "MyStrat"
    assert "_trades" not in p and "Extra" not in p


# Real `print(stats)` of SmaCross(10, 20) on GOOG (cash 10,000, commission 0.002, exclusive
# orders) under backtesting 0.3.3, captured with `pip install backtesting==0.3.3 --target`.
BT033 = """\
Start                     2004-08-19 00:00:00
End                       2013-03-01 00:00:00
Duration                   3116 days 00:00:00
Exposure Time [%]                   97.067039
Equity Final [$]                  68221.96986
Equity Peak [$]                   68991.21986
Return [%]                         582.219699
Buy & Hold Return [%]              703.458242
Return (Ann.) [%]                   25.266427
Volatility (Ann.) [%]               38.383008
Sharpe Ratio                         0.658271
Sortino Ratio                        1.288779
Calmar Ratio                         0.763748
Max. Drawdown [%]                  -33.082172
Avg. Drawdown [%]                   -5.581506
Max. Drawdown Duration      688 days 00:00:00
Avg. Drawdown Duration       41 days 00:00:00
# Trades                                   94
Win Rate [%]                        54.255319
Best Trade [%]                       57.11931
Worst Trade [%]                    -16.629898
Avg. Trade [%]                       2.074326
Max. Trade Duration         121 days 00:00:00
Avg. Trade Duration          33 days 00:00:00
Profit Factor                        2.190805
Expectancy [%]                       2.606294
SQN                                  1.990216
_strategy                            SmaCross
_equity_curve                             ...
_trades                       Size  EntryB...
dtype: object
"""


def test_backtesting_033_block() -> None:
    p = parse_stats_block(NOISE + BT033 + "SmaCross\n")
    assert p is not None and len(p) == 28 and "CAGR [%]" not in p
    assert p["# Trades"] == 94 and p["Return [%]"] == 582.219699
    assert p["Max. Drawdown Duration"] == 688 * 86400.0 and p["SQN"] == 1.990216


def test_big_noisy_stdout() -> None:
    stats = run("GOOG", "SmaCross")
    noise = NOISE * (5_000_000 // len(NOISE))
    parsed = parse_stats_block(noise + str(stats) + "\n" + str(stats._strategy) + "\n")
    assert parsed is not None
    assert_matches(parsed, stats)


def _top_imports(path: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(Path(path).read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_module_imports_only_stdlib() -> None:
    """The parser runs inside the sandbox: stdlib plus executor.types (itself stdlib-only)."""
    import executor.types

    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    names = _top_imports(sys.modules[parse_stats_block.__module__].__file__ or "")
    assert {n.split(".")[0] for n in names - {"executor.types"}} <= stdlib
    assert {n.split(".")[0] for n in _top_imports(executor.types.__file__ or "")} <= stdlib
