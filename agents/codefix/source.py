"""Source-segment editing on top of ``ast`` positions (comments outside edits survive).

``ast`` column offsets are UTF-8 byte offsets, so edits are applied on the encoded source.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Edit:
    start: int  # byte offset
    end: int  # byte offset (exclusive)
    text: str


class Source:
    """A parsed module plus helpers to address and replace node segments."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.data = code.encode("utf-8")
        self.tree = ast.parse(code)
        self._starts = [0]
        for i, b in enumerate(self.data):
            if b == 0x0A:
                self._starts.append(i + 1)

    def offset(self, line: int, col: int) -> int:
        return self._starts[line - 1] + col

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return start, end

    def text(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.data[start:end].decode("utf-8")

    def stmt_span(self, node: ast.stmt) -> tuple[int, int]:
        """Whole lines of a statement (incl. its decorators and trailing newline) when it
        owns them; otherwise just its own segment."""
        first = node.lineno
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.decorator_list:
                first = min(d.lineno for d in node.decorator_list)
        start_line = self._starts[first - 1]
        before = self.data[start_line:self.offset(node.lineno, node.col_offset)]
        end = self.offset(node.end_lineno or node.lineno, node.end_col_offset or 0)
        last = node.end_lineno or node.lineno
        rest_end = self._starts[last] if last < len(self._starts) else len(self.data)
        after = self.data[end:rest_end]
        if first == node.lineno and before.strip():
            return self.span(node)
        if after.strip() and not after.strip().startswith(b"#"):
            return self.span(node)
        return start_line, rest_end


def apply_edits(code: str, edits: list[Edit]) -> str:
    """Apply edits; of overlapping ones the outermost (earliest start, longest) wins,
    so callers re-parse and run again until nothing changes (see :func:`fixpoint`)."""
    data = code.encode("utf-8")
    out: list[bytes] = []
    pos = 0
    for e in sorted(edits, key=lambda e: (e.start, -e.end)):
        if e.start < pos:
            continue
        out.append(data[pos:e.start])
        out.append(e.text.encode("utf-8"))
        pos = e.end
    out.append(data[pos:])
    return b"".join(out).decode("utf-8")


def calls(tree: ast.AST) -> Iterator[ast.Call]:
    """Every call in ``tree``, in ``ast.walk`` order."""
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


def dotted(node: ast.AST) -> str:
    """``a.b.c`` for Name/Attribute chains, '' otherwise."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def try_parse(code: str) -> Source | None:
    try:
        return Source(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def has_import(tree: ast.Module, module: str, alias: str) -> bool:
    for node in tree.body:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == module and (a.asname or a.name) == alias:
                    return True
    return False


def ensure_import(code: str, module: str, alias: str | None = None) -> str:
    """Add ``import module [as alias]`` after the last top-level import unless present."""
    src = try_parse(code)
    if src is None or has_import(src.tree, module, alias or module):
        return code
    statement = f"import {module}" + (f" as {alias}" if alias and alias != module else "")
    last = 0
    for node in src.tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            last = node.end_lineno or node.lineno
        elif last:
            break
    lines = code.splitlines(keepends=True)
    lines.insert(last, statement + "\n")
    return "".join(lines)


def strategy_class_names(tree: ast.Module) -> list[str]:
    """Top-level classes deriving (transitively within the module) from ``Strategy``."""
    found: list[str] = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {dotted(b) for b in node.bases}
        bases |= {b.replace("backtesting.lib.", "").replace("backtesting.", "") for b in bases}
        if bases & ({"Strategy", "SignalStrategy", "TrailingStrategy"} | set(found)):
            found.append(node.name)
    return found


def fixpoint(code: str, one_pass, max_passes: int = 6) -> tuple[str, list]:  # type: ignore[no-untyped-def]
    """Run ``one_pass(Source) -> (edits, changes)`` until it proposes nothing (nested
    rewrites need several passes since only the outermost overlapping edit applies)."""
    changes: list = []
    for _ in range(max_passes):
        src = try_parse(code)
        if src is None:
            break
        edits, new_changes = one_pass(src)
        if not edits:
            break
        new_code = apply_edits(code, edits)
        if new_code == code:
            break
        code = new_code
        changes.extend(new_changes)
    return code, changes
