"""`run` progress: a live panel on a terminal, rate-limited plain lines elsewhere."""

from __future__ import annotations

import io

from rich.console import Console

from agents.rbi.progress import Progress, eta_seconds, summary_line

INFO = {"inflight": 2, "pending": 6, "done": 4, "ready": 1, "dead": 0,
        "by_stage": {"execute": {"events": 4, "ideas": 3}, "review": {"events": 2, "ideas": 2}},
        "running": [("execute", 7, 1), ("review", None, 9)]}


def test_eta_is_pending_at_the_observed_rate() -> None:
    assert eta_seconds(done=4, pending=6, elapsed=20.0) == 30.0
    assert eta_seconds(done=0, pending=6, elapsed=20.0) is None
    line = summary_line(INFO, elapsed=20.0)
    assert "elapsed 0:20, ETA 0:30" in line and "5 ideas in progress" in line
    assert "execute 4, review 2" in line and "4 done" in line and "1 retried" in line


def test_plain_lines_only_on_change_and_at_most_every_interval() -> None:
    now = [0.0]
    lines: list[str] = []
    p = Progress(Console(file=io.StringIO()), live=False, log=lines.append, every_s=10.0,
                 clock=lambda: now[0])
    p.tick(INFO)
    now[0] = 5.0
    p.tick({**INFO, "done": 5})       # changed, but too soon
    now[0] = 12.0
    p.tick({**INFO, "done": 5})       # changed since the last line, interval passed
    now[0] = 30.0
    p.tick({**INFO, "done": 5})       # nothing changed
    assert len(lines) == 2 and "5 done" in lines[1] and "elapsed 0:12" in lines[1]


def test_terminal_panel_shows_each_stage_and_what_runs_now() -> None:
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False)
    p = Progress(console, live=False, log=None)
    console.print(p.render(INFO, elapsed=65.0))
    text = out.getvalue()
    assert "elapsed 1:05" in text
    assert any("execute" in row and "S7" in row for row in text.splitlines())
    assert any("review" in row and "idea 9" in row for row in text.splitlines())
