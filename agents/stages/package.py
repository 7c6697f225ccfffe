"""package: deterministic packaging first (codefix.package), the LLM only for what the
rules leave unresolved; a changed file becomes a child version. Emits ``validate``."""

from __future__ import annotations

import json
from typing import Any

from agents.codefix import package as package_code
from agents.llm import extract_code
from agents.stages.common import active_version, ask, spec_of

__all__ = ["handle", "package_version"]


def package_version(ctx: Any, code: str, dataset: str | None) -> tuple[str, str, int | None]:
    """-> (code, note, llm_call_id). The LLM is asked only about unresolved problems."""
    res = package_code(code, dataset_hint=dataset)
    notes = [str(c) for c in res.changes]
    call_id = None
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


def handle(ctx: Any, payload: dict[str, Any]) -> None:
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
