"""Turn untrusted input into an AST the way the interpreter would, without crashing.

Size is checked before anything else; bytes are decoded with the PEP 263 cookie and BOM
(:func:`tokenize.detect_encoding`); the parser is guarded against RecursionError and
MemoryError; nesting depth is measured iteratively.
"""

from __future__ import annotations

import ast
import codecs
import io
import re
import tokenize

from executor.types import Violation

_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_UTF8 = {"utf-8", "utf_8", "utf8", "utf-8-sig"}


def _cookie(lines: list[bytes]) -> tuple[int, str] | None:
    """The coding cookie on line 1 or 2 (line 2 only if line 1 is a comment/blank)."""
    for i, line in enumerate(lines[:2]):
        m = _COOKIE.match(line)
        if m:
            return i + 1, m.group(1).decode("ascii", "replace")
        if i == 0 and not re.match(rb"^[ \t\f]*(#.*)?$", line):
            return None
    return None


def _norm(enc: str) -> str:
    try:
        return codecs.lookup(enc).name
    except LookupError:
        return enc.lower()


def decode(code: str | bytes) -> tuple[str | None, list[Violation]]:
    """Return the text the interpreter would see, or violations when it is unreadable.

    A file must mean the same whether it is read as UTF-8 or through its declared
    coding, so a cookie that changes the meaning (``utf-7`` ``+ADs-`` tricks) is refused.
    """
    raw = code if isinstance(code, bytes) else code.encode("utf-8", "surrogatepass")
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        return None, [Violation(line, 0, "encoding", "the source contains a NUL byte",
                                "save the file as plain UTF-8 text")]
    lines = raw.splitlines(keepends=True)[:2]
    cookie = _cookie(lines)
    if isinstance(code, bytes):
        try:
            enc, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
            text = raw.decode(enc)
        except (SyntaxError, UnicodeDecodeError, LookupError) as e:
            line = getattr(e, "lineno", None) or _bad_line(raw)
            return None, [Violation(line, 0, "encoding", f"cannot decode the source: {e}",
                                    "save the file as UTF-8 without a coding cookie")]
        if text.startswith("\ufeff"):
            text = text[1:]
    else:
        text = code[1:] if code.startswith("\ufeff") else code
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as e:
            return None, [Violation(text[: e.start].count("\n") + 1, 0, "encoding",
                                    f"the source has unencodable characters: {e.reason}",
                                    "save the file as UTF-8")]
    if cookie is not None and _norm(cookie[1]) not in _UTF8:
        return text, [Violation(cookie[0], 0, "encoding",
                                f"the file declares coding {cookie[1]!r}; only UTF-8 is accepted",
                                "remove the coding line and save the file as UTF-8")]
    return text, []


def _bad_line(raw: bytes) -> int:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return raw[: e.start].count(b"\n") + 1
    return 1


def parse(text: str) -> tuple[ast.Module | None, list[Violation]]:
    """``ast.parse`` that reports SyntaxError/RecursionError/MemoryError as violations."""
    try:
        return ast.parse(text, filename="<strategy>", type_comments=False), []
    except SyntaxError as e:
        msg = e.msg or "invalid syntax"
        if "too many nested" in msg or "too many levels" in msg:
            return None, [Violation(e.lineno or 1, (e.offset or 1) - 1, "too-deep", msg,
                                    "flatten the expression into several statements")]
        return None, [Violation(e.lineno or 1, max((e.offset or 1) - 1, 0), "syntax", msg,
                                "fix the syntax error; the file must be complete Python")]
    except (RecursionError, MemoryError):
        return None, [Violation(1, 0, "too-deep", "the code is nested too deeply to parse",
                                "split long or nested expressions into several statements")]
    except ValueError as e:  # e.g. null bytes on some versions
        return None, [Violation(1, 0, "syntax", str(e), "fix the source text")]


def measure(tree: ast.AST, max_depth: int
            ) -> tuple[dict[ast.AST, ast.AST], list[ast.AST], Violation | None]:
    """Parent map, every node (one walk, reused by all rules), and a violation at the
    first node deeper than ``max_depth``."""
    parents: dict[ast.AST, ast.AST] = {}
    nodes: list[ast.AST] = []
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        nodes.append(node)
        if depth > max_depth:
            return parents, nodes, Violation(
                getattr(node, "lineno", 1), getattr(node, "col_offset", 0), "too-deep",
                f"expression or block nesting deeper than {max_depth}",
                "split long or nested expressions into several statements")
        for child in ast.iter_child_nodes(node):
            parents[child] = node
            stack.append((child, depth + 1))
    return parents, nodes, None
