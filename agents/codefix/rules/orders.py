"""size_assertion / sl_tp_order: route ``self.buy``/``self.sell`` through a guard.

backtesting.py asserts ``0 < size < 1 or size is a whole number >= 1`` and raises
ValueError unless ``SL < price < TP`` (long) / ``TP < price < SL`` (short). The guard
(inserted once, after the imports) coerces the size as a trader means it: a fraction of
equity is kept, fractional units >= 1 are floored to whole units (capped at what the
equity buys: a risk-based unit count larger than the account), a negative size is
taken by its magnitude, zero (or a fraction too small to buy one unit) becomes the
smallest valid order (1 unit), NaN / inf skip the order. It swaps SL and TP when they
were computed for the other side, reads SL/TP written as a fraction of the price
(``sl=0.98``) as that fraction of the price, and drops a SL or TP still on the wrong
side. ``close(portion=50)`` (a percentage) becomes ``close(portion=0.5)`` through
``_rbi_portion``. The helpers use only the public Strategy API (they validate).
"""

from __future__ import annotations

import ast

from agents.codefix.source import Edit, Source, dotted
from agents.codefix.types import Change

HELPER = "_rbi_order"
HELPER_CODE = '''

def _rbi_order(strategy, side, **kwargs):
    """Place strategy.buy/sell with a valid size and SL/TP (added by rbi debug rules)."""
    long = side == "buy"
    price = kwargs.get("limit") or kwargs.get("stop") or float(strategy.data.Close[-1])
    size = kwargs.get("size")
    if size is not None:
        try:
            size = abs(float(size))
        except (TypeError, ValueError):
            return None
        if size != size or size == float("inf"):
            return None
        if size >= 1:
            size = float(int(size))
            if size * price > strategy.equity:  # more units than the equity buys: all it buys
                size = float(int(strategy.equity / price)) or 1.0
        elif size == 0 or strategy.equity * size < price <= strategy.equity:
            size = 1.0  # a position too small for one unit: the smallest valid one
        kwargs["size"] = size

    def fine(value, below):
        try:
            value = float(value)
        except (TypeError, ValueError):
            return False
        return value == value and 0 < value < float("inf") and (
            value < price if below else value > price)

    sl, tp = kwargs.get("sl"), kwargs.get("tp")
    if sl is not None and tp is not None and not fine(sl, long) and not fine(tp, not long) \\
            and fine(tp, long) and fine(sl, not long):
        sl, tp = tp, sl
    for key, value, below in (("sl", sl, long), ("tp", tp, not long)):
        if value is None:
            continue
        try:
            if 0 < abs(float(value)) < 2 < price / 10:
                value = price * abs(float(value))  # written as a fraction of the price
        except (TypeError, ValueError):
            pass
        kwargs[key] = value if fine(value, below) else None
    return strategy.buy(**kwargs) if long else strategy.sell(**kwargs)


def _rbi_portion(portion):
    """A close() portion in (0, 1]: percentages become fractions (added by rbi debug rules)."""
    try:
        portion = abs(float(portion))
    except (TypeError, ValueError):
        return 1.0
    if portion != portion or portion == 0 or portion == float("inf"):
        return 1.0
    return portion / 100 if 1 < portion <= 100 else min(portion, 1.0)
'''


def guard_orders(src: Source, needs: str) -> tuple[list[Edit], list[Change]]:
    """Rewrite ``self.buy(...)``/``self.sell(...)`` calls that pass ``needs`` ("size" or
    "sl/tp") into ``_rbi_order(self, "buy", ...)`` and insert the helper once."""
    edits: list[Edit] = []
    changes: list[Change] = []
    wanted = {"size"} if needs == "size" else {"sl", "tp"}
    for node in ast.walk(src.tree):
        if not (isinstance(node, ast.Call) and dotted(node.func) in {"self.buy", "self.sell"}):
            continue
        if not {k.arg for k in node.keywords} & wanted:
            continue
        side = dotted(node.func).split(".")[1]
        args = [f"**{src.text(k.value)}" if k.arg is None else src.text(k) for k in node.keywords]
        text = f'{HELPER}(self, "{side}"' + "".join(", " + a for a in args) + ")"
        edits.append(Edit(*src.span(node), text))
        what = "size coerced to a fraction < 1 or whole units (0 -> 1 unit, NaN -> skipped)" \
            if needs == "size" else "SL/TP swapped or dropped when on the wrong side of the price"
        changes.append(Change("order-guard", node.lineno, f"self.{side}(...) -> {HELPER}(self, "
                                                         f"'{side}', ...): {what}"))
    if needs == "size":
        _guard_portions(src, edits, changes)
    if edits and not any(isinstance(n, ast.FunctionDef) and n.name == HELPER
                         for n in src.tree.body):
        pos = _after_imports(src)
        edits.append(Edit(pos, pos, HELPER_CODE))
        changes.append(Change("order-guard", 1, f"added helper {HELPER}()"))
    return edits, changes


def _guard_portions(src: Source, edits: list[Edit], changes: list[Change]) -> None:
    """``x.close(portion=E)`` / ``x.close(E)`` -> ``x.close(portion=_rbi_portion(E))``."""
    for node in ast.walk(src.tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "close"):
            continue
        arg = node.args[0] if node.args else next(
            (k.value for k in node.keywords if k.arg == "portion"), None)
        if arg is None or (isinstance(arg, ast.Call) and dotted(arg.func) == "_rbi_portion"):
            continue
        if isinstance(arg, ast.Constant) and isinstance(arg.value, int | float) \
                and 0 < arg.value <= 1:
            continue
        edits.append(Edit(*src.span(node), f"{src.text(node.func)}(portion=_rbi_portion("
                                           f"{src.text(arg)}))"))
        changes.append(Change("order-guard", node.lineno,
                              f"{src.text(node)} -> portion through _rbi_portion() (a "
                              "percentage becomes a fraction in (0, 1])"))


def _after_imports(src: Source) -> int:
    last: ast.stmt | None = None
    for node in src.tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            last = node
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and last is None:
            last = node  # module docstring
        else:
            break
    if last is None:
        return 0
    _, end = src.stmt_span(last)
    return end
