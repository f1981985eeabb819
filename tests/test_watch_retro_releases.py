"""Coverage stored before its release was ingested is still found: each release is looked for once among stored
items (and again when its text changes)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from feeds.ingest import ingest_paths
from feeds.model import Match
from feeds.watch.manage import add_feed
from feeds.watch.poll import run_watch
from tests.test_watch_poll import model_coverage, rss

QUOTE = (
    "The new ferry link will carry its first passengers across the estuary before the end of the winter "
    "timetable, and every crossing will be free for the first week."
)
V1 = "The Harbour Authority confirmed the order for two electric ferries today.\n\nThe ferries are built locally."
V2 = V1 + "\n\nThe Harbour Master said:\n\n" + QUOTE


@pytest.fixture
def app(make_settings, make_app_for):
    return make_app_for(make_settings('\n[http]\nallow = ["127.0.0.1", "localhost", "::1"]\n'))


def release_file(tmp_path, body: str, title: str = "Electric ferries ordered"):
    path = tmp_path / "releases" / "ferries.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"title": title, "body": body, "source_key": "ferries-2026"}), encoding="utf-8")
    return path


def test_the_model_releases_coverage_is_found_when_the_release_comes_after_it(app, httpserver, corpus_releases, clock):
    model = (corpus_releases / "foreign-secretary-to-visit-moscow.txt").read_text(encoding="utf-8")
    httpserver.expect_request("/feed.xml").respond_with_data(model_coverage(model), content_type="text/xml")
    feed = add_feed(app, httpserver.url_for("/feed.xml"))
    assert run_watch(app).new_items == 3 and app.store.count_matches() == 0, "no release yet: nothing to find"

    clock.advance(timedelta(hours=1))
    ingest_paths(app, [corpus_releases / "foreign-secretary-to-visit-moscow.txt"])  # dated now: after the items
    release = app.store.release("foreign-secretary-to-visit-moscow")
    clock.advance(timedelta(minutes=30))
    report = run_watch(app)  # the feed answers with the same body: it is not even parsed
    assert [o.unchanged for o in report.outcomes] == [True]
    assert report.retro_matches == 2 and report.new_matches == 2
    found = {m.item.item.key: m for m in app.store.matches()}
    assert {k: m.kind for k, m in found.items()} == {"pickup": "pickup", "related": "related"}
    assert {m.subject for m in found.values()} == {release.id}
    related = found["related"]
    assert related.delay == (related.item.published - release.published).total_seconds() < 0
    assert "Lavrov" in related.why

    clock.advance(timedelta(minutes=31))
    assert run_watch(app, feed_ids=[feed.id]).retro_matches == 0, "each release is looked for once"
    assert app.store.count_matches() == 2


def test_items_first_seen_long_before_the_release_are_not_its_coverage(app, httpserver, tmp_path, clock):
    httpserver.expect_request("/feed.xml").respond_with_data(
        rss(("old", "Ferry talk", f"Someone said: {QUOTE}")), content_type="text/xml"
    )
    add_feed(app, httpserver.url_for("/feed.xml"))
    run_watch(app)
    clock.advance(timedelta(days=3))
    ingest_paths(app, [release_file(tmp_path, V2)])
    assert run_watch(app).retro_matches == 0
    assert app.store.count_matches() == 0


def test_a_changed_release_is_looked_for_again(app, httpserver, tmp_path, clock):
    httpserver.expect_request("/feed.xml").respond_with_data(
        rss(("quoted", "Free crossings promised", f"The harbour master told us: {QUOTE}")),
        content_type="text/xml",
    )
    feed = add_feed(app, httpserver.url_for("/feed.xml"))
    ingest_paths(app, [release_file(tmp_path, V1)])
    clock.advance(timedelta(minutes=5))
    run_watch(app)
    assert app.store.count_matches() == 0, "the first version has no passage the item repeats"

    clock.advance(timedelta(minutes=5))
    ingest_paths(app, [release_file(tmp_path, V2)])  # the same release (same source key), now with the quote
    clock.advance(timedelta(minutes=30))
    report = run_watch(app, feed_ids=[feed.id])
    assert report.retro_matches == 1
    (m,) = app.store.matches()
    assert m.kind == "pickup" and m.item.item.key == "quoted"

    # Watch review: the quote cut from the release again, its pickup stayed, explained by words it no longer has.
    clock.advance(timedelta(minutes=5))
    ingest_paths(app, [release_file(tmp_path, V1)])
    clock.advance(timedelta(minutes=30))
    run_watch(app, feed_ids=[feed.id])
    assert app.store.matches() == [], "the release no longer has the passage the item repeats"


def test_a_new_release_is_looked_for_even_when_no_feed_is_due(app, httpserver, corpus_releases, clock):
    """`feeds watch poll` (or a daemon tick) right after an ingest, with every feed checked minutes ago."""
    model = (corpus_releases / "foreign-secretary-to-visit-moscow.txt").read_text(encoding="utf-8")
    httpserver.expect_request("/feed.xml").respond_with_data(model_coverage(model), content_type="text/xml")
    add_feed(app, httpserver.url_for("/feed.xml"))
    run_watch(app)
    clock.advance(timedelta(minutes=5))
    ingest_paths(app, [corpus_releases / "foreign-secretary-to-visit-moscow.txt"])
    clock.advance(timedelta(minutes=1))
    report = run_watch(app)
    assert report.outcomes == [], "no feed was due"
    assert report.retro_matches == 2 and app.store.count_matches() == 2
    assert run_watch(app).retro_matches == 0, "and once only"


def test_an_embargoed_release_is_looked_for_only_once_it_is_due(app, httpserver, corpus_releases, clock):
    """Coverage of a release not public yet would publish its title (and tell on the embargo): the watch looks
    for it from its publication time on, and then finds what came before."""
    model = (corpus_releases / "foreign-secretary-to-visit-moscow.txt").read_text(encoding="utf-8")
    httpserver.expect_request("/feed.xml").respond_with_data(model_coverage(model), content_type="text/xml")
    add_feed(app, httpserver.url_for("/feed.xml"))
    embargoed = "Embargoed until " + f"{clock() + timedelta(hours=2):%H:%M %d %B %Y} UTC\n\n" + model
    path = app.settings.source("inbox").path.parent / "embargoed.txt"
    path.write_text(embargoed, encoding="utf-8")
    ingest_paths(app, [path])
    clock.advance(timedelta(hours=1))
    assert run_watch(app).new_items == 3 and app.store.count_matches() == 0, "not public yet: not looked for"
    clock.advance(timedelta(hours=1, minutes=1))
    assert run_watch(app).retro_matches == 2


def test_coverage_a_changed_release_keeps_is_explained_as_the_release_now_reads(app, httpserver, tmp_path, clock):
    httpserver.expect_request("/feed.xml").respond_with_data(
        rss(("quoted", "Free crossings promised", f"The harbour master told us: {QUOTE}")),
        content_type="text/xml",
    )
    feed = add_feed(app, httpserver.url_for("/feed.xml"))
    ingest_paths(app, [release_file(tmp_path, V2)])
    clock.advance(timedelta(minutes=5))
    run_watch(app)
    (before,) = app.store.matches()
    assert before.kind == "pickup" and "'Electric ferries ordered'" in before.why

    # Retitled, and a paragraph longer: the item still quotes it, so the match stays (same id), but what it says
    # (the release's title, the share of its words the item repeats) is the release's as it now reads.
    clock.advance(timedelta(minutes=5))
    ingest_paths(app, [release_file(tmp_path, V2 + "\n\nMore ferries may follow next year.", "Two ferries ordered")])
    clock.advance(timedelta(minutes=30))
    run_watch(app, feed_ids=[feed.id])
    (after,) = app.store.matches()
    assert after.id == before.id and after.found_at == before.found_at
    assert after.why.startswith("pickup of 'Two ferries ordered': ") and "Electric" not in after.why
    assert after.score < before.score


def test_coverage_scored_on_an_older_scale_is_scored_again(app, httpserver, corpus_releases, clock):
    """Related scores once counted a name's shorter forms twice in the release's term weight (an item naming
    every term scored about 0.9). A database from then holds such scores, their `why` without the names' parts,
    and maybe matches below today's bar: each release of the window is looked for again once, on today's scale
    (its matches keep their ids and the time they were found)."""
    model = (corpus_releases / "foreign-secretary-to-visit-moscow.txt").read_text(encoding="utf-8")
    httpserver.expect_request("/feed.xml").respond_with_data(model_coverage(model), content_type="text/xml")
    feed = add_feed(app, httpserver.url_for("/feed.xml"))
    ingest_paths(app, [corpus_releases / "foreign-secretary-to-visit-moscow.txt"])
    release = app.store.release("foreign-secretary-to-visit-moscow")
    clock.advance(timedelta(minutes=30))
    run_watch(app)
    (now,) = [m for m in app.store.matches() if m.kind == "related"]

    # What the previous version stored: the old score and why, and the release marked looked for by its hash.
    old = replace(now, score=0.3473, why="related to 'Foreign Secretary to visit Moscow': Lavrov (title); score 0.35")
    app.store.refresh_matches(
        [(now.id, Match(old.kind, old.subject, old.item.item.key, feed.id, old.terms, old.score, old.why), now.delay)]
    )
    app.store.mark_releases_applied({release.id: release.content_hash}, clock())

    clock.advance(timedelta(minutes=31))
    report = run_watch(app, feed_ids=[feed.id])
    assert report.retro_matches == 0
    (after,) = [m for m in app.store.matches() if m.kind == "related"]
    assert (after.id, after.found_at, after.score, after.why) == (now.id, now.found_at, now.score, now.why)
    assert "; score 0.35" not in after.why

    marker = app.store.releases_applied([release.id])
    assert marker != {release.id: release.content_hash}
    clock.advance(timedelta(minutes=31))
    assert run_watch(app, feed_ids=[feed.id]).retro_matches == 0
    assert app.store.releases_applied([release.id]) == marker, "looked for again once, not on every run"
