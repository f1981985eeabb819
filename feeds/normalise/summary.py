"""A release's summary: the one its source gave, read as one line; else the first real paragraph of its text.

`given_summary_text` reads a summary sent with the release (HTML when it looks like it, `summary_is_html`, which
a source building a body of it asks too; inline Markdown for a Markdown release; else text as written).
`make_summary` picks the paragraph a reader sees in a feed when none was given: not a dateline or a label, not a
byline or a picture's credit, and a speaker's `said:` with the quotation that follows it, cut at a word boundary.
The quotation rules it follows are `plaintext.py`'s (the same ones that make a `<blockquote>` of the body).

What this module must not do: change a word of the text it quotes (it only chooses a paragraph and cuts it, never
in the middle of a word), or parse HTML itself (a given summary's HTML is read by `htmltext.html_to_text`; the
body's text comes from `opening.py`, by `htmltext.summary_source`).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

from feeds.normalise.closing import starts_contacts
from feeds.normalise.htmltext import html_to_text
from feeds.normalise.markdown import markdown_inline_text
from feeds.normalise.plaintext import NONE_OPEN, OPENING_QUOTES, introduces_quotation, left_open
from feeds.normalise.text import collapse, iter_paragraphs, one_line_text

__all__ = ["cut_between_words", "given_summary_text", "make_summary", "summary_is_html"]

_SUMMARY_MIN = 20
_TRAILING_PUNCT = " ,;:-–—(/、，；：（「『【〔《〈"
# Where a summary may be cut besides a space: after any character of a script written without spaces between
# words (CJK ideographs and punctuation, kana, fullwidth forms), so "東京 日本政府は…" is not cut down to "東京…".
# This finds the last such character (the text it searches has none after it).
_CJK_CHARS = "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_LAST_UNSPACED = re.compile(rf"[{_CJK_CHARS}](?=[^{_CJK_CHARS}]*\Z)")
# A sentence end in Chinese or Japanese (with the closing brackets and quotation marks after it): where a summary
# of such text is best cut, whole sentences needing no ellipsis. This finds the last one before the cut.
_LAST_SENTENCE_END = re.compile(r"[。！？](?:[」』）】〕》〉”’]*)(?!.*[。！？])", re.DOTALL)
# What never starts a character as readers see it (a grapheme cluster): a combining mark, a joiner, a variation
# selector, an emoji skin tone, a tag character, Thai and Lao SARA AM (a spacing mark). Cutting before one would
# split its character.
_CONTINUES = re.compile(
    "[\u0300-\u036f\u0e33\u0eb3\u200c\u200d\ufe00-\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f"
    "\U000e0100-\U000e01ef]"
)
_REGIONAL_INDICATORS = "".join(map(chr, range(0x1F1E6, 0x1F200)))


# A byline or a picture's credit above the story ("By Jane Smith, Communications Officer", "Photo: the harbour at
# dawn"): who wrote it or what the picture shows, never what the release says. ("By 2030 every ferry…" is news.)
_CREDIT = re.compile(
    r"(?:[Bb]y|BY)\s+[A-ZÀ-ÖØ-Þ][\w'’.-]*(?:\s+[A-ZÀ-ÖØ-Þ][\w'’.-]*){0,4}(?:\s*[,|–—-]\s*[^.!?]{0,80})?"
    r"|(?i:photo|picture|image|pictured|credit|caption)(?:\s+credit)?\s*:\s*[^.!?]{0,150}\.?"
)


def make_summary(text: str, limit: int = 280) -> str:
    """The first real paragraph of `text`, cut at a word boundary with "…" if longer than `limit`.

    A short first paragraph (a dateline such as "London, 2 November" or a one-word label) is skipped when a
    longer one follows, and so are the contacts ("For more information contact the Press Office on 020…"), unless
    there is nothing else. A paragraph that only introduces a quotation ("The Prime Minister said:") says nothing
    alone: the quotation's first paragraph follows it, in quotation marks (`The Prime Minister said: “My
    thoughts are with…”`, the mark closed after a cut too). Words are never split, except a single "word" longer
    than `limit` (a pasted URL), which has nowhere else to be cut. Chinese and Japanese, written without spaces,
    are cut after any of their characters.
    """
    if limit < 2:
        raise ValueError(f"summary limit must be at least 2 characters, got {limit}")
    first: str | None = None
    contacts: str | None = None
    closing = ""
    following = iter_paragraphs(text)  # read only as far as the paragraph chosen
    for lines in following:
        paragraph = " ".join(lines)
        first = paragraph if first is None else first
        if introduces_quotation(paragraph):
            quotation = " ".join(next(following, []))
            if quotation:
                chosen, closing = _speaker_and_quotation(paragraph, quotation)
                break
        if len(paragraph) >= _SUMMARY_MIN and not _CREDIT.fullmatch(paragraph):
            if starts_contacts(lines[0]):  # the press office's number, not the news (unless there is nothing else)
                contacts = contacts or paragraph
                continue
            chosen = paragraph
            break
    else:
        if first is None:
            return ""
        chosen = contacts or first
    return cut_between_words(chosen, limit, closing)


def cut_between_words(chosen: str, limit: int, closing: str = "") -> str:
    """`chosen` (one line) when at most `limit` characters, else its start cut between words and ended with `…`
    (and `closing`, a quotation mark left open): never inside a word, except a single "word" longer than `limit`,
    nor inside a character as readers see it; Chinese and Japanese after any of their characters, after a whole
    sentence when one ends past half the room (then without `…`). What a page's description is cut to as well."""
    if len(chosen) <= limit:
        return chosen
    room = limit - 1 - len(closing)  # keep one character for the ellipsis (and one for a closing mark)
    cut = chosen.rfind(" ", 0, room + 1)
    ellipsis = "…"
    if not chosen.isascii():
        if (unspaced := _LAST_UNSPACED.search(chosen, 0, room)) is not None and unspaced.end() > cut:
            cut = unspaced.end()
            # Whole sentences when one ends far enough in (not a dateline's "二回目。"): nothing is cut short.
            end = _LAST_SENTENCE_END.search(chosen, 0, room + 1)
            if end is not None and end.end() * 2 >= room:
                cut, ellipsis = end.end(), ""
        cut = _grapheme_start(chosen, cut if cut > 0 else room)
    head = chosen[:cut] if cut > 0 else chosen[:room]
    if ellipsis:
        head = head.rstrip(_TRAILING_PUNCT) or head  # nothing but punctuation before the cut: keep it whole
    return head + ellipsis + (closing if left_open(head, NONE_OPEN) != NONE_OPEN else "")


def _grapheme_start(text: str, cut: int) -> int:
    """`cut`, or the start of the character (as readers see it) that `cut` falls inside: before the letter whose
    marks, joiners or variation selector follow the cut, before the first half of a flag cut in two."""
    while 0 < cut < len(text) and (
        _CONTINUES.match(text, cut) or unicodedata.category(text[cut]).startswith("M") or text[cut - 1] in "\u200d"
    ):
        cut -= 1
    if 0 < cut < len(text) and text[cut] in _REGIONAL_INDICATORS:
        run = len(text[:cut]) - len(text[:cut].rstrip(_REGIONAL_INDICATORS))
        cut -= run % 2
    return cut


_CLOSING_MARK = {"“": "”", "‘": "’", "„": "“", "«": "»", '"': '"', "'": "'"}


def _speaker_and_quotation(speaker: str, quotation: str) -> tuple[str, str]:
    """`The Minister said: “…”` from the paragraph introducing a quotation and the quotation's first paragraph,
    and the mark that closes it (added when the paragraph leaves it open, as a long quotation's first does)."""
    if not quotation.startswith(OPENING_QUOTES):
        return f"{speaker} “{quotation}”", "”"
    closing = _CLOSING_MARK[quotation[0]]
    if left_open(quotation, NONE_OPEN) != NONE_OPEN:
        quotation += closing
    return f"{speaker} {quotation}", closing


@functools.cache
def _looks_like_html() -> Callable[[str], bool]:
    """feedparser's own test of whether a text is HTML, imported when first needed: importing feedparser takes
    ~30 ms, which every worker process and command would otherwise pay at start, most never reading a summary."""
    from feedparser.mixin import _FeedParserMixin  # type: ignore[import-untyped]

    return _FeedParserMixin.looks_like_html  # type: ignore[no-any-return]


_ACTIVE_TAG = re.compile(
    r"<(?:script|style|template|noscript|iframe|frame|object|embed|applet|svg|math|form|textarea)\b", re.IGNORECASE
)


def summary_is_html(given: str) -> bool:
    """Whether a given summary is read as HTML (see `given_summary_text`): a source that builds a body of it reads it
    the same way."""
    return bool(_looks_like_html()(given) or _ACTIVE_TAG.search(given))


def given_summary_text(given: str, *, markdown: bool) -> str:
    """A given summary as one line of text. HTML when it looks like it (only HTML elements, a closing tag or an
    entity: feedparser's test), so "<b>Fares</b> frozen" and a twice-escaped "Fish &amp; chips" read as meant;
    otherwise the text as written: "Plans for <5% growth" or "a <tags> list" lost words to the HTML reading.
    Markup that is never text (a script, a style, an embed) is read as HTML, and so dropped with its content.
    The summary of a Markdown release (front matter, a JSON `body`) is inline Markdown: `*stars*` reads "stars",
    `[link](…)` reads "link"."""
    if summary_is_html(given):
        return collapse(html_to_text(given))
    if markdown:
        return markdown_inline_text(given)
    return one_line_text(given)
