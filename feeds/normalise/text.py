"""Plain text in a release: paragraphs to HTML (with `said:` quotations), summaries, character hygiene.

Press officers write releases as plain text: blank lines between paragraphs, "The Minister said:" before a
quotation, "ENDS" or "Notes to editors" after the story. `text_to_html` turns that convention into simple,
already-safe HTML (every character of the input is escaped); `make_summary` picks the paragraph a reader
sees in a feed. `xml_safe` removes characters that XML 1.0 forbids, which would make every feed we publish
unparseable if one slipped into a title.

What this module must not do: parse HTML (that is `html.py`), or look anything up outside its arguments.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

__all__ = ["collapse", "make_summary", "text_to_html", "xml_safe"]

# XML 1.0 §2.2 Char: tab, newline, carriage return and the rest of Unicode minus the other C0 controls,
# surrogates and U+FFFE/U+FFFF. Lone surrogates also cannot be encoded as UTF-8 at all.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_BLANK_LINE = re.compile(r"\n[ \t\f\v\xa0]*\n")
# A paragraph that introduces a quotation ("The Minister said:", "She added:", "The Chief Executive of the RNLI
# commented today:"): it also ends the quotation before it, whoever speaks next.
_SAID = re.compile(
    r"(?:\b(?:said|says|added|adds|commented|comments|explained|explains|continued|continues|stated|states|remarked"
    r"|noted|replied|responded|declared|told\s+(?:reporters|journalists|the\s+\w+))"
    r"(?:\s+(?:today|yesterday|tonight|this\s+(?:morning|afternoon|evening|week)|in\s+a\s+statement))?(?:\s+that)?"
    r"|^according\s+to\s+[^.!?]{1,80}):$",
    re.IGNORECASE,
)
# Paragraphs after which the story stops and editors' material begins: a quotation never runs past them.
_CLOSING_MARKER = re.compile(
    r"[-–—*\s]*(?:ends|notes?\s+(?:to|for)\s+editors?|editor(?:['’]?s|s['’])?\s+notes?|background"
    r"|further\s+information)[-–—*:.\s]*",
    re.IGNORECASE,
)
# ... and paragraphs that begin the contacts ("Contact: Press Office, 020…", "Media enquiries", "For more
# information, call…") or a note about an organisation ("About the RNLI").
_CLOSING_START = re.compile(
    r"(?i:\s*(?:contacts?|media\s+(?:enquiries|inquiries|contacts?)|press\s+(?:enquiries|inquiries|office|contacts?)"
    r"|for\s+(?:more|further)\s+(?:information|details))(?:\s*(?:[:,–—-]|$)|\s+(?:please|contact|call|email|visit|see)\b))"
    r"|About\s+(?:the\s+)?[A-Z][\w&'’.-]*(?:\s+(?:[A-Z][\w&'’.-]*|of|and|for|the|&))*:?$"
)
_OPENING_QUOTES = "\"'“‘„«"
_SUMMARY_MIN = 20
_TRAILING_PUNCT = " ,;:-–—(/"


# The C0 controls XML forbids, as bytes: in UTF-8 they only ever stand for themselves (every byte of a multi-byte
# sequence is 0x80 or above), so deleting them from the encoded text changes its length exactly when one is there.
_C0_NOT_XML = bytes(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 forbids (C0 controls other than tab/newlines, surrogates…).

    Almost every text is already safe, and `xml_safe` runs several times per release: that case is checked
    with C-speed string operations (a lone surrogate cannot be encoded, a C0 control is a byte of its own,
    U+FFFE/U+FFFF are searched for) about four times faster than the regex, which does the removing.
    """
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return _NOT_XML_CHAR.sub("", text)
    if len(data.translate(None, _C0_NOT_XML)) == len(data) and "\ufffe" not in text and "\uffff" not in text:
        return text
    return _NOT_XML_CHAR.sub("", text)


def collapse(text: str) -> str:
    """All runs of white space (line breaks, tabs, no-break spaces) become one space; ends are trimmed."""
    return " ".join(text.split())


