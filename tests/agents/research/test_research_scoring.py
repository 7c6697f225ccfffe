"""Thresholds YAML (defaults, overrides, errors naming the key), decide(), the research config."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.research.config import ResearchConfigError, load_config, parse_config_text
from agents.research.scoring import Evidence, decide, score
from agents.research.thresholds import ThresholdsError, load_thresholds

GOOD = Evidence(lookahead_findings=[], dsr=0.97, oos_efficiency=0.8, wf_psr=0.95, pbo=0.2,
                searched=True, reality_check_p=0.01, alpha_psr=0.95, exposure=0.4,
                random_profitable_fraction=0.25, random_p_value=0.9, holdout_sharpe=0.9,
                holdout_psr=0.9, holdout_reads=1, sharpe=1.1, calmar=1.0,
                max_drawdown_pct=-18.0, trades=45, prob_ruin=0.0, stability_median_ratio=0.9,
                stability_min_ratio=0.5, cost_degradation=0.1, other_profitable_fraction=0.5)


def test_shipped_defaults_load() -> None:
    th = load_thresholds()
    assert th.kill["min_dsr"] == 0.9 and th.kill["lookahead"] is True
    assert th.needs_work["min_trades"] == 10
    assert set(th.score["weights"]) == {"dsr", "oos_efficiency", "calmar", "stability", "ruin",
                                        "trades"}


def test_user_file_overrides_and_errors_name_the_key(tmp_path: Path) -> None:
    p = tmp_path / "t.yaml"
    p.write_text("kill:\n  min_dsr: 0.5\nscore:\n  weights: {dsr: 1}\n")
    th = load_thresholds(p)
    assert th.kill["min_dsr"] == 0.5 and th.kill["max_pbo"] == 0.3
    assert th.score["weights"] == {"dsr": 1}
    cases = {
        "kill:\n  min_dsr: high\n": "kill.min_dsr: expected a number, got 'high'",
        "kill:\n  min_dssr: 0.5\n": "kill.min_dssr: unknown key",
        "kill:\n  max_pbo: 1.5\n": "kill.max_pbo: 1.5 is outside [0.0, 1.0]",
        "killl: {}\n": "unknown section 'killl'",
        "needs_work:\n  min_trades: 2.5\n": "needs_work.min_trades: expected a whole number",
        "score:\n  weights: {sharpe: 1}\n": "score.weights.sharpe: unknown component",
        "approve:\n  require: [vibes]\n": "approve.require: unknown evidence 'vibes'",
        "kill: [1]\n": "kill: expected a mapping",
        "kill:\n  lookahead: 1\n": "kill.lookahead: expected true or false",
        "kill: {min_dsr: [\n": "not valid YAML",
    }
    for text, message in cases.items():
        p.write_text(text)
        with pytest.raises(ThresholdsError, match=message.replace("[", r"\[").replace(".", r"\.")):
            load_thresholds(p)
    with pytest.raises(ThresholdsError, match="cannot read"):
        load_thresholds(tmp_path / "missing.yaml")


def test_good_evidence_is_approved_with_the_documented_score() -> None:
    th = load_thresholds()
    d = decide(GOOD, th)
    assert d.outcome == "approve", d.reasons
    w = th.score["weights"]
    comps = {"dsr": 0.97, "oos_efficiency": 0.8, "calmar": 0.5, "stability": 0.9, "ruin": 1.0,
             "trades": 1.0}
    want = 100 * sum(w[k] * v for k, v in comps.items()) / sum(w.values())
    assert d.score == pytest.approx(want)
    assert score(GOOD, th)[1] == pytest.approx(comps)


@pytest.mark.parametrize(("change", "outcome", "needle"), [
    ({"lookahead_findings": [{"message": "first offending bar 7"}]}, "kill", "bar 7"),
    ({"dsr": 0.4}, "kill", "DSR 0.4 < 0.9"),
    ({"wf_psr": 0.5}, "kill", "walk-forward out-of-sample PSR 0.5"),
    ({"pbo": 0.8}, "kill", "backtest overfitting 0.8"),
    ({"random_p_value": 0.002}, "kill", "random walks"),
    ({"reality_check_p": 0.4}, "kill", "reality check"),
    ({"alpha_psr": 0.3}, "kill", "buy-and-hold"),
    ({"holdout_psr": 0.2}, "kill", "sealed holdout"),
    ({"trades": 4}, "needs_work", "4 trades < 10"),
    ({"prob_ruin": 0.2}, "needs_work", "probability of ruin 0.2"),
    ({"stability_median_ratio": 0.2}, "needs_work", "spike"),
    ({"cost_degradation": 0.9}, "needs_work", "commission x1.5"),
    ({"max_drawdown_pct": -55.0}, "needs_work", "max drawdown -55"),
    ({"dsr": None}, "needs_work", "missing evidence: dsr"),
])
def test_each_gate_decides_with_its_reason(change: dict, outcome: str, needle: str) -> None:
    ev = Evidence(**{**GOOD.to_dict(), **change})
    d = decide(ev)
    assert d.outcome == outcome
    assert any(needle in r for r in d.reasons), d.reasons


def test_a_low_score_needs_work() -> None:
    ev = Evidence(**{**GOOD.to_dict(), "calmar": 0.0, "stability_median_ratio": 0.5,
                     "trades": 10, "oos_efficiency": 0.5, "dsr": 0.91})
    th = load_thresholds(overrides={"approve": {"min_score": 80}})
    d = decide(ev, th)
    assert d.outcome == "needs_work" and d.reasons[-1].startswith("score ")


def test_research_config_loads_and_names_bad_keys(tmp_path: Path) -> None:
    p = tmp_path / "rbi.yaml"
    p.write_text("""
