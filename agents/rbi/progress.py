"""Progress of ``run``: a live rich panel on a terminal, plain log lines elsewhere.

The runtime calls ``Progress.tick(info)`` with the queue's state (events in flight,
pending events and the ideas behind them per stage, outcomes so far). On a terminal the
panel shows ideas in progress, each stage's load, what runs now, elapsed time and a
rough ETA; off a terminal one line is written when something changed (at most every
``every_s`` seconds), so logs stay readable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

__all__ = ["Progress", "eta_seconds", "summary_line"]

_OUTCOMES = ("done", "ready", "dead")


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(max(seconds, 0))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def eta_seconds(done: int, pending: int, elapsed: float) -> float | None:
    """Remaining time at the rate events finished so far (None before the first one).
    Rough by nature: finished stages emit new events."""
    if done <= 0 or elapsed <= 0 or pending < 0:
        return None
    return pending * elapsed / done


def _ideas(by_stage: dict[str, dict[str, int]]) -> int:
    return sum(v.get("ideas", 0) for v in by_stage.values())


def summary_line(info: dict[str, Any], elapsed: float) -> str:
    by_stage = info.get("by_stage") or {}
    done = int(info.get("done", 0))
    pending = int(info.get("pending", 0))
    stages = ", ".join(f"{t} {v['events']}" for t, v in sorted(by_stage.items())) or "idle"
    return (f"elapsed {_clock(elapsed)}, ETA {_clock(eta_seconds(done, pending, elapsed))}: "
            f"{_ideas(by_stage)} ideas in progress, {pending} events pending ({stages}); "
            f"{info.get('inflight', 0)} running, {done} done, {info.get('ready', 0)} retried, "
            f"{info.get('dead', 0)} dead")


class Progress:
    """``with Progress(console, live=tty) as p: runtime(on_tick=p.tick)``."""

    def __init__(self, console: Console, *, live: bool, log: Callable[[str], None] | None = None,
                 every_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.console = console
        self.clock = clock
        self.start = clock()
        self.every_s = every_s
        self.log = log
        self._live = Live(Text("starting ..."), console=console, refresh_per_second=4,
                          transient=True) if live else None
        self._last_key: tuple[Any, ...] | None = None
        self._last_line = float("-inf")

    def __enter__(self) -> Progress:
        if self._live is not None:
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)

    def tick(self, info: dict[str, Any]) -> None:
        elapsed = self.clock() - self.start
        if self._live is not None:
            self._live.update(self.render(info, elapsed))
            return
        key = (info.get("pending"), info.get("inflight"), *(info.get(k) for k in _OUTCOMES))
        now = self.clock()
        if self.log is not None and key != self._last_key and now - self._last_line >= self.every_s:
            self._last_key, self._last_line = key, now
            self.log(summary_line(info, elapsed))

    def render(self, info: dict[str, Any], elapsed: float) -> Group:
        by_stage: dict[str, dict[str, int]] = info.get("by_stage") or {}
        running: list[tuple[str, int | None, int | None]] = info.get("running") or []
        stages = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
        for col in ("stage", "events", "ideas", "running now"):
            stages.add_column(col, justify="left" if col in ("stage", "running now") else "right")
        for stage in sorted(set(by_stage) | {r[0] for r in running}):
            now = [f"S{s}" if s else f"idea {i}" for t, s, i in running if t == stage]
            v = by_stage.get(stage, {})
            stages.add_row(stage, str(v.get("events", 0)), str(v.get("ideas", 0)),
                           " ".join(now[:8]) + (" ..." if len(now) > 8 else ""))
        head = Text(summary_line(info, elapsed))
        return Group(head, stages)
