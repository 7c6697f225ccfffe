"""private-engine: reads of backtesting.py internals -> the public Strategy API.

Generated code reads ``self._broker._cash``, ``self._broker.equity``, ``self._equity``,
``self._broker.getvalue()``, ``self._adjusted_price(size)`` ... The validator refuses
every access to engine internals (a write could fake results), so READS are rewritten to
public expressions any validator accepts:

- cash   -> ``(self.equity - sum(t.pl for t in self.trades))`` (equity minus open P/L;
  exact without margin, which the harness's runs do not use);
- equity / portfolio value -> ``self.equity``;
- the commission-adjusted fill price -> ``self.data.Close[-1]`` (the next fill is at the
  next open, the last close is what the author had in mind);
- the broker's trades / closed trades / orders / position -> ``self.trades`` ...;
- ``self._data`` -> ``self.data``.

WRITES (``self._broker._cash = ...``, ``+=``, ``setattr``) are never rewritten: they are
reported as unresolved and the file stays refused.
"""

from __future__ import annotations

import ast

from agents.codefix.source import Edit, Source, dotted
from agents.codefix.types import Change

CASH = "(self.equity - sum(t.pl for t in self.trades))"
EQUITY = "self.equity"
PRICE = "self.data.Close[-1]"
# attribute of the broker (or of the strategy itself) -> public expression
BROKER_ATTRS = {
    "_cash": CASH, "cash": CASH,
    "equity": EQUITY, "_equity": EQUITY, "value": EQUITY, "portfolio_value": EQUITY,
    "trades": "self.trades", "_trades": "self.trades",
    "closed_trades": "self.closed_trades", "_closed_trades": "self.closed_trades",
    "orders": "self.orders", "_orders": "self.orders",
    "position": "self.position", "_position": "self.position",
}
BROKER_CALLS = {
    "get_cash": CASH, "getcash": CASH, "getvalue": EQUITY, "get_value": EQUITY,
    "get_equity": EQUITY, "_adjusted_price": PRICE, "adjusted_price": PRICE,
}
SELF_ATTRS = {"_equity": EQUITY, "_cash": CASH, "_data": "self.data"}
SELF_CALLS = {"_adjusted_price": PRICE}
EQUITY_HISTORY = ("self._broker._equity", "self._equity")


def _written(tree: ast.Module) -> set[int]:
    """ids of Attribute nodes that are assignment / deletion targets (or inside one)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = list(node.targets)
        for t in targets:
            out |= {id(n) for n in ast.walk(t)}
    return out


def _setattr_on_engine(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in {"setattr", "delattr"} and bool(node.args)
            and dotted(node.args[0]).startswith(("self._broker", "self._data")))


def private_engine_reads(src: Source) -> tuple[list[Edit], list[Change]]:
    """Rewrite reads of engine internals reached from ``self``; report writes."""
    edits: list[Edit] = []
    changes: list[Change] = []
    written = _written(src.tree)

    def sub(node: ast.AST, text: str) -> None:
        edits.append(Edit(*src.span(node), text))
        changes.append(Change("private-engine", node.lineno,  # type: ignore[attr-defined]
                              f"{src.text(node)} -> {text} (engine internal read; public API)"))

    for node in ast.walk(src.tree):
        if isinstance(node, ast.Subscript) and dotted(node.value) in EQUITY_HISTORY \
                and id(node) not in written and _is_last(node.slice):
            sub(node, EQUITY)  # the equity history's last value is the current equity
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and id(node.func) not in written:
            owner = dotted(node.func.value)
            if owner == "self._broker" and node.func.attr in BROKER_CALLS:
                sub(node, BROKER_CALLS[node.func.attr])
            elif owner == "self" and node.func.attr in SELF_CALLS:
                sub(node, SELF_CALLS[node.func.attr])
        elif isinstance(node, ast.Attribute) and id(node) not in written \
                and isinstance(node.ctx, ast.Load):
            owner = dotted(node.value)
            if owner == "self._broker" and node.attr in BROKER_ATTRS:
                sub(node, BROKER_ATTRS[node.attr])
            elif owner == "self" and node.attr in SELF_ATTRS:
                sub(node, SELF_ATTRS[node.attr])
    return edits, changes


def _is_last(index: ast.AST) -> bool:
    return (isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub)
            and isinstance(index.operand, ast.Constant) and index.operand.value == 1)


def private_engine_writes(src: Source) -> list[Change]:
    """Writes to engine internals: never rewritten (they could fake results)."""
    written = _written(src.tree)
    out: list[Change] = []
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Attribute) and id(node) in written \
                and dotted(node).startswith(("self._broker", "self._data", "self._equity")) \
                and isinstance(node.ctx, ast.Store | ast.Del):
            out.append(Change("private-engine", node.lineno,
                              f"writes {dotted(node)}: writing engine internals is refused "
                              "and not rewritten (it could fake results); remove the write"))
        elif _setattr_on_engine(node):
            out.append(Change("private-engine", node.lineno,  # type: ignore[attr-defined]
                              f"{src.text(node)}: writing engine internals is refused and "
                              "not rewritten; remove it"))
    return out
