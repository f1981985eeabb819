"""A release's body → sanitised HTML and its plain text, whatever it came as: plain text, Markdown or HTML.

Plain text is read by its conventions (`plaintext.text_to_html`: paragraphs, lists, `said:` quotations as a
`<blockquote>`), Markdown rendered (`markdown.render_markdown`), HTML sanitised (`sanitise.sanitise_html`); then
the "ENDS" line that ends a release's story is left out in every format, and what character references spelled is
composed into NFC, the form its source was given in. The text is read back from the HTML
(`htmltext.clean_html_to_text`), so that the text matched, summarised and shown is the one published.

What this module must not do: refuse a release (an empty body is the orchestrator's error to raise, with the
field and line: `release.py`), read the opening lines (`opening.py`), or let markup through that the sanitiser
would not publish.
"""

from __future__ import annotations

import re

from feeds.model import BodyFormat
from feeds.normalise.closing import is_ends_line
from feeds.normalise.htmltext import clean_html_to_text
from feeds.normalise.markdown import render_markdown
from feeds.normalise.plaintext import text_to_html
from feeds.normalise.redirects import unwrap_google_redirects
from feeds.normalise.sanitise import sanitise_html
from feeds.normalise.text import lowered, nfc

__all__ = ["TEXT_BLOCK", "render_body"]

# A paragraph or heading up to its first closing tag: `(.*?)</\1>` with DOTALL, unrolled so that the engine runs
# through text between tags in one step instead of trying the closing tag at every character (7x faster).
TEXT_BLOCK = re.compile(r'<(p|h[2-6])(?: [a-z]+="[^"]*")*>([^<]*(?:<(?!/\1>)[^<]*)*)</\1>\s*')  # (and `<p dir="rtl">`)


def render_body(body: str, body_format: BodyFormat, link: str | None, base_url: str) -> tuple[str, str]:
    """The body (already `xml_safe`, not blank) as sanitised HTML, and its plain text (`clean_html_to_text` of that
    HTML).

    Relative URLs are resolved against the release's own `link` (where the body was written), or without one
    against the site's base URL: feeds carry absolute URLs only. A link to a part of the document (``#notes``)
    then keeps its text but not its link: it would lead to the site's front page (and ids are not published)."""
    base, fragments = (link, True) if link else (base_url, False)
    if body_format != "html":  # (an HTML body's links were read as meant when its page was: `ingest.htmlmeta`)
        body = unwrap_google_redirects(body)
    if body_format == "markdown":
        return _in_nfc(body, *_without_ends(*render_markdown(body, base_url=base, fragments=fragments)))
    if body_format == "html":
        html = sanitise_html(body, base, fragments=fragments, visible_only=True)
        return _in_nfc(body, *_without_ends(html, clean_html_to_text(html)))
    html = text_to_html(body)  # ("ENDS" is left out as the text is read)
    return html, clean_html_to_text(html)  # html is sanitised: the fast, equivalent extractor applies


def _in_nfc(body: str, body_html: str, body_text: str) -> tuple[str, str]:
    """The rendered body in NFC, as its source is (`fields.readable_texts`), when a character reference in the
    source may have spelled text that is not ("e&#x301;", Arabic marks out of order); else as it is, unscanned."""
    return (nfc(body_html), nfc(body_text)) if "&" in body else (body_html, body_text)


def _without_ends(body_html: str, body_text: str) -> tuple[str, str]:
    """The body without its "ENDS" paragraphs (`<p>-ENDS-</p>`, `<p>###</p>`, `<p>-30-</p>`, from a Word export or a
    Markdown file): the marker that ends a release's story is not published in any format (what follows it, the
    notes to editors, is)."""
    folded = lowered(body_text) if body_text.isascii() else body_text.casefold()  # (lowered again for the topics)
    # (a "-" first, by one `memchr`: most bodies are told they have no "-30" so, where the search of the text for the
    # three characters costs ~6 k instructions)
    if "ends" not in folded and "#" not in body_text and ("-" not in body_text or "-30" not in body_text):
        return body_html, body_text

    def kept(m: re.Match[str]) -> str:
        inner = m[2]
        return "" if is_ends_line(clean_html_to_text(inner) if "<" in inner or "&" in inner else inner) else m[0]

    html = TEXT_BLOCK.sub(kept, body_html)
    if html == body_html:
        return body_html, body_text
    text = clean_html_to_text(html)
    return (html, text) if text else (body_html, body_text)
