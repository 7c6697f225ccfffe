"""package() + run + classify/fix loop over realistic LLM-written strategy scripts.

Every fixture is packaged, then run in-process with backtesting.py on GOOG; failures go
through classify() -> fix() -> run again, and the error classes met are checked.
"""

from __future__ import annotations

import pytest
from backtesting.test import GOOG

from agents.codefix import classify, fix, package
from agents.codefix.run import run_strategy
from tests.conftest import TESTS

CORPUS = TESTS / "corpus" / "llm_scripts"

# fixture -> error classes the packaged code hits, in order, before it runs
FIXABLE: dict[str, list[str]] = {
    "rsi_oversold_bounce.py": [],
    "pandas_ta_ema_cross.py": [],
    "bollinger_squeeze_pta.py": [],
    "stoch_adx_pta.py": [],
    "ta_lib_classes.py": [],
    "yfinance_sma_optimize.py": [],
    "guarded_main.py": [],
    "lowercase_subscripts.py": [],
    "try_wrapped_colorama.py": [],
    "zero_trades_impossible.py": [],
    "precomputed_columns.py": [],
    "precomputed_signals.py": [],
    "macd_entry_price.py": ["invented_attribute"],
    "broker_getvalue.py": ["invented_attribute"],
    "atr_breakout_size.py": ["size_assertion"],
    "cash_units_size.py": ["size_assertion"],
    "short_reversal_sltp.py": ["sl_tp_order"],
    "obv_volume_dtype.py": ["talib_dtype"],
    "rolling_zscore_series.py": ["series_vs_array"],
    "wrong_atr_args.py": ["indicator_error"],
    "entry_price_and_size.py": ["size_assertion", "invented_attribute"],
}
# fixture -> rule name that must appear among unresolved / changes (rules cannot fix these)
NOT_FIXABLE: dict[str, str] = {
    "backtrader_strategy.py": "import",
    "truncated_reply.py": "truncated",
}


def test_corpus_is_complete() -> None:
    files = {p.name for p in CORPUS.glob("*.py")}
    assert files == set(FIXABLE) | set(NOT_FIXABLE)
    assert len(files) >= 15


def _repair_loop(code: str, max_attempts: int = 4) -> tuple[str, list[str], dict | None]:
    seen: list[str] = []
    stats, err = run_strategy(code, GOOG)
    for _ in range(max_attempts):
        if err is None:
            break
        error_class = classify(err)
        seen.append(error_class)
        result = fix(code, error_class, err)
        if not result.changes:
            break
        code = result.code
        stats, err = run_strategy(code, GOOG)
    return code, seen, err


@pytest.mark.parametrize("name", sorted(FIXABLE))
def test_packaged_script_runs_after_rule_fixes(name: str) -> None:
    original = (CORPUS / name).read_text()
    packaged = package(original)
    assert packaged.unresolved == []
    assert packaged.strategy_classes
    assert "read_csv" not in packaged.code and "Backtest(" not in packaged.code
    assert ".run()" not in packaged.code and "print(stats" not in packaged.code
    assert packaged.data_paths, "the hard-coded data source is reported"
    assert packaged.is_script == (name != "guarded_main.py")
    code, seen, err = _repair_loop(packaged.code)
    assert err is None, err and err["traceback"][-800:]
    assert seen == FIXABLE[name]


@pytest.mark.parametrize("name", sorted(NOT_FIXABLE))
def test_unfixable_scripts_are_reported(name: str) -> None:
    packaged = package((CORPUS / name).read_text())
    rules = {c.rule for c in packaged.unresolved} | {c.rule for c in packaged.changes}
    assert NOT_FIXABLE[name] in rules
    _, _, err = _repair_loop(packaged.code)
    assert err is not None


def test_moon_dev_header_is_removed_and_backtest_kwargs_kept() -> None:
    packaged = package((CORPUS / "rsi_oversold_bounce.py").read_text())
    assert packaged.data_paths == [
        "/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv"]
    assert packaged.backtest_kwargs == {"cash": 1_000_000, "commission": 0.002}
    assert packaged.strategy_classes == ["RSIOversoldBounce"]
    # comments and emoji prints inside the strategy survive
    assert "# Calculate RSI using talib 🌙" in packaged.code
    assert 'print(f"🚀 BUY signal! RSI: {self.rsi[-1]:.2f}")' in packaged.code
    assert "data.columns" not in packaged.code


def test_guarded_script_reports_paths_kwargs_and_drops_loader() -> None:
    packaged = package((CORPUS / "guarded_main.py").read_text(), dataset_hint="SOL-1h")
    assert packaged.data_paths == ["SOL-USD-1h.csv"]
    assert packaged.backtest_kwargs == {"cash": 100_000, "commission": 0.001, "margin": 1.0,
                                        "trade_on_close": True}
    assert "def load_data" not in packaged.code and "__main__" not in packaged.code
    assert "import os" not in packaged.code and "Path" not in packaged.code
    assert "def rolling_vwap" in packaged.code
    assert any("'SOL-1h'" in c.description for c in packaged.changes)


def test_yfinance_script_records_ticker_and_optimize_ranges() -> None:
    packaged = package((CORPUS / "yfinance_sma_optimize.py").read_text())
    assert packaged.data_paths == ["yfinance:BTC-USD"]
    assert packaged.optimize_kwargs["n1"] == [5, 10, 15, 20, 25]
    assert packaged.optimize_kwargs["maximize"] == "Equity Final [$]"
    for gone in ("import yfinance", "yf.download", "import os", "import sys", "matplotlib", "plot(", "optimize("):
        assert gone not in packaged.code


def test_backtrader_is_unresolved_not_mangled() -> None:
    packaged = package((CORPUS / "backtrader_strategy.py").read_text())
    assert any("backtrader" in u.description for u in packaged.unresolved)
    assert any(u.rule == "no-strategy" for u in packaged.unresolved)
    assert "class SmaCrossBT(bt.Strategy)" in packaged.code


def test_truncated_reply_is_trimmed_and_says_what_was_lost() -> None:
    text = (CORPUS / "truncated_reply.py").read_text()
    packaged = package(text)
    cut = [c for c in packaged.changes if c.rule == "truncated"]
    assert len(cut) == 1 and "DonchianBreakout.next()" in cut[0].description
    assert "may miss the logic that followed" in cut[0].description
    assert "Breakout above" not in packaged.code  # the unfinished statement is gone
    assert "def init(self):" in packaged.code
