"""Issue 11 in the stages: a search that cannot improve a version ends the search, not
the strategy; the re-review judges the version on its evidence; the promote stage's
strategy reason and the research prompt's knowledge never carry the holdout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agents.offline import idea_to_spec, spec_to_code
from agents.research.evaluate import Evaluation
from agents.research.scoring import Decision, Evidence
from agents.stages import optimise, review
from agents.stages.promote import _public
from agents.stages.research import knowledge
from agents.store import Store
from tests.helpers import make_ctx, stage_settings


def _version(store: Store, status: str = "needs_work") -> tuple[int, int]:
    spec = idea_to_spec("RSI oversold bounce on GOOG", 0)
    sid, _ = store.add_strategy(None, spec.name, spec.to_dict())
    vid, _ = store.add_version(sid, spec_to_code(spec), spec=spec.to_dict(),
                               params=spec.defaults(), agent="test")
    store.set_version_status(vid, status)
    return sid, vid


def _events(store: Store) -> list[tuple[str, str]]:
    return [(r["type"], r["payload"]) for r in store.all("SELECT type, payload FROM events "
                                                          "WHERE status = 'ready' ORDER BY id")]


def test_a_stalled_search_sends_the_version_back_to_review_not_to_its_death(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: "optimisation stalled at v1: best gain ... < 0.05" killed the strategy."""
    settings = stage_settings(tmp_path)
    monkeypatch.setattr(optimise, "param_search", lambda *a, **k: ("grid", []))
    monkeypatch.setattr(optimise, "logic_change", lambda *a, **k: None)
    with Store(settings.db) as store:
        sid, vid = _version(store)
        ctx = make_ctx(store, settings, "optimise", {"strategy_id": sid, "version_id": vid})
        optimise.handle(ctx, {"strategy_id": sid, "version_id": vid})
        status = store.one("SELECT status, reason FROM strategies WHERE id = ?", (sid,))
        assert status["status"] == "active", status["reason"]
        emitted = [(e.type, e.payload) for e in ctx._emits]
    assert emitted == [("review", {"strategy_id": sid, "version_id": vid, "search_ended": True})]


def _canned(outcome: str, reasons: list[str]) -> Any:
    def evaluate(*_a: Any, **_k: Any) -> Evaluation:
        return Evaluation(Decision(outcome, reasons, 70.0), Evidence(n_trials=7))
    return evaluate


@pytest.mark.parametrize(("outcome", "status", "follow_up"), [
    ("needs_work", "killed", []), ("approve", "active", ["promote"])])
def test_the_final_review_judges_the_evidence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              outcome: str, status: str,
                                              follow_up: list[str]) -> None:
    settings = stage_settings(tmp_path, optimise_max_iterations=5)
    reasons = ["DSR 0.85 < 0.9 after N = 7 effective trial(s)"] if outcome != "approve" else []
    monkeypatch.setattr(review, "evaluate", _canned(outcome, reasons))
    monkeypatch.setattr(review, "gates", lambda stats, s, *evidence: {"passed": True})
    monkeypatch.setattr(review, "json_object", lambda text: {"verdict": "approve"})
    with Store(settings.db) as store:
        sid, vid = _version(store)
        payload = {"strategy_id": sid, "version_id": vid, "search_ended": True}
        ctx = make_ctx(store, settings, "review", payload)
        review.handle(ctx, payload)
        row = store.one("SELECT status, reason FROM strategies WHERE id = ?", (sid,))
        emitted = [e.type for e in ctx._emits]
    assert row["status"] == status and emitted == follow_up  # never another optimise round
    if status == "killed":
        assert "after its search ended" in row["reason"] and "DSR 0.85" in row["reason"]
        assert "stalled" not in row["reason"]


def test_holdout_outcomes_stay_out_of_reasons_and_the_knowledge_base(tmp_path: Path) -> None:
    gates = [{"name": "dsr", "passed": True, "level": "kill"},
             {"name": "holdout", "passed": False, "level": "kill", "value": 0.31}]
    text = _public(gates)
    assert "0.31" not in text and "holdout" in text and "does not confirm" not in text
    settings = stage_settings(tmp_path)
    with Store(settings.db) as store:
        sid, vid = _version(store)
        store.set_strategy_status(sid, "killed", "promotion of v1: Sharpe -1.30 on the holdout")
        store.conn.execute("INSERT INTO holdout_reads (strategy_id, version_id, dataset, "
                           "created_at) VALUES (?, ?, 'GOOG', '2026-01-01')", (sid, vid))
        kb = knowledge(store, "RSI oversold bounce on GOOG")
    assert "reached the sealed holdout" in kb
    assert "-1.30" not in kb and "killed" not in kb


def test_promote_deflates_again_by_trials_other_strategies_ran_since_the_review() -> None:
    """Guards kill.min_dsr (0.9) at promotion: N grows with the lab, from stored moments."""
    from agents.research.overfitting import deflated_sharpe
    from agents.stages.promote import _redeflate

    rets = np.random.RandomState(0).normal(0.001, 0.01, 800)
    d = deflated_sharpe(rets, 2)
    ev = Evidence(n_trials=2, n_trials_own=2.0, dsr=d["dsr"])
    report = {"dsr": d, "trials": {"own_raw": 2, "other_raw": 0, "other_effective": 0.0}}
    _redeflate(ev, report, (40.0, 120))
    assert ev.n_trials == 42 and ev.n_trials_raw == 122
    assert ev.dsr == pytest.approx(deflated_sharpe(rets, 42)["dsr"]) and ev.dsr < d["dsr"]
    before = dict(report)
    _redeflate(ev, report, (40.0, 120))  # nothing new since: unchanged
    assert report == before
