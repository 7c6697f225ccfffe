"""All SQL of rbi lives in ``agents/store``: a module elsewhere that runs a statement
or holds one in a string fails here (the store's methods are the only way in)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import ROOT

HOME = ROOT / "agents" / "store"
SQL = re.compile(
    r"\b(SELECT\b[\s\S]+?\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+(TABLE|INDEX|TRIGGER|VIEW|VIRTUAL)|ALTER\s+TABLE|DROP\s+(TABLE|INDEX)|PRAGMA\s+\w+|"
    r"BEGIN\s+IMMEDIATE|ROLLBACK|COMMIT)\b")
CALLS = {"execute", "executemany", "executescript"}


def _text(node: ast.AST) -> str | None:
    """A string literal's text; an f-string's literal parts joined."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str)
                       else "x" for v in node.values)
    return None


def sql_sites(path: Path) -> list[str]:
    where = path.relative_to(ROOT) if ROOT in path.parents else path.name
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docs = {id(n.body[0].value) for n in ast.walk(tree)  # docstrings may say "SELECT"
            if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and n.body and isinstance(n.body[0], ast.Expr)}
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in CALLS):
            found.append(f"{where}:{node.lineno}: .{node.func.attr}(")
        elif id(node) not in docs and (text := _text(node)) and SQL.search(text):
            if not isinstance(node, ast.Constant) or not _inside_fstring(tree, node):
                found.append(f"{where}:{node.lineno}: {text.strip()[:60]!r}")
    return found


def _inside_fstring(tree: ast.AST, node: ast.AST) -> bool:
    return any(isinstance(n, ast.JoinedStr) and node in n.values for n in ast.walk(tree))


def test_no_sql_outside_agents_store() -> None:
    outside = [p for p in sorted((ROOT / "agents").rglob("*.py")) if HOME not in p.parents]
    assert len(outside) > 100  # the scan sees the whole package
    found = [site for p in outside for site in sql_sites(p)]
    assert not found, "SQL outside agents/store (move it into a store method):\n" + "\n".join(found)


def test_the_scan_finds_each_kind_of_sql_site(tmp_path: Path) -> None:
    """The checker itself fails on what it must catch (so a green run means something)."""
    bad = tmp_path / "probe.py"
    cases = {
        "conn.execute(x)": ".execute(",
        "c.executemany(q, rows)": ".executemany(",
        "q = 'SELECT id FROM ideas'": "SELECT id FROM ideas",
        "q = f'UPDATE {t} SET a = 1'": "UPDATE",
        "q = 'INSERT OR REPLACE INTO t VALUES (1)'": "INSERT OR REPLACE",
        "q = 'PRAGMA user_version'": "PRAGMA",
    }
    for code, needle in cases.items():
        bad.write_text(code + "\n")
        got = sql_sites(bad)
        assert len(got) == 1 and needle in got[0], (code, got)
    bad.write_text('"""SELECT a strategy FROM the list; UPDATE its settings."""\n'
                   'x = "select the best"\n')
    assert sql_sites(bad) == []
