"""debug: repair a version that was rejected, failed, or ran degenerate.

Order: deterministic rules (``codefix.package`` for validator rejections, then
``codefix.fix`` for runtime classes on code that validates, ``codefix.zero_trades`` for
zero trades), then the LLM with the violation list,
the traceback and the offending lines (for zero trades, the entry conditions). Each
attempt is a new version whose parent is the failing one; at most
``settings.debug_max_attempts`` consecutive attempts per lineage, then the strategy
fails with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agents.codefix import classify, fix
from agents.codefix import package as package_code
from agents.llm import extract_code
from agents.spec import StrategySpec
from agents.stages.common import (
    active_version,
    ask,
    close_strategy,
    lineage,
    spec_of,
)
from agents.store.records import sha256_text

if TYPE_CHECKING:
    from agents.runtime.context import HandlerContext
    from agents.store import Store

__all__ = ["Fixed", "attempts_so_far", "describe", "handle", "repair", "rule_fix"]

TB_LINES = 30


@dataclass
class Fixed:
    """A repair: new code, the error class, what changed (notes), new parameter values
    (zero trades), and why the rules could do nothing (``why_not``)."""

    code: str
    error_class: str
    notes: list[str] = field(default_factory=list)
    why_not: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    call_id: int | None = None


def attempts_so_far(store: Store, version_id: int) -> int:
    """Consecutive debug attempts that led to this version (package steps don't count)."""
    n = 0
    for row in lineage(store, version_id):
        if row["agent"].startswith("debug"):
            n += 1
        elif row["agent"] != "package":
            break
    return n


def _offending(code: str, line: int | None, around: int = 2) -> str:
    if not line:
        return ""
    lines = code.splitlines()
    lo, hi = max(1, line - around), min(len(lines), line + around)
    return "\n".join(f"{'>' if i == line else ' '}{i:4d} | {lines[i - 1]}" for i in range(lo, hi + 1))


def describe(code: str, problem: dict[str, Any], error_class: str,
             diagnosis: str = "") -> str:
    """The WHAT WENT WRONG section of the debug prompt."""
    err = problem.get("error") or {}
    parts = [f"status: {problem.get('status')}; {err.get('type', '')}: {err.get('message', '')}"]
    for v in problem.get("violations") or []:
        parts.append(f"- line {v.get('line')}: {v.get('rule')}: {v.get('message')}"
                     + (f" (hint: {v['hint']})" if v.get("hint") else ""))
        if snippet := _offending(code, v.get("line")):
            parts.append(snippet)
    tb = str(err.get("traceback") or "").strip().splitlines()
    if tb:
        parts.append("traceback (last lines):\n" + "\n".join(tb[-TB_LINES:]))
    if snippet := _offending(code, err.get("line")):
        parts.append("offending lines:\n" + snippet)
    if error_class == "zero_trades":
        parts.append("The strategy placed no trades. " + (diagnosis or
                     "Check that the entry conditions can hold together and after warm-up."))
    return "\n".join(parts)


def _violations(code: str) -> list[str]:
    from executor import validate

    return [f"{v.rule}: {v.message}" for v in validate(code)]


def rule_fix(code: str, problem: dict[str, Any], *, ranges: dict[str, tuple[Any, Any]]
             | None = None, bars: int = 0, params: dict[str, Any] | None = None) -> Fixed:
    """The deterministic repair: validator violations first (``package``: private-engine
    reads, driver code, imports, a truncated tail), then the runtime class's rules on
    code that validates; a rule whose output the validator refuses while its input was
    accepted is not used. Zero trades: :func:`agents.codefix.zero_trades.widen` and the
    order guard (a size too small for one unit)."""
    error = problem.get("error") or {}
    if problem.get("status") == "rejected":
        packaged = package_code(code)
        if packaged.code != code and packaged.changed:
            return Fixed(packaged.code, "rejected", list(map(str, packaged.changes)))
        return Fixed(code, "rejected", why_not="; ".join(map(str, packaged.unresolved)))
    cls = classify({**error, "code": code})
    if cls == "zero_trades":
        return _zero_trades(code, ranges or {}, bars, params or {})
    if cls in ("nan_stats", "truncated"):
        return Fixed(code, cls)
    fixed = fix(code, cls, error)
    if not fixed.changed:
        return Fixed(code, cls)
    notes = list(map(str, fixed.changes))
    new = fixed.code
    if _violations(new) and not _violations(code):
        cleared = package_code(new)  # e.g. a rule output reading an engine internal
        if _violations(cleared.code):
            return Fixed(code, cls, why_not="the rule's output does not validate")
        new, notes = cleared.code, notes + list(map(str, cleared.changes))
    return Fixed(new, cls, notes)


def _zero_trades(code: str, ranges: dict[str, tuple[Any, Any]], bars: int,
                 params: dict[str, Any]) -> Fixed:
    from agents.codefix.rules.orders import guard_orders
    from agents.codefix.source import fixpoint
    from agents.codefix.zero_trades import widen

    got = widen(code, ranges, bars, params)
    new, guarded = fixpoint(got.code, lambda src: guard_orders(src, "size"))
    notes = list(map(str, got.changes)) + [
        f"{c} (a fraction of equity too small for one unit becomes 1 unit)" for c in guarded]
    if new == code:
        return Fixed(code, "zero_trades", why_not=got.why_not)
    return Fixed(new, "zero_trades", notes, params=got.params)


def repair(ctx: HandlerContext, code: str, spec_json: str, problem: dict[str, Any],
           dataset: str | None = None, params: dict[str, Any] | None = None) -> Fixed:
    """Rules first (:func:`rule_fix`), then the LLM with what the rules could not do."""
    spec = StrategySpec.from_json(spec_json)
    ranges = {p.name: (p.low, p.high) for p in spec.parameters}
    bars = _bars(ctx, dataset or spec.datasets[0]) if problem.get("error", {}).get(
        "type") == "zero_trades" else 0
    fixed = rule_fix(code, problem, ranges=ranges, bars=bars, params=params)
    if fixed.code != code:
        fixed.note = "rules: " + "; ".join(fixed.notes)
        return fixed
    cls = fixed.error_class
    diagnosis = ""
    if cls == "zero_trades":
        from agents.stages.diagnosis import describe_entries

        diagnosis = describe_entries(spec_json)
        if fixed.why_not:
            diagnosis = f"Nothing the rules can widen: {fixed.why_not}. {diagnosis}"
    asked = ask(ctx, "debug", spec_json=spec_json, code=code, error_class=cls,
                error=describe(code, problem, cls, diagnosis), max_tokens=8192)
    got = extract_code(asked.reply.text)
    new = code if (got.empty or got.truncated) else got.code
    why = f"; rules: {fixed.why_not}" if fixed.why_not else ""
    return Fixed(new, cls, note=f"llm ({asked.prompt_version}){why}", call_id=asked.call_id,
                 why_not=fixed.why_not)


def _bars(ctx: HandlerContext, dataset: str) -> int:
    from agents.stages.evaluation import frames

    try:
        return len(frames(ctx.settings, dataset).research)
    except Exception:  # noqa: BLE001 - no bar count: warm-up is then left alone
        return 0


def handle(ctx: HandlerContext, payload: dict[str, Any]) -> None:
    v = active_version(ctx, payload)
    if v is None:
        return
    sid = v["strategy_id"]
    problem = payload.get("problem") or {"status": "error", "error": {}}
    done = attempts_so_far(ctx.store, v["id"])
    limit = ctx.settings.debug_max_attempts
    if done >= limit:
        err = problem.get("error") or {}
        with ctx.write() as s:
            close_strategy(s, sid, "failed", f"debug: {done} attempt(s) used (max {limit}); "
                           f"last problem {err.get('type')}: {str(err.get('message'))[:300]}")
        return
    spec = spec_of(v)
    got = repair(ctx, v["code"], spec.to_json(), problem, payload.get("dataset"),
                 json.loads(v["params_json"]))
    new, cls, note, call_id = got.code, got.error_class, got.note, got.call_id
    params = {**json.loads(v["params_json"]), **got.params}
    for p in spec.parameters:  # a widened / shortened value becomes the new default
        if p.name in got.params:
            p.default = got.params[p.name]
            p.low = min(p.low, p.default) if p.low is not None else None
            p.high = max(p.high, p.default) if p.high is not None else None
    known = ctx.store.one("SELECT id FROM strategy_versions WHERE strategy_id = ? AND "
                          "code_sha256 = ?", (sid, sha256_text(new)))
    with ctx.write() as s:
        if known is not None:  # the fix gives code we already tried: no progress
            why = f": {got.why_not}" if got.why_not else ""
            close_strategy(s, sid, "failed", f"debug: no new fix for {cls} "
                           f"(attempt {done + 1} reproduced version id {known['id']}){why}"[:1000])
            return
        child, _ = s.add_version(sid, new, parent_id=v["id"], spec=spec.to_dict(),
                                 params=params,
                                 agent="debug" if call_id is None else "debug-llm",
                                 llm_call_id=call_id, note=f"[{cls}] {note}"[:2000])
        ctx.emit("validate", {"strategy_id": sid, "version_id": child}, key=f"validate:v{child}")
