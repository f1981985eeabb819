"""Plain text in a release: paragraphs to HTML (with `said:` quotations), summaries, character hygiene.

Press officers write releases as plain text, often pasted from an e-mail: blank lines between paragraphs
(their lines hard-wrapped), "The Minister said:" before a quotation, lists of "- " or "1. " lines, web and
e-mail addresses, "ENDS" and "Notes to editors" after the story. `text_to_html` turns those conventions into
simple HTML that is already what `sanitise.sanitise_html` would make of it (every character of the input is
escaped; links are written as the sanitiser writes them); `make_summary` picks the paragraph a reader sees in a
feed. README.md's "Plain-text releases" is the reader's account of the same rules. `xml_safe` removes
characters that XML 1.0 forbids, which would make every feed we publish unparseable if one slipped into a title.

What this module must not do: parse HTML (that is `sanitise.py` and `htmltext.py`), look anything up outside its
arguments (an address is linked as written, never checked), or drop words: only the "ENDS" line is left out of the
HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from feeds.normalise.autolink import linkify

__all__ = ["collapse", "is_ends_line", "make_summary", "text_to_html", "windows_1252_controls", "xml_safe"]

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


def _introduces_quotation(text: str) -> bool:
    """Whether `text` (a paragraph, or its last lines) introduces a quotation: `_SAID` finds it. The pattern ends
    with ``:$``, so only text ending with a colon (or a colon and one line break) can match: the search of every
    other paragraph, long ones included, is skipped."""
    return text.endswith((":", ":\n")) and _SAID.search(text) is not None


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
# "ENDS" on a line of its own, as written: "-ends-", "– ENDS –", "*ENDS*", "ENDS."
_ENDS = re.compile(r"[-–—*_\s]*ends[-–—*_.\s]*", re.IGNORECASE)


def is_ends_line(text: str) -> bool:
    """Whether `text` (a line, a paragraph's text) is the "ENDS" that ends a press release's story."""
    return _ENDS.fullmatch(text) is not None


# The heading of the notes for editors, on a line of its own: "Notes to editors", "NOTE TO EDITORS:", "Notes for
# editors", "Editor's notes", "Editors’ notes".
_EDITORS_NOTES = re.compile(
    r"[*_]*\s*(?:notes?\s+(?:to|for)\s+editors?|editor(?:['’]?s|s['’])?\s+notes?)\s*:?\s*[*_]*", re.IGNORECASE
)
_HEADING_DECORATION = "*_: "
_OPENING_QUOTES = tuple("\"'“‘„«")
_SUMMARY_MIN = 20
_TRAILING_PUNCT = " ,;:-–—(/"
# Where a summary may be cut besides a space: after any character of a script written without spaces between
# words (CJK ideographs and punctuation, kana, fullwidth forms), so "東京 日本政府は…" is not cut down to "東京…".
# This finds the last such character (the text it searches has none after it).
_CJK_CHARS = "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_LAST_UNSPACED = re.compile(rf"[{_CJK_CHARS}](?=[^{_CJK_CHARS}]*\Z)")


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


_C1 = re.compile("[\x80-\x9f]")
# Each C1 control as the Windows-1252 character of its byte (WHATWG HTML, "numeric character reference end state":
# how a browser reads `&#146;`); the five bytes Windows-1252 leaves undefined are no character and are dropped.
_WINDOWS_1252 = {c: bytes([c]).decode("cp1252", errors="ignore") for c in range(0x80, 0xA0)}


def windows_1252_controls(text: str) -> str:
    """`text` with its C1 controls (U+0080-U+009F) read as the Windows-1252 punctuation they stand for.

    They are never meant in a release: they are a Windows CMS's curly quotes and dashes read as Latin-1 somewhere on
    the way ("the minister\x92s", "\x93quoted\x94"). XML allows them, but HTML forbids them in a page's text (a
    browser shows nothing), and feedparser-based readers show them as Windows-1252: the same release read three
    ways. (Not part of `xml_safe`, which watched items pass through as they are stored.)
    """
    return text.translate(_WINDOWS_1252) if _C1.search(text) else text


def collapse(text: str) -> str:
    """All runs of white space (line breaks, tabs, no-break spaces) become one space; ends are trimmed."""
    return " ".join(text.split())


def one_line_text(text: str) -> str:
    """`text` as one line that XML can carry: `xml_safe`, then `collapse` (a title, a name, a note from outside)."""
    return collapse(xml_safe(text))


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
    """Plain text → HTML: paragraphs, lists, quotations, the editors' notes heading, links.

    Each blank-line separated paragraph becomes a `<p>`: its lines joined with spaces when they are hard-wrapped
    prose (`_is_wrapped`), else kept apart with `<br>` (an address, a contact block, a signature). Lines opening
    with "- ", "* " or "• " are a `<ul>`, lines opening with "1. " or "1) " an `<ol>` (starting at its first
    number), after an introductory paragraph when the paragraph opens with one (`_list_at`). Web and e-mail
    addresses become links (`autolink`). A line "ENDS" ("-ends-", "– ENDS –") ends the story: it is not
    published, what follows it is. A line "Notes to editors" ("Note to editors:", "Editor's notes") is an `<h2>`.

    A paragraph, or a paragraph's line, ending in `said:` (or `added:`, `commented:`, `says:`, `explained:`…
    `said today:`) introduces a quotation (`_in_quotation` says how far it runs), published as a `<blockquote>`.
    """
    out: list[str] = []
    blocks = _blocks(paragraphs(text))
    quote: list[str] | None = None
    # Whether the quotation opens with a quotation mark, or with a list; the marks open after its last paragraph.
    marked, listed, still_open = False, False, _NONE_OPEN
    for index, block in enumerate(blocks):
        if quote is not None:
            if _in_quotation(blocks, index, first=not quote, marked=marked, listed=listed, still_open=still_open):
                if not quote:
                    marked = block.text.startswith(_OPENING_QUOTES)
                    listed = (found := _list_at(block.lines)) is not None and found[0] == 0
                still_open = _left_open(block.text, still_open)
                quote.append(_render(block))
                continue
            _flush(out, quote)
            quote = None
        if block.kind == "end":
            continue
        out.append(_render(block))
        if block.kind == "text" and _introduces_quotation(block.text):
            quote, still_open = [], _NONE_OPEN
    if quote is not None:
        _flush(out, quote)
    return "\n".join(out)


_Kind = Literal["text", "heading", "end"]


@dataclass(frozen=True, slots=True)
class _Block:
    """A paragraph (`text`), the editors' notes heading, or the "ENDS" line (`end`, not published)."""

    kind: _Kind
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.lines)


