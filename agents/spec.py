"""The typed strategy spec the research stage produces and every later stage reads.

A spec is plain data: ``to_dict``/``from_dict`` and ``to_json``/``from_json`` round-trip
exactly, and :meth:`StrategySpec.validate` returns every problem at once (``check``
raises :class:`SpecError` listing them). Rules carry a human sentence (``text``) and,
when produced by the offline engine, a machine form (``kind`` + ``args``) that
``agents.offline.spec_to_code`` compiles. References inside ``args`` name a price column
(``Close``), an indicator (``rsi``), one output of a multi-output indicator (``bb.lower``)
or a parameter (``rsi_low``); a ``[n]`` suffix means *n* bars ago (``dc_high[1]``).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from executor.errors import RbiError

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CAMEL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
PRICE_COLUMNS = ("Open", "High", "Low", "Close", "Volume")
DIRECTIONS = ("long", "short", "both")
LEVEL_KINDS = ("atr", "percent")
RULE_KINDS = ("cross_above", "cross_below", "gt", "lt", "time", "text")
SIDES = ("long", "short", "any")

Number = int | float
ParamRef = Number | str  # a literal or the name of a parameter


class SpecError(RbiError, ValueError):
    """A spec is malformed; ``problems`` lists every issue found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid strategy spec:\n  - " + "\n  - ".join(self.problems))


@dataclass
class Indicator:
    """One ``self.I(...)`` call: ``function`` is a talib name (or ``PCTRANK``)."""

    name: str
    function: str
    params: dict[str, ParamRef] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=lambda: ["Close"])
    outputs: list[str] = field(default_factory=list)  # names of outputs when several


@dataclass
class Rule:
    """One condition. ``kind``: cross_above/cross_below/gt/lt (args a, b), time (args
    bars), or ``text`` for a rule only a human/LLM reads."""

    text: str
    kind: str = "text"
    args: dict[str, ParamRef] = field(default_factory=dict)
    side: str = "long"


@dataclass
class Level:
    """A distance from the entry price: ``value`` ATRs or ``value`` percent."""

    kind: str
    value: ParamRef


@dataclass
class Risk:
    stop: Level | None = None
    target: Level | None = None
    trailing: Level | None = None
    size: float = 0.95  # fraction of equity (0 < size < 1) or whole units (>= 1)


@dataclass
class Parameter:
    name: str
    default: Number
    low: Number | None = None
    high: Number | None = None
    step: Number | None = None
    choices: list[Number] | None = None
    type: Literal["int", "float"] = "int"


