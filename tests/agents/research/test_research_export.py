"""Promotion export: files, the sandbox-made chart, one git commit per promotion."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pandas as pd

from agents.research.promotion_export import export_strategy, sandbox_chart
from tests.agents.research.cases import OPTS, SMA_CROSS

EVAL = {"decision": {"outcome": "approve", "score": 71.25, "reasons": ["all gates passed"]},
        "evidence": {"dsr": 0.95, "n_trials": 12, "sharpe": 0.8, "trades": 40,
                     "lookahead_findings": []},
        "report": {"monte_carlo": {"prob_ruin": 0.0}}}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def test_export_writes_files_and_commits_once_per_promotion(tmp_path: Path,
                                                            goog: pd.DataFrame) -> None:
    root = tmp_path / "strategies"
    root.mkdir()
    git(root, "init", "-q")
    (root / "other.txt").write_text("staged by someone else\n")
    git(root, "add", "other.txt")
    chart = sandbox_chart(SMA_CROSS, goog.iloc[-500:], {}, backend="local", options=OPTS)
    assert chart is not None and "<html" in chart.lower() and "bokeh" in chart.lower()
    out = export_strategy(root, "SmaCross", code=SMA_CROSS, spec={"name": "SmaCross"},
                          params={"n1": 10, "n2": 20}, stats={"Sharpe Ratio": 0.8, "_strategy": "x"},
                          evaluation=EVAL, chart_html=chart, version=3)
    assert out.files == ["chart.html", "params.json", "robustness.json", "spec.json",
                         "stats.json", "strategy.py"]
    assert out.committed, out.note
    assert json.loads((out.path / "params.json").read_text()) == {"n1": 10, "n2": 20}
    assert json.loads((out.path / "robustness.json").read_text())["version"] == 3
    assert "_strategy" not in json.loads((out.path / "stats.json").read_text())
    msg = git(root, "log", "-1", "--format=%B")
    assert msg.startswith("promote SmaCross v3: score 71.2")
    assert "DSR 0.950 over 12 trials" in msg
    assert git(root, "show", "--name-only", "--format=", "HEAD").split() == [
        f"SmaCross/{f}" for f in out.files]  # only the folder, not other staged files
    again = export_strategy(root, "SmaCross", code=SMA_CROSS, spec={}, params={"n1": 12},
                            stats={}, evaluation=EVAL, chart_html=chart, version=4)
    assert again.committed
    assert len(git(root, "log", "--format=%H").split()) == 2


def test_export_without_repository_or_when_ignored(tmp_path: Path) -> None:
    out = export_strategy(tmp_path, "X y", code="pass", spec={}, params={}, stats={},
                          evaluation=EVAL, chart_html=None)
    assert out.path.name == "X_y" and not out.committed
    assert "no chart" in out.note
    repo = tmp_path / "repo"
    (repo / "results").mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / ".gitignore").write_text("results/*\n")
    out = export_strategy(repo / "results" / "strategies", "S", code="pass", spec={},
                          params={}, stats={}, evaluation=EVAL, chart_html="<html></html>")
    assert not out.committed and "ignored" in out.note
