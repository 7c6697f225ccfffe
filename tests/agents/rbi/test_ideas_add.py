"""``ideas add`` with several files handles each on its own: a bad one is reported with
its reason, the ones after it are still added, and the exit status says something failed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import rbi

GOOD = '''from backtesting import Strategy
from backtesting.lib import crossover
from backtesting.test import SMA


class SmaCross{n}(Strategy):
    def init(self):
        self.fast = self.I(SMA, self.data.Close, {n})
        self.slow = self.I(SMA, self.data.Close, 30)

    def next(self):
        if crossover(self.fast, self.slow):
            self.buy()
'''
BACKTRADER = '''import backtrader as bt


class Cross(bt.Strategy):
    def next(self):
        self.buy()
'''


def test_one_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    first, bad, last = tmp_path / "first.py", tmp_path / "bt_script.py", tmp_path / "last.py"
    first.write_text(GOOD.format(n=5), encoding="utf-8")
    bad.write_text(BACKTRADER, encoding="utf-8")
    last.write_text(GOOD.format(n=10), encoding="utf-8")
    db = tmp_path / "rbi.db"
    p = rbi(db, "ideas", "add", str(first), str(bad), str(last), "--db", str(db), "--json")
    assert p.returncode == 2, (p.stdout, p.stderr)
    out = json.loads(p.stdout)
    assert [o.get("from", o.get("item")) for o in out] == [str(first), str(bad), str(last)]
    assert out[0]["created"] and out[2]["created"] and out[0]["idea_id"] != out[2]["idea_id"]
    assert "Strategy subclass" in out[1]["error"] and "bt_script.py" in out[1]["error"]
    assert "not added" in p.stderr and "bt_script.py" in p.stderr
    listed = rbi(db, "ideas", "list", "--db", str(db), "--json")
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 2
