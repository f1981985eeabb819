"""The related matcher: which news items are about our own releases, "related" (shares the release's salient
names) or "pickup" (reproduces its words), with the score and the explanation (`why`) of each match.

Profiles are built once per watch run from the releases (`feeds.watch.profiles.build_profiles`), and
`RelatedMatcher` indexes all of them once, so matching an item costs about one dictionary look-up per word of the
item, whatever the number of releases watched:

- related: every folded word of the item is looked up in an index of the first words of all releases' terms
  (`feeds.watch.terms`); a hit is confirmed by comparing the following words, so terms match whole words only
  ("Iranian" is not "Iran") and acronyms only where the item writes them in capitals. Per release found this way,
  an occurrence lying inside the occurrence of a longer term of the same release counts only for the longer one
  ("Sergei Lavrov" is one name, not also "Lavrov"), and a term present whose words lie inside a longer term present
  is that name again, written short ("Sergei Lavrov … Lavrov added", "North Korea … Korea watchers"): it counts
  once, under the longer name (`feeds.watch.profiles.group_names`). The release's terms are grouped into names the
  same way, once, when its profile is built, and a name weighs as its heaviest form. A name the item writes is
  worth the heaviest form of it the item writes, a longer form writing the shorter ones inside it ("Sergei
  Lavrov" is worth "Lavrov" too; "Lavrov" alone only its own weight). Then
      score = Σ worth of the release's names the item writes / Σ weight of all the release's names   (0 … 1),
  so an item naming every term of the release (the longest forms are enough) scores exactly 1, and the `why`
  gives each name's part, in hundredths that add up to the score shown (`_hundredths`).
  The item is related when it shares at least `min_terms` (≥ 2) distinct names, a plain word counting half, a
  place and its people one ("Chile … Chilean": `ReleaseProfile.subject_of`), and at least one of them a name or a
  phrase, and the score reaches `min_score`. A single shared word, or a single name, is never enough.
- pickup: the passages of a release the item reproduces (quotations, and the release's whole headline in the
  item's title) are found by `feeds.watch.pickup`; here they are scored and explained:
      score = release words reproduced / release words.
  A pickup of a release takes precedence: the same item is then not also reported as related to that release
  (it may still be related to others).

Items whose link is on our own domains (`feeds.watch.ownsite.is_own_url`), or is the permalink or canonical link
of a release, are our own pages and never match that release (own domains: never match at all); nor does an item
its source dates more than `ITEM_SLACK` before a release.

This module is pure: no I/O, no clock, no store. It must not build profiles (`feeds.watch.profiles`) or find
passages itself (`feeds.watch.pickup`); nor depend on anything but its profiles and settings: they are pickled
to worker processes, which compile the very same matcher (`feeds.watch.matching.compile_spec`) and must find the
very same matches.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from feeds.config.settings import DEFAULT_MIN_SCORE as DEFAULT_MIN_SCORE  # (the related bar: see there)
from feeds.config.settings import RelatedSettings as _ConfigRelated
from feeds.model import Match, MatchedTerm, WatchItem
from feeds.watch.ownsite import is_own_url, url_key
from feeds.watch.pickup import Passage, PickupFinder, Spans
from feeds.watch.profiles import ReleaseProfile, group_names
from feeds.watch.shingles import DEFAULT_SHINGLE
from feeds.watch.text import folded_once, iter_word_spans

_CONFIGURED = _ConfigRelated()
"""The defaults of `[watch.related]`, which are this matcher's: written once, in the config's record."""
SCORE_SCALE = 7
"""The version of how related and pickup scores are worked out. Raise it when a change gives stored matches
other scores or explanations: each release of the window is then looked for again once among stored items
(`feeds.watch.retro`), so its coverage is re-scored, and dropped where it no longer reaches the bar. 2: a name's
shorter forms no longer count twice in the release's term weight (an item naming every term scores 1). 3: a
pickup in parts quotes each part, and our headline in single quotes in an item's title is a pickup. 4: a minister
named after an office ("Chancellor of the Exchequer Jane Doe") is a term of its own, post-nominals are none, and
a pickup's excerpt leaves out the item's own double quotation marks. 5: a place and its people ("Chile",
"Chilean"), or "UK" and "Britain", count as one name towards `min_terms` (`ReleaseProfile.subject_of`), and a head
alone ("the House") is a word. 6: the Arabic script's letter forms typed one for another (ى/ي, ة/ه, ی/ي, ک/ك,
tatweel, Arabic-Indic digits) quote one another, and so does a headline in the other spelling ("program",
"harbor"): the stored items are looked at once more for the pickups that finds. 7: a minister after an office
with an honorific ("… for Development Baroness Doe", "Solicitor General Jane Doe KC MP") or a domain listed in parts
("Minister for Europe, North America and Overseas Territories Jane Doe") is a name of their own, and the office
no longer takes the honorific ("Development Baroness")."""
_FIELDS = ("title", "summary", "content")
_MAX_OCCURRENCES = 5
"""Occurrences of one term listed in a related match (the first ones, in text order); all of them still count."""


@dataclass(frozen=True, slots=True)
class RelatedSettings:
    """How much an item must share with a release to be reported (see the module docstring for the formulas)."""

    min_score: float = DEFAULT_MIN_SCORE
    min_terms: int = _CONFIGURED.min_terms
    window_days: float = _CONFIGURED.window_days
    """Only releases published this many days before now (or less) are watched."""
    pickup_tokens: int = _CONFIGURED.pickup_tokens
    own_domains: tuple[str, ...] = ()
    """Our own site, as `is_own_url` reads it: domains ("press.example.org" or a URL; their subdomains count) and
    `feeds.watch.ownsite.EXACT` entries (one host, and its port when given): items linking there are our own pages."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_score <= 1.0:
            raise ValueError(f"min_score must be between 0 and 1, got {self.min_score}")
        if self.min_terms < 2:
            raise ValueError(f"min_terms must be at least 2 (one shared term is never enough), got {self.min_terms}")
        if self.window_days <= 0:
            raise ValueError(f"window_days must be positive, got {self.window_days}")
        if self.pickup_tokens < 1:
            raise ValueError(f"pickup_tokens must be at least 1, got {self.pickup_tokens}")


