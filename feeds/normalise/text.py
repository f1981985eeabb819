"""Low-level plain-text helpers shared by every stage: character hygiene, white space, paragraphs, labels.

`xml_safe` removes characters that XML 1.0 forbids, which would make every feed we publish unparseable if one
slipped into a title; `windows_1252_controls` reads a Windows CMS's C1 controls as the punctuation they stand for;
`nfc` composes text into the one form pages and feeds publish (Unicode Normalization Form C);
`collapse` and `one_line_text` make one line of a title, a name or a note; `paragraphs` splits text at its blank
lines; `is_label` tells a label ("Press release") from a headline. The watch parser and the ingest's readers use
these too (the watch hashes this module's source into its parse epoch: `feeds.watch.parsejobs`). The conventions
of a plain-text release (quotations, lists, "ENDS") are `plaintext.py`'s; summaries are `summary.py`'s.

What this module must not do: parse HTML (that is `sanitise.py` and `htmltext.py`), look anything up outside its
arguments, or know a release's conventions: these helpers apply to any text, a watched feed's included.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any

__all__ = [
    "LABEL_WORDS",
    "collapse",
    "holds_any",
    "is_label",
    "iter_paragraphs",
    "known_xml_safe",
    "lowered",
    "nfc",
    "one_line_text",
    "paragraphs",
    "remembered_xml_safe",
    "windows_1252_controls",
    "xml_safe",
]

# XML 1.0 §2.2 Char: tab, newline, carriage return and the rest of Unicode minus the other C0 controls,
# surrogates and U+FFFE/U+FFFF. Lone surrogates also cannot be encoded as UTF-8 at all.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_BLANK_LINE = re.compile(r"\n[ \t\f\v\xa0]*\n")

# The C0 controls XML forbids, as bytes: in UTF-8 they only ever stand for themselves (every byte of a multi-byte
# sequence is 0x80 or above), so deleting them from the encoded text changes its length exactly when one is there.
_C0_NOT_XML = bytes(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 forbids (C0 controls other than tab/newlines, surrogates…).

    Almost every text is already safe, and `xml_safe` runs several times per release: that case is checked
    with C-speed string operations (a lone surrogate cannot be encoded, a C0 control is a byte of its own,
    U+FFFE/U+FFFF are searched for) about four times faster than the regex, which does the removing. The last two
    long texts found safe are remembered (the objects, never copies: a string cannot change), so the body checked
    again by the next step (`render_markdown` after the release's own check) is not scanned twice.
    """
    if text is _last_safe[0] or text is _last_safe[1]:
        return text
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return _NOT_XML_CHAR.sub("", text)
    if _no_c0_control(data) and "\ufffe" not in text and "\uffff" not in text:
        if len(text) >= _REMEMBERED:
            _remember_safe(text)
        return text
    return _NOT_XML_CHAR.sub("", text)


def holds_any(text: Any, needles: Iterable[Any]) -> bool:
    """Whether `text` (a str, or bytes with needles given as byte values) holds any of `needles`: each looked for by
    `memchr` in a plain loop, which for a handful of characters beats one regex scan of the text (~70 instructions a
    character) and `any(map(text.__contains__, needles))` (a call for each needle costs ten times the search)."""
    for needle in needles:  # noqa: SIM110 (see above)
        if needle in text:
            return True
    return False


def _no_c0_control(data: bytes) -> bool:
    """Whether the UTF-8 `data` holds none of the C0 controls XML forbids: in a long text, each byte looked for by
    `memchr` (a number, which `in` takes without first failing to read the bytes as one), which costs about half of
    deleting them all (`bytes.translate` looks up every byte); in a short one, where a call per control would cost
    more, by deleting them."""
    if len(data) < _REMEMBERED:
        return len(data.translate(None, _C0_NOT_XML)) == len(data)
    return not holds_any(data, _C0_NOT_XML)


def known_xml_safe(text: str) -> str:
    """`text`, which its caller built of XML-safe parts alone (joined, never decoded), remembered as `xml_safe`
    remembers a text it checked: the next step's check of it is then no scan."""
    if len(text) >= _REMEMBERED:
        _remember_safe(text)
    return text


def remembered_xml_safe(text: str) -> bool:
    """Whether `text` is one of the last two long texts `xml_safe` found safe or a step built of safe parts
    (`known_xml_safe`): then it holds none of the characters XML forbids, the C0 controls but tab and line breaks
    among them, which is known without a scan (False says nothing: a text not remembered may be safe too)."""
    return text is _last_safe[0] or text is _last_safe[1]


def _remember_safe(text: str) -> None:
    last = _last_safe[0]
    if text is not last:
        _last_safe[:] = (text, last)  # (one slice: a thread reading meanwhile sees the pair before or after)


