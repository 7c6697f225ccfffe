"""The anthropic and openai providers through the real SDKs against a loopback server
speaking their wire protocols; usage lands in the CallLog; the budget stops calls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agents.errors import BudgetExceeded
from agents.llm import (
    Budget,
    InMemoryCallLog,
    LLMCall,
    Message,
    PriceTable,
    ProviderCallError,
    RecordedProvider,
    extract_code,
    get_provider,
)
from tests.helpers import (
    LoopbackLLM,
    Scripted,
    anthropic_error,
    anthropic_message,
    openai_completion,
    openai_error,
)

MSGS = [Message("system", "You write strategies."), Message("user", "Write one.")]
TWO_BLOCKS = """Sure! First the imports:

```python
import talib
from backtesting import Strategy
```

And the strategy itself:

```python
class SmaCross(Strategy):
    n = 10

    def init(self):
        self.sma = self.I(talib.SMA, self.data.Close, self.n)

    def next(self):
        pass
```

Let me know if you need anything else."""


class Wire:
    """What differs between the two APIs, for parametrised tests."""

    def __init__(self, name: str, ok: Callable[..., dict], err: Callable[[str, str], dict],
                 path: str, url_suffix: str, key_env: str, truncated: dict) -> None:
        self.name, self.ok, self.err, self.path = name, ok, err, path
        self.url_suffix, self.key_env, self.truncated = url_suffix, key_env, truncated


WIRES = {
    "anthropic": Wire("anthropic", anthropic_message, lambda k, m: anthropic_error(k, m),
                      "/v1/messages", "", "ANTHROPIC_API_KEY", {"stop_reason": "max_tokens"}),
    "openai": Wire("openai", openai_completion, lambda k, m: openai_error(m, k),
                   "/v1/chat/completions", "/v1", "OPENAI_API_KEY", {"finish_reason": "length"}),
}


@pytest.fixture(params=sorted(WIRES))
def wire(request: pytest.FixtureRequest) -> Wire:
    return WIRES[request.param]


@pytest.fixture
def server() -> Iterator[LoopbackLLM]:
    with LoopbackLLM() as srv:
        yield srv


def make(wire: Wire, server: LoopbackLLM, **kw: Any) -> Any:
    opts: dict[str, Any] = {"api_key": "test-key", "base_url": server.url + wire.url_suffix,
                            "timeout": 5.0, "max_attempts": 3, "base_delay": 0.001,
                            "max_delay": 0.002, "max_retry_after": 0.01}
    opts.update(kw)
    return get_provider(wire.name, **opts)


def test_good_reply_is_normalised_and_recorded(wire: Wire, server: LoopbackLLM) -> None:
    server.push(Scripted(200, wire.ok("hello", tokens_in=1200, tokens_out=300,
                                      model="claude-sonnet-4-5-20250929"
                                      if wire.name == "anthropic" else "gpt-4.1-2025-04-14")))
    log = InMemoryCallLog()
    llm = RecordedProvider(make(wire, server), log, Budget(usd_per_day=1.0), PriceTable(),
                           prompt_version="research-v1")
    reply = llm.complete(MSGS, purpose="research", max_tokens=321, event_id=42)
    assert (reply.text, reply.tokens_in, reply.tokens_out) == ("hello", 1200, 300)
    assert reply.stop_reason == "end" and reply.provider == wire.name and reply.raw_id
    [req] = server.requests
    assert req.path == wire.path and req.body["max_tokens"] == 321
    if wire.name == "anthropic":
        assert req.body["system"] == "You write strategies."
        assert req.body["messages"] == [{"role": "user", "content": "Write one."}]
        assert req.body["model"] == "claude-sonnet-4-5"
    else:
        assert req.body["messages"][0] == {"role": "system", "content": "You write strategies."}
        assert req.body["model"] == "gpt-4.1"
    [call] = log.calls
    assert (call.tokens_in, call.tokens_out, call.purpose) == (1200, 300, "research")
    assert call.prompt_version == "research-v1" and call.event_id == 42 and call.error is None
    expected = (1200 * 3 + 300 * 15) / 1e6 if wire.name == "anthropic" else (1200 * 2 + 300 * 8) / 1e6
    assert call.cost_usd == pytest.approx(expected)


def test_prose_around_two_code_blocks(wire: Wire, server: LoopbackLLM) -> None:
    server.push(Scripted(200, wire.ok(TWO_BLOCKS)))
    reply = make(wire, server).complete(MSGS, purpose="backtest")
    got = extract_code(reply.text)
    assert got.blocks == 2 and not got.truncated
    assert got.code.startswith("import talib") and "class SmaCross(Strategy):" in got.code
    assert "Let me know" not in got.code and "Sure!" not in got.code
    compile(got.code, "<reply>", "exec")


def test_429_with_retry_after_then_success(wire: Wire, server: LoopbackLLM) -> None:
    server.push(Scripted(429, wire.err("rate_limit_error", "slow down"), {"retry-after": "7"}),
                Scripted(200, wire.ok("ok after retry")))
    provider = make(wire, server)
    reply = provider.complete(MSGS)
    assert reply.text == "ok after retry" and len(server.requests) == 2
    assert provider.retry.delays == [0.01]  # the server's 7 s, capped by max_retry_after


def test_retry_after_http_date_is_honoured(wire: Wire, server: LoopbackLLM) -> None:
    when = (datetime.now(UTC) + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    server.push(Scripted(503, wire.err("overloaded_error", "busy"), {"retry-after": when}),
                Scripted(200, wire.ok("fine")))
    provider = make(wire, server, max_retry_after=0.02)
    assert provider.complete(MSGS).text == "fine"
    assert provider.retry.delays == [0.02]


def test_500_until_retries_run_out(wire: Wire, server: LoopbackLLM) -> None:
    server.push(*[Scripted(500, wire.err("api_error", "boom"))] * 3)
    log = InMemoryCallLog()
    llm = RecordedProvider(make(wire, server), log)
    with pytest.raises(ProviderCallError) as info:
        llm.complete(MSGS, purpose="debug")
    err = info.value
    assert err.retryable and err.status == 500 and "gave up after 3 attempts" in str(err)
    assert len(server.requests) == 3 and len(llm.inner.retry.delays) == 2
    assert all(d <= 0.002 * 1.25 for d in llm.inner.retry.delays)
    [call] = log.calls
    assert call.error and "500" in call.error and call.tokens_in == 0


def test_401_is_not_retried_and_says_what_to_do(wire: Wire, server: LoopbackLLM) -> None:
    server.push(Scripted(401, wire.err("authentication_error", "invalid x-api-key")))
    with pytest.raises(ProviderCallError) as info:
        make(wire, server).complete(MSGS)
    msg = str(info.value)
    assert not info.value.retryable and info.value.status == 401
    assert f"{wire.key_env} rejected" in msg and "offline provider" in msg
    assert len(server.requests) == 1


def test_400_carries_the_server_message(wire: Wire, server: LoopbackLLM) -> None:
    server.push(Scripted(400, wire.err("invalid_request_error", "max_tokens: too large")))
    with pytest.raises(ProviderCallError) as info:
        make(wire, server).complete(MSGS)
    assert "max_tokens: too large" in str(info.value) and info.value.status == 400
    assert not info.value.retryable and len(server.requests) == 1


@pytest.mark.parametrize("body", ["{not json", {"unexpected": True}])
def test_malformed_body(wire: Wire, server: LoopbackLLM, body: Any) -> None:
    server.push(Scripted(200, body))
    with pytest.raises(ProviderCallError) as info:
        make(wire, server).complete(MSGS)
    assert "malformed" in str(info.value) and not info.value.retryable
    assert len(server.requests) == 1


def test_truncated_reply_is_reported(wire: Wire, server: LoopbackLLM) -> None:
    server.push(Scripted(200, wire.ok("```python\nclass A(Strategy):\n    def", **wire.truncated)))
    reply = make(wire, server).complete(MSGS, max_tokens=10)
    assert reply.stop_reason == "max_tokens" and reply.truncated
    assert extract_code(reply.text).truncated


def test_budget_stops_calls_before_any_request(wire: Wire, server: LoopbackLLM) -> None:
    server.push(Scripted(200, wire.ok("never sent")))
    now = datetime(2025, 3, 4, 15, 30, tzinfo=UTC)
    log = InMemoryCallLog()
    log.record(LLMCall(wire.name, "m", "research", "v1", 900, 200, 0.5, 10.0,
                       created_at=now - timedelta(hours=2)))
    log.record(LLMCall(wire.name, "m", "research", "v1", 10**6, 0, 99.0, 10.0,
                       created_at=now - timedelta(days=1)))  # yesterday: does not count
    llm = RecordedProvider(make(wire, server), log, Budget(tokens_per_day=1000),
                           clock=lambda: now)
    with pytest.raises(BudgetExceeded) as info:
        llm.complete(MSGS)
    assert info.value.resume_at == datetime(2025, 3, 5, tzinfo=UTC)
    assert server.requests == [] and len(log.calls) == 2
    usd = RecordedProvider(make(wire, server), log, Budget(usd_per_day=0.6), clock=lambda: now)
    assert usd.complete(MSGS).text == "never sent"  # $0.50 of $0.60 spent: still allowed


def test_env_vars_choose_key_and_base_url(wire: Wire, server: LoopbackLLM,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(wire.key_env, "env-key")
    base_env = "ANTHROPIC_BASE_URL" if wire.name == "anthropic" else "OPENAI_BASE_URL"
    monkeypatch.setenv(base_env, server.url + wire.url_suffix)
    server.push(Scripted(200, wire.ok("from env")))
    provider = get_provider(wire.name, max_attempts=1)
    assert provider.complete(MSGS).text == "from env"
    headers = {k.lower(): v for k, v in server.requests[0].headers.items()}
    # the SDK decides the header (x-api-key or a bearer token, by SDK version)
    assert "env-key" in (headers.get("x-api-key", ""), headers.get("authorization", "")[7:])


def test_connection_refused_is_retryable(wire: Wire) -> None:
    with LoopbackLLM() as srv:
        url = srv.url + wire.url_suffix
    provider = get_provider(wire.name, api_key="k", base_url=url, max_attempts=2,
                            base_delay=0.001, timeout=2.0)
    with pytest.raises(ProviderCallError) as info:
        provider.complete(MSGS)
    assert info.value.retryable and info.value.status is None
    assert len(provider.retry.delays) == 1


def test_reasoning_models_get_max_completion_tokens(server: LoopbackLLM) -> None:
    server.push(Scripted(200, openai_completion("ok", model="o3-mini")))
    provider = get_provider("openai", api_key="k", base_url=server.url + "/v1", model="o3-mini",
                            max_attempts=1)
    provider.complete(MSGS, max_tokens=77)
    body = server.requests[0].body
    assert body["max_completion_tokens"] == 77 and "max_tokens" not in body


def test_unknown_model_that_refuses_max_tokens_is_asked_again_once(server: LoopbackLLM) -> None:
    refusal = openai_error("Unsupported parameter: 'max_tokens' is not supported with this "
                           "model. Use 'max_completion_tokens' instead.")
    server.push(Scripted(400, refusal), Scripted(200, openai_completion("one")),
                Scripted(200, openai_completion("two")))
    provider = get_provider("openai", api_key="k", base_url=server.url + "/v1",
                            model="future-model", max_attempts=1)
    assert provider.complete(MSGS, max_tokens=50).text == "one"
    assert provider.complete(MSGS, max_tokens=60).text == "two"  # learnt: no second refusal
    sent = [r.body for r in server.requests]
    assert sent[0]["max_tokens"] == 50 and "max_completion_tokens" not in sent[0]
    assert [b.get("max_completion_tokens") for b in sent[1:]] == [50, 60]
    assert all("max_tokens" not in b for b in sent[1:])


def test_keyless_openai_compatible_server_is_the_default(monkeypatch: pytest.MonkeyPatch,
                                                         server: LoopbackLLM) -> None:
    from agents.settings import Settings

    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "RBI_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", server.url + "/v1")
    settings = Settings()
    assert settings.provider == "openai"
    server.push(Scripted(200, openai_completion("local model says hi")))
    provider = get_provider(settings.provider, max_attempts=1)
    assert provider.complete(MSGS).text == "local model says hi"
    assert len(server.requests) == 1