def _blocks(paras: list[list[str]]) -> list[_Block]:
    """The paragraphs as blocks: an "ENDS" line or an editors' notes heading is a block of its own wherever it
    stands, and a line ending in `said:` ends its block (the quotation starts on the next line)."""
    blocks: list[_Block] = []
    for lines in paras:
        current: list[str] = []
        for number, line in enumerate(lines):
            marker: _Kind | None = (
                "end" if _ENDS.fullmatch(line) else "heading" if _EDITORS_NOTES.fullmatch(line) else None
            )
            if marker is not None:
                if current:
                    blocks.append(_Block("text", tuple(current)))
                    current = []
                blocks.append(_Block(marker, (line,)))
                continue
            current.append(line)
            # (only the last lines: `said:` ends the line, and an `according to` intro is short)
            if number + 1 < len(lines) and _introduces_quotation(" ".join(current[-2:])):
                blocks.append(_Block("text", tuple(current)))
                current = []
        if current:
            blocks.append(_Block("text", tuple(current)))
    return blocks


def _in_quotation(
    blocks: list[_Block], index: int, *, first: bool, marked: bool, listed: bool, still_open: tuple[int, bool]
) -> bool:
    """Whether `blocks[index]` belongs to the quotation before it.

    The first paragraph after `said:` always does. A quotation whose first paragraph does not open with a
    quotation mark runs to the end of the text, unless that paragraph is a list (the points a speaker listed:
    the story goes on after them). One that does (the newspaper convention: every paragraph opens
    with a mark, only the last one closes it) runs through the paragraphs that open with one, and through those
    that do not while a mark is still open, when the paragraph closing it comes within `QUOTE_LOOKAHEAD`
    paragraphs (`“First part…` / `…second part.”`): a mark never closed does not swallow the story after it.
    A quotation mark opened inside a paragraph and closed there (a title, `called “Harbour Futures”`) closes
    nothing. Always, it stops at the next `said:` (the next speaker's quotation), at a paragraph with a speaker of
    its own (`“…,” said Jo Bloggs`, `“…,” Jo Bloggs said.`, `Jo Bloggs said: “…”`), at a closing marker ("ENDS",
    "Notes to editors", "Editor's notes", "Background", "Further information") or at the contacts ("Contact: …",
    "Media enquiries", "For more information…", "About the RNLI"), which start ordinary paragraphs again.
    """
    block = blocks[index]
    if _stops_quotation(block):
        return False
    if first:
        return True
    if not marked:
        return not listed
    if block.text.startswith(_OPENING_QUOTES):
        return True
    if still_open == _NONE_OPEN:
        return False
    for later in blocks[index : index + QUOTE_LOOKAHEAD]:
        if _stops_quotation(later):
            return False
        still_open = _left_open(later.text, still_open)
        if still_open == _NONE_OPEN:
            return True
    return False


