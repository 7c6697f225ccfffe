"""Review through a real provider SDK (anthropic, loopback server): gates pass, the LLM
approves, its learnings land in the knowledge base, promote marks the strategy approved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.offline import idea_to_spec, spec_to_code
from agents.store import Store
from agents.store.queue import Queue
from tests.helpers import LoopbackLLM, Scripted, anthropic_message, run_once, stage_settings

# This test is about the LLM review's plumbing: the research checks (issue 6) run but
# their gates are opened wide, so the LLM's verdict decides.
OPEN_GATES = {
    "robustness": {"random_data": {"enabled": False}, "lookahead": {"cuts": [0.5, 0.9]},
                   "monte_carlo": {"paths": 500}},
    "thresholds": {
        "kill": {"min_dsr": 0.0, "min_wf_psr": 0.0, "max_pbo": 1.0, "min_alpha_psr": 0.0,
                 "max_reality_check_p": 1.0, "min_holdout_psr": 0.0},
        "needs_work": {"min_trades": 0, "max_drawdown_pct": 100.0, "max_prob_ruin": 1.0,
                       "min_stability_median": -1e9, "min_stability_min": -1e9,
                       "max_cost_degradation": 1e9},
        "approve": {"min_score": 0.0, "require": ["lookahead"]}},
}


def test_approved_review_promotes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    verdict = {"verdict": "approve", "summary": "steady mean reversion, enough trades",
               "concerns": [], "learnings": ["Bollinger reversion on GOOG holds drawdown < 40%"]}
    with LoopbackLLM() as srv:
        srv.push(Scripted(200, anthropic_message(
            "My assessment:\n```json\n" + json.dumps(verdict) + "\n```", tokens_in=900,
            tokens_out=120)))
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", srv.url)
        settings = stage_settings(tmp_path, provider="anthropic", optimise_max_iterations=0,
                                  research=OPEN_GATES, paper_after_promote=False)
        spec = idea_to_spec("Bollinger band mean reversion on GOOG", 0)
        with Store(settings.db) as store:
            sid, _ = store.add_strategy(None, spec.name, spec.to_dict())
            vid, _ = store.add_version(sid, spec_to_code(spec), spec=spec.to_dict(),
                                       params=spec.defaults(), agent="test")
            Queue(store).enqueue("validate", {"strategy_id": sid, "version_id": vid},
                                 idempotency_key="t:validate", strategy_id=sid)
        run_once(settings)
        sent = [r.body for r in srv.requests]
    with Store(settings.db) as store:
        review = store.one("SELECT * FROM reviews WHERE version_id = ?", (vid,))
        s = store.one("SELECT status, reason FROM strategies WHERE id = ?", (sid,))
        v = store.one("SELECT status FROM strategy_versions WHERE id = ?", (vid,))
        call = store.one("SELECT * FROM llm_calls WHERE id = ?", (review["llm_call_id"],))
        learned = store.learnings_for("Bollinger GOOG")
    assert len(sent) == 1 and "STATS" in sent[0]["messages"][-1]["content"]
    assert review["outcome"] == "approve" and json.loads(review["gates_json"])["passed"]
    assert call["provider"] == "anthropic" and call["prompt_version"] == "review-v1"
    assert call["tokens_in"] == 900 and call["tokens_out"] == 120 and call["cost_usd"] >= 0
    assert s["status"] == "approved" and v["status"] == "approved"
    assert any("holds drawdown" in r["text"] for r in learned)
