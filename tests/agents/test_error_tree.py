"""Every exception class rbi defines belongs to the documented tree under ``RbiError``
(agents/errors.py), except ``Interrupted`` (it must escape ``except RbiError``) and the
sandbox harness (its exceptions become RunResult data inside the sandbox)."""

from __future__ import annotations

import ast
import builtins

from tests.conftest import ROOT

REPO = ROOT
BUILTIN_ERRORS = {n for n, v in vars(builtins).items()
                  if isinstance(v, type) and issubclass(v, BaseException)}
OUTSIDE_ON_PURPOSE = {"Interrupted"}


def _classes() -> dict[str, tuple[str, list[str]]]:
    out: dict[str, tuple[str, list[str]]] = {}
    for root in ("agents", "executor"):
        for path in (REPO / root).rglob("*.py"):
            if "harness" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    bases = [b.id if isinstance(b, ast.Name) else
                             b.attr if isinstance(b, ast.Attribute) else "" for b in node.bases]
                    out[node.name] = (str(path.relative_to(REPO)), bases)
    return out


def test_every_error_class_is_an_rbi_error() -> None:
    classes = _classes()
    in_tree = {"RbiError"}
    changed = True
    while changed:
        changed = False
        for name, (_, bases) in classes.items():
            if name not in in_tree and in_tree & set(bases):
                in_tree.add(name)
                changed = True
    errors = {name for name, (_, bases) in classes.items()
              if set(bases) & BUILTIN_ERRORS or set(bases) & in_tree}
    outside = sorted(f"{classes[n][0]}: {n}({', '.join(classes[n][1])})"
                     for n in errors - in_tree - OUTSIDE_ON_PURPOSE - {"RbiError"})
    assert not outside, "not under RbiError (see agents/errors.py):\n" + "\n".join(outside)
    assert {"LeaseLost", "HoldoutAlreadyRead", "ExtractError", "MutationNotApplicable",
            "NotFound", "UsageError", "ReplayError"} <= in_tree


def test_the_tree_is_documented() -> None:
    import agents.errors

    doc = agents.errors.__doc__ or ""
    classes = _classes()
    public = [n for n in classes if not n.startswith("_")]
    in_tree = {n for n in public if n.endswith(("Error", "Lost", "Read", "Found", "Running",
                                               "Applicable", "Refused", "Failed",
                                               "Unavailable", "Exceeded", "Payload"))}
    missing = sorted(n for n in in_tree if n not in doc and n in public)
    assert not missing, f"add to the tree in agents/errors.py's docstring: {missing}"
