"""package: deterministic packaging first (codefix.package), the LLM only for what the
rules leave unresolved (and, with a real provider, for the rest of a file cut off inside
the strategy: a continuation request); a changed file becomes a child version. Emits
``validate``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from agents.codefix import package as package_code
from agents.codefix.source import try_parse
from agents.codefix.truncated import lost_strategy_code
from agents.llm import extract_code
from agents.stages.common import active_version, ask, spec_of

if TYPE_CHECKING:
    from agents.runtime.context import HandlerContext

__all__ = ["handle", "package_version"]


def continue_truncated(ctx: HandlerContext, code: str) -> tuple[str | None, int | None]:
    """A file cut off inside the strategy: ask the provider to continue it (the partial
    file as its own reply, then "continue"). -> (joined code or None, llm_call_id)."""
    from agents.codefix.truncated import strip_fence
    from agents.llm.base import Message
    from agents.stages.backtest import CONTINUE

    partial, _ = strip_fence(code)
    partial = "```python\n" + partial
    asked = ask(ctx, "package", problems="- the file was cut off by the output limit; "
                "continue it", code=partial, max_tokens=8192,
                extra=[Message("assistant", partial), Message("user", CONTINUE)])
    more = asked.reply.text
    for got in (extract_code(more), extract_code(partial + more)):  # a whole file, or the rest
        if not (got.empty or got.truncated) and "(Strategy)" in got.code \
                and try_parse(got.code) is not None:
            return got.code, asked.call_id
    return None, asked.call_id


def package_version(ctx: HandlerContext, code: str, dataset: str | None) -> tuple[str, str, int | None]:
    """-> (code, note, llm_call_id). The LLM is asked only about unresolved problems (and,
    with a real provider, to continue a file cut off inside the strategy)."""
    res = package_code(code, dataset_hint=dataset)
    notes = [str(c) for c in res.changes]
    call_id = None
    if lost_strategy_code(res.changes) and str(ctx.settings.provider) != "offline":
        joined, call_id = continue_truncated(ctx, code)
        if joined is not None:
            res = package_code(joined, dataset_hint=dataset)
            notes = ["truncated: the reply was cut off inside the strategy; the provider "
                     "continued it"] + [str(c) for c in res.changes]
    if res.unresolved:
        problems = "\n".join(f"- {c}" for c in res.unresolved)
        asked = ask(ctx, "package", problems=problems, code=res.code)
        got = extract_code(asked.reply.text)
        call_id = asked.call_id
        if not got.empty and not got.truncated:
            again = package_code(got.code, dataset_hint=dataset)
            res = again
            notes += [f"LLM: {len(problems.splitlines())} unresolved problem(s)"]
            notes += [str(c) for c in again.changes]
    return res.code, "; ".join(notes)[:2000], call_id


def handle(ctx: HandlerContext, payload: dict[str, Any]) -> None:
    v = active_version(ctx, payload)
    if v is None:
        return
    spec = spec_of(v)
    code, note, call_id = package_version(ctx, v["code"], spec.datasets[0])
    with ctx.write() as s:
        target = v["id"]
        if code != v["code"]:
            target, _ = s.add_version(v["strategy_id"], code, parent_id=v["id"],
                                      spec=spec.to_dict(), params=json.loads(v["params_json"]),
                                      agent="package", llm_call_id=call_id,
                                      note=note or "packaged")
            s.set_version_status(v["id"], "packaged")
        ctx.emit("validate", {"strategy_id": v["strategy_id"], "version_id": target},
                 key=f"validate:v{target}")