def paragraphs(text: str) -> list[list[str]]:
    """Blank-line separated paragraphs, each a list of its (collapsed, non-empty) lines."""
    return list(_iter_paragraphs(text))


def _iter_paragraphs(text: str) -> Iterator[list[str]]:
    text = xml_safe(text).replace("\r\n", "\n").replace("\r", "\n")
    for block in _BLANK_LINE.split(text):
        lines = [collapse(line) for line in block.split("\n")]
        lines = [line for line in lines if line]
        if lines:
            yield lines


def text_to_html(text: str) -> str:
    """Plain text → `<p>` paragraphs (`<br>` for single line breaks), with quotations in `<blockquote>`.

    A paragraph ending in `said:` (or `added:`, `commented:`, `says:`, `explained:`… `said today:`) introduces a
    quotation. If the next paragraph opens with a quotation mark, the quotation is the run of paragraphs that
    open with one (the newspaper convention for multi-paragraph quotes); otherwise it runs to the end of the
    text. Either way it stops at the next such paragraph (which opens the next speaker's quotation), at a
    closing marker ("ENDS", "Notes to editors", "Editor's notes", "Background", "Further information") or at
    the contacts ("Contact: …", "Media enquiries", "For more information…", "About the RNLI"), which start
    ordinary paragraphs again.
    """
    out: list[str] = []
    quote: list[str] | None = None
    marked = False
    for lines in paragraphs(text):
        joined = " ".join(lines)
        if quote is not None:
            if not quote:
                marked = joined.startswith(tuple(_OPENING_QUOTES))
            ends = (
                _SAID.search(joined) is not None
                or _CLOSING_MARKER.fullmatch(joined) is not None
                or _CLOSING_START.match(joined) is not None
                or (marked and not joined.startswith(tuple(_OPENING_QUOTES)))
            )
            if not ends:
                quote.append(_paragraph(lines))
                continue
            _flush(out, quote)
            quote = None
        out.append(_paragraph(lines))
        if _SAID.search(joined):
            quote = []
    if quote is not None:
        _flush(out, quote)
    return "\n".join(out)


def _paragraph(lines: list[str]) -> str:
    return "<p>" + "<br>".join(html.escape(line, quote=False) for line in lines) + "</p>"


def _flush(out: list[str], quote: list[str]) -> None:
    if quote:
        out.append("<blockquote>\n" + "\n".join(quote) + "\n</blockquote>")


def make_summary(text: str, limit: int = 280) -> str:
    """The first real paragraph of `text`, cut at a word boundary with "…" if longer than `limit`.

    A short first paragraph (a dateline such as "London, 2 November" or a one-word label) is skipped when a
    longer one follows. Words are never split, except a single "word" longer than `limit` (a pasted URL),
    which has nowhere else to be cut.
    """
    if limit < 2:
        raise ValueError(f"summary limit must be at least 2 characters, got {limit}")
    first: str | None = None
    for lines in _iter_paragraphs(text):  # read only as far as the paragraph chosen
        paragraph = " ".join(lines)
        first = paragraph if first is None else first
        if len(paragraph) >= _SUMMARY_MIN:
            chosen = paragraph
            break
    else:
        if first is None:
            return ""
        chosen = first
    if len(chosen) <= limit:
        return chosen
    room = limit - 1  # keep one character for the ellipsis
    cut = chosen.rfind(" ", 0, room + 1)
    head = chosen[:cut] if cut > 0 else chosen[:room]
    head = head.rstrip(_TRAILING_PUNCT) or head  # nothing but punctuation before the cut: keep it whole
    return head + "…"


# Labels that head a page or a document but are not its headline.
_LABELS = frozenset(
    {"press release", "news release", "media release", "press notice", "press statement", "statement", "news"}
    | {"news story", "news article", "speech", "announcement", "for immediate release", "embargoed"}
)


def is_label(text: str, site_name: str | None = None) -> bool:
    """Whether a would-be title is a label ("Press release") or the site's own name (a logo), not a headline."""
    folded = " ".join(text.split()).casefold().rstrip(":.")
    return folded in _LABELS or (site_name is not None and folded == " ".join(site_name.split()).casefold())
