"""Folding and tokenising text for keyword matching: the one definition of "a word" used by rules and items.

Rules and news items go through the same functions, so a query word and a text word compare equal exactly when
they fold to the same string. Folding (`feeds.fold`, shared with topic detection) is case folding, compatibility
decomposition and removal of accents (é → e, ß → ss, ﬁ → fi, ø → o); marks that make another letter stay: a
kana's voicing mark (パ is not ハ), an Indic virama or nukta (क्ष is not कष).

A word is a run of letters, digits and combining marks (and the invisible characters that sit inside words: soft
hyphens, zero-width spaces and joiners, which folding drops); everything else (spaces, hyphens, apostrophes, dots,
underscores, slashes; the modifier letter ʼ, an apostrophe in use) separates words, so "North-Korea's" is the
three words ``north korea s``. Han ideographs and Japanese kana have no spaces between words, so each of those
characters is a word on its own: a phrase of them then matches like a substring. So is each letter of Thai, Lao,
Burmese and Khmer, with the vowel signs and tone marks that follow it (a cluster, never cut: `feeds.fold.UNSPACED`).

`fold_words` is the fast path the matcher runs on every field of every item (no offsets); `word_spans` gives
the offsets of those same words in the original text, computed only to report where a rule matched;
`tokenize` pairs the two. `find_phrase` locates a phrase among folded words (adjacent words, the last one
possibly a prefix); `ascii_spans` finds the same occurrences straight in ASCII text.

This module is pure: no I/O, no state but bounded memos (folded words, the kinds of non-ASCII characters).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from feeds.fold import HAN_KANA, INVISIBLE, SOUTHEAST_ASIAN, UNSPACED, fold

__all__ = [
    "Token",
    "ascii_spans",
    "ascii_worded",
    "find_phrase",
    "fold",
    "fold_words",
    "folded_once",
    "is_cjk_word",
    "iter_word_spans",
    "tokenize",
    "word_spans",
]

# Combining marks are not `\w` in Python's re, yet they belong inside words ("e" + U+0301, Devanagari vowel
# signs). Collect them from the running Python's Unicode database (marks live in planes 0-1 and the variation
# selector supplement) so the class follows the interpreter's Unicode version.
_MARK_CODEPOINTS = [
    c for c in (*range(0x20000), *range(0xE0100, 0xE01F0)) if unicodedata.category(chr(c)).startswith("M")
]


def _ranges(codepoints: list[int]) -> str:
    """A regex character-class body for sorted code points, as ranges."""
    parts: list[str] = []
    start = prev = codepoints[0]
    for c in [*codepoints[1:], -2]:
        if c != prev + 1:
            parts.append(re.escape(chr(start)) if start == prev else f"{re.escape(chr(start))}-{re.escape(chr(prev))}")
            start = c
        prev = c
    return "".join(parts)


_MARKS = _ranges(_MARK_CODEPOINTS)
# Invisible characters (soft hyphens, zero-width spaces…) belong to the word they are in, like marks; folding
# drops them.
_MARKS += INVISIBLE
_BMP_MARKS = INVISIBLE + _ranges([c for c in _MARK_CODEPOINTS if c <= 0xFFFF])
_ASTRAL_MARKS = _ranges([c for c in _MARK_CODEPOINTS if c > 0xFFFF])
# Scripts written without spaces between words, tokenised one letter per word (`feeds.fold.UNSPACED`): Hiragana,
# Katakana and CJK ideographs, each with the kana voicing marks that follow it (ハ + U+309A is パ, one word; alone,
# a voicing mark is no word); Thai, Lao, Burmese and Khmer letters, each with the vowel signs and tone marks that
# follow it (a cluster: รั, ซี).
_VOICING = "\u3099\u309a"
_CJK = UNSPACED

# U+02BC MODIFIER LETTER APOSTROPHE is a letter to Unicode (Lm), but text uses it as an apostrophe ("Iranʼs", as
# some typesetting writes it; Ukrainian's apostrophe): it separates words as ' and ’ do, so a word is found
# whichever apostrophe its text was given.
_APOSTROPHE = "\u02bc"
_WORD = re.compile(
    rf"[{HAN_KANA}][{_VOICING}]*|[{SOUTHEAST_ASIAN}][{_MARKS}]*|"
    rf"[^\W_{_APOSTROPHE}{_CJK}](?:[^\W_{_APOSTROPHE}{_CJK}]|[{_MARKS}])*"
)
# The same words in text that has no Han or kana (nearly all text), about 2.5 times faster: `[^\W_]+` runs in a
# tight loop of one class, marks are looked for only where a run of letters ends, and the long list of marks
# beyond the BMP is consulted only for a character beyond the BMP (a lookbehind after one range test).
_WORD_NO_CJK = re.compile(
    rf"[^\W_{_APOSTROPHE}]+(?:(?:[{_BMP_MARKS}]|[\U00010000-\U000E01EF](?<=[{_ASTRAL_MARKS}]))+[^\W_{_APOSTROPHE}]*)*"
)
_HAS_CJK = re.compile(rf"[{_CJK}]")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
_ASCII_WORD_ANY_CASE = re.compile(r"[A-Za-z0-9]+")
_ASCII_NEXT_WORD = re.compile(r"[^a-z0-9]+([a-z0-9]+)")
_span = re.Match.span


@dataclass(frozen=True, slots=True)
class Token:
    """One folded word and where it sits in the original text (``text[start:end]`` is the word as written)."""

    text: str
    start: int
    end: int


def is_cjk_word(word: str) -> bool:
    """Whether `word` (a folded word) is a Han character or a kana, or a Thai, Lao, Burmese or Khmer letter with its
    marks: a word of one letter, that a wildcard cannot usefully follow (a phrase of them already matches inside
    longer words)."""
    return _HAS_CJK.match(word) is not None


_SINGLE: dict[str, str] = {}
"""Memo: a raw word → its folded form, for the (nearly all) words that fold to exactly one word."""
_SINGLE_LIMIT = 1 << 17


@lru_cache(maxsize=4096)
def _fold_word(word: str) -> tuple[str, ...]:
    """Fold one raw word; compatibility forms may split it ("½" → "1⁄2" → ``1 2``), so this returns parts."""
    return tuple(_WORD.findall(fold(word)))


_ASCII_BYTES = bytes(range(0x80))
_SEPARATES, _SPACED, _UNSPACED = 0, 1, 2
_KIND: dict[str, int] = {}
"""Memo: a non-ASCII character → `_SEPARATES` when it only ever separates words (no letter, digit or mark; lower
case), `_UNSPACED` when it is a letter of a script without spaces (`_HAS_CJK`), else `_SPACED`."""


def _kind(ch: str) -> int:
    if _HAS_CJK.match(ch):
        return _UNSPACED
    separates = (
        not _WORD.match(ch)
        and not unicodedata.category(ch).startswith("M")
        and ch not in INVISIBLE
        and ch.lower() == ch
    )
    return _SEPARATES if separates else _SPACED


def _kinds(data: bytes) -> set[int]:
    """The kinds (`_KIND`) of the non-ASCII characters of the text whose UTF-8 (surrogates passed) is `data`: its
    ASCII bytes deleted, the rest decoded, each distinct character looked up, all in C once they are memoised."""
    others = set(data.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass"))
    kinds = set(map(_KIND.get, others))
    if None not in kinds:
        return kinds  # type: ignore[return-value]
    if len(_KIND) >= _SINGLE_LIMIT:
        _KIND.clear()
    return {_KIND.setdefault(ch, _kind(ch)) for ch in others}


def ascii_worded(text: str) -> bool:
    """Whether the words of `text` are exactly its runs of ASCII letters and digits: ASCII text, or text whose
    other characters are all separators (curly quotes, dashes, no-break spaces…), as in most English text.
    Folding is then lower-casing, which keeps every offset."""
    return text.isascii() or _kinds(text.encode("utf-8", "surrogatepass")) == {_SEPARATES}


def fold_words(text: str) -> list[str]:
    """The folded words of `text`, in order: the same sequence as ``[t.text for t in tokenize(text)]``."""
    if text.isascii():  # (the common case, without a call)
        # ASCII folding is lower-casing and keeps every offset: one C-level pass, no per-word work. (A byte table
        # and a split would be about twice as fast, but lower `bench_match`'s 10,000-rule ratio: README "Tried
        # and not kept".)
        return _ASCII_WORD.findall(text.lower())
    # The kinds of its non-ASCII characters, from its UTF-8 with the ASCII bytes deleted (a few distinct
    # characters, each looked up once): no regex pass over the whole text to find them, or to look for Han or kana.
    data = text.encode("utf-8", "surrogatepass")
    kinds = _kinds(data)
    if kinds == {_SEPARATES}:
        # Its other characters only separate words (curly quotes, dashes, no-break spaces: most English text
        # that is not ASCII: half the characters of the corpus's items), and lower-casing leaves them as they are:
        # each byte of their UTF-8 becomes a space by the table, with the rest of the punctuation. In C, without
        # lower-casing and searching text of two bytes a character.
        return data.translate(_ASCII_FOLD).decode("ascii").split()
    if _UNSPACED in kinds:
        return _fold_raw_words(_WORD.findall(text))
    return _fold_chunks(data)


def folded_once() -> Callable[[str], list[str]]:
    """`fold_words` remembering each text's words, for one item read by more than one matcher: a text repeated in
    another field, or one item's fields read by the keyword and the related matchers, is split once. Its callers
    only read the lists it gives, which it gives again to the next asking for the same text."""
    done: dict[str, list[str]] = {}

    def fold_once(text: str) -> list[str]:
        words = done.get(text)
        if words is None:
            words = done[text] = fold_words(text)
        return words

    return fold_once


def _fold_raw_words(raw: list[str]) -> list[str]:
    """The raw words (`_WORD`'s or `_WORD_NO_CJK`'s) folded, in order."""
    folded = list(map(_SINGLE.get, raw))  # C-level when every word has been seen before
    if None not in folded:
        return folded  # type: ignore[return-value]
    words: list[str] = []
    for word, single in zip(raw, folded, strict=True):
        if single is not None:
            words.append(single)
            continue
        parts = _fold_word(word)
        words.extend(parts)
        if len(parts) == 1:
            if len(_SINGLE) >= _SINGLE_LIMIT:
                _SINGLE.clear()
            _SINGLE[word] = parts[0]
    return words


_ASCII_FOLD = bytes(b if b < 0x80 and chr(b).isalnum() else 0x20 for b in range(256)).lower()
"""Each byte: an ASCII letter lower-cased or a digit kept, anything else a space (`_ASCII_WORD`'s words, split)."""
_CHUNK_FOLD = bytes(b if b >= 0x80 or chr(b).isalnum() else 0x20 for b in range(256)).lower()
"""Each byte: an ASCII letter lower-cased, a digit or a byte of a UTF-8 sequence kept, anything else a space."""
_CHUNKS: dict[str, str] = {}
"""Memo: a chunk (`_fold_chunks`) → its folded words, joined by spaces."""


def _fold_chunks(data: bytes) -> list[str]:
    """`fold_words` of text without Han or kana (given as its UTF-8, surrogates passed), as chunks: the runs
    between ASCII separators and white space.

    No word runs across a separator, and `_WORD_NO_CJK` looks at nothing outside the word it finds, so the words
    of the whole are the words of each chunk in turn; folding case-folds first, so lower-casing the ASCII letters
    of a chunk changes nothing. Text that is mostly ASCII with a few accents (most text that is not ASCII) repeats
    its chunks, nearly all of them plain words: memoised, folding it is a lookup per chunk, in C, about twice as
    fast as finding its words with `_WORD_NO_CJK` (measured over the corpus's item texts)."""
    chunks = data.translate(_CHUNK_FOLD).decode("utf-8", "surrogatepass").split()
    parts = list(map(_CHUNKS.get, chunks))
    if None in parts:
        if len(_CHUNKS) >= _SINGLE_LIMIT:
            _CHUNKS.clear()
        for i, found in enumerate(parts):
            if found is None:
                chunk = chunks[i]
                parts[i] = _CHUNKS[chunk] = (
                    chunk if chunk.isascii() else " ".join(_fold_raw_words(_WORD_NO_CJK.findall(chunk)))
                )
    return " ".join(parts).split()  # type: ignore[arg-type]


def iter_word_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) in `text` of each word of ``fold_words(text)``, in the same order, computed as consumed.

    A word that folding splits ("½" → ``1 2``) gives each part the span of the whole word as written.
    """
    if text.isascii() or ascii_worded(text):
        return map(_span, _ASCII_WORD_ANY_CASE.finditer(text))  # C-level all the way
    words = _WORD if _HAS_CJK.search(text) else _WORD_NO_CJK
    if all(map(_SINGLE.__contains__, words.findall(text))):
        # Every word folds to one word (fold_words has just seen them all, as a rule): spans in C, all at once.
        return map(_span, words.finditer(text))
    return (m.span() for m in words.finditer(text) for _ in _fold_word(m.group()))


def word_spans(text: str) -> list[tuple[int, int]]:
    """All of `iter_word_spans`."""
    return list(iter_word_spans(text))


def tokenize(text: str) -> tuple[Token, ...]:
    """The folded words of `text` with their character offsets into `text` (not into the folded form)."""
    return tuple(Token(w, s, e) for w, (s, e) in zip(fold_words(text), word_spans(text), strict=True))


def ascii_spans(low: str, words: tuple[str, ...], prefix: bool) -> list[tuple[int, int]]:
    """Spans of a phrase (one word or more) in lower-cased ASCII text, found with str.find, occurrence to occurrence.

    Equivalent to `find_phrase` on ``fold_words(text)`` plus `word_spans`, without working out the offsets of
    all the words before the first occurrence: that is what makes reporting where a rule matched cheap.
    """
    out: list[tuple[int, int]] = []
    first, size, last = words[0], len(low), len(words) - 1
    pos = low.find(first)
    while pos >= 0:
        end = pos + len(first)
        if pos == 0 or not low[pos - 1].isalnum():
            if last == 0 and prefix:
                out.append((pos, _ASCII_WORD.match(low, pos).end()))  # type: ignore[union-attr]
            elif end == size or not low[end].isalnum():
                for k in range(1, last + 1):
                    step = _ASCII_NEXT_WORD.match(low, end)
                    if step is None:
                        break
                    word = step.group(1)
                    if not (word.startswith(words[k]) if k == last and prefix else word == words[k]):
                        break
                    end = step.end()
                else:
                    out.append((pos, end))
        pos = low.find(first, pos + 1)
    return out


def find_phrase(words: list[str], phrase: tuple[str, ...], prefix: bool, *, first_only: bool) -> list[int]:
    """Indexes in `words` where `phrase` starts (adjacent words; the last one may be a prefix)."""
    n = len(phrase)
    if n == 1 and prefix:
        stem = phrase[0]
        starts = [i for i, x in enumerate(words) if x.startswith(stem)]
        return starts[:1] if first_only else starts
    first, middle, last = phrase[0], list(phrase[1:-1]), phrase[-1]
    out: list[int] = []
    i, limit = -1, len(words) - n
    for _ in range(words.count(first)):  # count and index run in C: jump from one occurrence to the next
        i = words.index(first, i + 1)
        if i > limit:
            break
        if n > 1:
            end = words[i + n - 1]
            if words[i + 1 : i + n - 1] != middle or not (end.startswith(last) if prefix else end == last):
                continue
        out.append(i)
        if first_only:
            break
    return out
