"""/metrics: Prometheus text that the official parser reads, and counters that move."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from agents.dashboard import Dashboard, make_server
from agents.dashboard.logs import event_logger
from agents.store import Store
from agents.store.queue import Queue
from tests.agents.dashboard.browser.seed import run_result, seed
from tests.conftest import IN_CI

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:  # dev dependency
    if IN_CI:
        raise
    pytest.skip("prometheus_client not installed (pip install prometheus-client)",
                allow_module_level=True)


def _scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(url + "/metrics") as resp:
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = resp.read().decode()
    out = {}
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert families["rbi_runs"].type == "counter"
    assert families["rbi_run_duration_seconds"].type == "histogram"
    assert families["rbi_queue_depth"].type == "gauge"
    for fam in families.values():
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _sum(m: dict, name: str, **labels: str) -> float:
    return sum(v for (n, lab), v in m.items()
               if n == name and all((k, val) in lab for k, val in labels.items()))


def test_metrics_parse_and_counters_move_when_a_run_completes(tmp_path: Path) -> None:
    import random

    db = tmp_path / "rbi.sqlite"
    seed(db, strategies=4)
    server = make_server(Dashboard(db, token_budget=100_000, cost_budget=1.0), "127.0.0.1", 0,
                         log=event_logger("json", open(tmp_path / "log.jsonl", "w")))
    server.start_background()
    try:
        before = _scrape(server.url)
        with Store(db) as s:
            res = run_result(random.Random(1), backend="local")
            res["timings"] = {"total": 0.7}
            s.record_result(1, res, "BTCUSD", params={"fresh": 1})
            s.record_llm_call({"provider": "offline", "model": "scripted", "tokens_in": 500,
                               "tokens_out": 50, "cost_usd": 0.25})
            Queue(s).enqueue("review", {"strategy_id": 1, "version_id": 1})
        after = _scrape(server.url)
    finally:
        server.shutdown()
        server.server_close()
    ok = {"status": "ok", "backend": "local"}
    assert _sum(after, "rbi_runs_total", **ok) == _sum(before, "rbi_runs_total", **ok) + 1
    count = "rbi_run_duration_seconds_count"
    assert _sum(after, count, backend="local") == _sum(before, count, backend="local") + 1
    le1 = ("rbi_run_duration_seconds_bucket")
    assert (_sum(after, le1, backend="local", le="1.0") ==
            _sum(before, le1, backend="local", le="1.0") + 1)  # 0.7 s falls in le=1
    assert (_sum(after, le1, backend="local", le="0.5") ==
            _sum(before, le1, backend="local", le="0.5"))
    assert _sum(after, "rbi_llm_tokens_total") == _sum(before, "rbi_llm_tokens_total") + 550
    assert _sum(after, "rbi_llm_cost_usd_total") == pytest.approx(
        _sum(before, "rbi_llm_cost_usd_total") + 0.25)
    assert _sum(after, "rbi_queue_depth", stage="review") == 1
    assert _sum(after, "rbi_llm_budget_remaining_usd") == pytest.approx(
        _sum(before, "rbi_llm_budget_remaining_usd") - 0.25)
    # histogram buckets are cumulative and end at the count
    for backend in ("local", "docker"):
        buckets = sorted((float(dict(lab)["le"]), v) for (n, lab), v in after.items()
                         if n == le1 and dict(lab)["backend"] == backend)
        assert [v for _, v in buckets] == sorted(v for _, v in buckets)
        assert buckets[-1][1] == _sum(after, count, backend=backend)


def test_label_values_are_escaped(tmp_path: Path) -> None:
    db = tmp_path / "rbi.sqlite"
    with Store(db) as s:
        s.record_llm_call({"provider": 'we"ird\\prov', "model": "line\nbreak", "tokens_in": 3})
    app = Dashboard(db)
    text = app.handle("GET", "/metrics").body.decode()
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    labels = {s.labels["provider"] for s in fams["rbi_llm_tokens"].samples}
    assert labels == {'we"ird\\prov'}
