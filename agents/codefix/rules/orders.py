"""size_assertion / sl_tp_order: route ``self.buy``/``self.sell`` through a guard.

backtesting.py asserts ``0 < size < 1 or size is a whole number >= 1`` and raises
ValueError unless ``SL < price < TP`` (long) / ``TP < price < SL`` (short). The guard
(inserted once, after the imports) coerces the size (fraction kept, units floored, zero /
NaN / inf -> the order is skipped), swaps SL and TP when they were computed for the other
side, and drops a SL or TP that is still on the wrong side of the price.
"""

from __future__ import annotations

import ast

from agents.codefix.source import Edit, Source, dotted
from agents.codefix.types import Change

HELPER = "_rbi_order"
HELPER_CODE = '''

def _rbi_order(strategy, side, **kwargs):
    """Place strategy.buy/sell with a valid size and SL/TP (added by rbi debug rules)."""
    size = kwargs.get("size")
    if size is not None:
        try:
            size = abs(float(size))
        except (TypeError, ValueError):
            return None
        if size != size or size == float("inf") or size == 0:
            return None
        kwargs["size"] = size if size < 1 else float(int(size))
    long = side == "buy"
    price = kwargs.get("limit") or kwargs.get("stop")
    if not price:
        try:
            price = strategy._broker._adjusted_price(1 if long else -1)
        except Exception:  # noqa: BLE001 - private API moved: fall back to the last close
            price = float(strategy.data.Close[-1])

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
    if sl is not None:
        kwargs["sl"] = sl if fine(sl, long) else None
    if tp is not None:
        kwargs["tp"] = tp if fine(tp, not long) else None
    return getattr(strategy, side)(**kwargs)
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
        what = "size coerced to a fraction < 1 or whole units, order skipped if 0/NaN" \
            if needs == "size" else "SL/TP swapped or dropped when on the wrong side of the price"
        changes.append(Change("order-guard", node.lineno, f"self.{side}(...) -> {HELPER}(self, "
                                                         f"'{side}', ...): {what}"))
    if edits and not any(isinstance(n, ast.FunctionDef) and n.name == HELPER
                         for n in src.tree.body):
        pos = _after_imports(src)
        edits.append(Edit(pos, pos, HELPER_CODE))
        changes.append(Change("order-guard", 1, f"added helper {HELPER}()"))
    return edits, changes


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
