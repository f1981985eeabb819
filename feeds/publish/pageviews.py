"""What the HTML pages show, as records: the view records the templates see besides the input records, and the
pure helpers that make them (a language's text direction, safe web links, feed groups, a release's history).

    Release / FeedLink / CoverageItem ──(pages.PageRenderer builds)──► Head, ReleaseCard, CoverageView… ──► templates

Shared with the feeds too: `text_direction` (entries.py sets an entry's direction with it) and `web_url`
(coverage.py links an item only when its URL is http(s)); `group_feeds` orders the OPML list as the pages do.

What this module must not do: render anything (Jinja2 is `pagetemplates.py`'s, the pages `pages.py`'s), read the
clock, the store or `out/`; let data from outside become a link of any scheme but http(s) (`web_url`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from markupsafe import Markup

from feeds.clock import ensure_utc
from feeds.model import Change, Release
from feeds.publish.i18n import N_
from feeds.publish.spec import FeedFormat, FeedLink
from feeds.urls import uri_form

Direction = Literal["ltr", "rtl"]

# Primary language subtags written right to left (BCP 47 / RFC 5646), and script subtags that force a direction
# whatever the language ("az-Arab" is right to left, "ku-Latn" left to right). The languages are those whose default
# script (CLDR's likely subtags) is Arabic, Hebrew, Syriac, Thaana or N'Ko, with the deprecated `iw` and `ji`.
_RTL_LANGUAGES = frozenset(
    {"ar", "arc", "azb", "bal", "bqi", "ckb", "dv", "fa", "glk", "he", "iw", "ji", "khw", "ks", "lrc", "mzn", "nqo"}
    | {"pnb", "prs", "ps", "sd", "sdh", "skr", "syr", "ug", "ur", "yi"}
)
_RTL_SCRIPTS = frozenset({"adlm", "arab", "hebr", "mand", "nkoo", "rohg", "syrc", "thaa"})
FORMAT_LABELS: dict[FeedFormat, str] = {"atom": "Atom", "rss": "RSS", "json": "JSON Feed"}
_FORMAT_PREFERENCE: tuple[FeedFormat, ...] = ("atom", "rss", "json")


@dataclass(frozen=True, slots=True)
class CoverageItem:
    """An external news item matched to a release, as listed in the release page's Coverage section."""

    title: str
    url: str
    source: str
    """Name of the feed or outlet it was found in."""
    found_at: datetime
    kinds: tuple[str, ...]
    """What sorts of match it is (`coverage.KIND_LABELS`: "Related coverage"), in English: shown as labels, in the
    site's language."""
    why: str
    """Why it matched (the rule and the words found, the release and its names…), in the site's language
    (`explain.explanation`)."""
    published: datetime | None = None
    """The item's own date (else when it was first seen): what the list shows and is sorted by."""
    lang: str | None = None
    """The language its feed gives (`WatchItem.language`): the `lang` of its title."""


# --- view records: what the templates see besides the input records -----------------------------------------


@dataclass(frozen=True, slots=True)
class Head:
    """Everything `base.html` puts in <head>, plus the page's language and the way back to the site root."""

    title: str
    description: str
    lang: str
    dir: Direction
    canonical: str | None
    stylesheet_url: str
    home: str
    """Relative URL of the site root from this page (`./` or `../../`), so links work wherever out/ is served."""
    discover: tuple[FeedLink, ...]
    """Feeds announced with <link rel="alternate"> for autodiscovery."""
    meta: tuple[tuple[str, str], ...]
    """Open Graph (property, content) pairs, in order; `twitter:` ones are written with `name=`, as Twitter reads
    them."""
    ui_lang: str | None = None
    """The labels' language (`Messages.language`) when the page's content is in another one: set on the labels."""
    ui_dir: Direction = "ltr"
    robots: str | None = None
    """`<meta name="robots">`: `noindex` on the 404 page, which also answers 200 at its own address, and on a topic's
    page with no release left; `max-image-preview:large` on a current release's page (`sharing.release_robots`)."""
    alternates: tuple[tuple[str, str], ...] = ()
    """(language, URL) of each language version of a release, this page's included, for <link rel="alternate"
    hreflang>, and `x-default` (the version in the site's language); empty where it has none."""
    json_ld: Markup | None = None
    """The page's schema.org JSON-LD (`feeds.publish.sharing.json_ld`: its `<`, `>`, `&` escaped), written into a
    `<script type="application/ld+json">` as it is; None for none."""


