"""OpenAI Chat Completions through the official SDK (``OPENAI_API_KEY``,
``OPENAI_BASE_URL``): works with any OpenAI-compatible server, e.g. a local one."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

from agents.llm.base import Message, ProviderCallError, Reply, StopReason
from agents.llm.sdk_common import SDKProvider, call_guarded, malformed

STOP_REASONS: dict[str, StopReason] = {
    "stop": "end", "length": "max_tokens", "tool_calls": "tool_use",
    "function_call": "tool_use", "content_filter": "refusal",
}


# Reasoning models refuse ``max_tokens`` ("Use 'max_completion_tokens' instead").
_COMPLETION_TOKENS_MODELS = re.compile(r"^(o\d|gpt-5)", re.IGNORECASE)


def token_limit_field(model: str) -> str:
    """The request field that caps the reply for ``model``: ``max_completion_tokens`` for
    OpenAI's reasoning families (o1, o3, o4-mini, gpt-5...), ``max_tokens`` elsewhere (what
    every OpenAI-compatible server understands)."""
    return "max_completion_tokens" if _COMPLETION_TOKENS_MODELS.match(model.rsplit("/", 1)[-1]) \
        else "max_tokens"


def _asks_for_completion_tokens(err: ProviderCallError) -> bool:
    return err.status == 400 and "max_completion_tokens" in str(err)


class OpenAIProvider(SDKProvider):
    name = "openai"
    key_env = "OPENAI_API_KEY"
    default_models = {
        "default": "gpt-4.1",
        "package": "gpt-4.1-mini",
    }

    def __init__(self, **kwargs: Any) -> None:
        self._limit_fields: dict[str, str] = {}
        super().__init__(**kwargs)

    def _make_client(self, *, api_key: str | None, base_url: str | None) -> Any:
        import openai

        base = base_url or os.environ.get("OPENAI_BASE_URL")
        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key and base:
            key = "unused"  # local OpenAI-compatible servers often need no key
        if not key:
            raise ProviderCallError("OPENAI_API_KEY is not set: export it (or OPENAI_BASE_URL "
                                    "for a local server), or use the offline provider")
        return openai.OpenAI(api_key=key, base_url=base, timeout=self.timeout, max_retries=0)

    def _call(self, messages: Sequence[Message], max_tokens: int, model: str) -> Reply:
        import openai

        turns = [{"role": m.role, "content": m.content} for m in messages]

        def translate(exc: Exception) -> ProviderCallError:
            return self.translate(exc, timeout_types=(openai.APITimeoutError,),
                                  connection_types=(openai.APIConnectionError,),
                                  status_type=openai.APIStatusError)

        def create(field: str) -> Reply:
            limit: dict[str, Any] = {field: max_tokens}
            return call_guarded(lambda: self._parse(self.client.chat.completions.create(
                model=model, messages=turns, **limit)), translate)

        field = self._limit_fields.get(model) or token_limit_field(model)
        try:
            return create(field)
        except ProviderCallError as err:
            if field == "max_completion_tokens" or not _asks_for_completion_tokens(err):
                raise
        # a model the name table does not know yet: learn it once, per provider
        self._limit_fields[model] = "max_completion_tokens"
        return create("max_completion_tokens")

    def _parse(self, resp: Any) -> Reply:
        choices = getattr(resp, "choices", None)
        if not choices:
            raise malformed("openai API", "no choices in the completion")
        choice = choices[0]
        message = getattr(choice, "message", None)
        if message is None:
            raise malformed("openai API", "choice without a message")
        usage = getattr(resp, "usage", None)
        return Reply(text=str(message.content or ""), model=str(resp.model or ""),
                     tokens_in=int(getattr(usage, "prompt_tokens", 0) or 0),
                     tokens_out=int(getattr(usage, "completion_tokens", 0) or 0),
                     stop_reason=STOP_REASONS.get(str(choice.finish_reason), "other"),
                     raw_id=str(resp.id or ""))
