"""Anthropic Messages API through the official SDK (``ANTHROPIC_API_KEY``,
``ANTHROPIC_BASE_URL``). SDK retries are off; :class:`RetryPolicy` decides."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from agents.llm.base import Message, ProviderCallError, Reply, StopReason
from agents.llm.sdk_common import SDKProvider, call_guarded, malformed

STOP_REASONS: dict[str, StopReason] = {
    "end_turn": "end", "max_tokens": "max_tokens", "stop_sequence": "stop_sequence",
    "tool_use": "tool_use", "refusal": "refusal", "pause_turn": "other",
}


class AnthropicProvider(SDKProvider):
    name = "anthropic"
    key_env = "ANTHROPIC_API_KEY"
    default_models = {
        "default": "claude-sonnet-4-5",
        "package": "claude-haiku-4-5",
        "review": "claude-sonnet-4-5",
    }

    def _make_client(self, *, api_key: str | None, base_url: str | None) -> Any:
        import anthropic

        key = api_key or os.environ.get("ANTHROPIC_API_KEY")
        if not key:
            raise ProviderCallError("ANTHROPIC_API_KEY is not set: export it, or use the "
                                    "offline provider")
        return anthropic.Anthropic(api_key=key,
                                   base_url=base_url or os.environ.get("ANTHROPIC_BASE_URL"),
                                   timeout=self.timeout, max_retries=0)

    def _call(self, messages: Sequence[Message], max_tokens: int, model: str) -> Reply:
        import anthropic

        system = "\n\n".join(m.content for m in messages if m.role == "system")
        turns = [{"role": m.role, "content": m.content} for m in messages if m.role != "system"]
        kwargs: dict[str, Any] = {"model": model, "max_tokens": max_tokens, "messages": turns}
        if system:
            kwargs["system"] = system

        def translate(exc: Exception) -> ProviderCallError:
            return self.translate(exc, timeout_types=(anthropic.APITimeoutError,),
                                  connection_types=(anthropic.APIConnectionError,),
                                  status_type=anthropic.APIStatusError)

        return call_guarded(lambda: self._parse(self.client.messages.create(**kwargs)),
                            translate)

    def _parse(self, msg: Any) -> Reply:
        content = getattr(msg, "content", None)
        usage = getattr(msg, "usage", None)
        if not isinstance(content, list) or usage is None:
            raise malformed("anthropic API", "no content/usage in the message")
        text = "".join(getattr(b, "text", "") or "" for b in content
                       if getattr(b, "type", None) == "text")
        return Reply(text=text, model=str(msg.model or ""),
                     tokens_in=int(usage.input_tokens or 0),
                     tokens_out=int(usage.output_tokens or 0),
                     stop_reason=STOP_REASONS.get(str(msg.stop_reason), "other"),
                     raw_id=str(msg.id or ""))
