"""The watched idea folder: complete files only, duplicates, rejects with reasons, files
that arrived while the loop was down, crash healing, and bring-your-own-code scripts."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from agents.inbox import Inbox, InboxConfig, submit_idea
from agents.store import Store
from tests.conftest import TESTS
from tests.helpers import rbi, sql

BYO = TESTS / "corpus" / "byo"
IDEA = "Buy when the 10-day SMA crosses above the 30-day SMA; sell on the cross back.\n"


class Clock:
    def __init__(self) -> None:
        self.t = time.time()

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def box(tmp_path: Path) -> tuple[Inbox, Store, Clock]:
    cfg = InboxConfig(ideas_dir=tmp_path / "ideas", data_dir=tmp_path / "data", max_bytes=4096,
                      settle_s=1.0, watch="poll")
    cfg.ideas_dir.mkdir()
    clock = Clock()
    store = Store(tmp_path / "rbi.sqlite")
    yield Inbox(cfg, clock=clock), store, clock
    store.close()


def _old(path: Path, age: float = 60.0) -> Path:
    t = time.time() - age
    os.utime(path, (t, t))
    return path


def _events(store: Store) -> list[tuple[str, dict[str, Any]]]:
    return [(r["type"], json.loads(r["payload"])) for r in store.all(
        "SELECT type, payload FROM events ORDER BY id")]


def test_a_growing_file_is_taken_only_once_it_stops_changing(box) -> None:
    inbox, store, clock = box
    f = inbox.cfg.ideas_dir / "growing.md"
    f.write_text("Buy the dip when RSI(14) < 30 and")
    clock.t = f.stat().st_mtime  # just written
    assert inbox.scan(store) == []
    with f.open("a") as h:
        h.write(" sell when RSI > 70.\n")
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 1_000_000))  # coarse clocks
    clock.t += 5  # long after the first write, but the file changed since the last poll
    assert inbox.scan(store) == [] and f.exists()
    clock.t += 0.5  # unchanged, but not for settle_s yet
    assert inbox.scan(store) == [] and f.exists()
    clock.t += 1.0
    [idea] = inbox.scan(store)
    assert not f.exists()
    assert store.one("SELECT text FROM ideas WHERE id = ?", (idea,))["text"].endswith("RSI > 70.")
    note = (inbox.cfg.processed_dir / "growing.md.note.txt").read_text()
    assert f"I{idea} created from growing.md" in note
    assert _events(store) == [("research", {"idea_id": idea})]


def test_temporary_names_wait_for_the_rename(box) -> None:
    inbox, store, _ = box
    tmp = inbox.cfg.ideas_dir / ".draft.md.tmp"
    tmp.write_text(IDEA)
    part = inbox.cfg.ideas_dir / "download.md.part"
    part.write_text(IDEA + "x")
    _old(tmp), _old(part)
    assert inbox.scan(store) == [] and tmp.exists() and part.exists()
    tmp.rename(inbox.cfg.ideas_dir / "draft.md")
    assert len(inbox.scan(store)) == 1
    assert (inbox.cfg.processed_dir / "draft.md").exists() and part.exists()


def test_the_same_content_twice_is_one_idea(box) -> None:
    inbox, store, _ = box
    a, b = inbox.cfg.ideas_dir / "a.md", inbox.cfg.ideas_dir / "b.txt"
    a.write_text(IDEA)
    b.write_text("\r\n" + IDEA.replace("\n", "\r\n") + "  \n")  # same idea, other line ends
    _old(a, 30), _old(b, 20)
    [idea] = inbox.scan(store)
    assert store.one("SELECT COUNT(*) FROM ideas")[0] == 1
    assert {t.outcome for t in inbox.taken} == {"created", "duplicate"}
    assert not a.exists() and not b.exists()
    note = (inbox.cfg.processed_dir / "b.txt.note.txt").read_text()
    assert f"same content as I{idea}" in note and "a.md" in note
    # dropped again later under the first name: a second copy in processed/, still one idea
    again = inbox.cfg.ideas_dir / "a.md"
    again.write_text(IDEA)
    _old(again)
    assert inbox.scan(store) == []
    assert (inbox.cfg.processed_dir / "a.1.md").exists()
    assert store.one("SELECT COUNT(*) FROM ideas")[0] == 1
    assert len(_events(store)) == 1


@pytest.mark.parametrize("name, content, reason", [
    ("empty.md", b"", "empty file"),
    ("blank.txt", b"  \n\t\n", "empty file (only whitespace)"),
    ("image.md", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "binary file: NUL byte"),
    ("huge.md", b"x" * 5000, "too large: 5,000 bytes, the limit is 4,096"),
    ("latin1.txt", "Kaufen wenn der Kurs über dem Durchschnitt".encode("latin-1"),
     "not UTF-8 text: byte 0xfc"),
    ("notes.docx", b"PK\x03\x04", "unsupported file type .docx"),
    ("paper.pdf", b"%PDF-1.7\n", "PDF files are not read"),
    ("helper.py", b"def f(x):\n    return x + 1\n", "no backtesting.py Strategy subclass"),
])
def test_unusable_files_are_rejected_with_a_reason(box, name: str, content: bytes,
                                                   reason: str) -> None:
    inbox, store, _ = box
    f = inbox.cfg.ideas_dir / name
    f.write_bytes(content)
    _old(f)
    assert inbox.scan(store) == []
    assert not f.exists()
    assert (inbox.cfg.rejected_dir / name).read_bytes() == content
    assert reason in (inbox.cfg.rejected_dir / f"{name}.reason.txt").read_text()
    assert store.one("SELECT COUNT(*) FROM ideas")[0] == 0


def test_utf16_and_bom_files_are_text(box) -> None:
    inbox, store, _ = box
    a, b = inbox.cfg.ideas_dir / "win.txt", inbox.cfg.ideas_dir / "bom.md"
    a.write_text("Short GOOG after three red days\n", encoding="utf-16")
    b.write_bytes(b"\xef\xbb\xbfLong GOOG after three green days\n")
    _old(a), _old(b)
    assert len(inbox.scan(store)) == 2
    texts = {r[0] for r in store.all("SELECT text FROM ideas")}
    assert texts == {"Short GOOG after three red days", "Long GOOG after three green days"}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a mode-000 file anyway")
def test_unreadable_file_is_rejected(box) -> None:
    inbox, store, _ = box
    f = inbox.cfg.ideas_dir / "secret.md"
    f.write_text(IDEA)
    f.chmod(0)
    _old(f)
    inbox.scan(store)
    assert "unreadable" in (inbox.cfg.rejected_dir / "secret.md.reason.txt").read_text()


def test_files_that_arrived_while_stopped_are_taken_at_start(box) -> None:
    inbox, store, _ = box
    for i in range(3):
        f = inbox.cfg.ideas_dir / f"idea{i}.md"
        f.write_text(f"{IDEA} variant {i}")
        _old(f, 3600 - i)
    fresh = Inbox(inbox.cfg, clock=time.time)  # a new process: nothing remembered
    assert len(fresh.scan(store)) == 3  # on the very first scan
    assert sorted(p.name for p in inbox.cfg.processed_dir.glob("*.md")) == [
        "idea0.md", "idea1.md", "idea2.md"]


def test_a_crash_between_commit_and_move_is_healed(box) -> None:
    inbox, store, _ = box
    f = inbox.cfg.ideas_dir / "mine.md"
    f.write_text(IDEA)
    _old(f)
    idea, created = submit_idea(store, IDEA, source="file", path=str(f))  # committed, not moved
    assert created
    assert inbox.scan(store) == []
    [t] = inbox.taken
    assert (t.outcome, t.idea_id) == ("healed", idea)
    assert not f.exists() and (inbox.cfg.processed_dir / "mine.md").exists()
    assert "already imported" in (inbox.cfg.processed_dir / "mine.md.note.txt").read_text()
    assert store.one("SELECT COUNT(*) FROM ideas")[0] == 1 and len(_events(store)) == 1


def test_a_file_that_cannot_be_moved_stays_and_is_not_retaken(box, tmp_path: Path) -> None:
    inbox, store, _ = box
    inbox.cfg.processed_dir.parent.mkdir(exist_ok=True)
    inbox.cfg.processed_dir.write_text("not a folder")  # mkdir/move into it fails
    f = inbox.cfg.ideas_dir / "stuck.md"
    f.write_text(IDEA)
    _old(f)
    assert len(inbox.scan(store)) == 1 and f.exists()  # the idea committed; the file stayed
    assert inbox.scan(store) == [] and len(inbox.taken) == 1  # not re-read while unchanged
    inbox.cfg.processed_dir.unlink()
    fresh = Inbox(inbox.cfg)  # next start: healed
    fresh.scan(store)
    assert [t.outcome for t in fresh.taken] == ["healed"] and not f.exists()


# -- bring your own code ---------------------------------------------------------------
def _csv(path: Path, bars: int | None = None) -> Path:
    """A CSV shaped like the ones such scripts load (lower-case, an unnamed index)."""
    from executor.datasets import load_dataset

    df = load_dataset("GOOG").df
    df = df.iloc[:bars] if bars else df
    out = df.rename(columns=str.lower).rename_axis("datetime").reset_index()
    out.to_csv(path)  # writes the unnamed integer index column too
    return path


def test_a_script_and_its_csv_enter_at_the_package_stage(box) -> None:
    inbox, store, _ = box
    script = inbox.cfg.ideas_dir / "moon_sma_rsi.py"
    script.write_text((BYO / "moon_sma_rsi.py").read_text())
    csv = _csv(inbox.cfg.ideas_dir / "BTC-USD-1d.csv")
    _old(script), _old(csv)
    [idea] = inbox.scan(store)
    assert (inbox.cfg.data_dir / "BTC-USD-1d.csv").read_bytes() == \
        (inbox.cfg.processed_dir / "BTC-USD-1d.csv").read_bytes()
    assert not csv.exists() and not script.exists()
    [(kind, payload)] = _events(store)
    assert kind == "package" and payload["idea_id"] == idea
    v = store.version(payload["version_id"])
    assert v.strategy_id == payload["strategy_id"] and v.agent == "user"
    assert v.code == (inbox.cfg.processed_dir / script.name).read_text()
    spec = v.spec
    assert spec["name"] == "MoonSmaRsi" and spec["datasets"] == ["BTC-USD-1d.csv"]
    assert {p["name"] for p in spec["parameters"]} == {"fast", "slow", "rsi_period", "rsi_max"}
    assert v.params == {"fast": 10, "slow": 30, "rsi_period": 14,
                                            "rsi_max": 70}
    assert "BTC-USD-1d.csv -> dataset BTC-USD-1d.csv" in (v.note or "")


def test_a_script_waits_for_its_csv_still_being_written(box) -> None:
    inbox, store, clock = box
    script = inbox.cfg.ideas_dir / "moon_sma_rsi.py"
    script.write_text((BYO / "moon_sma_rsi.py").read_text())
    _old(script)
    csv = _csv(inbox.cfg.ideas_dir / "BTC-USD-1d.csv", bars=100)
    clock.t = csv.stat().st_mtime  # the CSV was just written (still arriving)
    assert inbox.scan(store) == [] and script.exists()
    clock.t += 2
    assert len(inbox.scan(store)) == 1
    spec = json.loads(store.one("SELECT spec_json FROM strategies")[0])
    assert spec["datasets"] == ["BTC-USD-1d.csv"]


def test_a_script_without_its_csv_runs_on_the_default_dataset(box) -> None:
    inbox, store, _ = box
    script = inbox.cfg.ideas_dir / "atr.py"
    script.write_text((TESTS / "corpus" / "llm_scripts" /
                       "atr_breakout_size.py").read_text())
    _old(script)
    assert len(inbox.scan(store)) == 1
    row = store.one("SELECT spec_json, note FROM strategy_versions")
    assert json.loads(row["spec_json"])["datasets"] == ["GOOG"]
    assert "-> dataset GOOG (no file named BTC-USD-15m.csv" in row["note"]


def test_cli_ideas_add_takes_a_script(tmp_path: Path) -> None:
    db = tmp_path / "rbi.sqlite"
    src = tmp_path / "mine"
    src.mkdir()
    (src / "moon_sma_rsi.py").write_text((BYO / "moon_sma_rsi.py").read_text())
    _csv(src / "BTC-USD-1d.csv", bars=300)
    env = {"data_dir": str(tmp_path / "data")}
    p = rbi(db, "ideas", "add", str(src / "moon_sma_rsi.py"), "--json", **env)
    assert p.returncode == 0, p.stderr
    [out] = json.loads(p.stdout)
    assert out["created"] and out["stage"] == "package"
    assert (src / "BTC-USD-1d.csv").exists()  # copied, not moved: the user's own folder
    assert (tmp_path / "data" / "BTC-USD-1d.csv").exists()
    assert sql(db, "SELECT type FROM events") == [("package",)]
    again = rbi(db, "ideas", "add", str(src / "moon_sma_rsi.py"), "--json", **env)
    assert json.loads(again.stdout)[0]["created"] is False
    bad = rbi(db, "ideas", "add", str(src / "nope.py"), **env)
    assert bad.returncode == 2 and "unreadable" in bad.stderr


def test_a_script_is_carried_to_a_result_by_the_real_loop(tmp_path: Path) -> None:
    """Offline provider, local sandbox, the real stages: drop a script-style strategy and
    its CSV into the folder, `run --once`, and the packaged code has a result."""
    db = tmp_path / "rbi.sqlite"
    ideas = tmp_path / "ideas"
    ideas.mkdir()
    (ideas / "moon_sma_rsi.py").write_text((BYO / "moon_sma_rsi.py").read_text())
    _csv(ideas / "BTC-USD-1d.csv")
    _old(ideas / "moon_sma_rsi.py"), _old(ideas / "BTC-USD-1d.csv")
    # optimise_max_iterations=0: the offline provider's logic change regenerates code from
    # the spec, which user code does not have (reported to the stages owner)
    p = rbi(db, "run", "--once", "--backend", "local", timeout=600,
            pipeline="agents.stages:PIPELINE", optimise_max_iterations=0, workers=2,
            lease_seconds=10, data_dir=str(tmp_path / "data"))
    assert p.returncode == 0, p.stderr[-3000:]
    assert (ideas / "processed" / "moon_sma_rsi.py").exists()
    [(sid, name)] = sql(db, "SELECT id, name FROM strategies")
    assert name == "MoonSmaRsi"
    versions = sql(db, "SELECT id, agent, note, code FROM strategy_versions ORDER BY id")
    assert versions[0][1] == "user" and versions[1][1] == "package"
    packaged = versions[1]
    assert "read_csv" not in packaged[3] and "print(stats)" not in packaged[3]
    assert "🚀 MOON ENTRY" in packaged[3]  # the emoji prints stay
    assert "remove-driver" in packaged[2] and "data-path" in packaged[2]
    ok = sql(db, "SELECT version_id, dataset, backend, num_trades FROM backtest_results "
                 "WHERE status = 'ok' ORDER BY id")
    assert ok and ok[0][0] == packaged[0] and ok[0][1] == "BTC-USD-1d" and ok[0][2] == "local"
    assert ok[0][3] > 0
    assert not sql(db, "SELECT id FROM events WHERE status IN ('dead', 'ready', 'running')")
    shown = json.loads(rbi(db, "show", f"S{sid}", "--json", "--no-code").stdout)
    assert any("remove-driver" in (v["note"] or "") for v in shown["versions"])


def test_filesystem_events_take_a_closed_file_at_once(tmp_path: Path) -> None:
    """With watchdog: a file closed after writing (or renamed in) needs no settle time."""
    pytest.importorskip("watchdog", reason="watchdog not installed: the inbox polls only")
    cfg = InboxConfig(ideas_dir=tmp_path / "ideas", data_dir=tmp_path / "data",
                      settle_s=3600.0, watch="events")
    cfg.ideas_dir.mkdir()
    clock = Clock()
    store = Store(tmp_path / "rbi.sqlite")
    inbox = Inbox(cfg, clock=clock)
    try:
        assert inbox.scan(store) == []  # starts the observer
        (cfg.ideas_dir / "closed.md").write_text(IDEA)
        tmp = cfg.ideas_dir / ".renamed.md.tmp"
        tmp.write_text(IDEA + " and short the opposite")
        tmp.rename(cfg.ideas_dir / "renamed.md")
        deadline = time.monotonic() + 10
        got: list[int] = []
        while len(got) < 2 and time.monotonic() < deadline:  # events arrive asynchronously
            got += inbox.scan(store)
            time.sleep(0.05)
        assert len(got) == 2  # settle_s is an hour: only the events made them complete
        assert {p.name for p in cfg.processed_dir.glob("*.md")} == {"closed.md", "renamed.md"}
    finally:
        inbox.close()
        store.close()
