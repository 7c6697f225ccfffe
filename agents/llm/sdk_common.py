"""What the anthropic and openai providers share: model choice per purpose, timing,
retries, and turning SDK exceptions into :class:`ProviderCallError` with a message that
says what to do next."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from agents.llm.base import Message, ProviderCallError, Reply
from agents.llm.retry import RETRYABLE_STATUS, RetryPolicy, retry_after_from_headers


class SDKProvider:
    """Base for SDK-backed providers. Subclasses set ``name``, ``key_env``,
    ``default_models`` and implement ``_call(messages, max_tokens, model) -> Reply``."""

    name = ""
    key_env = ""
    default_models: Mapping[str, str] = {}

    def __init__(self, *, api_key: str | None = None, base_url: str | None = None,
                 models: Mapping[str, str] | None = None, model: str | None = None,
                 timeout: float = 120.0, retry: RetryPolicy | None = None,
                 max_attempts: int | None = None, base_delay: float | None = None,
                 max_delay: float | None = None, max_retry_after: float | None = None,
                 **_ignored: Any) -> None:
        self.models = dict(self.default_models)
        self.models.update(models or {})
        if model:
            self.models["default"] = model
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        for attr, val in (("max_attempts", max_attempts), ("base_delay", base_delay),
                          ("max_delay", max_delay), ("max_retry_after", max_retry_after)):
            if val is not None:
                setattr(self.retry, attr, val)
        self.client = self._make_client(api_key=api_key, base_url=base_url)

    def _make_client(self, *, api_key: str | None, base_url: str | None) -> Any:
        raise NotImplementedError

    def _call(self, messages: Sequence[Message], max_tokens: int, model: str) -> Reply:
        raise NotImplementedError

    def model_for(self, purpose: str = "", model: str | None = None) -> str:
        return model or self.models.get(purpose) or self.models["default"]

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 4096,
                 purpose: str = "", model: str | None = None) -> Reply:
        chosen = self.model_for(purpose, model)
        return self.retry.run(lambda: self._timed(messages, max_tokens, chosen),
                              what=f"{self.name} {chosen} {purpose}".strip())

    def _timed(self, messages: Sequence[Message], max_tokens: int, model: str) -> Reply:
        start = time.perf_counter()
        reply = self._call(messages, max_tokens, model)
        ms = (time.perf_counter() - start) * 1000.0
        return Reply(text=reply.text, model=reply.model or model, tokens_in=reply.tokens_in,
                     tokens_out=reply.tokens_out, stop_reason=reply.stop_reason,
                     latency_ms=ms, raw_id=reply.raw_id, provider=self.name)

    # ---- error mapping ---------------------------------------------------------------
    def translate(self, exc: Exception, *, timeout_types: tuple[type, ...],
                  connection_types: tuple[type, ...], status_type: type) -> ProviderCallError:
        who = f"{self.name} API"
        if isinstance(exc, timeout_types):
            return ProviderCallError(f"{who} timed out after {self.timeout:g}s",
                                     retryable=True)
        if isinstance(exc, connection_types):
            return ProviderCallError(f"{who} unreachable: {exc} (check the base URL / network)",
                                     retryable=True)
        if isinstance(exc, status_type):
            status = int(getattr(exc, "status_code", 0) or 0)
            server_msg = server_message(exc)
            response = getattr(exc, "response", None)
            headers = getattr(response, "headers", None)
            if status == 401:
                return ProviderCallError(
                    f"{self.key_env} rejected ({server_msg}): check the key or unset it to "
                    "use the offline provider", status=401)
            if status == 403:
                return ProviderCallError(f"{who} refused access (403): {server_msg}",
                                         status=403)
            if status in RETRYABLE_STATUS or status >= 500:
                return ProviderCallError(f"{who} returned {status}: {server_msg}",
                                         retryable=True, status=status,
                                         retry_after=retry_after_from_headers(headers))
            return ProviderCallError(f"{who} rejected the request ({status}): {server_msg}",
                                     status=status)
        if isinstance(exc, ValueError | KeyError | TypeError | AttributeError):
            return malformed(who, exc)
        return ProviderCallError(f"{who} call failed: {type(exc).__name__}: {exc}")


def malformed(who: str, detail: object) -> ProviderCallError:
    return ProviderCallError(f"{who} sent a malformed response body: {detail}", status=200)


def server_message(exc: Exception) -> str:
    """The server's own error message from an SDK status error, else the SDK's text."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        if isinstance(err, str):
            return err
    if isinstance(body, str | bytes) and body:
        return body.decode(errors="replace") if isinstance(body, bytes) else body
    return str(getattr(exc, "message", None) or exc)


def call_guarded(fn: Callable[[], Reply], translate: Callable[[Exception], ProviderCallError]
                 ) -> Reply:
    try:
        return fn()
    except ProviderCallError:
        raise
    except Exception as exc:  # noqa: BLE001 - every SDK failure becomes a ProviderCallError
        raise translate(exc) from exc
