"""A spent daily budget defers LLM stages (status ready, reason 'budget', available at
the reset) instead of failing them; deterministic stages keep running."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agents.llm import LLMCall
from agents.offline import idea_to_spec, spec_to_code
from agents.store import Store
from agents.store.queue import Queue
from tests.helpers import add_idea, run_once, stage_settings


def test_budget_exceeded_defers_llm_stages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a real provider (the anthropic SDK); no request is ever made: the budget stops it first
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    settings = stage_settings(tmp_path, provider="anthropic", daily_token_budget=1000,
                              daily_cost_budget=0)
    idea_id = add_idea(settings, "RSI oversold bounce on GOOG")
    spec = idea_to_spec("MACD cross on GOOG", 0)
    with Store(settings.db) as store:
        store.record_llm_call(LLMCall("anthropic", "claude-test", "research", "research-v1",
                                      900, 200, 0.01, 5.0))
        sid, _ = store.add_strategy(None, spec.name, spec.to_dict())
        vid, _ = store.add_version(sid, spec_to_code(spec), spec=spec.to_dict(),
                                   params=spec.defaults(), agent="test")
        Queue(store).enqueue("validate", {"strategy_id": sid, "version_id": vid},
                             idempotency_key="t:validate", strategy_id=sid)
    run_once(settings)
    midnight = (datetime.now(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0,
                                                                 microsecond=0)
    with Store(settings.db) as store:
        events = {r["type"]: r for r in store.all("SELECT * FROM events")}
        calls = store.one("SELECT COUNT(*) FROM llm_calls")[0]
        results = store.all("SELECT status FROM backtest_results WHERE version_id = ?", (vid,))
        idea = store.one("SELECT status FROM ideas WHERE id = ?", (idea_id,))
    for stage in ("research", "review"):  # both need the LLM
        ev = events[stage]
        assert ev["status"] == "ready", dict(ev)
        assert ev["wait_reason"].startswith("budget"), dict(ev)
        assert "1100 of 1000 tokens" in ev["wait_reason"]
        assert abs(ev["available_ts"] - midnight.timestamp()) < 5
        assert ev["available_ts"] > time.time() + 1
        assert ev["last_error"] is None and ev["error_class"] is None
    assert not any(e["status"] == "dead" for e in events.values())
    # validate and execute need no LLM: they ran (a real sandboxed result exists)
    assert events["validate"]["status"] == "done" and events["execute"]["status"] == "done"
    assert [r["status"] for r in results] == ["ok"]
    assert calls == 1  # only the seeded call: the budget check made no request
    assert idea["status"] == "active"
