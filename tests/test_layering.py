"""The layering rules, read from the source's imports (ast), so a violation fails here.

- ``executor/`` never imports ``agents`` (the executor is usable alone);
- ``agents/`` uses the executor only through its public surface: ``executor`` itself
  (see ``executor/__init__.py``), ``executor.types`` and ``executor.errors``;
- every sandbox backend lives in its own room, ``executor/backends/<name>/``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PUBLIC = {"executor", "executor.types", "executor.errors"}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module))
    return out


def _sources(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def test_executor_never_imports_agents() -> None:
    bad = [f"{p.relative_to(ROOT)}:{line} imports {mod}"
           for p in _sources("executor") for line, mod in _imports(p)
           if mod == "agents" or mod.startswith("agents.")]
    assert not bad, "\n".join(bad)


def test_agents_use_only_the_executors_public_surface() -> None:
    bad = [f"{p.relative_to(ROOT)}:{line} imports {mod} (use `from executor import ...`)"
           for p in _sources("agents") for line, mod in _imports(p)
           if (mod == "executor" or mod.startswith("executor.")) and mod not in PUBLIC]
    assert not bad, "\n".join(bad)


def test_backends_live_in_their_own_rooms() -> None:
    flat = sorted(p.name for p in (ROOT / "executor").glob("*.py")
                  if p.name.startswith(("local", "docker_", "ray_")))
    assert not flat, f"backend modules outside executor/backends/<name>/: {flat}"
    rooms = {p.name for p in (ROOT / "executor" / "backends").iterdir() if p.is_dir()
             and p.name != "__pycache__"}
    assert {"local", "docker", "ray"} <= rooms


def test_every_public_name_resolves() -> None:
    import executor

    missing = [name for name in executor.__all__ if getattr(executor, name, None) is None]
    assert not missing, missing
