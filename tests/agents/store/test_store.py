"""The results store on real SQLite files: schema, dedupe, idempotent results, queries."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agents.errors import ConfigError, StoreError
from agents.settings import load_settings
from agents.store import Store, StoreCallLog
from agents.store import queries as q
from agents.store.holdout import HoldoutAlreadyRead
from agents.store.schema import MIGRATIONS


def test_schema_pragmas_and_migrations(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    s = Store(db)
    assert s.one("PRAGMA user_version")[0] == len(MIGRATIONS)
    assert s.one("PRAGMA journal_mode")[0] == "wal"
    assert s.one("PRAGMA foreign_keys")[0] == 1
    s.close()
    Store(db).close()  # re-open: nothing to apply, nothing breaks
    c = sqlite3.connect(db)
    c.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    c.close()
    with pytest.raises(StoreError, match="newer than this rbi"):
        Store(db)


def test_a_v5_database_migrates_on_open_keeping_its_optimization_rounds(tmp_path: Path) -> None:
    """v7 renames ``optimisation_rounds`` to ``optimization_rounds``: a database left at
    v5 keeps its rows and its index under the new names when a Store opens it."""
    db = tmp_path / "old.sqlite"
    c = sqlite3.connect(db)
    for number, script in enumerate(MIGRATIONS[:5], 1):
        c.executescript(script)
        c.execute(f"PRAGMA user_version = {number}")
    c.execute("INSERT INTO strategies (id, name, created_at, updated_at) VALUES (1, 's', 'a', 'a')")
    c.execute("INSERT INTO strategy_versions (id, strategy_id, version, code, code_sha256, "
              "created_at) VALUES (1, 1, 1, 'x', 'y', 'a')")
    c.execute("INSERT INTO optimisation_rounds (strategy_id, version_id, rejected_logic, "
              "created_at) VALUES (1, 1, 3, 'a')")
    c.commit()
    c.close()
    with Store(db) as s:
        assert s.schema_version() == len(MIGRATIONS) == 7
        assert s.rejected_logic_changes(1) == 3
        names = {r[0] for r in s.all("SELECT name FROM sqlite_master")}
    assert "optimization_rounds" in names and "optimization_rounds_strategy" in names
    assert not {n for n in names if "optimisation" in n}


def test_dedupe_ideas_versions_results(tmp_path: Path) -> None:
    s = Store(tmp_path / "r.sqlite")
    a = s.add_idea("RSI oversold bounce\r\n", source="file", path="x.md")
    assert s.add_idea("  RSI oversold bounce") == (a[0], False)
    sid, _ = s.add_strategy(a[0], "rsi", {"p": 1})
    v1, new1 = s.add_version(sid, "code1")
    assert s.add_version(sid, "code1") == (v1, False) and new1
    v2, _ = s.add_version(sid, "code2", parent_id=v1)
    assert s.version(v2).version == 2  # type: ignore[union-attr]
    res = {"status": "ok", "stats": {"Sharpe Ratio": float("nan"), "Return [%]": 3.0, "# Trades": 4.0},
           "params": {"n": 1}, "versions": {"pandas": "2.3"}}
    r1 = s.record_result(v1, res, "GOOG")
    assert r1[1] and s.record_result(v1, res, "GOOG") == (r1[0], False)
    assert s.record_result(v1, res, "GOOG", seed=1)[1]  # another seed is another result
    row = s.one("SELECT * FROM backtest_results WHERE id = ?", (r1[0],))
    assert row["sharpe_ratio"] is None and row["total_return"] == 3.0 and row["num_trades"] == 4
    assert row["strategy_name"] == "rsi" and row["version"] == 1 and row["code_hash"]
    bad = s.record_result(v2, {"status": "rejected", "violations": [
        {"line": 3, "col": 0, "rule": "import", "message": "os is not allowed"}]}, "GOOG")
    row = s.one("SELECT * FROM backtest_results WHERE id = ?", (bad[0],))
    assert row["error_class"] == "Violation" and "os is not allowed" in row["error_message"]
    with pytest.raises(sqlite3.IntegrityError):
        s.conn.execute("INSERT INTO strategy_versions (strategy_id, version, code, code_sha256, "
                       "created_at) VALUES (999, 1, 'x', 'y', 'now')")


def test_transactions_roll_back_as_a_whole(tmp_path: Path) -> None:
    s = Store(tmp_path / "r.sqlite")
    with pytest.raises(RuntimeError), s.tx():
        s.add_idea("one")
        s.add_idea("two")
        raise RuntimeError("crash before commit")
    assert s.one("SELECT COUNT(*) FROM ideas")[0] == 0


def test_llm_calls_budget_window_and_calllog(tmp_path: Path) -> None:
    s = Store(tmp_path / "r.sqlite")
    log = StoreCallLog(s)
    old = datetime.now(UTC) - timedelta(days=2)
    log.record({"provider": "openai", "model": "m", "tokens_in": 100, "tokens_out": 50,
                "cost_usd": 1.0, "created_at": old})

    class Call:  # an object, not a dict, works too
        provider, model, purpose, prompt_version = "anthropic", "c", "research", "v1"
        tokens_in, tokens_out, cost_usd, latency_ms, error = 10, 5, 0.25, 12.0, None

    cid = log.record(Call())
    assert cid > 0
    assert log.spent_since(datetime.now(UTC) - timedelta(days=1)) == (15, 0.25)
    assert log.spent_since(old - timedelta(seconds=1)) == (165, 1.25)


def test_holdout_reads_are_append_only_and_learnings_search(tmp_path: Path) -> None:
    s = Store(tmp_path / "r.sqlite")
    s.record_holdout_read("GOOG", reason="promotion decision")
    # the store's writer is the ledger's: the same decision never reads the holdout twice
    with pytest.raises(HoldoutAlreadyRead, match="promotion decision"):
        s.record_holdout_read("GOOG", reason="promotion decision")
    assert s.record_holdout_read("GOOG", reason="another decision") > 0
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        s.conn.execute("UPDATE holdout_reads SET reason = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        s.conn.execute("DELETE FROM holdout_reads")
    s.add_learning("RSI entries below 20 trade too rarely on daily GOOG", tags="rsi")
    s.add_learning("Bollinger breakouts need a trend filter", tags="bollinger")
    assert s.add_learning("Bollinger breakouts need a trend filter")[1] is False
    got = s.learnings_for("an RSI oversold idea", limit=5)
    assert [r["tags"] for r in got] == ["rsi"]


def test_history_show_status(tmp_path: Path) -> None:
    s = Store(tmp_path / "r.sqlite")
    idea, _ = s.add_idea("x")
    for n in range(3):
        sid, _ = s.add_strategy(idea, f"s{n}")
        v, _ = s.add_version(sid, f"c{n}")
        s.record_result(v, {"status": "ok", "stats": {"Sharpe Ratio": n - 1.0, "# Trades": 12}},
                        "GOOG")
    # issue 11: neither a zero-trade run (an open position never closed) nor a search
    # trial with other parameters is a version's best result
    s.record_result(v, {"status": "ok", "stats": {"Sharpe Ratio": 9.0, "# Trades": 0}},
                    "GOOG", seed=1)
    s.record_result(v, {"status": "ok", "stats": {"Sharpe Ratio": 7.0, "# Trades": 40}},
                    "GOOG", params={"n": 3})
    h = q.history(s, min_sharpe=0.0)
    assert [r["name"] for r in h] == ["s2", "s1"] and h[0]["best"]["sharpe_ratio"] == 1.0
    assert h[0]["best"]["num_trades"] == 12
    assert q.show(s, h[0]["id"])["versions"][0]["code"] == "c2"
    assert q.show(s, 999) is None
    st = q.status(s, handled=())
    assert st["results"] == {"ok": 5}


def test_settings_precedence_flags_env_yaml_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "RBI_SEED", "RBI_WORKERS", "RBI_PROVIDER"):
        monkeypatch.delenv(k, raising=False)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("seed: 1\nworkers: 3\ndatasets: [GOOG, BTCUSD]\n")
    assert load_settings().provider == "offline"
    s = load_settings(cfg)
    assert (s.seed, s.workers, s.datasets) == (1, 3, ["GOOG", "BTCUSD"])
    monkeypatch.setenv("RBI_SEED", "2")
    assert load_settings(cfg).seed == 2
    assert load_settings(cfg, seed=3).seed == 3
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-secret-123")
    assert load_settings().provider == "anthropic"
    assert "sk-secret-123" not in str(load_settings().snapshot())
    cfg.write_text("sede: 1\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings(cfg)
    with pytest.raises(ConfigError, match="workers"):
        load_settings(workers=0)
