"""Result types shared by the code rewriters (all JSON-able through ``to_dict``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Change:
    """One explainable edit: which rule fired, on which line, and what it did.

    ``line`` is the line in the code as it was when the rule ran (rules run one after
    another, so later rules see the output of earlier ones); 0 = whole file.
    """

    rule: str
    line: int
    description: str

    def __str__(self) -> str:
        return f"line {self.line}: [{self.rule}] {self.description}"


@dataclass
class FixResult:
    """New code plus what was changed; ``unresolved`` lists what rules could not fix."""

    code: str
    changes: list[Change] = field(default_factory=list)
    unresolved: list[Change] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PackageResult(FixResult):
    """:func:`agents.codefix.package.package` output.

    ``data_paths``: hard-coded data files the script loaded (map them to a dataset);
    ``backtest_kwargs``: literal keyword arguments of the script's ``Backtest(...)``
    (cash, commission, margin, exclusive_orders, trade_on_close, ...);
    ``optimize_kwargs``: literal keyword arguments of its ``bt.optimize(...)``, if any.
    """

    data_paths: list[str] = field(default_factory=list)
    is_script: bool = False
    strategy_classes: list[str] = field(default_factory=list)
    backtest_kwargs: dict[str, Any] = field(default_factory=dict)
    optimize_kwargs: dict[str, Any] = field(default_factory=dict)
