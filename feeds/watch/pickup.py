"""Pickup detection: the passages of watched releases that an item reproduces, word for word (pure).

The release's paragraphs are cut into shingles of `shingle_size` (8) consecutive folded words, each hashed to 64
bits (`feeds.watch.shingles`, so fingerprints are the same in every process). The item's shingles are looked up;
hits on the same diagonal (item position − release position) chain into a passage, across at most one differing
word. British and American spellings compare equal ("behaviour"/"behavior", "programme"/"program":
`spelled_alike`). A passage of at least `pickup_tokens` (12) words is a pickup, and so are passages that are parts
of one quotation and together that long (`_quotations`: "…", "she said"), a passage going on after a few words
put in or left out ("[Security Council]") with as few as `REST_WORDS` (4) words of the release (`_rest`).
Folding makes case, punctuation, curly or straight quotes and white space irrelevant. Shingles found in three or
more releases are boilerplate ("For media enquiries contact…") and are not indexed: three of the corpus given to
`build_profiles` (`feeds.watch.profiles.BOILERPLATE`), or three of the profiles watched.

An item whose title contains a release's whole title, of at least `HEADLINE_WORDS` (5) words, as consecutive
folded words is a pickup too, however short the item ("BREAKING: Foreign Secretary to visit Moscow", "…, says
aide": a wire service's prefix or suffix around our headline); a title found inside the release's title, or a
shorter release title ("Iran sanctions"), is not. Release titles are indexed by their first `HEADLINE_WORDS`
words, so this costs one look-up per word of the item's title. A title three or more releases share ("Statement
by the Prime Minister") is boilerplate too: no item is a pickup for having it.

`PickupFinder` gives the passages found per release; `feeds.watch.related` scores them and explains them.

What this module must not do: I/O, the clock or the store; decide what is reported (own pages, items older than
the release, a pickup taking precedence over related: `feeds.watch.related`), or word the explanation.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from feeds.fold import SOUTHEAST_ASIAN
from feeds.watch.profiles import BOILERPLATE, ReleaseProfile
from feeds.watch.shingles import fingerprint, spelled_alike

HEADLINE_WORDS = 5
"""Words a release's title must have for an item whose title contains it whole (or is it) to be its pickup (a
shorter title, such as "Statement on Syria" or "Iran sanctions", is too common a phrase to prove anything)."""

CLUSTERS_PER_WORD = 3
"""A Thai, Lao, Burmese or Khmer letter cluster is a word to the watch (`feeds.watch.text`), but a word of those
scripts is two to nine of them: a passage or a title counts them as a third of a word each towards `pickup_tokens`
and `HEADLINE_WORDS`, else a ministry's name shared with a news item ("กระทรวงการต่างประเทศ", 19 clusters) would
be a pickup. (A Han character or kana counts one: a Chinese or Japanese word is one to three of them.)"""
_CLUSTER = re.compile(f"[{SOUTHEAST_ASIAN}]")


def _in_words(words: Sequence[str], start: int, end: int) -> float:
    """How many words `words[start:end]` are towards the thresholds (a letter cluster a third of one)."""
    clusters = sum(1 for w in words[start:end] if _CLUSTER.match(w))
    return end - start - clusters + clusters / CLUSTERS_PER_WORD


_SEPARATOR = re.compile(r"[:;,|()\[\]{}\"“”„«»!?/–—]|\s-\s|\.(?:\s|$)")
"""What sets a headline apart from the words around it in a title: a colon, a comma, a dash between spaces, a
bar, brackets, double quotes, an end of sentence ("BREAKING: …", "…, says aide", "… | Reuters")."""


_OPENING = re.compile(r"\s['‘]$")
_CLOSING = re.compile(r"['’]\W")
"""A single quotation mark opening a headline quoted in an item's title (after a space), and closing it (before
a space or a mark, or at the title's end: not an apostrophe inside a word)."""