def lowered(text: str) -> str:
    """`text.lower()` (for an ASCII text also its `casefold()` and its `feeds.fold.fold`), the last long one remembered
    (the object, as `xml_safe` remembers): a body's text is lowered for its "ENDS" (`body`) and again for its topics
    (`topics`), ~11 k instructions each time."""
    last = _last_lowered
    if text is last[0]:
        return last[1]
    low = text.lower()
    if len(text) >= _REMEMBERED:
        _last_lowered[:] = (text, low)
    return low


_last_lowered = ["", ""]
"""The last long text `lowered` lowered, and its lowered form (replaced as one slice: a thread reading it meanwhile
sees the pair before or after, at worst lowering again)."""

_last_safe = ["", ""]
"""The last two long texts `xml_safe` found safe (or `known_xml_safe` was given), the latest first: a body's text
and its HTML, which `render_markdown` builds of the safe source (the content hash's JSON then needs no search of
the HTML for controls: `feeds.normalise.release`). Strings cannot change, and the list holds them, so a text found
here by identity is safe; a thread that replaces the pair only makes the next check scan again."""
_REMEMBERED = 512
"""The length from which a text found safe is remembered: a body, not the titles and names checked in between."""


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
    # (ASCII, known without a scan, has no C1 control: the regex scan of a body cost more than the rest of this)
    return text.translate(_WINDOWS_1252) if not text.isascii() and _C1.search(text) else text


def nfc(text: str) -> str:
    """`text` in Unicode Normalization Form C: the same object when it is already (nearly all text; ASCII is
    known to be without a scan), else composed.

    The Web publishes NFC (W3C Character Model; vnu warns "Text run is not in Unicode Normalization Form C"), but
    text arrives decomposed (NFD: a title pasted from a PDF, a Mac file name, "Cafe" + U+0301) or with its marks
    out of order (Arabic typed shadda-then-kasra): it would look the same, but be published as other characters,
    and its copies in another form would not be found in it by a reader's search.
    """
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def collapse(text: str) -> str:
    """All runs of white space (line breaks, tabs, no-break spaces) become one space; ends are trimmed."""
    return " ".join(text.split())


def one_line_text(text: str) -> str:
    """`text` as one line that XML can carry: `xml_safe`, then `collapse` (a title, a name, a note from outside)."""
    return collapse(xml_safe(text))


def paragraphs(text: str) -> list[list[str]]:
    """Blank-line separated paragraphs, each a list of its (collapsed, non-empty) lines."""
    return list(iter_paragraphs(text))


def iter_paragraphs(text: str) -> Iterator[list[str]]:
    """`paragraphs(text)`, each found only when the one before it has been read: a summary reads the first or the
    second of a long body, and splitting all of it at its blank lines first cost more than reading those."""
    text = xml_safe(text)
    if "\r" in text:  # (found at C speed; the replacing searches for two characters)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    start = 0
    for m in chain(_BLANK_LINE.finditer(text), (None,)):
        block = text[start : m.start()] if m is not None else text[start:]
        lines = [line for line in map(_collapsed, block.split("\n")) if line]
        if lines:
            yield lines
        if m is not None:
            start = m.end()


_ASCII_SPACES = "\t\x0b\x0c\r\x1c\x1d\x1e\x1f"
"""The white space `str.split` cuts ASCII text at besides a space and a line break (which a line holds none of)."""


def _collapsed(line: str) -> str:
    """`collapse(line)`: a long ASCII line that is one already (single spaces between words, none at its ends: a
    body's text, as its paragraphs are read back) told by C-speed searches, not split into words and joined."""
    if len(line) < 80 or not line.isascii() or line[0] == " " or line[-1] == " " or "  " in line:
        return collapse(line)
    return collapse(line) if holds_any(line, _ASCII_SPACES) else line


# Labels that head a page or a document but are not its headline.
_LABELS = frozenset(
    {"press release", "news release", "media release", "press notice", "press statement", "statement", "news"}
    | {"news story", "news article", "speech", "announcement", "for immediate release", "embargoed"}
)
LABEL_WORDS = max(len(label.split()) for label in _LABELS)
"""The most words a label has: a text with more is no label (`is_label` tells without folding it)."""


def is_label(text: str, site_name: str | None = None) -> bool:
    """Whether a would-be title is a label ("Press release") or the site's own name (a logo), not a headline."""
    if site_name is None and len(text.split(None, LABEL_WORDS)) > LABEL_WORDS:
        return False  # more words than any label: a sentence, told without folding all of it
    folded = " ".join(text.split()).casefold().rstrip(":.")
    return folded in _LABELS or (site_name is not None and folded == " ".join(site_name.split()).casefold())