QUOTE_LOOKAHEAD = 3
"""Paragraphs, counting the one in question, within which an open quotation mark must close for paragraphs that
do not open with one to be taken into the quotation."""


def _stops_quotation(block: _Block) -> bool:
    text = block.text
    return (
        block.kind != "text"
        or _introduces_quotation(text)
        or _ATTRIBUTED.search(text) is not None
        or (":" in text and _QUOTES_ITS_SPEAKER.match(text) is not None)
        or _CLOSING_MARKER.fullmatch(text) is not None
        or _CLOSING_START.match(text) is not None
    )


# Double quotation marks, and single ones: an opening ‘ always, a ’ only where it cannot be an apostrophe (after
# the sentence's punctuation, or before punctuation: `time.’`, `act’, she said`), so "it’s" and "ministers’ plan"
# leave the state as it was.
_QUOTE_MARK = re.compile(r"[“”\"«»„]|‘|(?<=[.,!?;:…—–-])’(?!\w)|’(?=[,.;:!?…]|$)")
# Any character `_QUOTE_MARK` may match: text without one (most of it) is not scanned position by position.
_ANY_QUOTE_MARK = re.compile('[“”"«»„‘’]')


# A quotation with its speaker in the same paragraph: the closing mark, then "said Jo Bloggs" or "Jo Bloggs said".
_ATTRIBUTED = re.compile(
    r"[”\"’»],?\s+(?:(?:said|says|added|adds|commented|explained|continued)\b"
    r"|(?:[A-Z][\w.'’-]*\s+){1,4}(?:said|says|added|adds|commented|explained)\b)"
)

# A paragraph that names its speaker before the quotation: "NATO's Secretary General said: “The UK is a steadfast
# ally.”" (a speaker of its own, whoever spoke before), though not a quotation recalled inside one ("As the Prime
# Minister said: “…”").
_QUOTES_ITS_SPEAKER = re.compile(
    r"(?!(?:as|like)\s)[^“”\"«»„‘]{1,150}?\b(?:said|says|added|adds|commented|comments|explained|explains|continued"
    r"|continues|stated|states|remarked|noted|replied|responded|declared)"
    r"(?:\s+(?:today|yesterday|tonight|this\s+(?:morning|afternoon|evening|week)|in\s+a\s+statement))?"
    r":\s*[“\"«„‘']",
    re.IGNORECASE,
)

_NONE_OPEN = (0, False)


def _left_open(text: str, before: tuple[int, bool]) -> tuple[int, bool]:
    """How many double quotation marks, and whether a single one, are open at the end of `text`, given those open
    at its start. A paragraph opening with a mark opens a quotation whatever came before (each paragraph of a
    long quotation opens with one); marks nest (a title quoted inside a quotation closes only itself), and a
    straight `"` closes one that is open, else opens one."""
    double, single = before
    if text.startswith(_OPENING_QUOTES):
        double, single = (0, True) if text[0] in "‘'" else (1, False)
        text = text[1:]
    if _ANY_QUOTE_MARK.search(text) is None:
        return double, single
    for match in _QUOTE_MARK.finditer(text):
        mark = match[0]
        if mark in "“«„":
            double += 1
        elif mark in "”»":
            double = max(double - 1, 0)
        elif mark == '"':
            double = double - 1 if double else 1
        else:
            single = mark == "‘"
    return double, single


