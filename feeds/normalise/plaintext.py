"""Plain-text releases → HTML: paragraphs, wrapped lines, lists, `said:` quotations, "ENDS", the editors' notes.

Press officers write releases as plain text, often pasted from an e-mail: blank lines between paragraphs
(their lines hard-wrapped), "The Minister said:" before a quotation, lists of "- " or "1. " lines, web and
e-mail addresses, "ENDS" and "Notes to editors" after the story. `text_to_html` turns those conventions into
simple HTML that is already what `sanitise.sanitise_html` would make of it (every character of the input is
escaped; links are written as the sanitiser writes them). README.md's "Plain-text releases" is the reader's
account of the same rules. The quotation rules (`introduces_quotation`, `left_open`) are public: a summary
(`summary.py`) quotes a speaker by them too. Where the story ends ("ENDS", the notes to editors, the contacts) is
`closing.py`'s to say.

What this module must not do: parse HTML (that is `sanitise.py` and `htmltext.py`), look anything up outside its
arguments (an address is linked as written, never checked), or drop words: only the "ENDS" line is left out of the
HTML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from feeds.normalise.autolink import linkify
from feeds.normalise.closing import CLOSING_MARKER, CLOSING_START, EDITORS_NOTES, ENDS
from feeds.normalise.text import collapse, paragraphs

__all__ = [
    "NONE_OPEN",
    "OPENING_QUOTES",
    "QUOTE_LOOKAHEAD",
    "WRAP_WIDTH",
    "introduces_quotation",
    "left_open",
    "text_to_html",
]

# A paragraph that introduces a quotation ("The Minister said:", "She added:", "The Chief Executive of the RNLI
# commented today:"): it also ends the quotation before it, whoever speaks next.
_SAID = re.compile(
    r"(?:\b(?:said|says|added|adds|commented|comments|explained|explains|continued|continues|stated|states|remarked"
    r"|noted|replied|responded|declared|told\s+(?:reporters|journalists|the\s+\w+))"
    r"(?:\s+(?:today|yesterday|tonight|this\s+(?:morning|afternoon|evening|week)|in\s+a\s+statement))?(?:\s+that)?"
    r"|^according\s+to\s+[^.!?]{1,80}):$",
    re.IGNORECASE,
)


def introduces_quotation(text: str) -> bool:
    """Whether `text` (a paragraph, or its last lines) introduces a quotation: `_SAID` finds it. The pattern ends
    with ``:$``, so only text ending with a colon (or a colon and one line break) can match: the search of every
    other paragraph, long ones included, is skipped."""
    return text.endswith((":", ":\n")) and _SAID.search(text) is not None


_HEADING_DECORATION = "*_: "
OPENING_QUOTES = tuple("\"'“‘„«")


def text_to_html(text: str) -> str:
    """Plain text → HTML: paragraphs, lists, quotations, the editors' notes heading, links.

    Each blank-line separated paragraph becomes a `<p>`: its lines joined with spaces when they are hard-wrapped
    prose (`_is_wrapped`), else kept apart with `<br>` (an address, a contact block, a signature). Lines opening
    with "- ", "* " or "• " are a `<ul>`, lines opening with "1. " or "1) " an `<ol>` (starting at its first
    number), after an introductory paragraph when the paragraph opens with one (`_list_at`). Web and e-mail
    addresses become links (`autolink`). A line "ENDS" ("-ends-", "– ENDS –") ends the story: it is not
    published, what follows it is. A line "Notes to editors" ("Note to editors:", "Editor's notes") is an `<h2>`,
    and so is a subheading typed in capitals, a paragraph of its own ("SPENDING BY REGION"). A paragraph set out in
    tab-separated columns is a `<table>` (`_table_paragraphs`).

    A paragraph, or a paragraph's line, ending in `said:` (or `added:`, `commented:`, `says:`, `explained:`…
    `said today:`) introduces a quotation (`_in_quotation` says how far it runs), published as a `<blockquote>`.
    """
    out: list[str] = []
    blocks = _blocks(_table_paragraphs(text) if "\t" in text else paragraphs(text))
    quote: list[str] | None = None
    # Whether the quotation opens with a quotation mark, or with a list; the marks open after its last paragraph.
    marked, listed, still_open = False, False, NONE_OPEN
    for index, block in enumerate(blocks):
        if quote is not None:
            if _in_quotation(blocks, index, first=not quote, marked=marked, listed=listed, still_open=still_open):
                if not quote:
                    marked = block.text.startswith(OPENING_QUOTES)
                    listed = (found := _list_at(block.lines)) is not None and found[0] == 0
                still_open = left_open(block.text, still_open)
                quote.append(_render(block))
                continue
            _flush(out, quote)
            quote = None
        if block.kind == "end":
            continue
        out.append(_render(block))
        if block.kind == "text" and introduces_quotation(block.text):
            quote, still_open = [], NONE_OPEN
    if quote is not None:
        _flush(out, quote)
    return "\n".join(out)


_Kind = Literal["text", "heading", "end"]


@dataclass(frozen=True, slots=True)
class _Block:
    """A paragraph (`text`: a table's when its lines hold tabs), the editors' notes heading or a subheading in
    capitals, or the "ENDS" line (`end`, not published)."""

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
                "end"
                if ENDS.fullmatch(line)
                else "heading"
                if EDITORS_NOTES.fullmatch(line) or (len(lines) == 1 and _is_capitals_heading(line))
                else None
            )
            if marker is not None:
                if current:
                    blocks.append(_Block("text", tuple(current)))
                    current = []
                blocks.append(_Block(marker, (line,)))
                continue
            current.append(line)
            # (only the last lines: `said:` ends the line, and an `according to` intro is short)
            if number + 1 < len(lines) and introduces_quotation(" ".join(current[-2:])):
                blocks.append(_Block("text", tuple(current)))
                current = []
        if current:
            blocks.append(_Block("text", tuple(current)))
    return blocks


def _is_capitals_heading(line: str) -> bool:
    """Whether `line`, a paragraph of its own, is a subheading typed in capitals ("SPENDING BY REGION"): two words
    or more in capitals, not ended as a sentence or an introduction is. A place ("LONDON"), "NHS 111" or a
    sentence shouted ("WE WILL NOT STAND BY.") is text."""
    return (
        len(line) <= _CAPITALS_HEADING_MAX
        and line.isupper()
        and line[-1] not in ".!?:;,"
        and sum(1 for word in line.split() if any(c.isalpha() for c in word)) >= 2
    )


_CAPITALS_HEADING_MAX = 100


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
    if block.text.startswith(OPENING_QUOTES):
        return True
    if still_open == NONE_OPEN:
        return False
    for later in blocks[index : index + QUOTE_LOOKAHEAD]:
        if _stops_quotation(later):
            return False
        still_open = left_open(later.text, still_open)
        if still_open == NONE_OPEN:
            return True
    return False


QUOTE_LOOKAHEAD = 3
"""Paragraphs, counting the one in question, within which an open quotation mark must close for paragraphs that
do not open with one to be taken into the quotation."""


def _stops_quotation(block: _Block) -> bool:
    text = block.text
    return (
        block.kind != "text"
        or introduces_quotation(text)
        or _ATTRIBUTED.search(text) is not None
        or (":" in text and _QUOTES_ITS_SPEAKER.match(text) is not None)
        or CLOSING_MARKER.fullmatch(text) is not None
        or CLOSING_START.match(block.lines[0]) is not None  # ("Media enquiries" over the contact block's lines)
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

NONE_OPEN = (0, False)


def left_open(text: str, before: tuple[int, bool]) -> tuple[int, bool]:
    """How many double quotation marks, and whether a single one, are open at the end of `text`, given those open
    at its start. A paragraph opening with a mark opens a quotation whatever came before (each paragraph of a
    long quotation opens with one); marks nest (a title quoted inside a quotation closes only itself), and a
    straight `"` closes one that is open, else opens one."""
    double, single = before
    if text.startswith(OPENING_QUOTES):
        double, single = (0, True) if text[0] in "‘'" else (1, False)
        text = text[1:]
    # (ASCII text holds no mark but `"`, found at C speed: the regex scan of a set of marks beyond ASCII costs ~70
    # instructions a character, more than the rest of a summary's cut)
    if ('"' not in text) if text.isascii() else _ANY_QUOTE_MARK.search(text) is None:
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


def _table_paragraphs(text: str) -> list[list[str]]:
    """`paragraphs(text)` for a text with tabs: a paragraph set out in columns (a table pasted from a spreadsheet or
    a Word table: two rows or more, each of as many tab-separated cells, two or more) keeps its cells apart, each
    row a line of cells joined by a tab; every other tab is white space. Labels and values (`Tel:<tab>020…`, every
    first cell ending in a colon) are a contact block's lines, not a table."""
    out: list[list[str]] = []
    text = _WHITE_LINE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))  # (a line of tabs is blank)
    for lines in paragraphs(text.replace("\t", _CELL)):
        rows = [[cell.strip() for cell in line.strip(_CELL + " ").split(_CELL)] for line in lines]
        width = len(rows[0])
        table = (
            len(rows) >= 2
            and width >= 2
            and all(len(row) == width for row in rows)
            and not all(row[0].endswith(":") for row in rows)
        )
        out.append(
            ["\t".join(row) for row in rows] if table else [collapse(line.replace(_CELL, " ")) for line in lines]
        )
    return out


