"""The text of HTML: what matching, summaries and a release's plain-text view read.

Three readers that give the same text where they overlap (tests check it on the corpus and on hostile markup):
`html_to_text` for any markup (the standard library's HTML parser), `clean_html_to_text` for `sanitise_html`
output (four regex passes, 5-10 times faster), and `untrusted_html_to_text` for markup whose text is all that is
kept (one nh3 pass that keeps only the structure the text needs). Blocks become paragraphs, `<br>` a line break.

What this module must not do: produce markup for publishing (that is `sanitise.py`), or fetch anything.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nh3

from feeds.normalise.sanitise import DROP_WITH_CONTENT, NH3_ATTRS, PUBLISHED_TAGS, nests_too_deeply, words_only
from feeds.normalise.text import collapse, xml_safe

__all__ = ["clean_html_to_text", "html_to_text", "summary_source", "text_after_last_tag", "untrusted_html_to_text"]

_BLOCK = "\x1e"  # never in the input: xml_safe removed all C0 controls but tab and line breaks
_BREAK = "\x1f"
_BLOCK_TAGS = frozenset(
    {
        *("p", "div", "section", "article", "header", "footer", "aside", "main", "nav", "address"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "hr", "pre", "blockquote", "figure", "figcaption"),
        *("ul", "ol", "li", "dl", "dt", "dd", "table", "caption", "thead", "tbody", "tfoot", "tr"),
        *("form", "fieldset", "details", "summary"),
    }
)
_CELL_TAGS = frozenset({"td", "th"})
_SKIP_TAGS = frozenset({"script", "style", "template", "noscript", "head", "title", "svg", "math"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skipping += 1
        elif tag == "br":
            self.parts.append(_BREAK)
        elif tag in _BLOCK_TAGS:
            self.parts.append(_BLOCK)
        elif tag in _CELL_TAGS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _SKIP_TAGS:  # <br/>, <hr/>, and a self-closed <script/> that has no content to skip
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(_BLOCK)
        elif tag in _CELL_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data.replace(_BLOCK, " ").replace(_BREAK, " "))


def html_to_text(html: str) -> str:
    """The text of an HTML fragment: blocks separated by a blank line, `<br>` as a line break, entities decoded,
    white space collapsed. Used for matching, summaries and the plain-text view of a release."""
    parser = _TextExtractor()
    parser.feed(text_after_last_tag(xml_safe(html)))
    parser.close()
    return _marked_text("".join(parser.parts))


def text_after_last_tag(html: str) -> str:
    """`html` with each `<` after its last `>` written `&lt;`, for Python's `HTMLParser`: it reads such a `<`
    (which can open no tag) as text only at the end, after scanning from it to the end of the input, and again from
    the next one, so 50 KB of `<a ` in a watched item's title took half a minute (quadratic). The text is the same,
    but that markup after an unclosed comment is read as markup, not text."""
    last = html.rfind(">")
    if html.find("<", last + 1) >= 0:
        html = html[: last + 1] + html[last + 1 :].replace("<", "&lt;")
    # The same for a comment no `-->` closes (`<!-- a>` repeated: each scanned to the end for its `-->`).
    closed = html.rfind("-->")
    after = 0 if closed < 0 else closed + 3
    if html.find("<!--", after) < 0:
        return html
    return html[:after] + html[after:].replace("<!--", "&lt;!--")


def _marked_text(marked: str) -> str:
    """Text with `_BLOCK` and `_BREAK` marks → blocks separated by a blank line, lines by a line break, each line's
    white space collapsed, empty lines and blocks left out. (White space is collapsed all at once, with the marks
    kept apart as words of their own, \x00 and \x01, which `xml_safe` and `html.unescape` never leave in a text:
    a third of the time of collapsing line by line.)"""
    collapsed = " ".join(marked.replace(_BLOCK, " \x00 ").replace(_BREAK, " \x01 ").split())
    blocks = (
        "\n".join(filter(None, map(str.strip, b.split("\x01")))) if "\x01" in b else b.strip()
        for b in collapsed.split("\x00")
    )
    return "\n\n".join(filter(None, blocks))


# `html_to_text` for `sanitise_html` output only, where every "<" opens a tag and attribute values escape "<" and
# ">": a tag is then exactly `<[^>]*>`, and four regex passes in C do what html.parser does 5-10 times slower.
_CLEAN_MARKS = (
    (
        re.compile(
            r"</?(?:p|div|section|article|header|footer|aside|main|nav|address|h[1-6]|hr|pre|blockquote|figure"
            r"|figcaption|ul|ol|li|dl|dt|dd|table|caption|thead|tbody|tfoot|tr|form|fieldset|details|summary)"
            r"(?=[\s/>])[^>]*>"
        ),
        _BLOCK,
    ),
    (re.compile(r"<br(?=[\s/>])[^>]*>"), _BREAK),
    (re.compile(r"</?t[dh](?=[\s/>])[^>]*>"), " "),
    (re.compile(r"<[^>]*>"), ""),
)


def clean_html_to_text(clean: str) -> str:
    """`html_to_text(clean)` for HTML that came out of `sanitise_html` (tests check they agree on the corpus)."""
    return _text_of_clean(xml_safe(clean))


def _text_of_clean(marked: str) -> str:
    """`clean_html_to_text` of XML-safe `sanitise_html` output (or of `_TEXT_ONLY`'s, the subset it keeps)."""
    for pattern, mark in _CLEAN_MARKS:
        marked = pattern.sub(mark, marked)
    return _marked_text(html.unescape(marked))


# What `untrusted_html_to_text` keeps of the markup: the tags `clean_html_to_text` reads (blocks, line breaks, table
# cells) among those `sanitise_html` keeps (h1 as itself: sanitising renames it h2, another block), without a
# single attribute; what sanitising drops with its content goes the same way.
_TEXT_ONLY = nh3.Cleaner(
    tags=set((_BLOCK_TAGS & (PUBLISHED_TAGS | {"h1"})) | _CELL_TAGS | {"br"}),
    clean_content_tags=set(DROP_WITH_CONTENT),
    attributes={},
    strip_comments=True,
    link_rel=None,
)


def untrusted_html_to_text(markup: str) -> str:
    """`clean_html_to_text(sanitise_html(markup))`, for markup whose text is all that is kept (a watched item's
    content is matched, never republished): one nh3 pass keeping only the structure the text needs, with no URL
    to resolve and no further pass to reach a fixed point (those passes change how blocks nest, which the text
    read by `clean_html_to_text` does not show). Half the cost of sanitising; tests check that both give the same
    text on every corpus feed item and on hostile markup."""
    source = xml_safe(markup)
    if "<" not in source and "&" not in source and not source.startswith("\ufeff"):
        # Text without a tag or a character reference (a quarter of the texts of the corpus items): nh3 would give
        # it back with only ">" and no-break spaces escaped, which reading the text undoes, so its text is the
        # text itself, white space collapsed. (The HTML parser drops a leading byte order mark, the only other
        # change it makes that collapsing would not.)
        return collapse(source)
    if nests_too_deeply(source):
        source = words_only(source)
    clean = _TEXT_ONLY.clean(source)
    # nh3 adds no character to an XML-safe text but those a numeric reference stands for (`&#1;`, `&#xFFFE;`: no
    # named one stands for a character XML forbids), so without one its output needs no second `xml_safe`.
    return _text_of_clean(clean) if "&#" not in source else clean_html_to_text(clean)


_HEADING = re.compile(rf"<(h[1-6]){NH3_ATTRS}>.*?</\1>", re.DOTALL)
_FOOTNOTE_REF = re.compile(r"<sup>\[\d{1,4}\]</sup>")


def summary_source(html: str, text: str | None = None) -> str:
    """The text a summary should come from: the body without its headings ("Background" is not a summary) and
    without footnote references (`<sup>[1]</sup>`, as Markdown footnotes are rendered: "text[1]" is noise in a
    one-line summary).

    Expects `sanitise_html` output (attributes as nh3 writes them); falls back to all the text when the
    body is nothing but headings. `text`, when given, must be `clean_html_to_text(html)`: a body without
    headings or footnote references then needs no second reading.
    """
    # (each searched for only where its tag is: a body of paragraphs alone is not scanned by the regex engine)
    # (a "[" first, by one `memchr`: a six-character search costs ~4 k instructions over a body, nearly all of
    # which have no "[")
    html, notes = _FOOTNOTE_REF.subn("", html) if "[" in html and "<sup>[" in html else (html, 0)
    without_headings, headings = _HEADING.subn("", html) if "<h" in html else (html, 0)
    if headings:
        source = clean_html_to_text(without_headings)
        if source:
            return source
    return text if text is not None and not notes else clean_html_to_text(html)