ITEM_SLACK = timedelta(days=1)
"""How long before a release's own date an item may be dated, or first seen, and still count as its coverage:
a release's date can trail the news by hours (dated at ingest, or the office publishes after the briefing).
An older item (years old, in a feed that keeps its archive) shares names with a release, but does not cover it."""


# --- matching ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    tokens: tuple[str, ...]
    case_sensitive: bool
    postings: tuple[tuple[int, int], ...]
    """(profile index, term index) of every release having this term."""


class RelatedMatcher:
    """Matches items against the profiles of all watched releases; build once per watch run."""

    def __init__(self, profiles: Sequence[ReleaseProfile], settings: RelatedSettings):
        sizes = {p.shingle_size for p in profiles}
        if len(sizes) > 1:
            raise ValueError(f"profiles disagree on the shingle size: {sorted(sizes)}")
        self.profiles = tuple(profiles)
        self.settings = settings
        self._size = sizes.pop() if sizes else DEFAULT_SHINGLE
        if settings.pickup_tokens < self._size:
            raise ValueError(f"pickup_tokens ({settings.pickup_tokens}) is below the shingle size ({self._size})")
        grouped: dict[tuple[tuple[str, ...], bool], list[tuple[int, int]]] = {}
        for pi, profile in enumerate(self.profiles):
            for ti, term in enumerate(profile.terms):
                if term.tokens:
                    grouped.setdefault((term.tokens, term.case_sensitive), []).append((pi, ti))
        index: dict[str, list[_Entry]] = {}
        for (tokens, case_sensitive), postings in grouped.items():
            index.setdefault(tokens[0], []).append(_Entry(tokens, case_sensitive, tuple(postings)))
        self._terms = {k: tuple(v) for k, v in index.items()}
        self._pickup = PickupFinder(self.profiles, self._size, settings.pickup_tokens)
        self._urls: dict[str, set[int]] = {}
        for pi, profile in enumerate(self.profiles):
            for url in profile.urls:
                self._urls.setdefault(url, set()).add(pi)

    def match_item(
        self, item: WatchItem, feed_id: int, fold: Callable[[str], list[str]] | None = None
    ) -> tuple[Match, ...]:
        return self.match(
            item.key, feed_id, item.title, item.summary, item.content_text, item.link, item.published, fold=fold
        )

    def match(
        self,
        item_key: str,
        feed_id: int,
        title: str,
        summary: str,
        content: str,
        link: str | None,
        dated: datetime | None = None,
        *,
        fold: Callable[[str], list[str]] | None = None,
    ) -> tuple[Match, ...]:
        """Pickups, then related releases, each at most once per release; our own pages match nothing, and an
        item `dated` (by its source) well before a release is not that release's coverage. `fold` splits a text
        into folded words: the keyword matcher's `folded_once` when it read the item too, else one of its own."""
        if is_own_url(link, self.settings.own_domains):
            return ()
        if content == summary:  # a feed with one text gives it as both: read (and count, and report) it once
            content = ""
        # Releases this item cannot be coverage of: those it is a page of, and those it predates.
        excluded = set(self._urls.get(url_key(link or ""), set()))
        if dated is not None:
            excluded |= {
                pi for pi, p in enumerate(self.profiles) if p.published is not None and dated < p.published - ITEM_SLACK
            }
        texts = (title, summary, content)
        fold = fold or folded_once()  # (a text repeated in another field is split once)
        words = [fold(t) if t else [] for t in texts]
        spans: list[list[tuple[int, int]]] = [[], [], []]
        pending: list[Iterator[tuple[int, int]] | None] = [None, None, None]

        def spans_of(f: int, upto: int) -> list[tuple[int, int]]:
            # Offsets are needed only around what matched: walk the field's words no further than that.
            known = spans[f]
            if len(known) < upto:
                it = pending[f]
                if it is None:
                    it = pending[f] = iter_word_spans(texts[f])
                known.extend(islice(it, upto - len(known)))
            return known

        out: list[Match] = []
        picked: set[int] = set()
        for pi, passages in sorted(self._pickup.find(words, title, spans_of).items()):
            if pi not in excluded:
                picked.add(pi)
                out.append(self._pickup_match(pi, passages, item_key, feed_id, texts, spans_of))
        for pi, hits in sorted(self._term_hits(words, texts, spans_of).items()):
            if pi not in excluded and pi not in picked:
                match = self._related_match(pi, hits, item_key, feed_id, texts, spans_of)
                if match is not None:
                    out.append(match)
        return tuple(sorted(out, key=lambda m: (m.kind != "pickup", -m.score, m.subject)))

    # related

    def _term_hits(
        self, words: Sequence[list[str]], texts: Sequence[str], spans_of: Spans
    ) -> dict[int, list[tuple[int, int, int, int]]]:
        """Per profile: (field, first word, end word, term index) of each occurrence of its terms."""
        hits: dict[int, list[tuple[int, int, int, int]]] = {}
        for f, ws in enumerate(words):
            for i, word in enumerate(ws):
                for entry in self._terms.get(word, ()):
                    n = len(entry.tokens)
                    if n > 1 and tuple(ws[i : i + n]) != entry.tokens:
                        continue
                    if entry.case_sensitive and not all(
                        texts[f][s:e].isupper() for s, e in spans_of(f, i + n)[i : i + n]
                    ):
                        continue
                    for pi, ti in entry.postings:
                        hits.setdefault(pi, []).append((f, i, i + n, ti))
        return hits

    def _related_match(
        self,
        pi: int,
        hits: list[tuple[int, int, int, int]],
        item_key: str,
        feed_id: int,
        texts: Sequence[str],
        spans_of: Spans,
    ) -> Match | None:
        profile = self.profiles[pi]
        kept = _outermost(hits)
        # The longest form of a name the item writes speaks for the shorter ones it writes ("Sergei Lavrov …
        # Lavrov added"); it counts for the release's name it is a form of (`ReleaseProfile.name_of`), so two
        # parts of one name written apart ("the UN … the Security Council") are that name once.
        written = group_names(profile.terms, {ti for _, _, _, ti in kept})
        name_of = {ti: profile.name_of[ni] for ti, ni in written.items()}
        forms_of: dict[int, list[int]] = {}
        for ti in sorted(name_of):
            forms_of.setdefault(name_of[ti], []).append(ti)
        # Each name counts once, as a name when any of its forms is one, at the weight of the heaviest form of
        # it the item writes (only forms of that name: "Korea" inside "South Korea" is no part of its weight).
        # For `min_terms`, a place's people count as the place ("Peru … Peruvian farmers": one subject, not two).
        # A name written only in its people's form ("Russian", of "Russian Foreign Minister") is the place's.
        subject_of = profile.subject_of or profile.name_of
        subjects: dict[int, bool] = {}
        for ni, forms in forms_of.items():
            word = all(profile.terms[ti].kind == "word" for ti in forms)
            places = {subject_of[ti] for ti in forms}
            subject = places.pop() if len(places) == 1 else ni
            subjects[subject] = subjects.get(subject, True) and word
        words_only = list(subjects.values())
        evidence = sum(0.5 if word else 1.0 for word in words_only)
        if evidence < self.settings.min_terms or all(words_only):
            return None
        total = profile.total_weight or 1.0
        part = {
            ni: max(profile.reach[ti] for ti in forms if profile.name_of[ti] == ni) / total
            for ni, forms in forms_of.items()
        }
        score = round(min(sum(part.values()), 1.0), 4)
        if score < self.settings.min_score:
            return None
        shown: dict[int, int] = {}
        matched = []
        for f, i, j, ti in kept:
            ni = written[ti]  # an occurrence of a short form is listed under the longer form the item writes
            shown[ni] = shown.get(ni, 0) + 1
            if shown[ni] <= _MAX_OCCURRENCES:
                matched.append(
                    MatchedTerm(profile.terms[ni].text, _FIELDS[f], spans_of(f, j)[i][0], spans_of(f, j)[j - 1][1])
                )
        first_field: dict[int, int] = {}
        labels: dict[int, list[str]] = {}
        for f, _, _, ti in kept:
            ni = name_of[ti]
            first_field.setdefault(ni, f)
            label = profile.terms[written[ti]].text
            if label not in labels.setdefault(ni, []):
                labels[ni].append(label)
        shares = _hundredths(part, score)
        groups = []
        for f, field in enumerate(_FIELDS):
            names = [f"{' / '.join(labels[ni])} {shares[ni]}" for ni, ff in first_field.items() if ff == f]
            if names:
                groups.append(f"{', '.join(names)} ({field})")
        why = f"related to {_quote(profile.title)}: {', '.join(groups)}; score {score:.2f}"
        return Match("related", profile.release_id, item_key, feed_id, tuple(matched), score, why)

    # pickup

    def _pickup_match(
        self,
        pi: int,
        passages: list[Passage],
        item_key: str,
        feed_id: int,
        texts: Sequence[str],
        spans_of: Spans,
    ) -> Match:
        profile = self.profiles[pi]
        matched = []
        for p in passages:
            s, e = spans_of(p.field, p.end)[p.start][0], spans_of(p.field, p.end)[p.end - 1][1]
            matched.append(MatchedTerm(texts[p.field][s:e], _FIELDS[p.field], s, e))
        covered = {j for p in passages for j in range(p.release_start, p.release_start + p.end - p.start)}
        total = sum(1 for t in profile.tokens if t)
        score = round(min(len(covered) / (total or 1), 1.0), 4)
        # Each part quoted after its count: "14 words in content (“…”), 10 words in content (“…”)", so that the
        # parts of a quotation cut by "…" or by "she said", and two quotations, each show what was reproduced.
        where = ", ".join(
            f"{p.end - p.start} words in {_FIELDS[p.field]} ({_excerpt(m.term)})"
            for p, m in zip(passages, matched, strict=True)
        )
        why = f"pickup of {_quote(profile.title)}: {where}; score {score:.2f}"
        return Match("pickup", profile.release_id, item_key, feed_id, tuple(matched), score, why)