loop: {interval_seconds: 600}
datasets:
  - {name: GOOG, start: 2006-01-01, end: 2012-12-31}
  - {name: BTCUSD, last_n_days: 365}
splits: {holdout_last_n_days: 180}
strategies:
  - {name: SmaCross, file: examples/sma_cross.py, sweep: {n1: [5, 10], n2: [20, 40]},
     constraints: ["n1 < n2"]}
robustness:
  monte_carlo: {paths: 2000, block: 3}
  other_datasets: [EURUSD]
thresholds: {kill: {min_dsr: 0.8}}
""")
    cfg = load_config(p)
    assert cfg.loop.interval_seconds == 600 and cfg.datasets[1].last_n_days == 365
    assert str(cfg.datasets[0].start) == "2006-01-01"
    assert cfg.splits.kwargs()["holdout_last_n_days"] == 180
    assert cfg.strategies[0].sweep == {"n1": [5, 10], "n2": [20, 40]}
    assert cfg.robustness.monte_carlo.paths == 2000 and cfg.robustness.other_datasets == ["EURUSD"]
    bad = {
        "loop: {interval: 5}": "loop.interval: unknown key",
        "seed: abc": "seed: expected a number",
        "datasets: [{name: GOOG, start: 2012-02-30}]": "datasets[0].start: '2012-02-30' is not a date",
        "datasets: [{name: GOOG, start: 2012-01-01, end: 2011-01-01}]": "datasets[0].end",
        "datasets: [{name: GOOG, last_n_days: 5, start: 2011-01-01}]": "not both",
        "robustness: {monte_carlo: {paths: many}}": "robustness.monte_carlo.paths: expected a number",
        "robustness: {pbo: {blocks: 7}}": "robustness.pbo.blocks",
        "strategies: [{name: X}]": "strategies[0]: give a file or an idea",
        "thresholds: {kill: {min_dsr: 2}}": "thresholds: kill.min_dsr: 2 is outside",
        "splits: {fractions: [0.5, 0.5, 0.5]}": "splits.fractions",
        "strategies: {name: X}": "strategies: expected a list",
    }
    for text, message in bad.items():
        with pytest.raises(ResearchConfigError, match=message.replace("[", r"\[")):
            parse_config_text(text)
