"""Which topics a release is about: the ones its source gave, then the configured ones its words mention.

Topics become feed categories and `topics/<slug>/` pages, so a false match costs a reader's trust: a topic
counts only as whole words, "Iran" is not found in "Iranian", while "North Korea's" and "North-Korea" are
"North Korea". Matching ignores case and accents, and configured aliases ("DPRK") stand for their topic. A topic is
named in NFC: "Café" with its accent apart (NFD) is the topic "Café".

What this module must not do: invent topics that are neither given nor configured, or depend on anything but
its arguments (the same release and settings always give the same topics, in the same order).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence

from feeds.config import TopicSettings
from feeds.fold import UNSPACED, fold
from feeds.normalise.ids import ascii_spells, slugify
from feeds.normalise.text import collapse, lowered, nfc, one_line_text

__all__ = ["detect_topics", "folded_words", "topic_slug"]

_WORD = re.compile(r"[^\W_]+")
_UNSPACED = re.compile(f"[{UNSPACED}]")


def detect_topics(given: Sequence[str], title: str, text: str, settings: TopicSettings) -> tuple[str, ...]:
    """Given topics first (trimmed, first spelling of each kept), then configured topics found in title + text.

    Configured topics are tried in config order (`detect`, then any topic that only has aliases); a topic
    matches when its name or one of its aliases occurs as a run of adjacent whole words.
    """
    found: list[str] = []
    seen: set[str] = set()

    def add(named: tuple[str, frozenset[str]]) -> None:
        # One per slug: "a b", "A/B" and "a-b" are one topic page and feed (`topics/a-b/`), so listing them all
        # would repeat that category in every feed entry and that link on the release's page.
        name, keys = named
        if name and not keys & seen:
            seen.update(keys)
            found.append(name)

    for name in given:
        add(_given_topic(name))
    title = _fold(title)  # (searched apart from the text: a phrase never runs from the title into the text)
    text = lowered(text) if text.isascii() else _fold(text)  # (`fold` for ASCII; lowered already for its "ENDS")
    last = _last_configured  # (read once: another thread may replace it)
    configured = last[1] if settings is last[0] else _remember_configured(settings)
    for named, patterns in configured:
        for pattern, first, word in patterns:
            # (the phrase's first word is in the text wherever the phrase is: most topics are told absent by one
            # substring search, which is many times quicker than the regex engine's scan)
            if (first in title and _found(pattern, word, title)) or (first in text and _found(pattern, word, text)):
                add(named)
                break
    return tuple(found)


@functools.lru_cache(maxsize=4096)
def _given_topic(name: str) -> tuple[str, frozenset[str]]:
    """`_topic_named` of a topic the source gave, trimmed to one line: remembered, as the same few names recur in
    every release (cleaning one cost ~8 k instructions, as much as finding a configured topic in a body)."""
    return _topic_named(one_line_text(name))


def _topic_named(name: str) -> tuple[str, frozenset[str]]:
    """A topic's name as a release carries it, in NFC (as every text of a release is; a configured name may not
    be), and what makes it one topic with another (`_topic_keys`), none for an empty name (no topic)."""
    name = nfc(name)
    return name, (_topic_keys(name) if name else frozenset())


@functools.lru_cache(maxsize=4096)
def _topic_keys(name: str) -> frozenset[str]:
    """What makes two topic names one topic: the folded name and the slug (the same few names recur in every
    release, and a slug is not free to make)."""
    return frozenset({_fold(name), topic_slug(name)})


_Configured = tuple[tuple[tuple[str, frozenset[str]], tuple[tuple[re.Pattern[str], str, str | None], ...]], ...]
_last_configured: tuple[TopicSettings | None, _Configured] = (None, ())


def _remember_configured(settings: TopicSettings) -> _Configured:
    """`_configured(settings)`, remembered with the settings object as the last met (`detect_topics` checks that
    first: hashing the frozen settings for the cache's look-up cost more than the look-up)."""
    global _last_configured
    configured = _configured(settings)
    _last_configured = (settings, configured)
    return configured


@functools.lru_cache(maxsize=8)
def _configured(settings: TopicSettings) -> _Configured:
    """Each configured topic (`_topic_named` of its name, collapsed) with one pattern per phrase: its folded words,
    separated by anything but words (or by nothing, next to a letter of a script written without spaces: 東京 タワー
    is found in "東京タワー"); each with the phrase's first word, which the folded text holds wherever the pattern
    matches, and the phrase itself when it is that one word (`_found`)."""
    return tuple(
        (
            _topic_named(collapse(name)),
            tuple(
                (re.compile(_phrase_pattern(phrase)), phrase.split(" ")[0], None if " " in phrase else phrase)
                for phrase in phrases
                if phrase
            ),
        )
        for name, phrases in _compile_configured(settings)
    )


def _phrase_pattern(phrase: str) -> str:
    words = phrase.split(" ")
    pattern = re.escape(words[0])
    for before, word in itertools.pairwise(words):
        unspaced = _UNSPACED.match(before[-1]) or _UNSPACED.match(word[0])
        pattern += (r"[\W_]*" if unspaced else r"[\W_]+") + re.escape(word)
    return pattern


def _found(pattern: re.Pattern[str], word: str | None, folded: str) -> bool:
    """`_occurs(pattern, folded)`; for a phrase of one word (`word`, which is then all the pattern matches) in ASCII
    text, by `str.find` and the edges of ASCII words (`_word_edge` for ASCII text, where no character is a mark or
    a letter of a script written without spaces): the regex search and the edges' Unicode look-ups cost ~15 k
    instructions for a configured topic in a release's text, this ~2 k."""
    if word is None or not folded.isascii():
        return _occurs(pattern, folded)
    start = folded.find(word)
    while start >= 0:
        end = start + len(word)  # (the word's own ends are letters or digits: `_phrase`)
        if (start == 0 or not folded[start - 1].isalnum()) and (end == len(folded) or not folded[end].isalnum()):
            return True
        start = folded.find(word, start + 1)
    return False


def _occurs(pattern: re.Pattern[str], folded: str) -> bool:
    """Whether `pattern` matches `folded` as whole words: starting at the beginning of a word and ending at the end
    of one.

    The same as finding the phrase among the words of `folded` (`_WORD` runs, which are exactly the `isalnum`
    characters), where each letter of a script written without spaces (`feeds.fold.UNSPACED`: Han, kana, Thai…) is
    a word with the marks that follow it, as keyword rules read them. The ends are checked here rather than with
    look-arounds, which would keep the regex engine from scanning for the phrase's first letters.
    """
    m = pattern.search(folded)
    while m is not None:
        start, end = m.span()
        if _word_edge(folded, start) and _word_edge(folded, end):
            return True
        m = pattern.search(folded, start + 1)
    return False


def _word_edge(text: str, i: int) -> bool:
    """Whether a word may start or end at `text[i]`: not inside a run of letters, digits and marks (a virama, a
    vowel sign: "क्षमा" is not a word of "क्षमाप्रार्थी"), unless next to a letter of a script written without spaces
    (never before a mark: a cluster is not cut)."""
    if i == 0 or i == len(text):
        return True
    after = text[i]
    if unicodedata.category(after).startswith("M"):
        return False
    if not after.isalnum() or _UNSPACED.match(after):
        return True
    base = i - 1  # the letter the marks before `i`, if any, belong to
    while base > 0 and unicodedata.category(text[base]).startswith("M"):
        base -= 1
    return not text[base].isalnum() or _UNSPACED.match(text[base]) is not None


def _compile_configured(settings: TopicSettings) -> Iterable[tuple[str, list[str]]]:
    aliases: dict[str, list[str]] = {}
    for topic, words in settings.aliases:
        aliases.setdefault(_fold(topic), []).extend(words)
    names = list(settings.detect)
    detected = {_fold(n) for n in names}
    names += [topic for topic, _ in settings.aliases if _fold(topic) not in detected]
    for name in dict.fromkeys(names):
        yield name, [_phrase(p) for p in (name, *aliases.get(_fold(name), ()))]


def _fold(text: str) -> str:
    """Case- and accent-insensitive form, by the keyword matcher's rule (`feeds.fold`): a topic is found where a
    rule with its words would match, "Ørsted" in "Orsted", and パリ (Paris) not in ハリ, nor क्षमा in कषमा."""
    return fold(text)


def folded_words(text: str) -> list[str]:
    """The words of `text`, case- and accent-folded: `["north", "korea", "s", "nuclear"]`."""
    return _WORD.findall(_fold(text))


def _phrase(text: str) -> str:
    """The folded words of a configured topic name, joined by single spaces, each word with its marks (a virama, a
    vowel sign: "क्षमा" is one word, not "क" and "षम"): `"north korea s"`."""
    folded = _fold(text)
    return " ".join(
        "".join(c if c.isalnum() or unicodedata.category(c).startswith("M") else " " for c in folded).split()
    )


def topic_slug(name: str) -> str:
    """A path-safe ASCII slug for `topics/<slug>/`; never empty and never `.` or `..`.

    A name with nothing ASCII in it (Arabic, Chinese…) gets `topic-<10 hex digits of its SHA-256>`, of its NFC
    form: one topic whatever form its name was sent in (the slug of a Latin one decomposes it anyway). A name with
    letters the slug cannot spell beside ones it can ("Москва 2026", "G7 東京") gets the slug of what it can spell
    and 8 hex digits of its folded name (`2026-1a2b3c4d`): else "Москва 2026" and "Киев 2026" would be one topic.
    """
    slug = slugify(collapse(name))
    if not slug:
        return "topic-" + hashlib.sha256(nfc(collapse(name)).encode("utf-8", "surrogatepass")).hexdigest()[:10]
    if not ascii_spells(name):
        return f"{slug}-{hashlib.sha256(_fold(collapse(name)).encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"
    return slug
