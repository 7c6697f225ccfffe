"""Settings is the one place that decides: the default provider, the typed research
section (parsed once, per Settings object) and the watched folder's fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.inbox import InboxConfig
from agents.llm import get_provider
from agents.research.config import ResearchConfig
from agents.settings import LOOP_PRUNE_AFTER, load_settings
from executor.errors import ConfigError

KEYS = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL",
        "RBI_PROVIDER", "RBI_IDEAS_WATCH", "RBI_BYO_DATASET", "RBI_DATA_DIR")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in KEYS:
        monkeypatch.delenv(k, raising=False)


def test_a_keyless_openai_compatible_server_is_used_not_replaced_by_offline(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    s = load_settings(None)
    assert s.provider == "openai"
    p = get_provider(s.provider, seed=s.seed)
    assert p.name == "openai"
    assert str(p.client.base_url).startswith("http://127.0.0.1:9")  # type: ignore[attr-defined]


def test_the_default_provider_follows_the_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(None).provider == "offline"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert load_settings(None).provider == "openai"
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    assert load_settings(None).provider == "anthropic"
    assert load_settings(None, provider="offline").provider == "offline"  # a flag wins


def test_research_is_typed_and_parsed_once_per_settings() -> None:
    a = load_settings(None, research={"loop": {"interval_seconds": 5}})
    assert isinstance(a.research, ResearchConfig)
    assert a.research.loop.interval_seconds == 5.0
    assert a.research.robustness.walk_forward.prune_after == LOOP_PRUNE_AFTER
    never = load_settings(None, research={"robustness": {"walk_forward": {"prune_after": None}}})
    assert never.research.robustness.walk_forward.prune_after is None  # the file's null wins
    b = load_settings(None, research={"loop": {"interval_seconds": 5}})
    a.research.loop.interval_seconds = 99.0  # one Settings' object is its own
    assert b.research.loop.interval_seconds == 5.0
    assert a.snapshot()["research"]["robustness"]["walk_forward"]["prune_after"] == 2


def test_a_bad_research_key_is_named() -> None:
    with pytest.raises(ConfigError, match="robustness.pbo.blocks"):
        load_settings(None, research={"robustness": {"pbo": {"blocks": 3}}})


def test_the_inbox_fields_are_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RBI_IDEAS_WATCH", "POLL")
    monkeypatch.setenv("RBI_DATA_DIR", str(tmp_path / "data"))
    s = load_settings(None, ideas_dir=tmp_path / "ideas", datasets="BTC,GOOG",
                      ideas_max_bytes=123, ideas_settle_seconds=0.5)
    cfg = InboxConfig.from_settings(s)
    assert cfg == InboxConfig(ideas_dir=tmp_path / "ideas", data_dir=tmp_path / "data",
                              max_bytes=123, settle_s=0.5, watch="poll", dataset="BTC")
    assert InboxConfig.from_settings(load_settings(None, byo_dataset="SPY")).dataset == "SPY"
    monkeypatch.setenv("RBI_IDEAS_WATCH", "sometimes")
    with pytest.raises(ConfigError, match="ideas_watch"):
        load_settings(None)
