"""After the fact: rules and releases new to the watch, looked for among the items stored already.

    run_watch | apply_new_rules (rules added or changed: the items of the last `retro_days`; the matches a
              |                  changed rule no longer makes are removed)
              | apply_new_releases (releases new to the related window, or changed, or scored on an older
              |                     `SCORE_SCALE`: the items first seen from a day before each one's date to the
              |                     end of its window)
              | apply_changed_settings (`[watch.related]` changed: the coverage of the window's releases matched
                                        again among stored items, what is no longer made removed, the new added;
                                        the own domains changed: the keyword matches of items now ours removed,
                                        those of a domain no longer ours found in the last `retro_days`)

Polling matches each item once, against the rules, releases and settings of that moment: without this, a rule
added today would never see yesterday's items, coverage stored before its release was ingested would never be
found, and a bar raised in the config would leave the coverage below it listed. The first two read the stored
items a page at a time and leave matches already stored alone, so running them in several daemons at once is
harmless; the last takes a lock, so that one daemon applies a change once.

What this module must not do: fetch or parse anything; it reads stored items only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from feeds.model import Match, Release, Rule, StoredItem, StoredMatch
from feeds.watch.matching import (
    Matchers,
    delay_of,
    fingerprint_changes,
    fingerprint_own_domains,
    match_item,
    related_fingerprint,
)
from feeds.watch.ownsite import is_own_url
from feeds.watch.related import ITEM_SLACK, SCORE_SCALE

if TYPE_CHECKING:
    from feeds.app import App

log = logging.getLogger("feeds.watch")

_COVERAGE = frozenset({"related", "pickup"})


def apply_new_releases(app: App, matchers: Matchers, now: datetime) -> tuple[int, int]:
    """Look for the coverage of releases new to the watch (or changed since) among the items stored already.

    Polling matches each item against the releases watched at that moment, so an item stored before its release
    was ingested (a late file, a remote source polled after the news, a daemon whose first watch ran before its
    first ingest) would never be found. Each release in the related window is therefore looked for once among
    the stored items first seen from `ITEM_SLACK` before its date to the end of its window, and again when
    its text changes or scores are worked out anew (`SCORE_SCALE`). Idempotent across daemons: matches already
    stored are skipped. Returns (matches added, matches deleted)."""
    if matchers.related is None or not matchers.releases:
        return 0, 0
    pending = _not_applied(app, list(matchers.releases.values()))
    if not pending:
        return 0, 0
    related = replace(matchers, keywords=None)
    # A changed release (looked for before) loses the coverage it no longer has: a pickup of a sentence since
    # cut, an item related only through a name taken out. Its other matches keep their ids.
    changed = set(app.store.releases_applied(r.id for r in pending))
    unjustified, kept = _no_longer_matching(app, related, changed, kinds=_COVERAGE)
    if unjustified:
        app.store.drop_matches(unjustified)
        log.info("removed %d match(es) that changed releases no longer make", len(unjustified))
    # The rest say why as the release now reads: its title, the passage or names found, the score, the delay.
    app.store.refresh_matches(
        [
            (found.id, m, delay_of(m, found.item.published, found.item.first_seen, matchers.releases))
            for found, m in kept
        ]
    )
    added = app.store.add_matches(_coverage_among_stored(app, related, pending), now)
    app.store.mark_releases_applied({r.id: _applied_key(r) for r in pending}, now)
    if added:
        log.info("found %d match(es) among stored items for %d release(s) new to the watch", added, len(pending))
    return added, len(unjustified)


def _coverage_among_stored(
    app: App, related: Matchers, releases: Sequence[Release]
) -> list[tuple[int, Match, float | None]]:
    """(item id, match, delay) of every related or pickup match `related` make among the stored items first seen
    from `ITEM_SLACK` before each of `releases`' date to the end of its window (those it may have covered)."""
    window = timedelta(days=app.settings.watch.related.window_days)
    # release id → (first seen no earlier, no later): when an item can have been its coverage
    spans = {r.id: (r.published - ITEM_SLACK, r.published + window) for r in releases}
    if not spans:
        return []
    return [
        (stored.id, m, delay_of(m, stored.published, stored.first_seen, related.releases))
        for stored, m in _matches_among_stored(app, related, min(a for a, _ in spans.values()))
        if m.subject in spans and spans[m.subject][0] <= stored.first_seen <= spans[m.subject][1]
    ]


SETTINGS = "related"
"""The name under which the store keeps the `related_fingerprint` of the settings stored coverage was found with."""
_SETTINGS_LOCK = "related-settings"