def _render(block: _Block) -> str:
    if block.kind == "heading":
        return f"<h2>{linkify(block.text.strip(_HEADING_DECORATION))}</h2>"
    found = _list_at(block.lines)
    if found is None:
        return _paragraph(block.lines)
    start, items, ordered, first_number = found
    intro = _paragraph(block.lines[:start]) + "\n" if start else ""
    tag = "ol" if ordered else "ul"
    opening = f'<ol start="{first_number}">' if ordered and first_number != 1 else f"<{tag}>"
    listed = "\n".join(f"<li>{linkify(item)}</li>" for item in items)
    return f"{intro}{opening}\n{listed}\n</{tag}>"


def _paragraph(lines: Sequence[str]) -> str:
    separator = " " if _is_wrapped(lines) else "<br>"
    return "<p>" + separator.join(map(linkify, lines)) + "</p>"


WRAP_WIDTH = 60
"""Columns beyond which a line would not have fitted: e-mail programs wrap at 70-80."""


def _is_wrapped(lines: Sequence[str]) -> bool:
    """Whether a paragraph's lines are hard-wrapped prose (pasted from an e-mail), to be joined with spaces:
    every line but the last was broken because the next word would not fit (the line, a space and the next
    line's first word are longer than `WRAP_WIDTH`). Short lines (an address, a contact block, a signature, a
    sentence on a line of its own) keep their breaks; so does the whole paragraph when one of them is short, and
    a contact block however long its lines (a line set out in `|` fields, or opening "Tel:", "Mobile:",
    "Email:", "Direct line:"…)."""
    if any(_CONTACT_LINE.search(line) for line in lines):
        return False
    return len(lines) > 1 and all(
        len(line) + 1 + len(following.split(" ", 1)[0]) > WRAP_WIDTH for line, following in pairwise(lines)
    )


_CONTACT_LINE = re.compile(
    r"\s\|\s|^(?:tel(?:ephone)?|phone|mob(?:ile)?|e-?mail|direct(?:\s+(?:line|dial))?|fax|web(?:site)?|twitter|"
    r"out\s+of\s+hours)\s*:",
    re.IGNORECASE,
)


# "- item", "* item", "• item"; "1. item", "12) item" (up to three digits: "2026. was" is no list)
_BULLET = re.compile(r"[-*•] (?P<text>.+)")
_NUMBERED = re.compile(r"(?P<number>\d{1,3})[.)] (?P<text>.+)")


def _list_at(lines: Sequence[str]) -> tuple[int, list[str], bool, int] | None:
    """(index of its first item, its items, ordered, first number) when the paragraph is or ends in a list.

    Items are the lines opening with a bullet ("- ", "* ", "• "), or with numbers counting up by one ("1. ",
    "2) "); a line that does not open another item continues the one before (a wrapped item). The lines before
    the first item are an introduction ("The fund pays for:"), published as a paragraph before the list; a
    single item after one needs its colon, so a dash that wrapping put at the start of a line is not a list.
    """
    for start, line in enumerate(lines):
        bullet, numbered = _BULLET.fullmatch(line), _NUMBERED.fullmatch(line)
        if bullet is None and numbered is None:
            continue
        ordered = bullet is None
        first_number = int(numbered["number"]) if numbered is not None else 1
        items: list[str] = []
        expected = first_number
        for following in lines[start:]:
            item = _NUMBERED.fullmatch(following) if ordered else _BULLET.fullmatch(following)
            if item is not None and (not ordered or int(item["number"]) == expected):
                items.append(item["text"])
                expected += 1
            else:
                items[-1] += " " + following
        if start and len(items) < 2 and not lines[start - 1].endswith(":"):
            return None
        return start, items, ordered, first_number
    return None


def _flush(out: list[str], quote: list[str]) -> None:
    if quote:
        out.append("<blockquote>\n" + "\n".join(quote) + "\n</blockquote>")


