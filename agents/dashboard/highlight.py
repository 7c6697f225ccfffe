"""Server-side code highlighting: Pygments when installed, else escaped text with
line numbers. Either way the result is safe HTML."""

from __future__ import annotations

from html import escape

__all__ = ["highlight_python", "style_css"]

try:
    from pygments import highlight as _highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer
except ImportError:  # pragma: no cover - pygments comes with rich
    HtmlFormatter = None


def highlight_python(code: str) -> str:
    if HtmlFormatter is not None:
        fmt = HtmlFormatter(cssclass="hl", linenos="table", wrapcode=True)
        return str(_highlight(code, PythonLexer(), fmt))
    lines = "".join(f'<span class="ln">{i}</span>{escape(line)}\n'
                    for i, line in enumerate(code.splitlines(), 1))
    return f'<div class="hl plain"><pre><code>{lines}</code></pre></div>'


def style_css() -> str:
    if HtmlFormatter is None:  # pragma: no cover
        return ".hl .ln{color:#999;display:inline-block;width:3em;user-select:none}"
    return str(HtmlFormatter(style="default").get_style_defs(".hl"))
