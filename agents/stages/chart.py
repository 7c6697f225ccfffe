"""Make backtesting.py's HTML plot self-contained: bokeh's scripts inlined.

The plot (made inside the sandbox) loads BokehJS from cdn.bokeh.org, so it renders
nothing offline. When the locally installed bokeh has the same version, each CDN
``<script src=...bokeh-X.Y.Z.min.js>`` becomes an inline ``<script>`` with the file's
content (about 1.3 MB): the exported ``chart.html`` then opens anywhere. Otherwise the
page is returned unchanged.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["inline_bokeh"]

_CDN = re.compile(r'<script (?:type="text/javascript" )?src="https://cdn\.bokeh\.org/bokeh/'
                  r'release/(bokeh(?:-[a-z]+)?)-(\d+\.\d+\.\d+)(\.min)?\.js"[^>]*></script>')


def _local(name: str, version: str) -> str | None:
    try:
        import bokeh
    except ImportError:
        return None
    if bokeh.__version__ != version:
        return None
    path = Path(bokeh.__file__).parent / "server" / "static" / "js" / f"{name}.min.js"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    return text.replace("</script", "<\\/script")


def inline_bokeh(html: str) -> str:
    def sub(m: re.Match[str]) -> str:
        js = _local(m.group(1), m.group(2))
        return m.group(0) if js is None else f'<script type="text/javascript">\n{js}\n</script>'

    return _CDN.sub(sub, html)