def settings_pending(app: App) -> bool:
    """Whether the settings that decide related and pickup matches differ from those the stored ones were made
    with (or none are recorded yet): one query, so that a tick with no feed due still applies a changed bar."""
    return app.store.settings_fingerprint(SETTINGS) != related_fingerprint(app.settings)


def apply_changed_settings(app: App, matchers: Matchers, now: datetime) -> tuple[int, int]:
    """Apply a change of `[watch.related]` (or of the own domains) to the stored coverage of the releases of the
    window: (matches added, matches removed).

    A press officer raising `min_score` expects the coverage below the new bar to leave the release pages, the
    coverage feeds and the alerts still to be sent, and one lowering it expects the items now over it, stored
    already, to be listed; polling matches only new and changed items, so neither would happen. The stored
    items of each release's span (`_coverage_among_stored`) are matched again: the matches no longer made are
    removed (as those of a changed rule are, with their alerts still waiting), the new ones added with their
    explanation and found now, but never alerted (`quiet`: items stored days ago, or coverage alerted already
    that a bar raised and lowered back finds again), and the ones still made left exactly as they are (ids,
    time found, explanation). Matches of releases that have left the window keep what they were found with,
    as they do when a release changes. A change of the own domains removes every match of the items now on our
    own site, of every kind and age (`_apply_changed_own_domains`).

    The fingerprint is kept in the database, so that every daemon sharing it sees the change once: one of them
    does the work, under a lock (the others skip it, and find the new fingerprint recorded next round). With no
    fingerprint recorded (a new database, or the first run after the upgrade that brought this), the stored
    matches are taken as made with the current settings."""
    current = related_fingerprint(app.settings)
    if app.store.settings_fingerprint(SETTINGS) == current:
        return 0, 0
    with app.store.exclusive(_SETTINGS_LOCK) as mine:
        recorded = app.store.settings_fingerprint(SETTINGS)  # (another daemon may have just done it)
        if not mine or recorded == current:
            return 0, 0
        added = removed = 0
        if recorded is not None and matchers.related is not None and matchers.releases:
            related = replace(matchers, keywords=None)
            stale, _ = _no_longer_matching(app, related, set(matchers.releases), kinds=_COVERAGE)
            app.store.drop_matches(stale)
            removed = len(stale)
            found = _coverage_among_stored(app, related, list(matchers.releases.values()))
            added = app.store.add_matches(found, now, quiet=True)  # (no news: never alerted)
        if recorded is not None:
            gone, back = _apply_changed_own_domains(app, matchers, fingerprint_own_domains(recorded), now)
            removed, added = removed + gone, added + back
        app.store.record_settings_fingerprint(SETTINGS, current, now)
    if recorded is not None:
        log.info(
            "related settings changed (%s): the stored coverage of %d release(s) of the window matched again: "
            "%d match(es) below the new settings removed, %d now meeting them added",
            fingerprint_changes(recorded, current),
            len(matchers.releases) if matchers.related is not None else 0,
            removed,
            added,
        )
    return added, removed


def _apply_changed_own_domains(app: App, matchers: Matchers, before: frozenset[str], now: datetime) -> tuple[int, int]:
    """Apply a change of our own domains (from `before`) to the stored matches: (matches removed, matches added).
    Called under `apply_changed_settings`' lock, so once, by one daemon.

    Items from our own site never match, but those stored before their domain became ours keep the matches they
    were found with, listed in the match and coverage feeds and perhaps still waiting to be alerted: they are
    removed, of every kind and whatever their age (the coverage of a release that has left the related window
    too, which no re-application of the related settings reaches), as those of a changed rule are (with their
    alerts still waiting; one sent stays sent). A domain no longer ours adds back what a new rule would find
    there: the matches the rules make among its items of the last `retro_days` (older ones were never kept as
    candidates of anything), found now and never alerted (`quiet`: they are not news, and some were alerted
    before the domain was ours)."""
    after = matchers.own_domains
    if before == after:
        return 0, 0
    ours = [match_id for match_id, link in app.store.match_links() if is_own_url(link, after)]
    app.store.drop_matches(ours)
    back = 0
    if matchers.keywords is not None and before - after:
        since = now - timedelta(days=app.settings.watch.retro_days)
        keywords = replace(matchers, related=None)  # (`match_item` leaves out what is ours now)
        found: list[tuple[int, Match, float | None]] = [
            (stored.id, m, None)
            for stored, m in _matches_among_stored(app, keywords, since)
            if is_own_url(stored.item.link, before)
        ]
        back = app.store.add_matches(found, now, quiet=True)
    log.info(
        "own domains changed (%s): removed %d match(es) of stored items now on our own site, "
        "found %d on domains no longer ours",
        ", ".join([*(f"+{d}" for d in sorted(after - before)), *(f"-{d}" for d in sorted(before - after))]),
        len(ours),
        back,
    )
    return len(ours), back


