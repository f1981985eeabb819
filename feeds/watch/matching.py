"""Everything an item is matched against, compiled once per run (pure).

    rules + recent releases ──matcher_spec──► MatcherSpec ──compile_spec──► Matchers ──match_item(feed, item)──► Match…
                            (build_matchers does both)

The spec is what the matchers are compiled from, in plain picklable records (compiled rules hold closures), so
that worker processes can compile the very same matchers and match items next to parsing them.

Keyword rules go through the compiled rule matcher (`feeds.watch.match`), releases through the related/pickup
matcher (`feeds.watch.related`). Items from our own site (the site's domain and `watch.own_domains`) never
match anything: we do not report our own releases as coverage of themselves.

What this module must not do: touch the store or the clock; `now` arrives as an argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from feeds.config import Settings
from feeds.model import Match, MatchedTerm, MatchScope, Release, Rule, WatchedFeed, WatchItem
from feeds.watch.match import Matcher, MatchInput, RuleHit, compile_rules
from feeds.watch.ownsite import is_own_url, own_site
from feeds.watch.profiles import ReleaseProfile, build_profiles
from feeds.watch.related import RelatedMatcher, RelatedSettings
from feeds.watch.text import fold_words, folded_once


@dataclass(frozen=True, slots=True)
class MatcherSpec:
    """The inputs of `compile_spec`: rules as (name, query), release profiles, related settings, own domains."""

    rules: tuple[tuple[str, str], ...]
    profiles: tuple[ReleaseProfile, ...]
    related: RelatedSettings
    own_domains: frozenset[str]


@dataclass(frozen=True, slots=True)
class Matchers:
    keywords: Matcher | None
    related: RelatedMatcher | None
    own_domains: frozenset[str]
    releases: dict[str, Release]
    spec: MatcherSpec | None = None
    """What these were compiled from (None when built by hand)."""
    scope: MatchScope = field(default_factory=MatchScope)
    """What they look for: a changed item's matches among these are replaced by what it matches now (worked
    out once here, not for every feed of a poll: with thousands of rules it is not free)."""


def own_domains(settings: Settings) -> frozenset[str]:
    """What counts as our own site (`is_own_url`): the site's own host exactly (its port too, when the base URL
    names one: another port on the same machine is another site), the id domain, and the configured
    `watch.own_domains` with their subdomains. The site's host alone never takes in its parent domain's other
    sites: a press office at www.gov.uk watches councils on other *.gov.uk hosts."""
    site = own_site(settings.site.base_url)
    ids = own_site(settings.site.id_domain) if settings.site.id_domain else ""  # (by default, the site's host)
    configured = {d.lower().removeprefix("www.") for d in settings.watch.own_domains if d}
    return frozenset({site, ids, *configured} - {""})


def related_fingerprint(settings: Settings) -> str:
    """What decides which related and pickup matches are made, as one line of `name=value` (`[watch.related]` and
    the own domains, which never match): recorded in the store with the matches made, so that a change of any of
    them is applied to the stored coverage (`feeds.watch.retro.apply_changed_settings`), and readable, so that the
    log can say what changed (`fingerprint_changes`)."""
    rs = settings.watch.related
    return " ".join(
        (
            f"min_score={rs.min_score!r}",
            f"min_terms={rs.min_terms}",
            f"window_days={rs.window_days!r}",
            f"pickup_tokens={rs.pickup_tokens}",
            f"own_domains={','.join(sorted(own_domains(settings)))}",
        )
    )


def fingerprint_own_domains(fingerprint: str) -> frozenset[str]:
    """The own domains (as `own_domains` gives them) a `related_fingerprint` was made with; none when it names
    none."""
    parts = dict(part.partition("=")[::2] for part in fingerprint.split(" "))
    return frozenset(d for d in parts.get("own_domains", "").split(",") if d)


def fingerprint_changes(before: str, after: str) -> str:
    """What differs between two `related_fingerprint`s, for people: "min_score 0.34 → 0.5"."""
    old = dict(part.partition("=")[::2] for part in before.split(" "))
    new = dict(part.partition("=")[::2] for part in after.split(" "))
    changed = [f"{k} {old.get(k, '?') or '(none)'} → {v or '(none)'}" for k, v in new.items() if old.get(k) != v]
    return ", ".join(changed) or "how they are recorded"


def build_matchers(
    rules: Sequence[Rule],
    releases: Sequence[Release],
    settings: Settings,
    now: datetime,
    *,
    corpus: Sequence[Release] = (),
) -> Matchers:
    """The matchers of `rules` and of `releases` (those of the related window), weighed against `corpus` too."""
    return compile_spec(matcher_spec(rules, releases, settings, now, corpus=corpus), releases)


def matcher_spec(
    rules: Sequence[Rule],
    releases: Sequence[Release],
    settings: Settings,
    now: datetime,
    *,
    corpus: Sequence[Release] = (),
) -> MatcherSpec:
    """The spec of `rules` and of the `releases` of the related window. The release profiles weigh terms and find
    boilerplate among `releases` and `corpus` (the recent releases: `CORPUS_DAYS`), and carry only the outcome."""
    rs = settings.watch.related
    related_settings = RelatedSettings(
        min_score=rs.min_score, min_terms=rs.min_terms, window_days=rs.window_days, pickup_tokens=rs.pickup_tokens
    )
    profiles = build_profiles((*releases, *corpus), now, window_days=rs.window_days)
    return MatcherSpec(tuple((r.name, r.query) for r in rules), profiles, related_settings, own_domains(settings))


def compile_spec(spec: MatcherSpec, releases: Sequence[Release] = ()) -> Matchers:
    """The matchers of `spec`; `releases` (by id) serve only to work out delays (`delay_of`)."""
    keywords = compile_rules(spec.rules) if spec.rules else None
    related = RelatedMatcher(spec.profiles, spec.related) if spec.profiles else None
    by_id = {r.id: r for r in releases}
    scope = MatchScope(
        rules=frozenset(keywords.rule_names) if keywords is not None else frozenset(),
        releases=frozenset(by_id) if related is not None else frozenset(),
    )
    return Matchers(keywords, related, spec.own_domains, by_id, spec, scope)


def match_input(feed: WatchedFeed, item: WatchItem) -> MatchInput:
    return MatchInput(
        key=item.key,
        title=item.title,
        summary=item.summary,
        content=item.content_text,
        author=item.author,
        feed=" ".join((feed.title, *feed.tags)),
        link=item.link or "",
    )


def keyword_match(hit: RuleHit) -> Match:
    terms = tuple(MatchedTerm(t.term, t.field, t.start, t.end) for t in hit.terms)
    fields: dict[str, list[str]] = {}  # each term once, with how often and where: "kenya ×3 (title, summary)"
    for t in terms:
        fields.setdefault(t.term, []).append(t.field)
    where = ", ".join(
        f"{term}{f' ×{len(found)}' if len(found) > 1 else ''} ({', '.join(dict.fromkeys(found))})"
        for term, found in fields.items()
    )
    return Match(
        kind="keyword",
        subject=hit.rule,
        item_key="",
        feed_id=0,
        terms=terms,
        score=float(len(terms)),
        why=f"matched rule '{hit.rule}': {where}" if where else f"matched rule '{hit.rule}'",
    )


def match_item(m: Matchers, feed: WatchedFeed, item: WatchItem) -> list[Match]:
    """Every match of one item: keyword rules first (by rule name), then related releases and pickups."""
    if is_own_url(item.link, m.own_domains):
        return []
    found: list[Match] = []
    # Both matchers split the item's title, summary and content into folded words: with both, split each once.
    fold = folded_once() if m.keywords is not None and m.related is not None else fold_words
    if m.keywords is not None:
        for hit in m.keywords.match(match_input(feed, item), fold):
            km = keyword_match(hit)
            found.append(Match(km.kind, km.subject, item.key, feed.id, km.terms, km.score, km.why))
    if m.related is not None:
        found.extend(m.related.match_item(item, feed.id, fold))
    return found


def delay_of(
    match: Match, item_published: datetime | None, first_seen: datetime, releases: dict[str, Release]
) -> float | None:
    """Seconds from the release's publication to the item (related and pickup matches): the item's own date, but
    never later than when it was first seen (a feed that dates its items ahead would claim a slower pickup)."""
    release = releases.get(match.subject) if match.kind != "keyword" else None
    if release is None:
        return None
    seen = min(item_published, first_seen) if item_published is not None else first_seen
    return (seen - release.published).total_seconds()
