"""The opening lines of a release's body: what they repeat, label or date, and where its summary starts.

A body often opens with what is not its story: the headline pasted again, a label ("Press release"), a line that is
only a date, a dateline (`LONDON, 3 November 2026 – …`). `opening_lines` drops the first three from the body (the
date a line states is read by `datelines.opening_date`, and dates the release when its source gives no date), and
leaves a dateline in the body but out of the text a summary is made from.

What this module must not do: drop anything but a whole opening block (a paragraph or a heading), leave the body
empty (nothing is dropped then), or decide the release's date: it says what the text states; `release.py` decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from feeds.normalise.body import TEXT_BLOCK
from feeds.normalise.datelines import OpeningDate, opening_date
from feeds.normalise.htmltext import clean_html_to_text, summary_source
from feeds.normalise.text import LABEL_WORDS, collapse, is_label

__all__ = ["opening_lines"]


def opening_lines(
    body_html: str, body_text: str, title: str, tz: ZoneInfo, given: datetime | None
) -> tuple[str, str, str, OpeningDate | None]:
    """What the opening lines of a body say, applied: (body HTML, body text, the text a summary comes from, the date
    the text states, with what is wrong with it if anything). A first paragraph repeating the title, or a label
    ("Press release"), is dropped. When the source gave no date (`given`), a date the opening lines state is read
    (`opening_date`): a paragraph that is only a date is dropped. When it did, a paragraph that is only a date is
    dropped if it states the same day (`Published: 27 November 2026` under an embargo line or a front-matter
    `date`), which would otherwise be the summary; any other date the text states is left as it is. Either way a
    dateline stays in the body and is left out of the summary's text, and so are the notes to editors."""
    # (a block with more words than the title and any label is neither: it is not collapsed to be compared)
    most = max(len(title.split()), LABEL_WORDS)
    body_html, body_text = _drop_block(
        body_html, body_text, lambda text: _same_words(text, title) or is_label(text), most
    )
    paragraphs = body_text.split("\n\n")
    stated = opening_date(paragraphs, tz)
    # A dateline is never the summary's news, whichever date the release is given (an embargo line's, say).
    dateline = stated if stated is not None and not stated.alone else None
    if stated is not None and given is not None and not (stated.alone and _same_day(stated.when, given, tz)):
        stated = None
    if stated is not None and stated.alone:
        line = collapse(paragraphs[stated.paragraph])
        body_html, body_text = _drop_block(body_html, body_text, lambda text: text == line, len(line.split()))
    story = _before_notes(body_html)
    source = summary_source(body_html, body_text) if story is None else summary_source(story)
    if dateline is not None:  # (the body is as split above: only a date alone is dropped)
        source = source.replace(paragraphs[dateline.paragraph], dateline.rest, 1)
    return body_html, body_text, source, stated


# The heading of the notes to editors as the body has it: "<h2>Notes to editors</h2>" (plain text, Markdown), a Word
# export's "<p><b>Notes to Editors:</b></p>", "Editor's notes".
_NOTES_HEADING = re.compile(
    r"<(h[2-6]|p)(?: [a-z]+=\"[^\"]*\")*>\s*(?:<(?:b|strong)>\s*)?(?:notes?\s+(?:to|for)\s+editors?"
    r"|editor(?:'|’|&#x27;|&#39;)?s(?:'|’|&#x27;|&#39;)?\s+notes?)\s*:?\s*(?:</(?:b|strong)>)?\s*:?\s*</\1>",
    re.IGNORECASE,
)


def _before_notes(body_html: str) -> str | None:
    """The body up to its notes to editors, which are never its summary (background, not what the release says);
    None when it has no such heading, or no text before it (then the notes are all there is)."""
    if "ditor" not in body_html and "DITOR" not in body_html:  # (the common case: no notes, no search)
        return None
    found = _NOTES_HEADING.search(body_html)
    if found is None or not clean_html_to_text(body_html[: found.start()]):
        return None
    return body_html[: found.start()]


def _same_day(one: datetime, other: datetime, tz: ZoneInfo) -> bool:
    return one.astimezone(tz).date() == other.astimezone(tz).date()


def _drop_block(body_html: str, body_text: str, unwanted: Callable[[str], bool], most: int) -> tuple[str, str]:
    """The body without the first of its opening blocks (paragraphs, headings) whose text (collapsed) is `unwanted`;
    the body as it was when there is none, or when nothing else would be left. `most`: the most words an unwanted
    text has (a block with more, a paragraph of the story, is told by splitting off that many words only)."""
    for index, m in enumerate(TEXT_BLOCK.finditer(body_html)):
        if index >= 3:
            break
        inner = m[2]
        # The body is sanitised: the fast extractor applies, and a block without tags or entities is its text.
        text = clean_html_to_text(inner) if "<" in inner or "&" in inner else inner
        if len(text.split(None, most)) <= most and unwanted(collapse(text)):
            html = body_html[: m.start()] + body_html[m.end() :]
            text = clean_html_to_text(html)
            return (html, text) if text else (body_html, body_text)
    return body_html, body_text


def _same_words(text: str, title: str) -> bool:
    """Whether a paragraph repeats the title (a headline pasted again as the body's first line)."""
    folded_title = title.casefold().rstrip(".:")
    # Casefolding never shortens text, so a paragraph longer than the title is not it: the common case, told
    # without folding the whole paragraph.
    return len(text.rstrip(".:")) <= len(folded_title) and text.casefold().rstrip(".:") == folded_title
