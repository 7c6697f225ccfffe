"""Every command answers --help with text; a command without help text fails here."""

from __future__ import annotations

import argparse
import subprocess
import sys

from agents.rbi import build_parser
from tests.helpers import REPO


def _walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], argparse.ArgumentParser, str]]:
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                out.append((path + (name,), sub, helps.get(name) or ""))
                out.extend(_walk(sub, path + (name,)))
    return out


def test_every_command_has_help_text_and_json() -> None:
    commands = _walk(build_parser())
    names = {" ".join(p) for p, _, _ in commands}
    assert {"run", "status", "history", "show", "ideas add", "ideas list", "cancel", "retry"} <= names
    for path, sub, help_text in commands:
        assert help_text.strip(), f"`{' '.join(path)}` has no help text"
        assert sub.description, f"`{' '.join(path)}` has no description"
        leaf = not any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
        if leaf:
            opts = {o for a in sub._actions for o in a.option_strings}
            assert {"--json", "--db", "--provider", "--backend", "--seed"} <= opts, path
            for a in sub._actions:
                if a.option_strings and a.dest != "help":
                    assert a.help, f"`{' '.join(path)}` option {a.option_strings} lacks help"


def test_help_runs_in_a_real_process_for_every_command() -> None:
    for path, _, _ in _walk(build_parser()):
        p = subprocess.run([sys.executable, "-m", "agents.rbi", *path, "--help"], cwd=REPO,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and "usage:" in p.stdout, (path, p.stderr)


def test_usage_errors_exit_2_without_traceback(tmp_path) -> None:
    p = subprocess.run([sys.executable, "-m", "agents.rbi", "--db", str(tmp_path / "x.sqlite"),
                        "show", "not-an-id"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "Traceback" not in p.stderr and "not an id" in p.stderr
    p = subprocess.run([sys.executable, "-m", "agents.rbi", "--db", str(tmp_path / "x.sqlite"),
                        "show", "S99"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "no strategy S99" in p.stderr
