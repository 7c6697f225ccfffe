"""debug: repair a version that was rejected, failed, or ran degenerate.

Order: deterministic rules for the error class (``codefix.package`` for validator
rejections, ``codefix.fix`` for runtime classes), then the LLM with the violation list,
the traceback and the offending lines (for zero trades, the entry conditions). Each
attempt is a new version whose parent is the failing one; at most
``settings.debug_max_attempts`` consecutive attempts per lineage, then the strategy
fails with the reason.
"""

from __future__ import annotations

import json
from typing import Any

from agents.codefix import classify, fix
from agents.codefix import package as package_code
from agents.llm import extract_code
from agents.stages.common import (
    active_version,
    ask,
    close_strategy,
    lineage,
    spec_of,
)
from agents.store.records import sha256_text

__all__ = ["attempts_so_far", "describe", "handle", "repair"]

TB_LINES = 30


def attempts_so_far(store: Any, version_id: int) -> int:
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


def repair(ctx: Any, code: str, spec_json: str, problem: dict[str, Any]
           ) -> tuple[str, str, str, int | None]:
    """-> (new code, error class, note, llm_call_id). Rules first, then the LLM."""
    error = problem.get("error") or {}
    if problem.get("status") == "rejected":
        cls = "rejected"
        packaged = package_code(code)
        if packaged.changed and packaged.code != code:
            return packaged.code, cls, "rules: " + "; ".join(map(str, packaged.changes)), None
    else:
        cls = classify(error)
        if cls not in ("zero_trades", "nan_stats", "truncated"):
            fixed = fix(code, cls, error)
            if fixed.changed:
                return fixed.code, cls, "rules: " + "; ".join(map(str, fixed.changes)), None
    diagnosis = ""
    if cls == "zero_trades":
        from agents.stages.diagnosis import describe_entries

        diagnosis = describe_entries(spec_json)
    asked = ask(ctx, "debug", spec_json=spec_json, code=code, error_class=cls,
                error=describe(code, problem, cls, diagnosis), max_tokens=8192)
    got = extract_code(asked.reply.text)
    new = code if (got.empty or got.truncated) else got.code
    return new, cls, f"llm ({asked.prompt_version})", asked.call_id


def handle(ctx: Any, payload: dict[str, Any]) -> None:
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
    new, cls, note, call_id = repair(ctx, v["code"], spec.to_json(), problem)
    known = ctx.store.one("SELECT id FROM strategy_versions WHERE strategy_id = ? AND "
                          "code_sha256 = ?", (sid, sha256_text(new)))
    with ctx.write() as s:
        if known is not None:  # the fix gives code we already tried: no progress
            close_strategy(s, sid, "failed", f"debug: no new fix for {cls} "
                           f"(attempt {done + 1} reproduced version id {known['id']})")
            return
        child, _ = s.add_version(sid, new, parent_id=v["id"], spec=spec.to_dict(),
                                 params=json.loads(v["params_json"]),
                                 agent="debug" if call_id is None else "debug-llm",
                                 llm_call_id=call_id, note=f"[{cls}] {note}"[:2000])
        ctx.emit("validate", {"strategy_id": sid, "version_id": child}, key=f"validate:v{child}")
