"""Zero trades: how often did each condition guarding ``self.buy``/``self.sell`` hold?

:func:`entry_condition_report` instruments a copy of the strategy (every ``if``/``elif``
test whose branch places an order, and each operand of a top-level ``and``, is wrapped in
a counting call), runs it with backtesting.py on ``data``, and returns JSON-able counts.
It executes the strategy code in-process: call it inside the sandbox for untrusted code.
"""

from __future__ import annotations

import ast
import contextlib
import warnings
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from agents.codefix.package import package
from agents.codefix.run import Sink, error_dict, load_strategy
from agents.codefix.source import dotted, strategy_class_names

ORDER_CALLS = {"self.buy", "self.sell"}


@dataclass(frozen=True)
class ConditionStat:
    expr: str
    line: int
    true_count: int
    bars: int  # bars next() ran on
    evaluated: int = 0  # times the condition was reached (short-circuits / nesting skip it)
    kind: str = "if"  # "if" | "and-operand"
    orders: str = ""  # "buy", "sell" or "buy/sell" placed under it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _orders_under(node: ast.If) -> set[str]:
    found: set[str] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            d = dotted(n.func)
            if d in ORDER_CALLS:
                found.add(d.split(".")[1])
            elif d == "_rbi_order" and len(n.args) > 1 and isinstance(n.args[1], ast.Constant):
                found.add(str(n.args[1].value))
    return found


class _Instrument(ast.NodeTransformer):
    def __init__(self) -> None:
        self.meta: list[dict[str, Any]] = []

    def _wrap(self, test: ast.expr, kind: str, orders: set[str], text: str = "") -> ast.expr:
        idx = len(self.meta)
        self.meta.append({"expr": text or ast.unparse(test), "line": test.lineno, "kind": kind,
                          "orders": "/".join(sorted(orders))})
        call = ast.Call(ast.Name("_rbi_cond", ast.Load()), [ast.Constant(idx), test], [])
        return ast.copy_location(call, test)

    def visit_If(self, node: ast.If) -> ast.AST:
        orders = _orders_under(node)
        self.generic_visit(node)
        if orders:
            test, text = node.test, ast.unparse(node.test)
            if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
                test.values = [self._wrap(v, "and-operand", orders) for v in test.values]
            node.test = self._wrap(test, "if", orders, text)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        self.generic_visit(node)
        if node.name == "next":
            bar = ast.Expr(ast.Call(ast.Name("_rbi_bar", ast.Load()), [], []))
            node.body.insert(0, ast.copy_location(bar, node.body[0]))
        return node


def _instrument(code: str) -> tuple[ast.Module, list[dict[str, Any]], list[str]]:
    tree = ast.parse(code)
    names = strategy_class_names(tree)
    inst = _Instrument()
    for i, node in enumerate(tree.body):
        if isinstance(node, ast.ClassDef) and node.name in names:
            tree.body[i] = inst.visit(node)
    ast.fix_missing_locations(tree)
    return tree, inst.meta, names


def entry_condition_report(code: str, data: pd.DataFrame, *, cash: float = 1_000_000,
                           commission: float = 0.0) -> list[ConditionStat]:
    """Counts for each order-guarding condition of the strategy run on ``data``.

    Script-style files are packaged first. If the strategy raises part-way, the counts
    gathered up to the failure are returned (:func:`diagnose` also reports the error).
    """
    return _run(code, data, cash, commission)[0]


def diagnose(code: str, data: pd.DataFrame, *, cash: float = 1_000_000,
             commission: float = 0.0) -> dict[str, Any]:
    """JSON-able ``{"bars", "trades", "conditions": [...], "error": dict | None}``."""
    conditions, bars, trades, error = _run(code, data, cash, commission)
    return {"bars": bars, "trades": trades, "conditions": [c.to_dict() for c in conditions],
            "error": error}


def _run(code: str, data: pd.DataFrame, cash: float, commission: float
         ) -> tuple[list[ConditionStat], int, int, dict[str, Any] | None]:
    from backtesting import Backtest

    code = package(code).code
    tree, meta, names = _instrument(code)
    if not names:
        return [], 0, 0, {"type": "LookupError", "message": "no Strategy subclass",
                          "traceback": "", "line": 0}
    counts = [[0, 0] for _ in meta]  # evaluated, true
    bars = [0]

    def _rbi_cond(idx: int, value: Any) -> Any:
        counts[idx][0] += 1
        if bool(value):
            counts[idx][1] += 1
        return value

    def _rbi_bar() -> None:
        bars[0] += 1

    namespace: dict[str, Any] = {"_rbi_cond": _rbi_cond, "_rbi_bar": _rbi_bar}
    error: dict[str, Any] | None = None
    trades = 0
    with warnings.catch_warnings(), contextlib.redirect_stdout(Sink()):
        warnings.simplefilter("ignore")
        try:
            cls = load_strategy(code, namespace, tree)
            stats = Backtest(data, cls, cash=cash, commission=commission,
                             finalize_trades=True).run()
            trades = int(stats["# Trades"])
        except Exception as exc:  # noqa: BLE001 - partial counts are still a diagnosis
            error = error_dict(exc)
            error.pop("traceback")
    stats_list = [ConditionStat(m["expr"], m["line"], c[1], bars[0], c[0], m["kind"], m["orders"])
                  for m, c in sorted(zip(meta, counts, strict=True),
                                     key=lambda mc: mc[0]["line"])]
    return stats_list, bars[0], trades, error
