"""Salient terms of press releases: the names and phrases that make coverage of a release recognisable.

A news story about our release rarely repeats its sentences, but it names the same people, places and bodies:
"Sergei Lavrov", "North Korea", "UN Security Council". This module finds those names in a release and weighs
them against the other releases (TF-IDF), so a name every release mentions ("UK") counts for little and one
that only this release mentions counts for much. `feeds.watch.related` then looks for them in news items.

How names, words and phrases are found in one release is `feeds.watch.termcandidates`; this module weighs them.

Weight of a candidate = (1 + ln tf) · idf · factor, where tf counts occurrences (a title occurrence counts
once more), idf = ln((1 + N) / (1 + df)) + 1 over the N releases of the corpus (the release itself included),
and the factor prefers specific names (name: 1.0 + 0.2 per extra word, at most 1.6; acronym 0.8; phrase 0.6;
word 0.35). The `max_terms` heaviest are kept and scaled so the heaviest weighs 1.0. Ties are broken by text,
so the output depends on nothing but the arguments.

What this module must not do: find names itself (`feeds.watch.termcandidates` does), or read anything but its
arguments: it is pure (no I/O, no clock, no store).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from feeds.model import Release
from feeds.normalise.closing import without_contacts
from feeds.watch.termcandidates import (
    Candidate,
    Found,
    Segment,
    TermKind,
    common_candidates,
    is_title_case,
    name_candidates,
    words_of,
)
from feeds.watch.text import fold_words, word_spans

DEFAULT_MAX_TERMS = 15

PROFILE_CHARS = 100_000
"""How much of a release's text its terms and its passages come from: its first 100,000 characters (about 15,000
words; a press release has a few hundred, a long speech a few thousand). A release of megabytes (a report pasted
in whole) would otherwise cost minutes of every watch round, for passages nobody quotes as a pickup."""


_CREDIT = re.compile(r"[ \t]*©[^\n]*")
"""A copyright credit, from its sign to the end of its line (a figure's caption, an image's alt text)."""


def profile_text(release: Release) -> str:
    """The part of `release`'s text its coverage is looked for with: all of it but its contacts (the press
    officer's name, the office's number and handles are in no story about it: `without_contacts`), or its first
    `PROFILE_CHARS` characters cut after a whole word. A picture's credit ("… © Tapui / Adobe Stock", to the end of
    its line) is left out too: the photographer and the agency are no names of the release."""
    text = without_contacts(release.body_text)
    if "©" in text:
        text = _CREDIT.sub("", text)
    if len(text) <= PROFILE_CHARS:
        return text
    cut = text.rfind(" ", 0, PROFILE_CHARS)
    return text[: cut if cut > 0 else PROFILE_CHARS]


TITLE_BONUS = 1
"""Extra occurrences credited to a candidate that appears in the release title."""


@dataclass(frozen=True, slots=True)
class Term:
    """A salient term of one release.

    `text` is the term as the release writes it (most frequent form); `tokens` its folded words, which is what
    is compared with the folded words of a news item. An acronym (`case_sensitive`) only matches where the item
    writes it in capitals too, so "US" is not "us" and "UN" not the French "un".
    """

    text: str
    weight: float
    kind: TermKind
    tokens: tuple[str, ...]
    case_sensitive: bool = False


def _candidates(release: Release) -> Found:
    title_words = words_of(release.title)
    text = profile_text(release)
    segments = (
        Segment(release.title, title_words, not is_title_case(title_words)),
        Segment(text, words_of(text), True),
    )
    found = name_candidates(segments)
    for key, cand in common_candidates(segments, {w.folded for w in title_words}).items():
        found.setdefault(key, cand)
    title_tokens = [w.folded for w in title_words]
    for key, cand in found.items():
        if _contains(title_tokens, key):
            cand.tf += TITLE_BONUS
    return found


def _contains(tokens: Sequence[str], key: tuple[str, ...]) -> bool:
    n = len(key)
    return any(tuple(tokens[i : i + n]) == key for i, t in enumerate(tokens) if t == key[0])


def _corpus_statistics(
    keys: Iterable[tuple[str, ...]], documents: Iterable[Release]
) -> tuple[Counter[tuple[str, ...]], set[str]]:
    """In how many documents each key occurs (as adjacent words), and which one-word keys are also written in
    lower case somewhere (so are ordinary words: "Court", "Health", "World"). One pass over each document."""
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for key in set(keys):
        by_first.setdefault(key[0], []).append(key)
    df: Counter[tuple[str, ...]] = Counter()
    lower: set[str] = set()
    for release in documents:
        present: set[tuple[str, ...]] = set()
        for text in (release.title, profile_text(release)):
            tokens = fold_words(text)
            for i, token in enumerate(tokens):
                for key in by_first.get(token, ()):
                    if key not in present and (len(key) == 1 or tuple(tokens[i : i + len(key)]) == key):
                        present.add(key)
            if any((t,) in present and t not in lower for t in tokens):
                lower.update(t for t, (s, _) in zip(tokens, word_spans(text), strict=True) if text[s].islower())
        df.update(present)
    return df, lower


def _factor(cand: Candidate) -> float:
    if cand.kind == "word":
        return 0.35
    if cand.kind == "phrase":
        return 0.6
    if cand.case_sensitive:
        return 0.8
    return min(1.0 + 0.2 * (len(cand.tokens) - 1), 1.6)


def _form(cand: Candidate) -> str:
    best = max(cand.forms.values())
    return next(form for form, n in cand.forms.items() if n == best)  # Counter keeps first-seen order


def derive_terms_many(
    releases: Sequence[Release], corpus: Sequence[Release], *, max_terms: int = DEFAULT_MAX_TERMS
) -> tuple[tuple[Term, ...], ...]:
    """The terms of each of `releases`, weighted against `corpus` (plus those releases): one pass over the corpus."""
    candidates = [_candidates(r) for r in releases]
    documents: dict[str, Release] = {r.id: r for r in corpus}
    for r in releases:
        documents.setdefault(r.id, r)
    df, lower = _corpus_statistics((k for found in candidates for k in found), documents.values())
    n = len(documents)
    out: list[tuple[Term, ...]] = []
    for found in candidates:
        scored = []
        for key, cand in found.items():
            if cand.kind == "name" and len(key) == 1 and not cand.case_sensitive and key[0] in lower:
                cand.kind = "word"
            idf = math.log((1 + n) / (1 + max(df[key], 1))) + 1
            scored.append((-(1 + math.log(cand.tf)) * idf * _factor(cand), _form(cand), cand))
        scored.sort(key=lambda s: (s[0], s[1].casefold(), s[1]))
        top = scored[: max(max_terms, 0)]
        heaviest = -top[0][0] if top else 1.0
        out.append(tuple(Term(text, round(-w / heaviest, 4), c.kind, c.tokens, c.case_sensitive) for w, text, c in top))
    return tuple(out)


def derive_terms(
    release: Release, corpus: Sequence[Release], *, max_terms: int = DEFAULT_MAX_TERMS
) -> tuple[Term, ...]:
    """The `max_terms` most salient terms of `release`, heaviest first, weighted against `corpus`."""
    return derive_terms_many((release,), corpus, max_terms=max_terms)[0]