@dataclass
class StrategySpec:
    name: str
    hypothesis: str
    indicators: list[Indicator] = field(default_factory=list)
    entry: list[Rule] = field(default_factory=list)
    exit: list[Rule] = field(default_factory=list)
    filters: list[Rule] = field(default_factory=list)
    risk: Risk = field(default_factory=Risk)
    parameters: list[Parameter] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    timeframe: str = "1d"
    datasets: list[str] = field(default_factory=lambda: ["GOOG"])
    direction: str = "long"
    source_idea_hash: str = ""
    blueprint: dict[str, Any] = field(default_factory=dict)  # offline engine composition

    # ---- serialisation -------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    @classmethod
    def from_json(cls, text: str) -> StrategySpec:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError([f"not JSON: {exc}"]) from exc
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Any) -> StrategySpec:
        if not isinstance(data, dict):
            raise SpecError([f"a spec is a JSON object, got {type(data).__name__}"])
        problems: list[str] = []
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            problems.append(f"unknown field(s) {unknown}; known: {sorted(known)}")
        for req in ("name", "hypothesis"):
            if req not in data:
                problems.append(f"missing required field '{req}'")
        if problems:
            raise SpecError(problems)
        try:
            risk = data.get("risk") or {}
            spec = cls(
                name=data["name"],
                hypothesis=data["hypothesis"],
                indicators=[Indicator(**i) for i in data.get("indicators", [])],
                entry=[_rule(r) for r in data.get("entry", [])],
                exit=[_rule(r) for r in data.get("exit", [])],
                filters=[_rule(r) for r in data.get("filters", [])],
                risk=Risk(
                    stop=_level(risk.get("stop")),
                    target=_level(risk.get("target")),
                    trailing=_level(risk.get("trailing")),
                    size=risk.get("size", 0.95),
                ),
                parameters=[Parameter(**p) for p in data.get("parameters", [])],
                constraints=list(data.get("constraints", [])),
                timeframe=data.get("timeframe", "1d"),
                datasets=list(data.get("datasets", ["GOOG"])),
                direction=data.get("direction", "long"),
                source_idea_hash=data.get("source_idea_hash", ""),
                blueprint=dict(data.get("blueprint") or {}),
            )
        except (TypeError, AttributeError) as exc:
            raise SpecError([f"wrong shape: {exc}"]) from exc
        return spec

    # ---- validation ----------------------------------------------------------------
    def param(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def defaults(self) -> dict[str, Number]:
        return {p.name: p.default for p in self.parameters}

    def check(self) -> StrategySpec:
        problems = self.validate()
        if problems:
            raise SpecError(problems)
        return self

    def validate(self) -> list[str]:
        """Every problem with this spec, as sentences; empty means valid."""
        return _validate(self)

    def violated_constraints(self, values: dict[str, Number] | None = None) -> list[str]:
        """The constraint expressions that do not hold for ``values`` (default: defaults)."""
        env = dict(self.defaults())
        env.update(values or {})
        return [c for c in self.constraints if not eval_constraint(c, env)]


def _rule(data: Any) -> Rule:
    if isinstance(data, str):
        return Rule(text=data)
    return Rule(**data)


def _level(data: Any) -> Level | None:
    if data is None:
        return None
    return Level(**data)


_ALLOWED_NODES = (
    ast.Expression, ast.Compare, ast.BoolOp, ast.And, ast.Or, ast.Not, ast.UnaryOp,
    ast.USub, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Name, ast.Load,
    ast.Constant, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq,
)


def parse_constraint(expr: str) -> ast.Expression:
    """Parse ``fast < slow``-style expressions; only names, numbers, arithmetic, compare."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        raise SpecError([f"constraint {expr!r} is not an expression: {exc.msg}"]) from exc
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise SpecError([f"constraint {expr!r} uses {type(node).__name__}; "
                             "allowed: names, numbers, + - * /, comparisons, and/or/not"])
    return tree


def constraint_names(expr: str) -> set[str]:
    return {n.id for n in ast.walk(parse_constraint(expr)) if isinstance(n, ast.Name)}


def eval_constraint(expr: str, values: dict[str, Number]) -> bool:
    tree = parse_constraint(expr)
    missing = constraint_names(expr) - set(values)
    if missing:
        raise SpecError([f"constraint {expr!r} names unknown parameter(s) {sorted(missing)}"])
    code = compile(tree, "<constraint>", "eval")
    return bool(eval(code, {"__builtins__": {}}, dict(values)))  # noqa: S307 - AST-checked


REF = re.compile(r"^(?P<base>[A-Za-z_][A-Za-z0-9_]*)(?:\.(?P<out>[A-Za-z_][A-Za-z0-9_]*))?"
                 r"(?:\[(?P<lag>\d+)\])?$")


def parse_ref(ref: str) -> tuple[str, str | None, int]:
    """``bb.lower[1]`` -> ("bb", "lower", 1); raises SpecError when malformed."""
    m = REF.match(ref.strip())
    if not m:
        raise SpecError([f"reference {ref!r} is not NAME, NAME.OUTPUT or NAME[LAG]"])
    return m["base"], m["out"], int(m["lag"] or 0)


def _validate(spec: StrategySpec) -> list[str]:
    out: list[str] = []
    if not isinstance(spec.name, str) or not CAMEL.match(spec.name):
        out.append(f"name {spec.name!r} must be a CamelCase identifier, e.g. 'RsiBounce'")
    if not str(spec.hypothesis).strip():
        out.append("hypothesis is empty: say why the edge should exist")
    if spec.direction not in DIRECTIONS:
        out.append(f"direction {spec.direction!r} must be one of {DIRECTIONS}")
    if not spec.datasets or not all(isinstance(d, str) and d for d in spec.datasets):
        out.append("datasets must be a non-empty list of dataset names, e.g. ['GOOG']")
    if not spec.timeframe:
        out.append("timeframe is empty, e.g. '1d'")
    if not spec.entry:
        out.append("entry has no rules")
    params = _check_parameters(spec, out)
    indicators = _check_indicators(spec, params, out)
    for group in ("entry", "exit", "filters"):
        for i, rule in enumerate(getattr(spec, group)):
            _check_rule(f"{group}[{i}]", rule, params, indicators, out)
    for label in ("stop", "target", "trailing"):
        level = getattr(spec.risk, label)
        if level is not None:
            _check_level(f"risk.{label}", level, params, out)
    size = spec.risk.size
    if not (0 < size < 1 or (size >= 1 and float(size).is_integer())):
        out.append(f"risk.size {size} must be a fraction 0 < size < 1 or a whole number of units")
    for expr in spec.constraints:
        try:
            unknown = constraint_names(expr) - set(params)
        except SpecError as exc:
            out.extend(exc.problems)
            continue
        if unknown:
            out.append(f"constraint {expr!r} names unknown parameter(s) {sorted(unknown)}")
        elif not eval_constraint(expr, spec.defaults()):
            out.append(f"defaults violate constraint {expr!r}")
    return out


def _check_parameters(spec: StrategySpec, out: list[str]) -> dict[str, Parameter]:
    seen: dict[str, Parameter] = {}
    for p in spec.parameters:
        where = f"parameter {p.name!r}"
        if not isinstance(p.name, str) or not IDENT.match(p.name) or p.name.startswith("_"):
            out.append(f"{where}: name must be a lower_snake identifier")
        if p.name in seen:
            out.append(f"{where}: defined twice")
        seen[p.name] = p
        if p.type not in ("int", "float"):
            out.append(f"{where}: type {p.type!r} must be 'int' or 'float'")
        if p.type == "int" and not float(p.default).is_integer():
            out.append(f"{where}: default {p.default} is not an int")
        if p.choices is not None:
            if not p.choices:
                out.append(f"{where}: choices is empty")
            elif p.default not in p.choices:
                out.append(f"{where}: default {p.default} not in choices {p.choices}")
            continue
        if p.low is None or p.high is None:
            out.append(f"{where}: needs low and high (or choices) for the optimiser")
            continue
        if p.low > p.high:
            out.append(f"{where}: low {p.low} > high {p.high}")
        elif not p.low <= p.default <= p.high:
            out.append(f"{where}: default {p.default} outside [{p.low}, {p.high}]")
        if p.step is not None and p.step <= 0:
            out.append(f"{where}: step {p.step} must be > 0")
    return seen


def _check_indicators(spec: StrategySpec, params: dict[str, Parameter],
                      out: list[str]) -> dict[str, Indicator]:
    seen: dict[str, Indicator] = {}
    for ind in spec.indicators:
        where = f"indicator {ind.name!r}"
        if not IDENT.match(str(ind.name)) or ind.name in PRICE_COLUMNS:
            out.append(f"{where}: name must be an identifier other than a price column")
        if ind.name in seen or ind.name in params:
            out.append(f"{where}: name clashes with another indicator or a parameter")
        if not re.match(r"^[A-Z][A-Z0-9_]*$", str(ind.function)):
            out.append(f"{where}: function {ind.function!r} must be a talib name like 'RSI'")
        for inp in ind.inputs:
            if inp not in PRICE_COLUMNS and inp not in seen:
                out.append(f"{where}: input {inp!r} is neither a price column nor an "
                           "earlier indicator")
        for key, val in ind.params.items():
            if isinstance(val, str) and val not in params:
                out.append(f"{where}: param {key}={val!r} names no parameter")
        seen[ind.name] = ind
    return seen


def _check_ref(where: str, ref: ParamRef, params: dict[str, Parameter],
               indicators: dict[str, Indicator], out: list[str]) -> None:
    if isinstance(ref, bool) or not isinstance(ref, int | float | str):
        out.append(f"{where}: {ref!r} must be a number or a reference")
        return
    if not isinstance(ref, str):
        return
    try:
        base, output, _lag = parse_ref(ref)
    except SpecError as exc:
        out.append(f"{where}: {exc.problems[0]}")
        return
    if base in params or base in PRICE_COLUMNS:
        if output:
            out.append(f"{where}: {base!r} has no output {output!r}")
        return
    ind = indicators.get(base)
    if ind is None:
        out.append(f"{where}: {ref!r} names no indicator, parameter or price column")
    elif output and output not in ind.outputs:
        out.append(f"{where}: indicator {base!r} has outputs {ind.outputs}, not {output!r}")
    elif not output and ind.outputs:
        out.append(f"{where}: indicator {base!r} has several outputs; say which, "
                   f"e.g. '{base}.{ind.outputs[0]}'")


def _check_rule(where: str, rule: Rule, params: dict[str, Parameter],
                indicators: dict[str, Indicator], out: list[str]) -> None:
    if rule.kind not in RULE_KINDS:
        out.append(f"{where}: kind {rule.kind!r} must be one of {RULE_KINDS}")
    if rule.side not in SIDES:
        out.append(f"{where}: side {rule.side!r} must be one of {SIDES}")
    if rule.kind == "time":
        bars = rule.args.get("bars")
        if bars is None:
            out.append(f"{where}: a time rule needs args.bars")
        else:
            _check_ref(where, bars, params, indicators, out)
    elif rule.kind in ("cross_above", "cross_below", "gt", "lt"):
        for key in ("a", "b"):
            if key not in rule.args:
                out.append(f"{where}: a {rule.kind} rule needs args.{key}")
            else:
                _check_ref(where, rule.args[key], params, indicators, out)
    elif not str(rule.text).strip():
        out.append(f"{where}: empty rule")


def _check_level(where: str, level: Level, params: dict[str, Parameter],
                 out: list[str]) -> None:
    if level.kind not in LEVEL_KINDS:
        out.append(f"{where}: kind {level.kind!r} must be one of {LEVEL_KINDS}")
    val = level.value
    if isinstance(val, str):
        if val not in params:
            out.append(f"{where}: value {val!r} names no parameter")
    elif not val > 0:
        out.append(f"{where}: value {val} must be > 0")
