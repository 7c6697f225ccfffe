"""`python -m executor` as a user runs it: exit codes, clear messages, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, read_strategy

SMA = read_strategy("sma_cross.py")


def cli(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "executor", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=timeout)


def no_traceback(p: subprocess.CompletedProcess[str]) -> None:
    """The CLI's own traceback never shows (a strategy's, inside the JSON result, may)."""
    assert "Traceback (most recent call last)" not in p.stderr
    if not p.stdout.lstrip().startswith(("{", "[")):
        assert "Traceback (most recent call last)" not in p.stdout


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


def test_help_for_every_command():
    for args in ([], ["validate"], ["run"], ["datasets"]):
        p = cli(*args, "--help")
        assert p.returncode == 0 and "usage" in p.stdout.lower(), args


def test_run_example_json_contract():
    p = cli("run", "examples/sma_cross.py", "--exclusive-orders", "--backend", "local", "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    for key in ("status", "stats", "stats_source", "violations", "error", "timings", "resources",
                "backend", "isolation", "code_sha256", "data_sha256"):
        assert key in doc, key
    assert doc["status"] == "ok" and doc["backend"] == "local"
    assert doc["stats"]["# Trades"] == 93
    assert round(doc["stats"]["Return [%]"], 2) == 462.64


def test_batch_params_list(tmp_path):
    f = write(tmp_path, "s.py", SMA)
    p = cli("run", f, "--backend", "local", "--json", "--params", '[{"n1": 5, "n2": 20}, {"n1": 10, "n2": 40}]')
    assert p.returncode == 0, p.stderr
    docs = json.loads(p.stdout)
    assert [d["params"] for d in docs] == [{"n1": 5, "n2": 20}, {"n1": 10, "n2": 40}]


@pytest.mark.parametrize("name,content,rule", [
    ("empty.py", "", "no-strategy"),
    ("latin1.py", b"x = '\xe9\xff\xfe'\n", "encoding"),
    ("syntax.py", "class A(:\n    pass\n", "syntax"),
    ("nostrategy.py", "import numpy as np\nx = np.arange(3)\n", "no-strategy"),
    ("huge.py", "x = 1\n" * 2_000_000, "too-large"),
], ids=["empty", "non-utf8", "syntax", "no-strategy", "10MB"])
def test_bad_files_are_rejected_with_the_rule(tmp_path, name, content, rule):
    f = write(tmp_path, name, content)
    for command in ("validate", "run"):
        p = cli(command, f, "--json", "--backend", "local") if command == "run" else cli(command, f, "--json")
        no_traceback(p)
        assert p.returncode == 1, (command, p.stdout[-500:], p.stderr[-500:])
        doc = json.loads(p.stdout)
        rules = [v["rule"] for v in doc["violations"]]
        assert rule in rules, (command, rules)
        if command == "run":
            assert doc["status"] == "rejected"


def test_syntax_error_has_line_and_column(tmp_path):
    f = write(tmp_path, "syntax.py", "from backtesting import Strategy\n\nclass A(Strategy:\n    pass\n")
    doc = json.loads(cli("validate", f, "--json").stdout)
    v = next(v for v in doc["violations"] if v["rule"] == "syntax")
    assert v["line"] == 3 and v["col"] > 0


@pytest.mark.parametrize("where", ["init", "next"])
def test_exceptions_in_init_and_next(tmp_path, where):
    body = SMA.replace("    def next(self):\n", "    def next(self):\n        1 / 0\n") if where == "next" \
        else SMA.replace("    def init(self):\n", "    def init(self):\n        {}['missing']\n")
    f = write(tmp_path, "boom.py", body)
    p = cli("run", f, "--json", "--backend", "local")
    no_traceback(p)
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert doc["status"] == "error"
    assert doc["error"]["type"] in ("ZeroDivisionError", "KeyError")
    assert doc["error"]["line"] and doc["error"]["traceback"]
    assert "executor/harness" not in doc["error"]["traceback"]


def test_zero_trades_is_reported(tmp_path):
    f = write(tmp_path, "idle.py", SMA.replace("self.buy()", "pass").replace("self.sell()", "pass"))
    p = cli("run", f, "--backend", "local")
    assert p.returncode == 0
    assert "zero trades" in p.stdout


@pytest.mark.parametrize("data,needle", [
    ("no_such_dataset", "no_such"),
    ("{bad}", "bad.csv"),
])
def test_missing_or_malformed_data(tmp_path, data, needle):
    if data == "{bad}":
        bad = tmp_path / "bad.csv"
        bad.write_text("Date,Open,High,Low,Close\n2020-01-01,1,2,oops,1\n2020-01-02,1,2,0.5,1\n")
        data = str(bad)
    p = cli("run", "examples/sma_cross.py", "--data", data, "--backend", "local")
    no_traceback(p)
    assert p.returncode == 2
    assert needle in p.stderr and "error:" in p.stderr


def test_usage_errors_exit_2(tmp_path):
    assert cli("run", "nope.py").returncode == 2
    p = cli("run", "examples/sma_cross.py", "--params", "{not json")
    assert p.returncode == 2 and "--params" in p.stderr
    no_traceback(p)


def test_script_mode_from_the_cli():
    p = cli("run", "tests/strategies/script_style.py", "--script", "--data", "BTCUSD",
            "--backend", "local", "--json")
    assert p.returncode == 0, p.stdout[-2000:]
    doc = json.loads(p.stdout)
    assert doc["stats_source"] == "stdout" and doc["stats"]["# Trades"] > 0