def _stands_apart(title: str, spans: Sequence[tuple[int, int]], start: int, end: int, count: int) -> bool:
    """Whether words `start`..`end` of `title` (of `count` words, their character `spans` known at least up to
    `end + 1`) are a part of it of their own: at its start or end, or set off by punctuation from the words
    before and after. "Statement by the Prime Minister" is a part of "Live: Statement by the Prime Minister, 10
    Downing Street", not of "Statement by the Prime Minister on Ukraine" or "Former Foreign Secretary to …"."""
    lead = title[spans[start - 1][1] if start else 0 : spans[start][0]]
    tail = title[spans[end - 1][1] : spans[end][0] if end < count else len(title)]
    before = start == 0 or bool(_SEPARATOR.search(lead))
    after = end >= count or bool(_SEPARATOR.search(tail))
    # In single quotes, as a British paper quotes a headline ("Skippers hail ‘…’ deal", "‘…’ says Norway"): an
    # opening quote after a space or at the start, a closing one before a space or a mark or at the end (not an
    # apostrophe inside a word, nor a plural's after it with no opening quote).
    quoted = bool(_OPENING.search(lead if start else f" {lead}")) and bool(
        _CLOSING.match(tail if end < count else f"{tail} ")
    )
    return (before and after) or quoted


Spans = Callable[[int, int], list[tuple[int, int]]]
"""`spans_of(field, upto)`: the character spans of at least the first `upto` words of an item field (by field
index), worked out on first use and only as far as needed."""


@dataclass(frozen=True, slots=True)
class Passage:
    """Words of a release found in an item: item words `start`..`end` of one field (0 title, 1 summary, 2
    content), the release's words from `release_start` on (as many)."""

    field: int
    start: int
    """Item word index of the first word."""
    end: int
    release_start: int


class PickupFinder:
    """The shingles and headlines of all watched releases, indexed once per watch run, and the passages of them
    an item reproduces (`find`)."""

    def __init__(self, profiles: Sequence[ReleaseProfile], size: int, pickup_tokens: int):
        """`size`: the profiles' shingle size; `pickup_tokens`: the words a passage (or a quotation) needs."""
        profiles = tuple(profiles)
        self._size = size
        self._pickup_tokens = pickup_tokens
        shingles: dict[int, list[tuple[int, int]]] = {}
        for pi, profile in enumerate(profiles):
            seen: set[int] = set()
            for j, h in enumerate(profile.shingles):
                if h and h not in seen:
                    seen.add(h)
                    shingles.setdefault(h, []).append((pi, j))
        self._shingles = {h: tuple(v) for h, v in shingles.items() if len(v) < BOILERPLATE}
        self._alike = tuple(spelled_alike(p.tokens) for p in profiles)  # what a passage's rest is compared with
        # A headline of HEADLINE_WORDS or more words taken whole into an item's title (a wire item under our title,
        # perhaps with "BREAKING:" before it or ", says aide" after it) is a pickup, however short the item: it is
        # the release's own sentence, as a quotation is. Keyed by the title's first HEADLINE_WORDS words. Not a
        # title three releases share (of the corpus, or of those watched): that is boilerplate, as a passage is.
        # In the spelling quotations are compared in (`spelled_alike`), as the item's title is.
        titles = [tuple(a[: a.index("")] if "" in a else a) for a in self._alike]
        shared = Counter(titles)
        self._headlines: dict[tuple[str, ...], list[tuple[int, tuple[str, ...]]]] = {}
        for pi, (profile, title) in enumerate(zip(profiles, titles, strict=True)):
            if (
                _in_words(title, 0, len(title)) >= HEADLINE_WORDS
                and not profile.stock_title
                and shared[title] < BOILERPLATE
            ):
                self._headlines.setdefault(title[:HEADLINE_WORDS], []).append((pi, title))

    def find(self, words: Sequence[list[str]], title: str, spans_of: Spans) -> dict[int, list[Passage]]:
        """Per profile (by index) whose words the item reproduces: the passages, in field and text order. `words`:
        the item's folded words by field (title, summary, content); `title`: its title as written."""
        size = self._size
        diagonals: dict[tuple[int, int, int], list[int]] = {}  # (profile, field, release j − item i) → item i
        alike: list[list[str]] = []
        for f, field_words in enumerate(words):
            ws = spelled_alike(field_words)  # as the release's shingles are: "behavior" quotes "behaviour"
            alike.append(ws)
            for i in range(len(ws) - size + 1):
                for pi, j in self._shingles.get(fingerprint(ws[i : i + size]), ()):
                    diagonals.setdefault((pi, f, j - i), []).append(i)
        parts: dict[tuple[int, int], list[Passage]] = {}  # (profile, field) → passages, on any diagonal
        for (pi, f, d), starts in diagonals.items():
            starts.sort()
            runs: list[list[int]] = []  # [first, last] item start of chained shingles
            for i in starts:
                if runs and i - runs[-1][1] <= size + 1:  # overlapping shingles, or one word differs between
                    runs[-1][1] = i
                else:
                    runs.append([i, i])
            for first, last in runs:
                parts.setdefault((pi, f), []).append(Passage(f, first, last + size, first + d))
        found: dict[int, list[Passage]] = {}
        for (pi, f), passages in sorted(parts.items()):
            passages.extend(_rest(passages, alike[f], self._alike[pi]))
            for quotation in _quotations(passages, size):
                if sum(_in_words(alike[f], p.start, p.end) for p in quotation) >= self._pickup_tokens:
                    found.setdefault(pi, []).extend(quotation)
        for pi, (start, end) in self._titles_in(alike[0] if alike else []).items():
            # The item's title contains the release's title, word for word, as a part of its own: what a wire
            # service puts before or after it is set off by punctuation ("BREAKING: …", "…, says aide").
            if pi not in found and _stands_apart(title, spans_of(0, end + 1), start, end, len(words[0])):
                found[pi] = [Passage(0, start, end, 0)]
        for passages in found.values():
            passages.sort(key=lambda p: (p.field, p.start, p.end))
        return found

    def _titles_in(self, title: Sequence[str]) -> dict[int, tuple[int, int]]:
        """Per profile whose whole title (`HEADLINE_WORDS` words or more) runs through the item's `title` words:
        the (start, end) word indexes of its first occurrence there."""
        found: dict[int, tuple[int, int]] = {}
        for i in range(len(title) - HEADLINE_WORDS + 1):
            for pi, headline in self._headlines.get(tuple(title[i : i + HEADLINE_WORDS]), ()):
                if pi not in found and tuple(title[i : i + len(headline)]) == headline:
                    found[pi] = (i, i + len(headline))
        return found