_WHITE_LINE = re.compile(r"^[ \t\f\v\xa0]+$", re.MULTILINE)
_CELL = "\ue000"
"""A tab while paragraphs are split (where `collapse` would make a space of it): a private-use character, which
no release writes."""


def _render(block: _Block) -> str:
    if block.kind == "heading":
        return f"<h2>{linkify(block.text.strip(_HEADING_DECORATION))}</h2>"
    if "\t" in block.lines[0]:  # (only a table's rows keep their tabs: `_table_paragraphs`)
        rows = "\n".join(
            "<tr>" + "".join(f"<td>{linkify(cell)}</td>" for cell in line.split("\t")) + "</tr>" for line in block.lines
        )
        return f"<table>\n<tbody>{rows}\n</tbody></table>"
    found = _list_at(block.lines)
    if found is None:
        return _paragraph(block.lines)
    start, items, ordered, first_number = found
    intro = _paragraph(block.lines[:start]) + "\n" if start else ""
    tag = "ol" if ordered else "ul"
    opening = f'<ol start="{first_number}">' if ordered and first_number != 1 else f"<{tag}>"
    listed = "\n".join(f"<li>{linkify(item[0])}{_render_list(item[1:])}</li>" for item in items)
    return f"{intro}{opening}\n{listed}\n</{tag}>"