# A byline or a picture's credit above the story ("By Jane Smith, Communications Officer", "Photo: the harbour at
# dawn"): who wrote it or what the picture shows, never what the release says. ("By 2030 every ferry…" is news.)
_CREDIT = re.compile(
    r"(?:[Bb]y|BY)\s+[A-ZÀ-ÖØ-Þ][\w'’.-]*(?:\s+[A-ZÀ-ÖØ-Þ][\w'’.-]*){0,4}(?:\s*[,|–—-]\s*[^.!?]{0,80})?"
    r"|(?i:photo|picture|image|pictured|credit|caption)(?:\s+credit)?\s*:\s*[^.!?]{0,150}\.?"
)


def make_summary(text: str, limit: int = 280) -> str:
    """The first real paragraph of `text`, cut at a word boundary with "…" if longer than `limit`.

    A short first paragraph (a dateline such as "London, 2 November" or a one-word label) is skipped when a
    longer one follows. A paragraph that only introduces a quotation ("The Prime Minister said:") says nothing
    alone: the quotation's first paragraph follows it, in quotation marks (`The Prime Minister said: “My
    thoughts are with…”`, the mark closed after a cut too). Words are never split, except a single "word" longer
    than `limit` (a pasted URL), which has nowhere else to be cut. Chinese and Japanese, written without spaces,
    are cut after any of their characters.
    """
    if limit < 2:
        raise ValueError(f"summary limit must be at least 2 characters, got {limit}")
    first: str | None = None
    closing = ""
    following = _iter_paragraphs(text)  # read only as far as the paragraph chosen
    for lines in following:
        paragraph = " ".join(lines)
        first = paragraph if first is None else first
        if _introduces_quotation(paragraph):
            quotation = " ".join(next(following, []))
            if quotation:
                chosen, closing = _speaker_and_quotation(paragraph, quotation)
                break
        if len(paragraph) >= _SUMMARY_MIN and not _CREDIT.fullmatch(paragraph):
            chosen = paragraph
            break
    else:
        if first is None:
            return ""
        chosen = first
    if len(chosen) <= limit:
        return chosen
    room = limit - 1 - len(closing)  # keep one character for the ellipsis (and one for a closing mark)
    cut = chosen.rfind(" ", 0, room + 1)
    if not chosen.isascii() and (unspaced := _LAST_UNSPACED.search(chosen, 0, room)) is not None:
        cut = max(cut, unspaced.end())
    head = chosen[:cut] if cut > 0 else chosen[:room]
    head = head.rstrip(_TRAILING_PUNCT) or head  # nothing but punctuation before the cut: keep it whole
    return head + "…" + (closing if _left_open(head, _NONE_OPEN) != _NONE_OPEN else "")


_CLOSING_MARK = {"“": "”", "‘": "’", "„": "“", "«": "»", '"': '"', "'": "'"}


def _speaker_and_quotation(speaker: str, quotation: str) -> tuple[str, str]:
    """`The Minister said: “…”` from the paragraph introducing a quotation and the quotation's first paragraph,
    and the mark that closes it (added when the paragraph leaves it open, as a long quotation's first does)."""
    if not quotation.startswith(_OPENING_QUOTES):
        return f"{speaker} “{quotation}”", "”"
    closing = _CLOSING_MARK[quotation[0]]
    if _left_open(quotation, _NONE_OPEN) != _NONE_OPEN:
        quotation += closing
    return f"{speaker} {quotation}", closing


# Labels that head a page or a document but are not its headline.
_LABELS = frozenset(
    {"press release", "news release", "media release", "press notice", "press statement", "statement", "news"}
    | {"news story", "news article", "speech", "announcement", "for immediate release", "embargoed"}
)
_LABEL_WORDS = max(len(label.split()) for label in _LABELS)


def is_label(text: str, site_name: str | None = None) -> bool:
    """Whether a would-be title is a label ("Press release") or the site's own name (a logo), not a headline."""
    if site_name is None and len(text.split(None, _LABEL_WORDS)) > _LABEL_WORDS:
        return False  # more words than any label: a sentence, told without folding all of it
    folded = " ".join(text.split()).casefold().rstrip(":.")
    return folded in _LABELS or (site_name is not None and folded == " ".join(site_name.split()).casefold())
