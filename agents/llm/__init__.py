"""LLM providers for the research loop.

    provider = get_provider("auto" | "anthropic" | "openai" | "offline", **settings)
    llm = RecordedProvider(provider, call_log, Budget(usd_per_day=5), PriceTable())
    reply = llm.complete(load_prompt("research").messages(idea=..., knowledge=...),
                         purpose="research", prompt_version=..., event_id=...)
    code = extract_code(reply.text)       # .code .truncated .blocks

Errors: ProviderError (.retryable; ProviderCallError adds .status), BudgetExceeded
(.resume_at) -- both from :mod:`agents.errors`.
"""

from agents.llm.base import (
    BudgetExceeded,
    CallLog,
    InMemoryCallLog,
    LLMCall,
    LLMProvider,
    Message,
    ProviderCallError,
    ProviderError,
    Reply,
    estimate_tokens,
    messages_from,
)
from agents.llm.extract import (
    ExtractError,
    ExtractResult,
    extract_code,
    extract_json,
    json_object,
)
from agents.llm.prices import DEFAULT_PRICES, PriceTable
from agents.llm.prompts import Prompt, list_prompts, load_prompt
from agents.llm.recorded import Budget, RecordedProvider
from agents.llm.registry import PROVIDERS, default_provider_name, get_provider
from agents.llm.retry import RetryPolicy, parse_retry_after

__all__ = [
    "DEFAULT_PRICES", "PROVIDERS", "Budget", "BudgetExceeded", "CallLog", "ExtractError",
    "ExtractResult", "InMemoryCallLog", "LLMCall", "LLMProvider", "Message", "PriceTable",
    "Prompt", "ProviderCallError", "ProviderError", "RecordedProvider", "Reply",
    "RetryPolicy", "default_provider_name", "estimate_tokens", "extract_code",
    "extract_json", "json_object", "get_provider", "list_prompts", "load_prompt", "messages_from",
    "parse_retry_after",
]