CUT_WORDS = 30
"""How many words of a release a quotation may leave out between two of its parts ("…", a clause dropped)."""


REST_WORDS = 4
"""Words of a release in a row that continue a passage after a few words put in or left out: what a shingle (8
words) is too long to find ("… at the UN [Security Council] to hold Pyongyang to account")."""
_REST_GAP = 3
"""Words the item may put in, or leave out of the release, before the rest of a passage."""


def _rest(passages: Sequence[Passage], item: Sequence[str], release: Sequence[str]) -> list[Passage]:
    """The pieces of at least `REST_WORDS` words continuing each passage in the release's words, at most
    `_REST_GAP` words on from its end in the item and in the release (one paragraph of it), each piece as the
    passage continued; the longest piece is taken at each step."""
    out: list[Passage] = []
    for p in passages:
        i, j = p.end, p.release_start + p.end - p.start
        while True:
            best: tuple[int, int, int] | None = None  # (item start, release start, words)
            for a in range(_REST_GAP + 1):
                for b in range(_REST_GAP + 1):
                    if "" in release[j : j + b]:  # (the paragraph ends before)
                        break
                    k = 0
                    while (
                        i + a + k < len(item)
                        and j + b + k < len(release)
                        and release[j + b + k]
                        and item[i + a + k] == release[j + b + k]
                    ):
                        k += 1
                    if k >= REST_WORDS and (best is None or k > best[2]):
                        best = (i + a, j + b, k)
            if best is None or any(q.start < best[0] + best[2] and best[0] < q.end for q in passages):
                break  # (nothing more, or a passage found already goes on from there)
            start, release_start, k = best
            out.append(Passage(p.field, start, start + k, release_start))
            i, j = start + k, release_start + k
    return out


def _quotations(passages: Sequence[Passage], size: int) -> list[list[Passage]]:
    """The passages of one field grouped into quotations: a passage continues the one before it when it starts at
    most `size` words after it in the item ("…", "she said, adding:") and at most `CUT_WORDS` words after it in the
    release. A quotation cut by an ellipsis, or broken by who said it, reproduces all its parts' words together."""
    out: list[list[Passage]] = []
    for p in sorted(passages, key=lambda p: (p.start, p.end)):
        if out:
            prev = out[-1][-1]
            skipped = p.release_start - (prev.release_start + prev.end - prev.start)
            if 0 <= p.start - prev.end <= size and 0 <= skipped <= CUT_WORDS:
                out[-1].append(p)
                continue
        out.append([p])
    return out