@dataclass(frozen=True, slots=True)
class LanguageLink:
    """A link to another language version of a release, in that language (`Darllenwch yn Gymraeg`)."""

    lang: str
    dir: Direction
    href: str
    label: str
    title: str


@dataclass(frozen=True, slots=True)
class TopicLink:
    name: str
    slug: str
    href: str


@dataclass(frozen=True, slots=True)
class FeedChoice:
    """One logical feed offered in its formats (the FeedLinks sharing a group and a title)."""

    title: str
    links: tuple[FeedLink, ...]

    @property
    def lang(self) -> str | None:
        """The title's language where it is not the site's (`FeedLink.lang`: a language's feed), else None."""
        return self.links[0].lang

    @property
    def dir(self) -> Direction:
        return text_direction(self.lang) if self.lang else "ltr"

    @property
    def preferred(self) -> FeedLink:
        """Atom first (our reference format), then RSS, then JSON Feed."""
        return min(self.links, key=lambda link: _FORMAT_PREFERENCE.index(link.format))


@dataclass(frozen=True, slots=True)
class FeedGroup:
    name: str
    feeds: tuple[FeedChoice, ...]


@dataclass(frozen=True, slots=True)
class ReleaseCard:
    """A release in a list: its link relative to the page, and its language when it differs from the page's."""

    release: Release
    href: str
    topics: tuple[TopicLink, ...]
    lang: str | None
    dir: Direction
    ui_lang: str | None = None
    """The labels' language when the release is in another one: set on the card's labels (its date)."""
    ui_dir: Direction = "ltr"


@dataclass(frozen=True, slots=True)
class CoverageView:
    item: CoverageItem
    href: str | None
    """The item's URL when it is http(s); anything else is shown unlinked."""
    kind: str
    """The item's kinds in the site's language, joined."""


# --- pure helpers -------------------------------------------------------------------------------------------


_RTL_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\U00010800-\U00010fff\U0001e800-\U0001efff]")
"""A letter of a right-to-left script (Hebrew, Arabic, Syriac, Thaana, N'Ko, Samaritan, Mandaic, Adlam…)."""


def has_rtl(text: str) -> bool:
    """Whether `text` (a watched feed's, a rule's) holds right-to-left letters: it must then be set apart from our
    words around it, or the bidirectional algorithm runs it into them (a rule's name and the word found, both
    Arabic, shown as one run in the wrong order)."""
    return _RTL_LETTER.search(text) is not None


def isolate_rtl(text: str) -> str:
    """`text` between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE (U+2068, U+2069) when it holds right-to-left
    letters (`has_rtl`), for plain text; any other text as it is, so left-to-right output never changes."""
    return f"\u2068{text}\u2069" if has_rtl(text) else text


def text_direction(language: str) -> Direction:
    """`rtl` for right-to-left language tags (`ar`, `he-IL`, `az-Arab`…), else `ltr`."""
    subtags = language.lower().replace("_", "-").split("-")
    for sub in subtags[1:]:
        if len(sub) == 4 and sub.isalpha():
            return "rtl" if sub in _RTL_SCRIPTS else "ltr"
    return "rtl" if subtags[0] in _RTL_LANGUAGES else "ltr"


