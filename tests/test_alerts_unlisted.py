"""Where a digest sends the reader for the matches it does not list (`where_unlisted`): real store, both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from feeds.alerts.unlisted import UnlistedFeed, where_unlisted
from tests.alerts_helpers import NOW, add_coverage_match, add_keyword_matches


@pytest.fixture
def app(db_url, make_settings, make_app_for):
    return make_app_for(make_settings('\n[publish]\nentries = 3\nformats = ["rss", "atom"]\n', database_url=db_url))


def ids(app, kind: str | None = None, subject: str | None = None) -> list[int]:
    return [m.id for m in app.store.matches(kind=kind, subject=subject)]


def test_the_all_matches_feed_is_named_only_while_it_holds_every_unlisted_match(app):
    add_keyword_matches(app.store, {"a": "A", "b": "B"}, found_at=NOW)
    u = where_unlisted(app.store, app.settings, ids(app))
    assert u is not None and u.feeds == (UnlistedFeed(None, "https://press.example.org/matches/rss.xml"),)
    assert (u.count, u.first_found, u.feed_size) == (2, NOW, 3)
    add_keyword_matches(app.store, {"c": "C", "d": "D"}, rule="iran", found_at=NOW + timedelta(minutes=1))
    u = where_unlisted(app.store, app.settings, ids(app, subject="sanctions"))
    assert u is not None and u.feeds == (
        UnlistedFeed("sanctions", "https://press.example.org/matches/rules/sanctions/rss.xml"),
    )
    assert where_unlisted(app.store, app.settings, []) is None


def test_without_a_feed_holding_them_the_command_narrows_to_what_they_share(app):
    add_keyword_matches(app.store, {f"s{i}": f"S{i}" for i in range(4)}, found_at=NOW)
    add_keyword_matches(app.store, {f"i{i}": f"I{i}" for i in range(4)}, rule="north korea", found_at=NOW)
    add_coverage_match(app.store, "p", "Picked up", "tag:press.example.org,2026:r1", found_at=NOW)
    since = "--since 2026-11-28T12:00:00Z"
    one_rule = where_unlisted(app.store, app.settings, ids(app, subject="north korea"))
    assert one_rule is not None and one_rule.feeds == ()
    assert one_rule.command == f"feeds matches list --rule 'north korea' {since}"
    rules = where_unlisted(app.store, app.settings, ids(app, kind="keyword"))
    assert rules is not None and rules.command == f"feeds matches list --kind keyword {since}"
    everything = where_unlisted(app.store, app.settings, ids(app))
    assert everything is not None and everything.command == f"feeds matches list {since}"
    release = where_unlisted(app.store, app.settings, ids(app, kind="pickup"))
    assert (
        release is not None and release.command == f"feeds matches list --release tag:press.example.org,2026:r1 {since}"
    )
