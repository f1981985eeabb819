"""Finding news items about our own releases: "related" (shares the release's salient names) and "pickup"
(reproduces its words).

Profiles are built once per watch run from the releases (`build_profiles`), and `RelatedMatcher` indexes all of
them once, so matching an item costs about one dictionary look-up per word of the item, whatever the number of
releases watched:

- related: every folded word of the item is looked up in an index of the first words of all releases' terms
  (`feeds.watch.terms`); a hit is confirmed by comparing the following words, so terms match whole words only
  ("Iranian" is not "Iran") and acronyms only where the item writes them in capitals. Per release found this way,
  an occurrence lying inside the occurrence of a longer term of the same release counts only for the longer one
  ("Sergei Lavrov" is one name, not also "Lavrov"), and a term present whose words lie inside a longer term present
  is that name again, written short ("Sergei Lavrov … Lavrov added", "North Korea … Korea watchers"): it counts
  once, under the longer name (`_names`). The release's terms are grouped into names the same way, once, when
  its profile is built: a term belongs to the longest term it is part of ("Lavrov" to "Sergei Lavrov", "UN" to
  "UN Security Council"; a part of several to the heaviest of them), and a name weighs as its heaviest form. A
  name the item writes is worth the heaviest form of it the item writes, a longer form writing the shorter ones
  inside it ("Sergei Lavrov" is worth "Lavrov" too; "Lavrov" alone only its own weight). Then
      score = Σ worth of the release's names the item writes / Σ weight of all the release's names   (0 … 1),
  so an item naming every term of the release (the longest forms are enough) scores exactly 1, and the `why`
  gives each name's part, in hundredths that add up to the score shown (`_hundredths`).
  The item is related when it shares at least `min_terms` (≥ 2) distinct names, a plain word counting half and at
  least one of them a name or a phrase, and the score reaches `min_score`. A single shared word, or a single name,
  is never enough.
- pickup: the release's paragraphs are cut into shingles of `shingle_size` (8) consecutive folded words, each
  hashed to 64 bits (BLAKE2b, so fingerprints are the same in every process). The item's shingles are looked up;
  hits on the same diagonal (item position − release position) chain into a passage, across at most one differing
  word. British and American spellings compare equal ("behaviour"/"behavior", "programme"/"program":
  `spelled_alike`). A passage of at least `pickup_tokens` (12) words is a pickup, and so are
  passages that are parts of one quotation and together that long (`_quotations`: "…", "she said"), a passage
  going on after a few words put in or left out ("[Security Council]") with as few as `REST_WORDS` (4) words of
  the release (`_rest`). Folding makes
  case, punctuation, curly or straight quotes and white space irrelevant. Shingles found in three or more
  releases are boilerplate ("For media enquiries contact…") and are not indexed: three of the corpus given to
  `build_profiles` (`CORPUS_DAYS`), or three of the profiles watched.
      score = release words reproduced / release words.
  An item whose title contains a release's whole title, of at least `HEADLINE_WORDS` (5) words, as consecutive
  folded words is a pickup too, however short the item ("BREAKING: Foreign Secretary to visit Moscow", "…, says
  aide": a wire service's prefix or suffix around our headline); a title found inside the release's title, or a
  shorter release title ("Iran sanctions"), is not. Release titles are indexed by their first `HEADLINE_WORDS`
  words, so this costs one look-up per word of the item's title. A title three or more releases share ("Statement
  by the Prime Minister") is boilerplate too: no item is a pickup for having it.
  A pickup of a release takes precedence: the same item is then not also reported as related to that release
  (it may still be related to others).

Items whose link is on our own domains (`is_own_url`), or is the permalink or canonical link of a release, are
our own pages and never match that release (own domains: never match at all).

This module is pure: no I/O, no clock, no store.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from feeds.config.settings import DEFAULT_MIN_SCORE as DEFAULT_MIN_SCORE  # (the related bar: see there)
from feeds.config.settings import RelatedSettings as _ConfigRelated
from feeds.model import Match, MatchedTerm, WatchItem
from feeds.watch.ownsite import is_own_url as is_own_url  # (poll.py imports it from here)
from feeds.watch.ownsite import url_key
from feeds.watch.profiles import BOILERPLATE, ReleaseProfile, group_names
from feeds.watch.profiles import CORPUS_DAYS as CORPUS_DAYS  # (poll.py imports it from here)
from feeds.watch.shingles import DEFAULT_SHINGLE, fingerprint, spelled_alike
from feeds.watch.text import fold_words, iter_word_spans

_CONFIGURED = _ConfigRelated()
"""The defaults of `[watch.related]`, which are this matcher's: written once, in the config's record."""
SCORE_SCALE = 2
"""The version of how related and pickup scores are worked out. Raise it when a change gives stored matches
other scores or explanations: each release of the window is then looked for again once among stored items
(`feeds.watch.retro`), so its coverage is re-scored, and dropped where it no longer reaches the bar. 2: a name's
shorter forms no longer count twice in the release's term weight (an item naming every term scores 1)."""
_FIELDS = ("title", "summary", "content")
_MAX_OCCURRENCES = 5
"""Occurrences of one term listed in a related match (the first ones, in text order); all of them still count."""
_SEPARATOR = re.compile(r"[:;,|()\[\]{}\"“”„«»!?/–—]|\s-\s|\.(?:\s|$)")
"""What sets a headline apart from the words around it in a title: a colon, a comma, a dash between spaces, a
bar, brackets, double quotes, an end of sentence ("BREAKING: …", "…, says aide", "… | Reuters")."""


