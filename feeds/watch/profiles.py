"""Release profiles: what the watch looks for about each release, worked out once per watch run (pure).

`build_profiles` turns the releases of the related window into `ReleaseProfile`s, weighed against a broader
corpus (`CORPUS_DAYS`), and keeps only the outcome, so that what worker processes receive (in
`feeds.watch.matching.MatcherSpec`) stays the size of the window:

- its salient terms (`feeds.watch.terms`), grouped into names: a term belongs to the longest term it is part of
  ("Lavrov" to "Sergei Lavrov", "UN" to "UN Security Council"; a part of several to the heaviest of them), and a
  name weighs as its heaviest form (`group_names`, `ReleaseProfile.name_of`, `.reach`, `.total_weight`), so an
  item naming every term of the release scores exactly 1 (`feeds.watch.related`);
- its folded words and their shingles' fingerprints (`feeds.watch.shingles`), with the passages `BOILERPLATE`
  releases of the corpus share ("For media enquiries contact…") left out (0), and whether its title is one
  that many releases share (`stock_title`, "Statement by the Prime Minister");
- its own addresses (`feeds.watch.ownsite.url_key`), which are our pages, never its coverage.

Profiles are frozen records of plain values, picklable, and equal for equal inputs (whatever their order).

What this module must not do: I/O, the clock (`now` is an argument), the store, or matching items (that is
`feeds.watch.pickup` and `feeds.watch.related`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from feeds.model import Release
from feeds.watch.ownsite import url_key
from feeds.watch.shingles import DEFAULT_SHINGLE, shingles, windows
from feeds.watch.terms import DEFAULT_MAX_TERMS, Term, derive_terms_many, profile_text
from feeds.watch.text import fold_words

BOILERPLATE = 3
"""A shingle (or a title) present in this many releases or more is boilerplate, not a quotation."""
CORPUS_DAYS = 90
"""The releases of the last this many days (or of the window, if longer) are the corpus a watched release is
weighed against: its terms' IDF, and the passages it shares with others (boilerplate). The window alone is too few
releases (an office publishing weekly has two): "Prime Minister" would weigh as much as "Ruto", and the contact
line every release ends with would be a quotation of each. Older releases add little and cost time every run."""


@dataclass(frozen=True, slots=True)
class ReleaseProfile:
    """What the watch looks for about one release, worked out once: its terms and its word fingerprints."""

    release_id: str
    title: str
    terms: tuple[Term, ...]
    name_of: tuple[int, ...]
    """Per term, the name of the release it is a form of (by term index, `group_names` of all the terms): itself,
    or the longest term it is part of ("Lavrov" → "Sergei Lavrov", "UN" → "UN Security Council")."""
    reach: tuple[float, ...]
    """Per term, the weight of the heaviest form of its name that writing it writes: "Sergei Lavrov" writes
    "Lavrov" too, so it is worth the heavier of the two; "Lavrov" is worth its own weight."""
    total_weight: float
    """Σ over the release's names of the weight of the heaviest form: the denominator of the related score, what
    an item naming every term (in full) has."""
    tokens: tuple[str, ...]
    """Folded words of the title and body, with "" between title and paragraphs (no shingle crosses one)."""
    shingles: tuple[int, ...]
    """Fingerprint of ``tokens[j:j+shingle_size]`` at each j (0 where the window crosses a paragraph or the end)."""
    shingle_size: int
    urls: tuple[str, ...]
    """The release's own addresses (permalink, canonical link), normalised by `url_key`."""
    published: datetime | None = None
    """The release's date: an item its source dates more than `ITEM_SLACK` earlier (`feeds.watch.related`) is not
    its coverage."""
    stock_title: bool = False
    """`BOILERPLATE` or more releases of the corpus have this title ("Statement by the Prime Minister"): an item
    under it is no headline pickup, whoever published it."""
    subject_of: tuple[int, ...] = ()
    """Per term, the name it counts as towards `min_terms` (`feeds.watch.related`) when an item writes it alone:
    its name (`name_of`), but a place's people or adjective counts as the place (`demonyms`): "Chile" and
    "Chilean" are one subject, so an item about Chile naming both, and nothing else of the release, shares one
    name with it, not two. Empty: as `name_of`."""


