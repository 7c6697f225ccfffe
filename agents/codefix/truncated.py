"""truncated: a reply cut off by the model's output budget (not a debug failure).

A cut-off reply is prose + an unclosed markdown block + half a file, or a file that stops
mid-statement. :func:`is_truncated` tells it apart from a real syntax error (the error is
at the end of the text); :func:`rescue_truncated` strips the prose/fence and drops the
unfinished tail, so the complete part can run. When the lost tail is module-level driver
code (``Backtest(...)``, ``print(stats)``), nothing of the strategy is lost; when it is
inside the strategy, the note says so, and with an LLM provider the package stage asks
for a continuation instead (:func:`continuation_prompt`).
"""

from __future__ import annotations

import ast
import re

from agents.codefix.types import Change

FENCE = re.compile(r"^```[ \t]*(?:python|py|python3)?[ \t]*$", re.M)
EOF_HINTS = ("was never closed", "unexpected eof", "eof while", "unterminated triple-quoted",
             "incomplete input")  # errors Python reports at the opening, not at the end
MAX_TRIM_LINES = 60


def _syntax_error(code: str) -> SyntaxError | None:
    try:
        ast.parse(code)
    except SyntaxError as e:
        return e
    except (ValueError, RecursionError, MemoryError):
        return SyntaxError("unparsable")
    return None


def strip_fence(code: str) -> tuple[str, bool]:
    """The code inside a markdown block (closed or not) of a reply, else ``code``."""
    fences = list(FENCE.finditer(code))
    if not fences:
        return code, False
    body = code[fences[0].end():].lstrip("\n")
    if len(fences) > 1:
        body = code[fences[0].end():fences[1].start()].lstrip("\n")
    return body, True


def is_truncated(code: str) -> bool:
    """True when the text is a reply cut off at the end (not a syntax error inside)."""
    body, fenced = strip_fence(code)
    if fenced and len(list(FENCE.finditer(code))) == 1:
        return True  # an unclosed markdown block
    err = _syntax_error(body)
    if err is None:
        return False
    msg = str(err.msg or "").lower()
    lines = [i for i, text in enumerate(body.splitlines(), 1) if text.strip()]
    at_end = bool(lines) and (err.lineno or 0) >= lines[-1]
    return at_end or any(h in msg for h in EOF_HINTS)


def rescue_truncated(code: str) -> tuple[str, list[Change]]:
    """(code trimmed to its last complete statement, changes); ``(code, [])`` when the file
    is not truncated or no prefix parses."""
    if not is_truncated(code):
        return code, []
    body, fenced = strip_fence(code)
    changes: list[Change] = []
    if fenced:
        changes.append(Change("truncated", 1, "took the code out of the reply's markdown block "
                                              "(the prose and the unclosed fence removed)"))
    if _syntax_error(body) is None:
        return body, changes
    lines = body.splitlines(keepends=True)
    for cut in range(1, min(MAX_TRIM_LINES, len(lines)) + 1):
        head = "".join(lines[:-cut])
        if head.strip() and _syntax_error(head) is None:
            break
    else:
        return code, []
    lost = lines[-cut:]
    first = next((ln for ln in lost if ln.strip()), "")
    inside = first[:1] in (" ", "\t")
    where = _enclosing(head, len(lines) - cut + 1, first) if inside else "module-level code"
    what = ("the strategy may miss the logic that followed: review it, or re-ask the model "
            "with a larger output budget") if inside else \
        "driver code the harness replaces (nothing of the strategy is lost)"
    changes.append(Change("truncated", len(lines) - cut + 1,
                          f"the reply was cut off: dropped the unfinished last {cut} line(s) "
                          f"in {where} (`{first.strip()[:60]}`); {what}"))
    return head.rstrip("\n") + "\n", changes


def _enclosing(head: str, line: int, first_lost: str) -> str:
    """``Class.method`` the cut falls in (the lost tail may start with the ``def``)."""
    tree = ast.parse(head)
    name = "the strategy"
    for cls in tree.body:
        if isinstance(cls, ast.ClassDef):
            name = cls.name
            for fn in cls.body:
                if isinstance(fn, ast.FunctionDef) and fn.lineno < line:
                    name = f"{cls.name}.{fn.name}()"
    m = re.match(r"\s+def (\w+)", first_lost)
    if m:
        name = f"{name.split('.')[0]}.{m.group(1)}()"
    return name


def lost_strategy_code(changes: list[Change]) -> bool:
    """Did a rescue drop code inside the strategy (an LLM continuation would do better)?"""
    return any(c.rule == "truncated" and "may miss" in c.description for c in changes)


def continuation_prompt(code: str) -> str:
    """The user message asking a model to continue a cut-off file."""
    body, _ = strip_fence(code)
    return ("Your previous reply was cut off by the output limit. Here is the file as far "
            "as it got:\n\n```python\n" + body + "\n```\n\nReply with the COMPLETE file in "
            "one ```python block: everything above (unchanged) and the rest of the strategy.")
