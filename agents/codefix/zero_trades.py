"""zero_trades: act on the conditions that block every entry.

Reads the ``if`` tests that guard the strategy's orders (``self.buy``/``self.sell`` or
the ``_rbi_order`` guard) and, for the class parameters they compare against:

- a threshold (``rsi < self.oversold``, ``atr_pct > self.min_atr_pct``,
  ``volume > self.mult * avg``) is moved to the end of its search range (the spec's
  ``low``/``high``) in the direction that lets the condition hold more often;
- a look-back used by an indicator (``timeperiod=self.p``) longer than a quarter of the
  data is shortened to a tenth of the bars (warm-up longer than the data never trades);
- a fraction-of-equity size too small to buy one unit is left to the order guard.

When nothing can be widened, :func:`widen` says precisely why (conditions that contradict
each other, thresholds already at their range end, no numeric parameter in the test).
The new values go into the code (class attribute literals, so the version differs) and
into the version's params (the harness passes params to the run).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from agents.codefix.source import Edit, Source, apply_edits, dotted, strategy_class_names, try_parse
from agents.codefix.types import Change

ORDER_CALLS = {"self.buy", "self.sell"}
UPPER = ("upper", "high", "top", "resist")
LOWER = ("lower", "low", "bottom", "support")


@dataclass
class Widened:
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    why_not: str = ""  # set when nothing could be done


def _order_methods(cls: ast.ClassDef) -> set[str]:
    """``self.<method>`` names of the class that place an order (``self._enter(...)``)."""
    out = set()
    for fn in cls.body:
        if isinstance(fn, ast.FunctionDef) and any(
                isinstance(n, ast.Call) and dotted(n.func) in ORDER_CALLS | {"_rbi_order"}
                for n in ast.walk(fn)):
            out.add(f"self.{fn.name}")
    return out


def _places_entry(node: ast.If, methods: set[str]) -> bool:
    return any(isinstance(n, ast.Call) and dotted(n.func) in ORDER_CALLS | methods
               | {"_rbi_order"} for n in ast.walk(ast.Module(node.body, [])))


def _param_sign(expr: ast.AST, name: str, sign: int = 1) -> int:
    """+1 / -1: does ``expr`` grow / shrink as ``self.<name>`` grows (0: not in it)."""
    if dotted(expr) == f"self.{name}":
        return sign
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
        return _param_sign(expr.operand, name, -sign)
    if isinstance(expr, ast.BinOp):
        left = _param_sign(expr.left, name, sign)
        if left:
            return left
        flip = isinstance(expr.op, ast.Sub | ast.Div | ast.FloorDiv)
        return _param_sign(expr.right, name, -sign if flip else sign)
    if isinstance(expr, ast.Call | ast.Subscript | ast.Attribute):
        return 0
    for child in ast.iter_child_nodes(expr):
        found = _param_sign(child, name, sign)
        if found:
            return found
    return 0


def _comparisons(test: ast.AST) -> list[ast.Compare | ast.Call]:
    return [n for n in ast.walk(test) if isinstance(n, ast.Compare) and len(n.ops) == 1
            or isinstance(n, ast.Call) and dotted(n.func).endswith("crossover")
            and len(n.args) == 2]


def _direction(cmp: ast.Compare | ast.Call, name: str) -> int:
    """+1: raising the parameter lets ``cmp`` hold more often; -1: lowering; 0: unknown.

    ``crossover(x, level)`` needs x below the level first: a higher level crosses more
    often; ``crossover(level, x)`` the other way round."""
    if isinstance(cmp, ast.Call):
        return _param_sign(cmp.args[1], name) or -_param_sign(cmp.args[0], name)
    op = cmp.ops[0]
    left, right = _param_sign(cmp.left, name), _param_sign(cmp.comparators[0], name)
    if isinstance(op, ast.Lt | ast.LtE):
        return -left if left else right
    if isinstance(op, ast.Gt | ast.GtE):
        return left if left else -right
    return 0


def contradictions(test: ast.AST, src: Source) -> list[str]:
    """``x > upper ... and x < lower`` pairs inside one ``and``."""
    out = []
    for node in ast.walk(test):
        if not (isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And)):
            continue
        above: dict[str, str] = {}
        below: dict[str, str] = {}
        for v in node.values:
            if isinstance(v, ast.Compare) and len(v.ops) == 1:
                lhs, rhs = src.text(v.left), src.text(v.comparators[0]).lower()
                if isinstance(v.ops[0], ast.Gt | ast.GtE) and any(w in rhs for w in UPPER):
                    above[lhs] = src.text(v)
                if isinstance(v.ops[0], ast.Lt | ast.LtE) and any(w in rhs for w in LOWER):
                    below[lhs] = src.text(v)
        out += [f"`{above[k]}` and `{below[k]}` cannot both hold (the upper band is above "
                "the lower one)" for k in above if k in below]
    return out


def _class_params(cls: ast.ClassDef) -> dict[str, ast.Constant]:
    out = {}
    for node in cls.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, int | float) \
                and not isinstance(node.value.value, bool):
            out[node.targets[0].id] = node.value
    return out


def _lookbacks(cls: ast.ClassDef, params: set[str]) -> set[str]:
    """Parameters passed to ``self.I(...)`` (indicator windows)."""
    out: set[str] = set()
    for n in ast.walk(cls):
        if isinstance(n, ast.Call) and dotted(n.func) == "self.I":
            for arg in [*n.args[1:], *(k.value for k in n.keywords)]:
                name = dotted(arg)
                if name.startswith("self.") and name[5:] in params:
                    out.add(name[5:])
    return out


def _fmt(value: float, like: Any) -> Any:
    if isinstance(like, int):
        return int(round(value))
    return round(float(value), 6)


def widen(code: str, ranges: dict[str, tuple[Any, Any]], bars: int,
          current: dict[str, Any] | None = None) -> Widened:
    """Widen the thresholds / shorten the warm-up that block every entry (see module doc).

    ``ranges``: parameter -> (low, high) from the spec; ``bars``: bars the run had;
    ``current``: the parameter values the run used (else the class attributes')."""
    current = current or {}
    src = try_parse(code)
    if src is None:
        return Widened(code, why_not="the code does not parse")
    names = strategy_class_names(src.tree)
    cls = next((n for n in src.tree.body if isinstance(n, ast.ClassDef) and names
                and n.name == names[-1]), None)
    if cls is None:
        return Widened(code, why_not="no Strategy subclass")
    params = _class_params(cls)
    methods = _order_methods(cls)
    tests = [n.test for n in ast.walk(cls) if isinstance(n, ast.If) and _places_entry(n, methods)]
    new: dict[str, Any] = {}
    changes: list[Change] = []
    at_end: list[str] = []
    for name in sorted(_lookbacks(cls, set(params))):
        value = current.get(name, params[name].value)
        if isinstance(value, int | float) and bars and value > bars / 4:
            new[name] = max(2, _fmt(bars / 10, value))
            changes.append(Change("zero-trades", params[name].lineno,
                                  f"{name} = {value} -> {new[name]}: the indicator's warm-up "
                                  f"({value} bars) is longer than a quarter of the data "
                                  f"({bars} bars), so no entry could ever be evaluated"))
    for test in tests:
        for cmp in _comparisons(test):
            for name, node in params.items():
                if name in new:
                    continue
                way = _direction(cmp, name)
                if not way:
                    continue
                low, high = ranges.get(name, (None, None))
                target = high if way > 0 else low
                value = current.get(name, node.value)
                if target is None:
                    at_end.append(f"{name} (no search range in the spec)")
                    continue
                if (way > 0 and value >= target) or (way < 0 and value <= target):
                    at_end.append(f"{name} = {value} (already at the range end {target})")
                    continue
                new[name] = _fmt(target, value)
                changes.append(Change("zero-trades", cmp.lineno,
                                      f"{name} = {value} -> {new[name]}: `{src.text(cmp)}` "
                                      f"guards every entry; widened to the "
                                      f"{'top' if way > 0 else 'bottom'} of its range "
                                      f"[{low}, {high}] so it can hold more often"))
    if new:
        edits = [Edit(*src.span(params[n]), repr(v)) for n, v in new.items()]
        return Widened(apply_edits(code, edits), new, changes)
    reasons = [r for t in tests for r in contradictions(t, src)]
    if not tests:
        reasons.append("no `if` guards an order in the strategy (the entries never run)")
    elif at_end:
        reasons.append("thresholds in the entry conditions cannot be widened further: "
                       + ", ".join(dict.fromkeys(at_end)))
    else:
        reasons.append("the entry conditions compare no class parameter to widen: "
                       + "; ".join(f"`{ast.unparse(t)[:80]}`" for t in tests[:3]))
    return Widened(code, why_not="; ".join(reasons))
