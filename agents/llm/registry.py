"""Providers by name, imported only when chosen (vendor SDKs stay optional)."""

from __future__ import annotations

import importlib
import os
from typing import Any

from agents.errors import ConfigError
from agents.llm.base import LLMProvider

PROVIDERS: dict[str, str] = {
    "anthropic": "agents.llm.anthropic_provider:AnthropicProvider",
    "openai": "agents.llm.openai_provider:OpenAIProvider",
    "offline": "agents.llm.offline_provider:OfflineProvider",
}


def default_provider_name(env: dict[str, str] | None = None) -> str:
    """``anthropic`` when its key is set, else ``openai`` when its key or base URL is set,
    else ``offline``."""
    env = dict(os.environ) if env is None else env
    if env.get("ANTHROPIC_API_KEY"):
        return "anthropic"
    if env.get("OPENAI_API_KEY") or env.get("OPENAI_BASE_URL"):
        return "openai"
    return "offline"


def get_provider(name: str = "auto", **kwargs: Any) -> LLMProvider:
    """Build a provider. kwargs (all optional): api_key, base_url, models (purpose ->
    model), model, timeout, max_attempts, base_delay, max_delay, max_retry_after, retry
    (RetryPolicy), seed (offline). Unknown kwargs are ignored so a Settings dump fits."""
    if name == "auto":
        name = default_provider_name()
    target = PROVIDERS.get(name)
    if target is None:
        raise ConfigError(f"unknown LLM provider {name!r}; choose one of "
                          f"{sorted(PROVIDERS)} (or 'auto')")
    module, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module), attr)
    return cls(**kwargs)  # type: ignore[no-any-return]
