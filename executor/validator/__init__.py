"""Static validator for untrusted backtesting.py strategy code.

    from executor.validator import validate, DEFAULT_ALLOWED_IMPORTS
    violations = validate(code)          # [] means the file may run

Rules (stable ids): syntax, encoding, too-large, too-deep, no-strategy,
import-not-allowed, relative-import, forbidden-call, dynamic-attribute, dunder-access,
forbidden-attribute, forbidden-module, private-engine, private-attribute, io-call,
format-attribute, monkeypatch, data-tamper, fake-stats, restricted-python,
module-value, annotation, validator-internal. Each violation carries a hint saying what to write instead.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable

from executor.types import Violation
from executor.validator.policy import DEFAULT_ALLOWED_IMPORTS

__all__ = ["DEFAULT_ALLOWED_IMPORTS", "RULES", "validate"]

RULES: tuple[str, ...] = (
    "syntax", "encoding", "too-large", "too-deep", "no-strategy", "import-not-allowed",
    "relative-import", "forbidden-call", "dynamic-attribute", "dunder-access",
    "forbidden-attribute", "forbidden-module", "private-engine", "private-attribute",
    "io-call", "format-attribute", "monkeypatch", "data-tamper", "fake-stats",
    "restricted-python", "module-value", "annotation", "validator-internal",
)


def validate(code: str | bytes, *, allowed_imports: Iterable[str] | None = None,
             max_bytes: int = 2_000_000, max_depth: int = 100, require_strategy: bool = True,
             script: bool = False, restricted: bool = False) -> list[Violation]:
    """Check strategy source statically; an empty list means it may run. Never raises."""
    try:
        return _validate(code, allowed_imports, max_bytes, max_depth, require_strategy,
                         script, restricted)
    except Exception as e:  # a bug in the validator must not let code through
        tb = traceback.extract_tb(e.__traceback__)
        where = f" at {tb[-1].filename}:{tb[-1].lineno}" if tb else ""
        return [Violation(1, 0, "validator-internal",
                          f"the validator failed: {type(e).__name__}: {e}{where}",
                          "report this; the file is refused until the validator is fixed")]


def _validate(code: str | bytes, allowed_imports: Iterable[str] | None, max_bytes: int,
              max_depth: int, require_strategy: bool, script: bool,
              restricted: bool) -> list[Violation]:
    from executor.validator.checks import Checker
    from executor.validator.facts import collect
    from executor.validator.source import decode, measure, parse

    if not isinstance(code, (str, bytes, bytearray)):
        return [Violation(1, 0, "syntax", f"expected source text, got {type(code).__name__}",
                          "pass the file's text")]
    if isinstance(code, bytearray):
        code = bytes(code)
    size = len(code) if isinstance(code, bytes) else len(code.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        return [Violation(1, 0, "too-large", f"the file is {size:,} bytes (limit {max_bytes:,})",
                          "a strategy is a few hundred lines; remove embedded data")]
    text, out = decode(code)
    if text is None:
        return out
    if not text.strip():
        return [*out, Violation(1, 0, "no-strategy", "the file is empty",
                                "write a class deriving from backtesting.Strategy")]
    tree, errs = parse(text)
    if tree is None:
        return [*out, *errs]
    parents, nodes, deep = measure(tree, max_depth)
    if deep is not None:
        return [*out, deep]
    facts = collect(nodes, parents)
    allowed = frozenset(DEFAULT_ALLOWED_IMPORTS if allowed_imports is None else allowed_imports)
    out.extend(Checker(nodes, parents, facts, allowed=allowed | {"__future__"},
                       script=script).run())
    if require_strategy and not script and not facts.strategies:
        out.append(Violation(1, 0, "no-strategy", "no class deriving from Strategy",
                             "define class MyStrategy(Strategy) with init() and next()"))
    if restricted:
        from executor.validator.restricted import restricted_violations

        out.extend(restricted_violations(text))
    return _dedupe(out)


def _dedupe(items: list[Violation]) -> list[Violation]:
    seen: set[tuple[int, int, str, str]] = set()
    res = []
    for v in sorted(items, key=lambda v: (v.line, v.col, v.rule)):
        key = (v.line, v.col, v.rule, v.message)
        if key not in seen:
            seen.add(key)
            res.append(v)
    return res