def _render_list(points: Sequence[str]) -> str:
    return "<ul>\n" + "\n".join(f"<li>{linkify(p)}</li>" for p in points) + "\n</ul>" if points else ""


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
# A list's second level as Word's "Save as Plain Text" writes it: "o" or "§" and a tab, under an item.
_SUB_BULLET = re.compile(r"[o§▪◦] (?P<text>.+)")


def _list_at(lines: Sequence[str]) -> tuple[int, list[list[str]], bool, int] | None:
    """(index of its first item, its items, ordered, first number) when the paragraph is or ends in a list. Each
    item is its text, then the points of its own list (a second level), if it has any.

    Items are the lines opening with a bullet ("- ", "* ", "• "), or with numbers counting up by one ("1. ",
    "2) "); a line that does not open another item continues the one before (a wrapped item), unless it opens
    with a second level's bullet ("o ", "§ ", as Word writes them in plain text): a point of that item. The lines
    before the first item are an introduction ("The fund pays for:"), published as a paragraph before the list; a
    single item after one needs its colon, so a dash that wrapping put at the start of a line is not a list.
    """
    for start, line in enumerate(lines):
        bullet, numbered = _BULLET.fullmatch(line), _NUMBERED.fullmatch(line)
        if bullet is None and numbered is None:
            continue
        ordered = bullet is None
        first_number = int(numbered["number"]) if numbered is not None else 1
        items: list[list[str]] = []
        expected = first_number
        for following in lines[start:]:
            item = _NUMBERED.fullmatch(following) if ordered else _BULLET.fullmatch(following)
            if item is not None and (not ordered or int(item["number"]) == expected):
                items.append([item["text"]])
                expected += 1
            elif (point := _SUB_BULLET.fullmatch(following)) is not None:
                items[-1].append(point["text"])
            else:
                items[-1][-1] += " " + following
        if start and len(items) < 2 and not lines[start - 1].endswith(":"):
            return None
        return start, items, ordered, first_number
    return None


def _flush(out: list[str], quote: list[str]) -> None:
    if quote:
        out.append("<blockquote>\n" + "\n".join(quote) + "\n</blockquote>")
