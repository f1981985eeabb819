"""The small vocabulary the page readers share about an lxml tree: an element's text, the HTML inside it, removing
an element without its tail, the tags that are headings and blocks.

What this module must not do: decide what is content (htmlchrome.py, htmlextract.py, htmltidy.py do) or look
at metadata (htmlmeta.py).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from lxml.html import HtmlElement, tostring

__all__ = [
    "BLOCKS",
    "BOLD",
    "HEADINGS",
    "ITALIC",
    "ancestors_within",
    "classes_styled",
    "inner_html",
    "remove",
    "text_of",
]

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
BLOCKS = frozenset(
    {"p", "div", "section", "article", "main", "ul", "ol", "dl", "table", "blockquote", "pre", "figure", "hr"}
    | set(HEADINGS)
)


def text_of(element: HtmlElement) -> str:
    """Text content with runs of white space (also no-break spaces) collapsed."""
    return " ".join(element.text_content().split())


def inner_html(element: HtmlElement) -> str:
    """The HTML inside `element`, blank lines squeezed (outside <pre>)."""
    parts = [html.escape(element.text or "", quote=False)]
    parts += [_serialise(child) for child in element]
    result = "".join(parts)
    if element.find(".//pre") is None:
        # Indentation and blank lines between tags carry no meaning in HTML (outside <pre>).
        result = re.sub(r"\n[ \t\n]*", "\n", result)
    return result.strip()


def _serialise(element: HtmlElement) -> str:
    return str(tostring(element, encoding="unicode", with_tail=True))


# The declarations of bold and italic text, in a style sheet's rule or a `style` attribute.
BOLD = re.compile(r"font-weight\s*:\s*(?:bold|[6-9]00)\b", re.IGNORECASE)
ITALIC = re.compile(r"font-style\s*:\s*italic\b", re.IGNORECASE)
_CLASS_RULE = re.compile(r"\.([\w-]+)\s*\{([^}]*)\}")


def classes_styled(root: HtmlElement, style: re.Pattern[str]) -> set[str]:
    """The classes the page's style sheets give a declaration `style` matches (`.c5{font-weight:700}`, how Google
    Docs' export writes bold), as single-class rules (`.c5{…}`) write them."""
    return {
        rule[1]
        for sheet in root.iter("style")
        for rule in _CLASS_RULE.finditer(sheet.text or "")
        if style.search(rule[2])
    }


def remove(element: HtmlElement) -> None:
    """Remove an element but keep its tail text (it belongs to the parent)."""
    if element.getparent() is not None:
        element.drop_tree()


def ancestors_within(element: HtmlElement, root: HtmlElement) -> Iterable[HtmlElement]:
    """`element`'s ancestors, nearest first, up to and including `root`."""
    for ancestor in element.iterancestors():
        yield ancestor
        if ancestor is root:
            return