def _stands_apart(title: str, spans: Sequence[tuple[int, int]], start: int, end: int, count: int) -> bool:
    """Whether words `start`..`end` of `title` (of `count` words, their character `spans` known at least up to
    `end + 1`) are a part of it of their own: at its start or end, or set off by punctuation from the words
    before and after. "Statement by the Prime Minister" is a part of "Live: Statement by the Prime Minister, 10
    Downing Street", not of "Statement by the Prime Minister on Ukraine" or "Former Foreign Secretary to …"."""
    before = start == 0 or bool(_SEPARATOR.search(title[spans[start - 1][1] : spans[start][0]]))
    after = end >= count or bool(_SEPARATOR.search(title[spans[end - 1][1] : spans[end][0]]))
    return before and after


_Spans = Callable[[int, int], list[tuple[int, int]]]
"""`spans_of(field, upto)`: the spans of at least the field's first `upto` words (computed lazily, as far as needed)."""
"""Character spans of the words of an item field (by field index), worked out on first use."""


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
    `EXACT` entries (one host, and its port when given): items linking there are our own pages."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_score <= 1.0:
            raise ValueError(f"min_score must be between 0 and 1, got {self.min_score}")
        if self.min_terms < 2:
            raise ValueError(f"min_terms must be at least 2 (one shared term is never enough), got {self.min_terms}")
        if self.window_days <= 0:
            raise ValueError(f"window_days must be positive, got {self.window_days}")
        if self.pickup_tokens < 1:
            raise ValueError(f"pickup_tokens must be at least 1, got {self.pickup_tokens}")


HEADLINE_WORDS = 5
"""Words a release's title must have for an item whose title contains it whole (or is it) to be its pickup (a
shorter title, such as "Statement on Syria" or "Iran sanctions", is too common a phrase to prove anything)."""

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