def _hundredths(parts: Mapping[int, float], score: float) -> dict[int, str]:
    """Each part of a related score in hundredths ("0.12"), rounded so that they add up to the score as it is
    shown (`score:.2f`): the parts' hundredths rounded down, and the ones left over to the largest remainders."""
    target = round(float(f"{score:.2f}") * 100)
    cents = {k: math.floor(v * 100 + 1e-9) for k, v in parts.items()}
    left = target - sum(cents.values())
    for k in sorted(parts, key=lambda k: (-(parts[k] * 100 - cents[k]), k))[: max(left, 0)]:
        cents[k] += 1
    return {k: f"{c / 100:.2f}" for k, c in cents.items()}


def _outermost(hits: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """The (field, start, end, term) hits not lying inside a longer hit, in text order: one sweep after sorting."""
    out = []
    field, max_end, max_start = -1, -1, -1
    for hit in sorted(hits, key=lambda h: (h[0], h[1], h[1] - h[2], h[3])):
        f, start, end, _ = hit
        if f != field:
            field, max_end, max_start = f, -1, -1
        if not (max_end > end or (max_end == end and max_start < start)):
            out.append(hit)
        if end > max_end:
            max_end, max_start = end, start
    return out


def _quote(title: str) -> str:
    return f"'{title}'"


_QUOTE_MARKS = '“”„"«»'


def _excerpt(passage: str, head: int = 8, tail: int = 4) -> str:
    """The passage's first `head` and last `tail` words in quotation marks, without the item's own (`said “this
    fund…`, `said ‘this fund…`), which would leave ours unbalanced; apostrophes stay (`Russia’s`, `skippers’`)."""
    parts = [w for w in (p.strip(_QUOTE_MARKS).lstrip("‘") for p in passage.split()) if w]
    if len(parts) <= head + tail + 1:
        return f"“{' '.join(parts)}”"
    return f"“{' '.join(parts[:head])} … {' '.join(parts[-tail:])}”"