def releases_in_window(app: App, now: datetime) -> list[Release]:
    """The releases the watch looks for coverage of: published in the related window (from the App's cache).
    Not one dated ahead (embargoed): it is not public yet, and its coverage would publish its title."""
    window = timedelta(days=app.settings.watch.related.window_days)
    return [r for r in app.releases.current(app.store, now) if now - window <= r.published <= now]


def releases_pending(app: App, now: datetime) -> bool:
    """Whether a release of the related window is new to the watch or changed since it was looked for (cheap:
    the App's cached releases and one query), so that a tick with no feed due still finds coverage stored
    before the release was ingested."""
    recent = releases_in_window(app, now)
    return bool(recent) and bool(_not_applied(app, recent))


def _not_applied(app: App, releases: Sequence[Release]) -> list[Release]:
    """Those of `releases` not yet looked for among stored items, or changed since they were (their text, or
    how scores are worked out)."""
    done = app.store.releases_applied(r.id for r in releases)
    return [r for r in releases if done.get(r.id) != _applied_key(r)]


def _applied_key(release: Release) -> str:
    """What is recorded of a release looked for among stored items: its content hash and the `SCORE_SCALE` its
    matches were scored on. A release looked for on an older scale is looked for again (once), which re-scores
    the matches stored of it and drops those no longer made; a record of the hash alone is of scale 1."""
    return f"{release.content_hash} scale {SCORE_SCALE}"


def apply_new_rules(app: App, matchers: Matchers, now: datetime, pending: Sequence[Rule]) -> tuple[int, int]:
    """Apply `pending` rules (new or changed since last applied) to the items of the last `retro_days`: (matches
    added, matches deleted: those the changed rules no longer make)."""
    if not pending or matchers.keywords is None:
        return 0, 0
    names = {r.name for r in pending}
    since = now - timedelta(days=app.settings.watch.retro_days)
    keywords = replace(matchers, related=None)
    unjustified, kept = _no_longer_matching(app, keywords, names, kinds=frozenset({"keyword"}))
    if unjustified:
        app.store.drop_matches(unjustified)
        log.info("removed %d match(es) that changed rules no longer make", len(unjustified))
    app.store.refresh_matches([(found.id, m, found.delay) for found, m in kept])
    found: list[tuple[int, Match, float | None]] = [
        (stored.id, m, None) for stored, m in _matches_among_stored(app, keywords, since) if m.subject in names
    ]
    added = app.store.add_matches(found, now)
    app.store.mark_rules_applied(names, now)
    if added:
        log.info("applied %d new or changed rule(s) to stored items: %d match(es)", len(names), added)
    return added, len(unjustified)


def _no_longer_matching(
    app: App, matchers: Matchers, subjects: set[str], *, kinds: frozenset[str]
) -> tuple[list[int], list[tuple[StoredMatch, Match]]]:
    """The ids of the stored matches (of `kinds`) of the rules or releases `subjects` that `matchers`, as they
    are now, no longer make: a press officer narrows a rule to get rid of false matches, or cuts a sentence from
    a release, and they must go (whatever their age). The ones still made are kept, with their ids and the time
    they were found; those whose explanation changed (a release's new title, a shorter passage, another score)
    are returned with the match as made now."""
    feeds = {f.id: f for f in app.store.feeds()}
    stale: list[int] = []
    kept: list[tuple[StoredMatch, Match]] = []
    for subject in sorted(subjects):
        for found in app.store.matches(subject=subject):
            if found.kind not in kinds:
                continue
            feed = feeds.get(found.item.feed_id)
            made = match_item(matchers, feed, found.item.item) if feed is not None else []
            now = next((m for m in made if (m.kind, m.subject) == (found.kind, subject)), None)
            if now is None:
                stale.append(found.id)
            elif (now.why, now.score, now.terms) != (found.why, found.score, found.terms):
                kept.append((found, now))
    return stale, kept


def _matches_among_stored(app: App, matchers: Matchers, since: datetime) -> Iterator[tuple[StoredItem, Match]]:
    """Every match `matchers` find among the items stored since `since` (read a page at a time), with its item."""
    feeds = {f.id: f for f in app.store.feeds()}
    for stored in app.store.iter_stored_items(since=since):
        feed = feeds.get(stored.feed_id)
        if feed is not None:
            for m in match_item(matchers, feed, stored.item):
                yield stored, m
