"""What a strategy DECIDED, bar by bar: every order it created, recorded inside the run.

:func:`instrument` appends a subclass of the code's strategy class (the one the harness
picks: the last leaf ``Strategy`` subclass) whose ``next`` calls the original, then
folds every order that appeared in ``self.orders`` during that bar (market, limit, stop,
stop-limit; ``position.close()`` / ``trade.close()``; SL/TP set on a trade) into a
running digest: ``hash`` of (digest, bar, size, limit, stop, sl, tp, contingent),
numbers only, so it is the same in every process. It prints, numbered::

    @rbi-mark  <n> <bar> <digest of the orders created at bars < bar>   (checkpoints)
    @rbi-order <n> <bar> <size> <limit> <stop> <sl> <tp> <contingent>  (near a cut)

Checkpoints: every ``step`` bars and at each cut; order lines only for the ``window``
bars before each cut (to name the offending order). The output stays a few KB however
many orders the strategy places, well inside the sandbox's 64 KB stdout tail.
:func:`parse_record` reads it back; None when a numbered line is missing (the output
was cut), so a partial record is never compared.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["OrderRecord", "Record", "first_difference", "instrument", "parse_record",
           "strategy_leaf"]

RECORDER = "RbiOrderRecorder"
WINDOW = 10
OrderRecord = tuple[int, str, str, str, str, str, str]  # bar, size, limit, stop, sl, tp, contingent

_STRATEGY_BASES = {"Strategy", "SignalStrategy", "TrailingStrategy"}
_LINE = re.compile(r"^@rbi-(mark|order) (\d+) (\d+) (.+)$")

_TEMPLATE = '''

class {recorder}({base}):
    """Added by rbi's look-ahead check: records the orders the strategy creates."""

    def init(self):
        super().init()
        self.rbi_seen = set()
        self.rbi_kept = []
        self.rbi_digest = 0
        self.rbi_lines = 0

    def rbi_print(self, kind, bar, *values):
        print("@rbi-" + kind, self.rbi_lines, bar, *values)
        self.rbi_lines += 1

    def next(self):
        bar = len(self.data) - 1
        if bar <= {upto} and (bar % {step} == 0 or bar in {cuts}):
            self.rbi_print("mark", bar, self.rbi_digest)
        super().next()
        if bar >= {upto}:
            return
        for order in self.orders:
            if id(order) in self.rbi_seen:
                continue
            self.rbi_seen.add(id(order))
            self.rbi_kept.append(order)
            values = (float(order.size), order.limit, order.stop, order.sl, order.tp,
                      bool(order.is_contingent))
            self.rbi_digest = hash((self.rbi_digest, bar) + values)
            if any(0 < cut - bar <= {window} for cut in {cuts}):
                self.rbi_print("order", bar, *values)
'''


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def strategy_leaf(code: str) -> str | None:
    """Name of the strategy class the harness would run: the last top-level Strategy
    subclass no other one derives from; None when there is none (or no parse)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    found: list[str] = []
    parents: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            bases = {_dotted(b) for b in node.bases}
            if bases & (_STRATEGY_BASES | set(found)):
                found.append(node.name)
                parents |= bases & set(found)
    leaves = [n for n in found if n not in parents]
    return leaves[-1] if leaves else None


def instrument(code: str, cuts: Sequence[int], step: int | None = None) -> str | None:
    """``code`` with the order recorder appended for these cut bars (see module doc);
    None when the code has no strategy class to record."""
    base = strategy_leaf(code)
    if base is None or base == RECORDER or not cuts:
        return None
    upto = max(cuts)
    step = step or max(1, upto // 200)
    return code.rstrip() + "\n" + _TEMPLATE.format(
        recorder=RECORDER, base=base, upto=int(upto), step=int(step), window=WINDOW,
        cuts=tuple(sorted({int(c) for c in cuts})))


@dataclass
class Record:
    marks: dict[int, str]  # checkpoint bar -> digest of the orders created before it
    orders: list[OrderRecord]  # the orders created in the windows before the cuts


def parse_record(text: str | None) -> Record | None:
    """The record printed into ``text``; None when absent or incomplete."""
    if not text:
        return None
    rec = Record({}, [])
    n = 0
    for line in text.splitlines():
        m = _LINE.match(line.strip())
        if not m:
            continue
        if int(m.group(2)) != n:
            return None  # a line was lost (the output was cut in the middle)
        n += 1
        bar, rest = int(m.group(3)), m.group(4).split()
        if m.group(1) == "mark":
            rec.marks[bar] = rest[0]
        elif len(rest) == 6:
            rec.orders.append((bar, *rest))  # type: ignore[arg-type]
        else:
            return None
    return rec if n else None


def first_difference(full: Record, probe: Record, cut: int) -> tuple[int, str] | None:
    """(bar, what) of the first order created before ``cut`` that differs between the two
    records, None when all agree, or (-1, "") when they cannot be compared."""
    if cut not in full.marks or cut not in probe.marks:
        return -1, ""
    common = sorted(k for k in full.marks if k in probe.marks and k <= cut)
    prev = 0
    for k in common:
        if full.marks[k] != probe.marks[k]:
            break
        prev = k
    else:
        return None
    a = [r for r in full.orders if prev <= r[0] < k]
    b = [r for r in probe.orders if prev <= r[0] < k]
    for x, y in zip(a, b, strict=False):
        if x != y:
            return min(x[0], y[0]), f"order {_show(x)} became {_show(y)}"
    if len(a) != len(b):
        extra = (a if len(a) > len(b) else b)[min(len(a), len(b))]
        where = "only in the full run" if len(a) > len(b) else "only with the data withheld"
        return extra[0], f"order {_show(extra)} {where}"
    return prev, f"the orders created between bars {prev} and {k - 1} differ"


def _show(r: OrderRecord) -> str:
    names = ("size", "limit", "stop", "sl", "tp")
    parts = [f"{k}={v}" for k, v in zip(names, r[1:6], strict=True) if v != "None"]
    return f"at bar {r[0]} ({', '.join(parts)})"
