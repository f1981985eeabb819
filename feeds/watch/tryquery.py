"""Trying a keyword query on the stored items before saving it as a rule (`keywords test`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from feeds.model import StoredItem, WatchedFeed, WatchItem
from feeds.normalise.ids import canonical_url
from feeds.watch.match import compile_rules
from feeds.watch.matchexplain import Explanation, explain, shortened_starts
from feeds.watch.matching import match_input, own_domains
from feeds.watch.ownsite import is_own_url
from feeds.watch.query import check_query, parse_query
from feeds.watch.querytree import Term

if TYPE_CHECKING:
    from feeds.app import App


@dataclass(frozen=True, slots=True)
class QueryTrial:
    query: str
    checked: int
    hits: list[tuple[StoredItem, Explanation]]
    own: int = 0
    """Items from our own site that the query would match, left out as the watch leaves them out."""
    matched: int = 0
    """Items the query matches, all of them: `hits` holds the first `limit` (newest first) with their reasons."""
    suggestion: Suggestion | None = None
    """For a one-word query that matches nothing, the wildcard on its shortened start that would match."""


@dataclass(frozen=True, slots=True)
class Suggestion:
    """`Москв*` for `Москва`: Russian, Polish or German write a word with other endings in other cases."""

    query: str
    matched: int
    forms: tuple[str, ...]
    """The first few words it finds, as the items write them (`Москву`, `Москве`)."""


_FORMS_SHOWN = 3


def try_query(
    app: App, query: str, *, days: float | None = None, limit: int = 50, item: str | None = None
) -> QueryTrial:
    """Which stored items `query` would match, and why (raises RuleError with the position of a syntax error):
    the newest `limit` explained, every match counted (`matched`), reading the items a page at a time.

    With `item` (a stored item's link or key), only that item is tried, and it is explained whether it matches
    or not: which term was missing, which excluded term vetoed it."""
    check_query(query)
    matcher = compile_rules([("query", query)])
    since = app.clock() - timedelta(days=days if days is not None else app.settings.watch.retro_days)
    feeds = {f.id: f for f in app.store.feeds()}
    mine = own_domains(app.settings)
    hits: list[tuple[StoredItem, Explanation]] = []
    checked = own = matched = 0
    # (a link as a person copies it: scheme and host in any case, a default port or none, as `watch` takes URLs)
    wanted = canonical_url(item) if item is not None else None
    for s in app.store.iter_stored_items(since=since):  # newest first, a page at a time
        if item is not None and not _names(item, wanted, s.item):
            continue
        checked += 1
        feed = feeds.get(s.feed_id)
        if feed is None:
            continue
        if item is not None:
            explained = explain(query, match_input(feed, s.item))
            if is_own_url(s.item.link, mine):  # whatever its words say, the watch never matches it
                explained = replace(
                    explained,
                    matched=False,
                    reasons=(*explained.reasons, "not matched: the item is on our own site, which is never watched"),
                )
            hits.append((s, explained))
            continue
        item_input = match_input(feed, s.item)
        if matcher.match(item_input):  # compiled once; explain (slower) only what is shown
            if is_own_url(s.item.link, mine):  # never matched by the watch either
                own += 1
                continue
            matched += 1
            if len(hits) < limit:  # (past the limit, matches are only counted)
                hits.append((s, explain(query, item_input)))
    suggestion = _suggest(app, query, since, feeds, mine) if item is None and matched == 0 else None
    return QueryTrial(query=query, checked=checked, hits=hits, own=own, matched=matched, suggestion=suggestion)


def _suggest(
    app: App, query: str, since: datetime, feeds: dict[int, WatchedFeed], mine: frozenset[str]
) -> Suggestion | None:
    """For a query of one word that matches nothing, the first of its shortened starts (`shortened_starts`) that
    matches stored items, with how many and the words found. Only asked when a query found nothing."""
    node = parse_query(query)
    if not isinstance(node, Term):
        return None
    for _stem, shown in shortened_starts(node):
        candidate = (f"{node.field}:" if node.field else "") + shown + "*"
        matcher = compile_rules([("query", candidate)])
        matched, forms = 0, dict[str, None]()
        for s in app.store.iter_stored_items(since=since):
            feed = feeds.get(s.feed_id)
            if feed is None or is_own_url(s.item.link, mine):
                continue
            item_input = match_input(feed, s.item)
            if not matcher.match(item_input):
                continue
            matched += 1
            if len(forms) < _FORMS_SHOWN:
                for report in explain(candidate, item_input).terms:
                    for hit in report.hits:
                        forms.setdefault(getattr(item_input, hit.field)[hit.start : hit.end])
        if matched:
            return Suggestion(candidate, matched, tuple(forms)[:_FORMS_SHOWN])
    return None


def _names(given: str, canonical: str | None, item: WatchItem) -> bool:
    """Whether `given` (its `canonical_url` beside it) is the link or the key of `item`."""
    if given in (item.link, item.key):
        return True
    return canonical is not None and item.link is not None and canonical_url(item.link) == canonical