@dataclass(frozen=True, slots=True)
class _Passage:
    field: int
    start: int
    """Item word index of the first word."""
    end: int
    release_start: int


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
        shingles: dict[int, list[tuple[int, int]]] = {}
        for pi, profile in enumerate(self.profiles):
            seen: set[int] = set()
            for j, h in enumerate(profile.shingles):
                if h and h not in seen:
                    seen.add(h)
                    shingles.setdefault(h, []).append((pi, j))
        self._shingles = {h: tuple(v) for h, v in shingles.items() if len(v) < BOILERPLATE}
        self._alike = tuple(spelled_alike(p.tokens) for p in self.profiles)  # what a passage's rest is compared with
        self._urls: dict[str, set[int]] = {}
        for pi, profile in enumerate(self.profiles):
            for url in profile.urls:
                self._urls.setdefault(url, set()).add(pi)
        # A headline of HEADLINE_WORDS or more words taken whole into an item's title (a wire item under our title,
        # perhaps with "BREAKING:" before it or ", says aide" after it) is a pickup, however short the item: it is
        # the release's own sentence, as a quotation is. Keyed by the title's first HEADLINE_WORDS words. Not a
        # title three releases share (of the corpus, or of those watched): that is boilerplate, as a passage is.
        titles = [tuple(p.tokens[: p.tokens.index("")] if "" in p.tokens else p.tokens) for p in self.profiles]
        shared = Counter(titles)
        self._headlines: dict[tuple[str, ...], list[tuple[int, tuple[str, ...]]]] = {}
        for pi, (profile, title) in enumerate(zip(self.profiles, titles, strict=True)):
            if len(title) >= HEADLINE_WORDS and not profile.stock_title and shared[title] < BOILERPLATE:
                self._headlines.setdefault(title[:HEADLINE_WORDS], []).append((pi, title))

    def match_item(self, item: WatchItem, feed_id: int) -> tuple[Match, ...]:
        return self.match(item.key, feed_id, item.title, item.summary, item.content_text, item.link, item.published)

    def match(
        self,
        item_key: str,
        feed_id: int,
        title: str,
        summary: str,
        content: str,
        link: str | None,
        dated: datetime | None = None,
    ) -> tuple[Match, ...]:
        """Pickups, then related releases, each at most once per release; our own pages match nothing, and an
        item `dated` (by its source) well before a release is not that release's coverage."""
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
        split: dict[str, list[str]] = {}  # the summary is often the content again: split it once
        words = [split[t] if t in split else split.setdefault(t, fold_words(t) if t else []) for t in texts]
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
        for pi, passages in sorted(self._pickups(words, title, spans_of).items()):
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
        self, words: Sequence[list[str]], texts: Sequence[str], spans_of: _Spans
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
        spans_of: _Spans,
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
        words_only = [all(profile.terms[ti].kind == "word" for ti in forms) for forms in forms_of.values()]
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

    def _pickups(self, words: Sequence[list[str]], title: str, spans_of: _Spans) -> dict[int, list[_Passage]]:
        size = self._size
        diagonals: dict[tuple[int, int, int], list[int]] = {}  # (profile, field, release j − item i) → item i
        alike: list[list[str]] = []
        for f, field_words in enumerate(words):
            ws = spelled_alike(field_words)  # as the release's shingles are: "behavior" quotes "behaviour"
            alike.append(ws)
            for i in range(len(ws) - size + 1):
                for pi, j in self._shingles.get(fingerprint(ws[i : i + size]), ()):
                    diagonals.setdefault((pi, f, j - i), []).append(i)
        parts: dict[tuple[int, int], list[_Passage]] = {}  # (profile, field) → passages, on any diagonal
        for (pi, f, d), starts in diagonals.items():
            starts.sort()
            runs: list[list[int]] = []  # [first, last] item start of chained shingles
            for i in starts:
                if runs and i - runs[-1][1] <= size + 1:  # overlapping shingles, or one word differs between
                    runs[-1][1] = i
                else:
                    runs.append([i, i])
            for first, last in runs:
                parts.setdefault((pi, f), []).append(_Passage(f, first, last + size, first + d))
        found: dict[int, list[_Passage]] = {}
        for (pi, f), passages in sorted(parts.items()):
            passages.extend(_rest(passages, alike[f], self._alike[pi]))
            for quotation in _quotations(passages, size):
                if sum(p.end - p.start for p in quotation) >= self.settings.pickup_tokens:
                    found.setdefault(pi, []).extend(quotation)
        for pi, (start, end) in self._titles_in(words[0] if words else []).items():
            # The item's title contains the release's title, word for word, as a part of its own: what a wire
            # service puts before or after it is set off by punctuation ("BREAKING: …", "…, says aide").
            if pi not in found and _stands_apart(title, spans_of(0, end + 1), start, end, len(words[0])):
                found[pi] = [_Passage(0, start, end, 0)]
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

    def _pickup_match(
        self,
        pi: int,
        passages: list[_Passage],
        item_key: str,
        feed_id: int,
        texts: Sequence[str],
        spans_of: _Spans,
    ) -> Match:
        profile = self.profiles[pi]
        matched = []
        for p in passages:
            s, e = spans_of(p.field, p.end)[p.start][0], spans_of(p.field, p.end)[p.end - 1][1]
            matched.append(MatchedTerm(texts[p.field][s:e], _FIELDS[p.field], s, e))
        covered = {j for p in passages for j in range(p.release_start, p.release_start + p.end - p.start)}
        total = sum(1 for t in profile.tokens if t)
        score = round(min(len(covered) / (total or 1), 1.0), 4)
        longest = max(passages, key=lambda p: (p.end - p.start, -p.field, -p.start))
        where = ", ".join(f"{p.end - p.start} words in {_FIELDS[p.field]}" for p in passages)
        i = passages.index(longest)
        why = f"pickup of {_quote(profile.title)}: {where} ({_excerpt(matched[i].term)}); score {score:.2f}"
        return Match("pickup", profile.release_id, item_key, feed_id, tuple(matched), score, why)


CUT_WORDS = 30
"""How many words of a release a quotation may leave out between two of its parts ("…", a clause dropped)."""


REST_WORDS = 4
"""Words of a release in a row that continue a passage after a few words put in or left out: what a shingle (8
words) is too long to find ("… at the UN [Security Council] to hold Pyongyang to account")."""
_REST_GAP = 3
"""Words the item may put in, or leave out of the release, before the rest of a passage."""


def _rest(passages: Sequence[_Passage], item: Sequence[str], release: Sequence[str]) -> list[_Passage]:
    """The pieces of at least `REST_WORDS` words continuing each passage in the release's words, at most
    `_REST_GAP` words on from its end in the item and in the release (one paragraph of it), each piece as the
    passage continued; the longest piece is taken at each step."""
    out: list[_Passage] = []
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
            out.append(_Passage(p.field, start, start + k, release_start))
            i, j = start + k, release_start + k
    return out


def _quotations(passages: Sequence[_Passage], size: int) -> list[list[_Passage]]:
    """The passages of one field grouped into quotations: a passage continues the one before it when it starts at
    most `size` words after it in the item ("…", "she said, adding:") and at most `CUT_WORDS` words after it in the
    release. A quotation cut by an ellipsis, or broken by who said it, reproduces all its parts' words together."""
    out: list[list[_Passage]] = []
    for p in sorted(passages, key=lambda p: (p.start, p.end)):
        if out:
            prev = out[-1][-1]
            skipped = p.release_start - (prev.release_start + prev.end - prev.start)
            if 0 <= p.start - prev.end <= size and 0 <= skipped <= CUT_WORDS:
                out[-1].append(p)
                continue
        out.append([p])
    return out


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


def _excerpt(passage: str, head: int = 8, tail: int = 4) -> str:
    parts = passage.split()
    if len(parts) <= head + tail + 1:
        return f"“{' '.join(parts)}”"
    return f"“{' '.join(parts[:head])} … {' '.join(parts[-tail:])}”"
