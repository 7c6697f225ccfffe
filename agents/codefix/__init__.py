"""Deterministic (no LLM) source rewriters for LLM-written backtesting.py strategies.

- :mod:`.package`     script-style file -> harness-ready module (driver code, imports, pandas_ta/ta)
- :mod:`.debug_fixes` error class -> targeted fix (``classify`` + ``fix``)
- :mod:`.diagnose`    zero trades -> how often each entry guard held on the data
- :mod:`.zero_trades` zero trades -> widen the blocking threshold within the spec's range,
  shorten a warm-up longer than the data, or say precisely why nothing can be done
- :mod:`.truncated`   a reply cut off by the output budget -> classified, trimmed, or
  continued by an LLM provider (package stage)
- :mod:`.rules.private_engine` reads of engine internals -> the public Strategy API
- :mod:`.run`         in-process runner + error dicts (trusted side / inside the sandbox only)

Every rewrite returns the new code and a list of :class:`Change` saying what was changed and why.
"""

from agents.codefix.classify import classify
from agents.codefix.debug_fixes import fix, fix_error
from agents.codefix.diagnose import ConditionStat, diagnose, entry_condition_report
from agents.codefix.package import package
from agents.codefix.types import Change, FixResult, PackageResult

__all__ = [
    "Change", "ConditionStat", "FixResult", "PackageResult",
    "classify", "diagnose", "entry_condition_report", "fix", "fix_error", "package",
]