def build_profiles(
    releases: Sequence[Release],
    now: datetime,
    window_days: float = 14,
    *,
    max_terms: int = DEFAULT_MAX_TERMS,
    shingle_size: int = DEFAULT_SHINGLE,
) -> tuple[ReleaseProfile, ...]:
    """Profiles of the releases published in the `window_days` before `now`, oldest first.

    All of `releases` serve as the corpus: it weighs terms (a name every release uses weighs little), and a
    passage `BOILERPLATE` of its releases share is boilerplate, never a quotation (its shingles are 0). So pass
    a broad recent set (`CORPUS_DAYS`) even though only the window is watched: the profiles carry the outcome, not
    the corpus, so what the worker processes receive stays the size of the window.
    """
    start = now - timedelta(days=window_days)
    corpus = {r.id: r for r in releases}  # (a release given twice, in the window and in the corpus, is one)
    watched = sorted((r for r in corpus.values() if start < r.published <= now), key=lambda r: (r.published, r.id))
    all_terms = derive_terms_many(watched, releases, max_terms=max_terms)
    all_tokens = [_release_tokens(r) for r in watched]
    common = _common_passages(all_tokens, corpus, shingle_size)
    titles = Counter(tuple(fold_words(r.title)) for r in corpus.values())
    profiles = []
    for release, terms, tokens in zip(watched, all_terms, all_tokens, strict=True):
        name_of, reach, total_weight = _release_names(terms)
        places = demonyms(terms)
        urls = tuple(sorted({k for k in (url_key(release.permalink), url_key(release.link or "")) if k}))
        profiles.append(
            ReleaseProfile(
                release_id=release.id,
                title=release.title,
                terms=terms,
                name_of=name_of,
                reach=reach,
                total_weight=total_weight,
                tokens=tokens,
                shingles=shingles(tokens, shingle_size, common),
                shingle_size=shingle_size,
                urls=urls,
                published=release.published,
                stock_title=titles[tuple(fold_words(release.title))] >= BOILERPLATE,
                subject_of=tuple(name_of[places.get(ti, ti)] for ti in range(len(terms))),
            )
        )
    return tuple(profiles)


def _release_names(terms: Sequence[Term]) -> tuple[tuple[int, ...], tuple[float, ...], float]:
    """The release's names (`ReleaseProfile.name_of`), what each term is worth when an item writes it
    (`ReleaseProfile.reach`), and what all the names weigh together (`ReleaseProfile.total_weight`): each name
    once, at the weight of its heaviest form, so that an item naming every term scores exactly 1."""
    name = group_names(terms, range(len(terms)))
    name_of = tuple(name[ti] for ti in range(len(terms)))
    reach = tuple(
        max(
            u.weight
            for ui, u in enumerate(terms)
            if name_of[ui] == name_of[ti] and (ui == ti or _inside(u.tokens, t.tokens))
        )
        for ti, t in enumerate(terms)
    )
    heaviest: dict[int, float] = {}
    for ti, t in enumerate(terms):
        heaviest[name_of[ti]] = max(heaviest.get(name_of[ti], 0.0), t.weight)
    return name_of, reach, sum(heaviest.values())


DEMONYM_ENDINGS = frozenset({"n", "an", "ian", "ean", "ese", "i", "ish", "ns", "ans", "ians", "eans", "is"})
"""What turns a place's name into its people's or its adjective: Russia → Russian(s), Canada → Canadian, Europe →
European, Japan → Japanese, Iran → Iranian, Chile → Chilean, Pakistan → Pakistani (a final vowel of the place may
go)."""


