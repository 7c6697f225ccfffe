"""invented_attribute: backtrader-isms and attributes backtesting.py does not have."""

from __future__ import annotations

import ast
import re

from agents.codefix.source import Edit, Source, dotted
from agents.codefix.types import Change

LAST_TRADE = "(self.trades[-1].{attr} if self.trades else {default})"
POSITION = {
    "entry_price": ("entry_price", "self.data.Close[-1]"),
    "avg_price": ("entry_price", "self.data.Close[-1]"),
    "price": ("entry_price", "self.data.Close[-1]"),
    "open_price": ("entry_price", "self.data.Close[-1]"),
    "entry_time": ("entry_time", "self.data.index[-1]"),
    "entry_bar": ("entry_bar", "len(self.data) - 1"),
    "sl": ("sl", "None"), "tp": ("tp", "None"),
    "stop_loss": ("sl", "None"), "take_profit": ("tp", "None"),
}
POSITION_OTHER = {"is_open": "bool(self.position)", "isopen": "bool(self.position)",
                  "value": "abs(self.position.size) * self.data.Close[-1]",
                  "quantity": "self.position.size", "qty": "self.position.size",
                  "units": "self.position.size"}
BROKER = {"getvalue", "get_value", "getcash", "get_cash", "cash", "value", "equity",
          "get_equity", "portfolio_value"}
DATA_FRAME_ATTRS = {"columns", "shape", "iloc", "loc", "values", "dtypes", "empty", "head", "tail"}
BACKTRADER_ORDER_KW = {"exectype", "price", "valid", "trailamount", "trailpercent", "oco",
                       "parent", "transmit", "plimit", "data", "type", "order_type",
                       "stop_loss", "take_profit", "stoploss", "takeprofit"}
ORDER_KW_RENAME = {"stop_loss": "sl", "take_profit": "tp", "stoploss": "sl", "takeprofit": "tp"}


def bad_keyword(message: str) -> str | None:
    m = re.search(r"unexpected keyword argument '(\w+)'", message or "")
    return m.group(1) if m else None


def invented_attributes(src: Source, bad_kw: str | None = None) -> tuple[list[Edit], list[Change]]:
    edits: list[Edit] = []
    changes: list[Change] = []

    def sub(node: ast.AST, text: str, why: str) -> None:
        edits.append(Edit(*src.span(node), text))
        changes.append(Change("invented-attribute", node.lineno,  # type: ignore[attr-defined]
                              f"{src.text(node)} -> {text} ({why})"))

    for node in ast.walk(src.tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and dotted(node.func.value) == "self.broker" and node.func.attr in BROKER:
            sub(node, "self.equity", "backtrader broker API; backtesting.py has self.equity")
        elif isinstance(node, ast.Attribute) and dotted(node.value) == "self.broker" \
                and node.attr in BROKER:
            sub(node, "self.equity", "backtrader broker API; backtesting.py has self.equity")
        elif isinstance(node, ast.Attribute) and dotted(node.value) == "self.position":
            if node.attr in POSITION and not isinstance(node.ctx, ast.Store):
                attr, default = POSITION[node.attr]
                sub(node, LAST_TRADE.format(attr=attr, default=default),
                    "Position has no such attribute; the open trade has")
            elif node.attr in POSITION_OTHER:
                sub(node, POSITION_OTHER[node.attr], "Position has no such attribute")
        elif isinstance(node, ast.Attribute) and dotted(node.value) == "self.data" \
                and node.attr in DATA_FRAME_ATTRS:
            sub(node, f"self.data.df.{node.attr}", "self.data is not a DataFrame; .df is")
        elif isinstance(node, ast.Call) and dotted(node.func) in {"self.buy", "self.sell"}:
            for kw in node.keywords:
                if kw.arg in ORDER_KW_RENAME:
                    edits.append(Edit(*src.span(kw), f"{ORDER_KW_RENAME[kw.arg]}="
                                                     f"{src.text(kw.value)}"))
                    changes.append(Change("invented-attribute", kw.value.lineno,
                                          f"{kw.arg}= -> {ORDER_KW_RENAME[kw.arg]}="))
                elif kw.arg and (kw.arg == bad_kw or kw.arg in BACKTRADER_ORDER_KW):
                    edits.append(Edit(*_kw_span(src, node, kw), ""))
                    changes.append(Change("invented-attribute", kw.value.lineno,
                                          f"dropped {kw.arg}= from {dotted(node.func)}() "
                                          "(not a backtesting.py order argument)"))
    return edits, changes


def _kw_span(src: Source, call: ast.Call, kw: ast.keyword) -> tuple[int, int]:
    """The keyword plus one adjacent comma, so the argument list stays valid."""
    start, end = src.span(kw)
    data = src.data
    j = end
    while j < len(data) and data[j:j + 1] in (b" ", b"\n", b"\t", b"\r"):
        j += 1
    if j < len(data) and data[j:j + 1] == b",":
        return start, j + 1
    i = start - 1
    while i > 0 and data[i:i + 1] in (b" ", b"\n", b"\t", b"\r"):
        i -= 1
    if data[i:i + 1] == b",":
        return i, end
    return start, end
