"""Pull code or JSON out of whatever an LLM replied.

``extract_code``: fenced ```python blocks (the one defining a ``Strategy`` subclass, or
all of them joined when the file is split across blocks), bare code with prose around
it, and an unclosed fence at the end, which means the reply was cut off
(``truncated=True``: the fix is a bigger budget, not a debug loop).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from typing import Any

from agents.errors import RbiError

# A fence line is only the fence plus an optional info string (a language word, then
# anything after a space): Python 3.11 traceback markers such as ``    ~~~^^^^^`` start with
# tildes but are not fences.
FENCE = re.compile(r"^\s*(`{3,}|~{3,})[ \t]*([A-Za-z0-9_+.-]*)(?:[ \t{][^\n`]*)?[ \t]*$")
STRATEGY_CLASS = re.compile(r"^\s*class\s+\w+\s*\(([^)]*\b)?Strategy\b", re.M)
CODE_START = re.compile(r"^(import |from \S+ import |class |def |@|[A-Za-z_]\w* = )")
PY_LANGS = {"python", "py", "python3", ""}


class ExtractError(RbiError, ValueError):
    """Nothing usable in the reply."""


@dataclass(frozen=True)
class Block:
    lang: str
    code: str
    closed: bool


@dataclass(frozen=True)
class ExtractResult:
    code: str
    truncated: bool
    blocks: int

    @property
    def empty(self) -> bool:
        return not self.code.strip()


def fenced_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m.group(1), m.group(2).lower()
        body: list[str] = []
        i += 1
        closed = False
        while i < len(lines):
            if lines[i].strip().startswith(fence[0] * len(fence)) and \
                    lines[i].strip().strip(fence[0]) == "":
                closed = True
                break
            body.append(lines[i])
            i += 1
        blocks.append(Block(lang, "\n".join(body).strip("\n") + "\n", closed))
        i += 1
    return blocks


def extract_code(text: str) -> ExtractResult:
    blocks = fenced_blocks(text)
    py = [b for b in blocks if b.lang in PY_LANGS]
    if not py:
        py = [b for b in blocks if b.lang not in ("json", "text", "bash", "sh", "console")]
    if py:
        truncated = not py[-1].closed and py[-1] is blocks[-1]
        with_class = [b for b in py if STRATEGY_CLASS.search(b.code)]
        if len(with_class) == 1 and (len(py) == 1 or _has_imports(with_class[0].code)):
            chosen = with_class[0].code
        elif len(with_class) > 1:
            chosen = with_class[-1].code  # a corrected version usually comes last
            truncated = truncated and with_class[-1] is py[-1]
        else:
            chosen = "\n\n".join(b.code.rstrip("\n") for b in py) + "\n"
        return ExtractResult(chosen, truncated, len(py))
    return ExtractResult(_bare_code(text), False, 0)


def _has_imports(code: str) -> bool:
    return bool(re.search(r"^(import|from)\s", code, re.M))


def _bare_code(text: str) -> str:
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if CODE_START.match(ln)), None)
    if start is None:
        return ""
    tail = lines[start:]
    for end in range(len(tail), 0, -1):
        chunk = "\n".join(tail[:end])
        if tail[end - 1].strip() == "":
            continue
        try:
            ast.parse(chunk)
        except SyntaxError:
            continue
        return chunk + "\n"
    return "\n".join(tail) + "\n"


def extract_json(text: str) -> Any:
    """The first JSON object/array in a ```json block, any block, or the bare text."""
    blocks = fenced_blocks(text)
    ordered = [b for b in blocks if b.lang == "json"] + [b for b in blocks if b.lang != "json"]
    for b in ordered:
        try:
            return json.loads(b.code)
        except ValueError:
            continue
    decoder = json.JSONDecoder()
    for m in re.finditer(r"[{\[]", text):
        try:
            value, _ = decoder.raw_decode(text, m.start())
        except ValueError:
            continue
        if isinstance(value, dict) or (isinstance(value, list) and value):
            return value
    raise ExtractError("no JSON object found in the reply; ask for one fenced ```json block")


def json_object(text: str) -> dict[str, Any]:
    """The reply's JSON object (see :func:`extract_json`), or {} when it holds none."""
    try:
        data = extract_json(text)
    except ExtractError:
        return {}
    return data if isinstance(data, dict) else {}