ONE_PLACE = (
    frozenset({("uk",), ("britain",), ("great", "britain"), ("united", "kingdom"), ("british",), ("gb",)}),
    frozenset({("us",), ("usa",), ("united", "states"), ("america",), ("american",), ("americans",)}),
    frozenset({("eu",), ("europe",), ("european", "union"), ("european",)}),
)
"""Names of one place that share no word: "UK" and "Britain", "US" and "America", "EU" and "Europe". A story
naming two of them names one place (`demonyms`)."""


def demonyms(terms: Sequence[Term]) -> dict[int, int]:
    """The names among `terms` that are the people or the adjective of another one-word name of them, or another
    name of the same place (`ONE_PLACE`), each with that place's term index: {"Chilean": "Chile", "Britain":
    "UK"} (by index, the heaviest of a place's names). All stay terms, each with its weight: only
    `ReleaseProfile.subject_of` counts them as one subject. Per release, once: not per item."""
    alias: dict[int, int] = {}
    for group in ONE_PLACE:
        members = [ti for ti, t in enumerate(terms) if t.kind == "name" and t.tokens in group]
        alias.update((ti, members[0]) for ti in members[1:])
    places: dict[str, int] = {}
    for ti, t in enumerate(terms):
        if t.kind == "name" and not t.case_sensitive and len(t.tokens) == 1:
            places.setdefault(t.tokens[0], ti)
    out: dict[int, int] = {}
    for word, ti in places.items():
        for place, pi in places.items():
            stems = (place, place[:-1]) if place[-1] in "aeiouy" else (place,)
            if pi != ti and any(
                len(stem) >= 3 and word.startswith(stem) and word[len(stem) :] in DEMONYM_ENDINGS for stem in stems
            ):
                out[ti] = alias.get(pi, pi)
                break
    return {**alias, **out}


def _release_tokens(release: Release) -> tuple[str, ...]:
    tokens = fold_words(release.title)
    for paragraph in profile_text(release).split("\n\n"):
        tokens.append("")
        tokens.extend(fold_words(paragraph))
    return tuple(tokens)


def _common_passages(
    watched: Sequence[tuple[str, ...]], corpus: Mapping[str, Release], size: int
) -> set[tuple[str, ...]]:
    """The shingles (as words) of the `watched` releases' tokens that `BOILERPLATE` or more releases of `corpus`
    (by id) have. Only the watched releases' shingles are counted, as plain word tuples: one look-up per word of
    the corpus, no fingerprint computed for it."""
    wanted = {w for tokens in watched for _, w in windows(tokens, size)}
    seen: Counter[tuple[str, ...]] = Counter()
    for release in corpus.values():
        seen.update({w for _, w in windows(_release_tokens(release), size) if w in wanted})
    return {w for w, n in seen.items() if n >= BOILERPLATE}


def group_names(terms: Sequence[Term], present: Iterable[int]) -> dict[int, int]:
    """For each present term (by index into `terms`), the present term it is a name of: itself, or the longest
    present term whose words contain its words ("Lavrov" → "Sergei Lavrov", "Korea" → "North Korea", "UN" and
    "Security Council" → "UN Security Council"). A story that writes a name in full once and in short later
    names one person or place, not two; the surname rule (`feeds.watch.terms`) makes both terms of a release.
    A part of several present names ("Korea" of "North Korea" and "South Korea") goes to the heaviest of them
    (the first: terms come heaviest first), and the longer ones stay names of their own."""
    present = sorted(set(present))
    longest = [ti for ti in present if not any(_inside(terms[ti].tokens, terms[tj].tokens) for tj in present)]
    return {
        ti: next((tj for tj in longest if tj == ti or _inside(terms[ti].tokens, terms[tj].tokens)), ti)
        for ti in present
    }


def _inside(part: tuple[str, ...], name: tuple[str, ...]) -> bool:
    """Whether `part` runs through `name` as consecutive words, and is shorter."""
    n = len(part)
    return 0 < n < len(name) and any(name[i : i + n] == part for i in range(len(name) - n + 1))