def web_url(url: str | None) -> str | None:
    """`url` in URI form if it is an absolute http(s) URL, else None: outside data never becomes a `javascript:`
    link, and a `"` or a space in it is percent-encoded, as in the feeds (a raw one made the page invalid HTML)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return uri_form(url.strip()) if parts.scheme.lower() in ("http", "https") and parts.netloc else None


FIRST_PUBLISHED = N_("First published.")
"""The history line we add (`change_history`), in English: the page shows it in the labels' language."""
_FIRST_PUBLISHED = re.compile(r"\W*first\s+publish(?:ed)?\b", re.IGNORECASE)


def change_history(release: Release, first_published: str = FIRST_PUBLISHED) -> tuple[Change, ...]:
    """The release's changes, newest first, ending with its first publication: ours (`first_published`) unless
    the source's own history records it already, at the publication time or with a note saying so (GOV.UK's
    change history opens with "First published."; adding ours showed it twice)."""
    changes = sorted(release.changes, key=lambda c: ensure_utc(c.at), reverse=True)
    published = ensure_utc(release.published)
    if any(ensure_utc(c.at) == published or _FIRST_PUBLISHED.match(c.note) for c in changes):
        return tuple(changes)
    return (*changes, Change(at=release.published, note=first_published))


_WORD = re.compile(r"\w+")
_OPENING_WORDS = 120
"""How far into the body, in words beyond the summary's own, a summary made from it may start: `make_summary`
skips a dateline, a label or a byline before the paragraph it takes."""
_FEW_WORDS = 5


def summary_in_opening(summary: str, body_text: str) -> bool:
    """Whether `summary` says nothing the body's opening does not: its words, in order, are among the body's first
    (a summary made from the body when none was given, or one given that repeats its first paragraph). Compared
    word by word, so the quotation marks and the "…" of a cut summary (whose last word may be cut, in a language
    written without spaces) do not count; a summary of a few words only repeats a body that begins with them.
    Reads only the opening of the body, never all of it."""
    words = _WORD.findall(summary.casefold())
    if summary.endswith("…") and len(words) > 1:
        words.pop()
    if not words:
        return True
    if len(words) < _FEW_WORDS:  # (a few words given are a deliberate lede, unless the body begins with them)
        return _WORD.findall(body_text[: 2 * len(summary) + 8].casefold())[: len(words)] == words
    reach = len(summary) + 8 * _OPENING_WORDS
    opening = _WORD.findall(body_text[:reach].casefold())[: len(words) + _OPENING_WORDS]
    return f" {' '.join(words)} " in f" {' '.join(opening)} "


def og_locale(language: str) -> str:
    """A language tag as Open Graph writes a locale, `language_TERRITORY`: `en-GB` → `en_GB`, `zh-Hant-TW` → `zh_TW`;
    a tag naming no region gets the one its language is most likely written in (CLDR's likely subtags, through
    Babel): `cy` → `cy_GB`, `ar` → `ar_EG`, as Facebook and LinkedIn ignore a locale without one. A language CLDR
    does not know stays as it is (`tlh`)."""
    subtags = language.replace("_", "-").split("-")
    primary = subtags[0].lower()
    region = next((s.upper() for s in subtags[1:] if len(s) == 2 and s.isalpha()), None)
    if region is None:
        from babel.core import get_global

        likely = str(get_global("likely_subtags").get(primary, "")).split("_")
        region = likely[-1] if len(likely) > 1 and len(likely[-1]) == 2 else None
    return f"{primary}_{region}" if region else primary


def group_feeds(feeds: Sequence[FeedLink]) -> tuple[FeedGroup, ...]:
    """Group FeedLinks by `group`, then by title into one FeedChoice per logical feed; first-seen order kept."""
    groups: dict[str, dict[str, list[FeedLink]]] = {}
    for link in feeds:
        groups.setdefault(link.group, {}).setdefault(link.title, []).append(link)
    return tuple(
        FeedGroup(
            name=name or "Feeds",
            feeds=tuple(
                FeedChoice(title, tuple(sorted(links, key=lambda f: _FORMAT_PREFERENCE.index(f.format))))
                for title, links in by_title.items()
            ),
        )
        for name, by_title in groups.items()
    )
