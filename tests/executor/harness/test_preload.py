"""What the harness imports before a request: everything for a process that waits for
one (warm container, zygote), only the common core for a one-shot container (``lean``),
and the rest once the request names it. Each case runs in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
OPTIONAL = ("talib", "backtesting.test", "RestrictedPython", "executor.validator.restricted",
            "executor.harness.stdout_stats")
CORE = ("numpy", "pandas", "backtesting", "backtesting.lib", "executor.execution",
        "executor.harness.parent", "executor.harness.child", "executor.harness.statsjson",
        "executor.harness.fastrun")


def loaded_after(body: str) -> dict[str, object]:
    probe = (f"import sys, gc, json; sys.path.insert(0, {str(ROOT)!r})\n{body}\n"
             f"print(json.dumps({{'mods': [m for m in {list(OPTIONAL + CORE)!r} if m in sys.modules],"
             f" 'gc': gc.isenabled(), 'frozen': gc.get_freeze_count(),"
             f" 'plotting_real': not getattr(sys.modules.get('backtesting._plotting'), '_rbi_stand_in', False),"
             f" 'testdata_real': not getattr(sys.modules.get('backtesting.test'), '_rbi_stand_in', False)}}))")
    out = subprocess.run([sys.executable, "-I", "-c", probe], capture_output=True, text=True,
                         timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_lean_imports_the_core_only_and_leaves_the_gc_on() -> None:
    got = loaded_after("from executor.harness.preload import preimport; preimport(lean=True)")
    assert set(got["mods"]) == {*CORE, "backtesting.test"}  # no talib, RestrictedPython, ...
    assert got["testdata_real"] is False  # backtesting.test is the stand-in: no CSV read
    assert got["gc"] is True
    assert got["frozen"] > 10_000  # the engine's objects: never scanned again, nor copied by it
    assert got["plotting_real"] is False  # bokeh stays out


def test_a_process_that_waits_for_its_request_imports_everything() -> None:
    got = loaded_after("from executor.harness.zygote import preimport; preimport()")
    assert set(got["mods"]) == set(OPTIONAL + CORE)
    assert got["testdata_real"] is True and got["plotting_real"] is False
    assert got["gc"] is True and got["frozen"] > 10_000


def test_a_restricted_request_loads_restricted_python() -> None:
    got = loaded_after("from executor.harness.preload import preimport, preimport_optional\n"
                       "preimport(lean=True); preimport_optional(True, 'from backtesting import Strategy')")
    assert "executor.validator.restricted" in got["mods"] and "RestrictedPython" in got["mods"]
    assert "talib" not in got["mods"]


def test_modules_the_code_names_are_loaded_and_no_others() -> None:
    got = loaded_after("from executor.harness.preload import preimport, preimport_optional\n"
                       "preimport(lean=True)\n"
                       "preimport_optional(False, 'import talib\\nfrom backtesting.test import SMA')")
    assert "talib" in got["mods"] and "backtesting.test" in got["mods"]
    assert "RestrictedPython" not in got["mods"]
    got = loaded_after("from executor.harness.preload import preimport, preimport_optional\n"
                       "preimport(lean=True); preimport_optional(False, 'from backtesting import test')")
    assert "backtesting.test" in got["mods"] and "talib" not in got["mods"]


def test_the_spare_warms_the_decode_without_touching_any_request() -> None:
    """spare.warm_decode runs in a spare before its request exists: it must work on a bare
    preloaded interpreter and load nothing optional."""
    got = loaded_after("from executor.harness.preload import preimport; preimport(lean=True)\n"
                       "from executor.harness.spare import warm_decode; warm_decode()")
    assert set(got["mods"]) == {*CORE, "backtesting.test"} and got["testdata_real"] is False
