r"""Making people's text safe for the places diagrams put it.

Names, notes and reasons are typed by people. In careflow's diagrams every piece of user
text goes into an HTML-like label that careflow builds itself, and only through
:func:`cell`, which folds whitespace (so a newline cannot end a DOT line), shortens very
long text, and escapes ``& < > " '`` with :func:`html.escape`. Nothing a user typed ever
becomes a node id, an attribute name or any attribute value outside such a label: node
ids are generated (``e0``, ``a3``), and no URL, href, image, stylesheet or font attribute
is ever set.

Examples
--------
>>> cell('<b onclick="x">\n{weird}\\ & more</b>')
'&lt;b onclick=&quot;x&quot;&gt; {weird}\\ &amp; more&lt;/b&gt;'
>>> cell("a" * 50, limit=10)
'aaaaaaaaa…'
"""

from __future__ import annotations

import html

__all__ = ["cell"]


def cell(text: str, limit: int = 60) -> str:
    """``text`` on one line, at most ``limit`` characters, escaped for an HTML-like label."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text, quote=True)
