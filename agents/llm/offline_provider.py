"""The ``offline`` provider: deterministic, no network, answers the agents' prompts
through the offline research engine, in the shape a real LLM reply would have.

purpose   what the prompt carries                 reply
research  IDEA <<< text >>>                       prose + ```json spec```
backtest  ```json spec```                         prose + ```python code```
debug     ```json spec``` (+ code, error)         ```python code``` regenerated from the spec
package   ```python code```                       the same code (rules already ran)
optimise  ```json spec``` (+ results)             ```json {"mutation", "change", "spec"}```
review    ```json stats``` (+ spec)               ```json {"verdict", "summary", ...}```
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from agents.llm.base import Message, Reply, StopReason, estimate_tokens
from agents.llm.extract import extract_code, fenced_blocks, json_object
from agents.offline import idea_to_spec, list_mutations, mutate, spec_to_code
from agents.offline.mutate import MutationNotApplicable
from agents.spec import SpecError, StrategySpec

IDEA = re.compile(r"<<<\s*(.*?)\s*>>>", re.S)
PURPOSES = ("research", "backtest", "debug", "package", "optimise", "review")


class OfflineProvider:
    name = "offline"
    exempt_from_budget = True

    def __init__(self, seed: int = 0, **_ignored: Any) -> None:
        self.seed = seed

    def model_for(self, purpose: str = "", model: str | None = None) -> str:
        return "offline-v1"

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 4096,
                 purpose: str = "", model: str | None = None) -> Reply:
        prompt = "\n\n".join(m.content for m in messages if m.role != "system")
        last = next((m.content for m in reversed(messages) if m.role == "user"), prompt)
        kind = purpose if purpose in PURPOSES else guess_purpose(last)
        text = getattr(self, f"_{kind}")(last)
        tokens_out = estimate_tokens(text)
        stop: StopReason = "end"
        if tokens_out > max_tokens:  # behave like a real model: cut the reply off
            text, stop, tokens_out = text[: max_tokens * 4], "max_tokens", max_tokens
        rid = hashlib.sha256(f"{self.seed}:{kind}:{prompt}".encode()).hexdigest()[:16]
        return Reply(text=text, model="offline-v1",
                     tokens_in=sum(estimate_tokens(m.content) for m in messages),
                     tokens_out=tokens_out, stop_reason=stop, latency_ms=0.0,
                     raw_id=f"offline-{rid}", provider=self.name)

    # ---- one handler per purpose --------------------------------------------------
    def _research(self, text: str) -> str:
        m = IDEA.search(text)
        idea = m.group(1) if m else text
        spec = idea_to_spec(idea, self.seed)
        return (f"Strategy spec for the idea (offline engine, seed {self.seed}):\n\n"
                f"```json\n{spec.to_json()}\n```\n")

    def _backtest(self, text: str) -> str:
        spec = find_spec(text)
        if spec is None:
            return "I could not find a strategy spec (a ```json block) in the request."
        return f"Here is the backtesting.py implementation.\n\n```python\n{spec_to_code(spec)}```\n"

    def _debug(self, text: str) -> str:
        spec = find_spec(text)
        if spec is not None:
            try:
                code = spec_to_code(spec)
            except SpecError:
                code = None
            if code:
                return ("Regenerated the strategy from its spec with the offline compiler, "
                        f"which avoids the reported error class.\n\n```python\n{code}```\n")
        return self._package(text)

    def _package(self, text: str) -> str:
        code = [b.code for b in fenced_blocks(text) if b.lang in ("python", "py", "")]
        body = code[-1] if code else extract_code(text).code
        return f"```python\n{body}```\n"

    def _optimise(self, text: str) -> str:
        spec = find_spec(text)
        if spec is None:
            return '```json\n{"mutation": null, "change": "no spec in the request"}\n```\n'
        digest = int(hashlib.sha256(f"{self.seed}:{text}".encode()).hexdigest()[:8], 16)
        ops = list_mutations()
        for i in range(len(ops)):
            op = ops[(digest + i) % len(ops)]
            try:
                child = mutate(spec, op, self.seed + digest)
            except MutationNotApplicable:
                continue
            change = child.blueprint.get("last_mutation", {}).get("change", op)
            out = {"mutation": op, "change": change,
                   "rationale": f"offline engine: try {op} ({change})",
                   "spec": child.to_dict()}
            return f"```json\n{json.dumps(out, indent=2)}\n```\n"
        return '```json\n{"mutation": null, "change": "no mutation applies"}\n```\n'

    def _review(self, text: str) -> str:
        stats = find_stats(text)
        verdict, concerns = judge(stats)
        out = {
            "verdict": verdict,
            "summary": f"offline review: {len(concerns)} concern(s)",
            "concerns": concerns,
            "learnings": [f"{c} (seen with {stats.get('strategy', 'this strategy')})"
                          for c in concerns] or ["passed the offline heuristics"],
        }
        return f"```json\n{json.dumps(out, indent=2)}\n```\n"


def guess_purpose(text: str) -> str:
    low = text.lower()
    if IDEA.search(text):
        return "research"
    if "traceback" in low or "error" in low and "```python" in low:
        return "debug"
    if '"verdict"' in low or "review" in low:
        return "review"
    if "mutation" in low or "optimis" in low or "optimiz" in low:
        return "optimise"
    if "```json" in low:
        return "backtest"
    return "package"


def find_spec(text: str) -> StrategySpec | None:
    for b in fenced_blocks(text):
        if b.lang not in ("json", ""):
            continue
        try:
            data = json.loads(b.code)
        except ValueError:
            continue
        if isinstance(data, dict) and "name" in data and "hypothesis" in data:
            try:
                return StrategySpec.from_dict(data)
            except SpecError:
                return None
    return None


def find_stats(text: str) -> dict[str, Any]:
    for b in fenced_blocks(text):
        try:
            data = json.loads(b.code)
        except ValueError:
            continue
        if isinstance(data, dict) and ("# Trades" in data or "trades" in data):
            return data
    return json_object(text)


def _first_number(stats: dict[str, Any], *keys: str) -> float | None:
    for k in keys:
        v = stats.get(k)
        if isinstance(v, int | float):
            return float(v)
    return None


def judge(stats: dict[str, Any]) -> tuple[str, list[str]]:
    concerns = []
    trades = _first_number(stats, "# Trades", "trades")
    sharpe = _first_number(stats, "Sharpe Ratio", "sharpe")
    dd = _first_number(stats, "Max. Drawdown [%]", "max_drawdown")
    ret = _first_number(stats, "Return [%]", "return_pct")
    bh = _first_number(stats, "Buy & Hold Return [%]", "buy_hold_pct")
    if trades is None:
        return "needs_work", ["no stats to judge"]
    if trades < 10:
        concerns.append(f"only {trades:.0f} trades: too few to trust")
    if sharpe is not None and sharpe < 0:
        concerns.append(f"negative Sharpe ({sharpe:.2f})")
    if dd is not None and abs(dd) > 40:
        concerns.append(f"max drawdown {abs(dd):.1f}% above 40%")
    if ret is not None and bh is not None and ret < bh:
        concerns.append(f"return {ret:.1f}% below buy & hold {bh:.1f}%")
    if trades == 0 or (sharpe is not None and sharpe < -0.5):
        return "kill", concerns
    return ("approve" if not concerns else "needs_work"), concerns
