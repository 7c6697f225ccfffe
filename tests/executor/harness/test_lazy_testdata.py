"""The ``backtesting.test`` stand-in of a one-shot container: ``SMA`` without the CSV
reads, and everything else (the data, a star import) from the real module. Each case
runs in a fresh interpreter (the stand-in replaces a module)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SETUP = (f"import sys, json; sys.path.insert(0, {str(ROOT)!r})\n"
         "import backtesting\n"
         "from executor.harness import lazy_testdata; lazy_testdata.install()\n"
         "def real(): return not getattr(sys.modules['backtesting.test'], '_rbi_stand_in', False)\n")


def run(body: str) -> dict:
    out = subprocess.run([sys.executable, "-I", "-c", SETUP + body], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_sma_is_the_real_one_without_reading_the_data() -> None:
    got = run("from backtesting.test import SMA\n"
              "import backtesting.test as bt_test\n"
              "before, same = real(), bt_test is backtesting.test\n"
              "import pandas as pd, numpy as np\n"
              "close = np.r_[np.nan, np.arange(1.0, 300.0), np.nan, np.arange(5.0, 60.0)]\n"
              "mine = [SMA(close, n) for n in (1, 2, 10, 50)] + [SMA(pd.Series(close), 20)]\n"
              "from backtesting.test import GOOG\n"  # loads the real module
              "import importlib; r = sys.modules['backtesting.test']\n"
              "theirs = [r.SMA(close, n) for n in (1, 2, 10, 50)] + [r.SMA(pd.Series(close), 20)]\n"
              "for a, b in zip(mine, theirs): pd.testing.assert_series_equal(a, b)\n"
              "print(json.dumps({'before': before, 'same_module': same,"
              " 'after': real(), 'attr_sma': backtesting.test.SMA is SMA or real()}))")
    assert got == {"before": False, "same_module": True, "after": True, "attr_sma": True}


def test_the_data_comes_from_the_real_module() -> None:
    got = run("import backtesting.test as t\n"
              "goog, eur, btc = t.GOOG, t.EURUSD, t.BTCUSD\n"
              "import pandas as pd, os\n"
              "path = os.path.join(os.path.dirname(sys.modules['backtesting.test'].__file__), 'GOOG.csv')\n"
              "pd.testing.assert_frame_equal(goog, pd.read_csv(path, index_col=0, parse_dates=True))\n"
              "print(json.dumps({'rows': [len(goog), len(eur) > 1000, len(btc) > 100], 'real': real()}))")
    assert got == {"rows": [2148, True, True], "real": True}


def test_a_star_import_gets_every_public_name() -> None:
    got = run("from backtesting.test import *\n"
              "print(json.dumps({'names': sorted(n for n in ('GOOG', 'EURUSD', 'BTCUSD', 'SMA')"
              " if n in globals()), 'goog': len(GOOG)}))")
    assert got == {"names": ["BTCUSD", "EURUSD", "GOOG", "SMA"], "goog": 2148}


def test_a_missing_name_is_an_import_error_as_with_the_real_module() -> None:
    got = run("try:\n    from backtesting.test import NOPE\nexcept ImportError as e:\n"
              "    print(json.dumps({'error': 'NOPE' in str(e)}))")
    assert got == {"error": True}
