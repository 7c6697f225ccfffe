"""numpy2: names NumPy 2.0 removed (NEP 52) -> their NumPy 2 spelling.

LLMs learnt from NumPy 1 code: ``np.NaN`` / ``np.Inf`` / ``np.float_`` raise
``AttributeError`` on NumPy 2. Matched through whatever name the module binds numpy to
(``import numpy as xp``, ``import numpy``), and ``from numpy import NaN`` imports.
"""

from __future__ import annotations

import ast

from agents.codefix.source import Edit, Source
from agents.codefix.types import Change

# removed name -> (replacement attribute, negate)
REMOVED: dict[str, tuple[str, bool]] = {
    "NaN": ("nan", False), "NAN": ("nan", False),
    "Inf": ("inf", False), "Infinity": ("inf", False), "infty": ("inf", False),
    "PINF": ("inf", False), "NINF": ("inf", True),
    "float_": ("float64", False), "complex_": ("complex128", False),
    "cfloat": ("complex128", False), "singlecomplex": ("complex64", False),
    "longfloat": ("longdouble", False), "clongfloat": ("clongdouble", False),
    "longcomplex": ("clongdouble", False), "string_": ("bytes_", False),
    "unicode_": ("str_", False), "round_": ("round", False), "product": ("prod", False),
    "cumproduct": ("cumprod", False), "alltrue": ("all", False), "sometrue": ("any", False),
    "row_stack": ("vstack", False), "mat": ("asmatrix", False),
}


def numpy_aliases(tree: ast.Module) -> set[str]:
    """Names the module binds to the numpy package itself."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.asname or a.name for a in node.names if a.name == "numpy"}
    return out or {"np"}  # ``np`` unimported: package() adds ``import numpy as np``


def numpy2_names(src: Source) -> tuple[list[Edit], list[Change]]:
    """``np.NaN`` -> ``np.nan``, ``np.NINF`` -> ``(-np.inf)``, ``np.float_`` -> ``np.float64``."""
    aliases = numpy_aliases(src.tree)
    edits: list[Edit] = []
    changes: list[Change] = []
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in aliases and node.attr in REMOVED:
            attr, negate = REMOVED[node.attr]
            new = f"{node.value.id}.{attr}"
            new = f"(-{new})" if negate else new
            edits.append(Edit(*src.span(node), new))
            changes.append(Change("numpy2", node.lineno, f"{node.value.id}.{node.attr} -> "
                                  f"{new} (removed in NumPy 2)"))
        elif isinstance(node, ast.ImportFrom) and node.module == "numpy" and node.level == 0 \
                and any(a.name in REMOVED and not REMOVED[a.name][1] for a in node.names):
            names = []
            for a in node.names:
                attr = REMOVED[a.name][0] if a.name in REMOVED and not REMOVED[a.name][1] \
                    else a.name
                names.append(ast.alias(attr, a.asname or (a.name if attr != a.name else None)))
            new = ast.unparse(ast.ImportFrom("numpy", names, 0))
            edits.append(Edit(*src.span(node), new))
            changes.append(Change("numpy2", node.lineno, f"{src.text(node)} -> {new} "
                                  "(removed in NumPy 2)"))
    return edits, changes
