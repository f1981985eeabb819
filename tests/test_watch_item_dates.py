"""Watched feeds that date their items wrongly: years ahead (a CMS default of 2099, a typo 2062) or a day ahead (a
time zone error), a placeholder date (1970-01-01, 0001-01-01), every item stamped with the time of each request, a
date corrected and nothing else, `updated` before `published`. What a press officer sees of each: the order and
dates of the match feeds, the delay of coverage, alerts, retention."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import feedparser
import pytest
from werkzeug import Response

from feeds.ingest import ingest_paths
from feeds.publish import run_publish
from feeds.watch.manage import add_feed, add_rule
from feeds.watch.parse import parse_feed
from feeds.watch.poll import run_watch

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Night Desk</title><link>https://desk.example.net/</link>
<description>Late news</description><lastBuildDate>{built}</lastBuildDate>{items}</channel></rss>"""


def item(slug: str, title: str, date: str | None = None, body: str = "") -> str:
    when = f"<pubDate>{date}</pubDate>" if date else ""
    text = body or f"{title}."
    return (
        f"<item><title>{title}</title><link>https://desk.example.net/{slug}</link>"
        f'<guid isPermaLink="false">{slug}</guid><description>{text}</description>{when}</item>'
    )


def rss(*items: str, built: str = "Sat, 28 Nov 2026 11:00:00 GMT") -> str:
    return RSS.format(built=built, items="".join(items))


@pytest.fixture
def app(make_settings, make_app_for, db_url):
    """On SQLite and PostgreSQL: the store's statements decide what is a change."""
    extra = '\n[http]\nallow = ["127.0.0.1", "localhost", "::1"]\n'
    return make_app_for(make_settings(extra, database_url=db_url))


def stored(app) -> dict[str, object]:
    return {s.item.key: s for s in app.store.stored_items()}


WRONG = rss(
    item("cms-default", "Lavrov story one", "Thu, 01 Jan 2099 00:00:00 GMT"),
    item("typo", "Lavrov story two", "Mon, 30 Nov 2062 10:00:00 GMT"),
    item("zone", "Lavrov story three", "Sat, 28 Nov 2026 17:00:00 +0000"),  # local time (UTC-5) written as UTC
    item("epoch", "Lavrov story four", "Thu, 01 Jan 1970 00:00:00 +0000"),
    item("zero", "Lavrov story five", "Mon, 01 Jan 0001 00:00:00 GMT"),
    item("short-year", "Lavrov story six", "Sat, 28 Nov 26 08:00:00 GMT"),
    item("undated", "Lavrov story seven"),  # the channel's lastBuildDate is no item's date
    item("real", "Lavrov story eight", "Sat, 28 Nov 2026 09:00:00 GMT"),
)


def test_placeholder_dates_are_no_dates():
    """1970-01-01, 0001-01-01 (or the epoch written in another zone) read as no date; a two-digit year as this
    century's; a date ahead is kept as the feed said it (the store dates it when seen)."""
    parsed = parse_feed(WRONG.encode(), url="https://desk.example.net/feed", content_type="application/rss+xml")
    dates = {it.key: it.published for it in parsed.items}
    assert dates["epoch"] is None and dates["zero"] is None and dates["undated"] is None
    assert dates["short-year"] == datetime(2026, 11, 28, 8, tzinfo=UTC)
    assert dates["cms-default"] == datetime(2099, 1, 1, tzinfo=UTC)
    other_zone = rss(item("x", "x", "Wed, 31 Dec 1969 19:00:00 -0500"))
    assert parse_feed(other_zone.encode(), url="https://d.example/f").items[0].published is None
    json_feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "J",
        "items": [{"id": "1", "title": "t", "date_published": "0001-01-01T00:00:00Z"}],
    }
    assert parse_feed(json.dumps(json_feed).encode(), url="https://d.example/f.json").items[0].published is None


def test_wrong_dates_as_the_store_and_the_match_feeds_show_them(app, httpserver, clock):
    add_rule(app, "lavrov", name="lavrov")
    httpserver.expect_request("/feed.xml").respond_with_data(WRONG, content_type="application/rss+xml")
    feed = add_feed(app, httpserver.url_for("/feed.xml"))
    seen = clock()
    assert run_watch(app).new_matches == 8
    # `watch show` says why three items are dated otherwise than their feed dates them, and the furthest date
    assert app.store.feed(feed.id).parse_warning == (
        "3 item(s) dated ahead of the check (up to 2099-01-01T00:00:00Z): dated when first seen"
    )
    items = stored(app)
    # Ahead of the time it was seen (years or hours): dated when seen, so it cannot head the coverage for ever.
    for key in ("cms-default", "typo", "zone"):
        assert items[key].published == seen, key
    # A placeholder or no date: dated when seen, as having no date of its own.
    for key in ("epoch", "zero", "undated"):
        assert (items[key].published, items[key].item.published) == (seen, None), key
    assert items["short-year"].published == datetime(2026, 11, 28, 8, tzinfo=UTC)
    assert items["real"].published == datetime(2026, 11, 28, 9, tzinfo=UTC)

    run_publish(app)
    out = app.settings.paths.out / "matches"
    atom = feedparser.parse((out / "atom.xml").read_bytes())
    assert not atom.bozo and len(atom.entries) == 8
    for e in atom.entries:  # RFC 3339, never ahead of the publish, never before the feed existed
        for value in (e.published, e.updated):
            when = datetime.fromisoformat(value)
            assert datetime(2026, 11, 28, tzinfo=UTC) <= when <= seen, (e.title, value)
    rss_doc = (out / "rss.xml").read_text(encoding="utf-8")
    dates = [parsedate_to_datetime(d) for d in feedparser.parse(rss_doc).entries and _pub_dates(rss_doc)]
    assert dates and all(datetime(2026, 11, 28, tzinfo=UTC) <= d <= seen for d in dates)
    for it in json.loads((out / "feed.json").read_bytes())["items"]:
        assert datetime(2026, 11, 28, tzinfo=UTC) <= datetime.fromisoformat(it["date_published"]) <= seen


def _pub_dates(rss_doc: str) -> list[str]:
    return [part.split("</pubDate>")[0] for part in rss_doc.split("<pubDate>")[1:]]


def test_updated_before_published_is_dated_as_published(app, httpserver, clock):
    atom = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<id>urn:a</id><updated>2026-11-28T10:00:00Z</updated><entry><title>Lavrov back</title><id>urn:a:1</id>
<link href="https://a.example/1"/><published>2026-11-28T10:00:00Z</published><updated>2026-10-01T10:00:00Z</updated>
</entry></feed>"""
    add_rule(app, "lavrov", name="lavrov")
    httpserver.expect_request("/a.xml").respond_with_data(atom, content_type="application/atom+xml")
    add_feed(app, httpserver.url_for("/a.xml"))
    run_watch(app)
    run_publish(app)
    (e,) = feedparser.parse((app.settings.paths.out / "matches" / "atom.xml").read_bytes()).entries
    assert e.published == "2026-11-28T10:00:00Z" and datetime.fromisoformat(e.updated) >= datetime.fromisoformat(
        e.published
    )


def test_a_feed_stamping_every_item_with_the_request_time_is_not_a_change_each_time(app, httpserver, clock):
    """Each check sees every item dated anew and nothing else changed: no "changed" items, no match entry dated
    again, the item keeps the date it was first stored with; a real change still counts."""
    add_rule(app, "lavrov", name="lavrov")
    title = {"now": "Lavrov arrives in Geneva"}

    def stamped(request):
        now = clock().strftime("%a, %d %b %Y %H:%M:%S GMT")
        body = rss(item("geneva", title["now"], now), item("bakery", "Bakery wins a prize", now), built=now)
        return Response(body, content_type="application/rss+xml")

    httpserver.expect_request("/feed.xml").respond_with_handler(stamped)
    feed = add_feed(app, httpserver.url_for("/feed.xml"))
    first_seen = clock()
    assert run_watch(app).new_matches == 1
    (match,) = app.store.matches()
    run_publish(app)
    atom = app.settings.paths.out / "matches" / "atom.xml"
    before = feedparser.parse(atom.read_bytes()).entries[0]

    for _ in range(3):
        clock.advance(timedelta(minutes=34))
        report = run_watch(app, feed_ids=[feed.id])
        assert (report.new_items, report.changed_items, report.new_matches) == (0, 0, 0)
    (again,) = app.store.matches()
    assert (again.id, again.found_at) == (match.id, match.found_at)
    geneva = stored(app)["geneva"]
    assert (geneva.published, geneva.changed_at) == (first_seen, None)
    run_publish(app)
    after = feedparser.parse(atom.read_bytes()).entries[0]
    assert (after.id, after.published, after.updated) == (before.id, before.published, before.updated)

    clock.advance(timedelta(minutes=34))
    title["now"] = "Lavrov arrives in Geneva for talks"  # a real correction: matched again, dated by it
    report = run_watch(app, feed_ids=[feed.id])
    assert (report.changed_items, report.new_matches) == (1, 0)
    assert stored(app)["geneva"].changed_at == clock()


def test_a_feed_giving_each_item_a_new_guid_and_date_on_every_request_alerts_it_once(app, httpserver, clock):
    """A guid and a date both made of the time of the request: the item is the stored one, under its new key, not
    a new item matched (and alerted) on every poll."""
    add_rule(app, "lavrov", name="lavrov")

    def stamped(request):
        now = clock().strftime("%a, %d %b %Y %H:%M:%S GMT")
        body = rss(item("geneva", "Lavrov arrives in Geneva", now), item("ferry", "Ferry news", now))
        body = body.replace('">geneva<', f'">geneva-{clock():%H%M}<').replace('">ferry<', f'">ferry-{clock():%H%M}<')
        return Response(body, content_type="application/rss+xml")

    httpserver.expect_request("/feed.xml").respond_with_handler(stamped)
    feed = add_feed(app, httpserver.url_for("/feed.xml"))
    first_seen = clock()
    assert run_watch(app).new_matches == 1
    for _ in range(3):
        clock.advance(timedelta(minutes=34))
        report = run_watch(app, feed_ids=[feed.id])
        assert (report.new_items, report.changed_items, report.new_matches) == (0, 0, 0)
    items = stored(app)
    assert set(items) == {f"geneva-{clock():%H%M}", f"ferry-{clock():%H%M}"}
    assert {s.published for s in items.values()} == {first_seen} and app.store.count_matches() == 1


def test_a_date_corrected_and_nothing_else_keeps_the_item_as_it_was(app, httpserver, clock):
    add_rule(app, "lavrov", name="lavrov")
    bodies = [
        rss(item("geneva", "Lavrov in Geneva", "Sat, 28 Nov 2026 09:00:00 GMT")),
        rss(item("geneva", "Lavrov in Geneva", "Sat, 28 Nov 2026 04:00:00 GMT")),  # the zone corrected
    ]
    for body in bodies:
        httpserver.expect_ordered_request("/feed.xml").respond_with_data(body, content_type="application/rss+xml")
    feed = add_feed(app, httpserver.url_for("/feed.xml"))
    run_watch(app)
    clock.advance(timedelta(minutes=34))
    assert run_watch(app, feed_ids=[feed.id]).changed_items == 0
    geneva = stored(app)["geneva"]
    assert (geneva.published, geneva.changed_at) == (datetime(2026, 11, 28, 9, tzinfo=UTC), None)


def test_coverage_and_its_delay_for_wrongly_dated_items(app, httpserver, corpus_releases, clock):
    """An item dated 1970 by its CMS is still coverage of today's release (its date is no date); one dated 2099
    is coverage found with the delay of when it was seen, never a century."""
    ingest_paths(app, [corpus_releases / "foreign-secretary-to-visit-moscow.txt"])
    release = app.store.release("foreign-secretary-to-visit-moscow")
    related = "Boris Johnson will discuss North Korea and Iran with Sergei Lavrov; both sit on the UN Security Council."
    body = rss(
        item("epoch", "Johnson to meet Sergei Lavrov in Moscow", "Thu, 01 Jan 1970 00:00:00 GMT", related),
        item("future", "Johnson and Lavrov to meet in Moscow", "Thu, 01 Jan 2099 00:00:00 GMT", related + " Soon."),
        item("archive", "Johnson meets Lavrov in Moscow", "Tue, 01 Dec 2020 09:00:00 GMT", related + " Again."),
    )
    httpserver.expect_request("/feed.xml").respond_with_data(body, content_type="application/rss+xml")
    add_feed(app, httpserver.url_for("/feed.xml"))
    clock.advance(timedelta(hours=2))
    run_watch(app)
    found = {m.item.item.key: m for m in app.store.matches(kind="related")}
    assert set(found) == {"epoch", "future"}, "a 2020 archive item is no coverage of today's release"
    expected = (clock() - release.published).total_seconds()
    assert found["epoch"].delay == found["future"].delay == expected


def test_retention_counts_from_when_an_item_was_seen_whatever_its_date(app, httpserver, clock):
    bodies = [
        rss(
            item("epoch", "Old story", "Thu, 01 Jan 1970 00:00:00 GMT"),
            item("archive", "Older story", "Tue, 01 Dec 2020 09:00:00 GMT"),
            item("cms-default", "Future story", "Thu, 01 Jan 2099 00:00:00 GMT"),
        ),
        rss(item("other", "Another story", "Sat, 28 Nov 2026 09:00:00 GMT")),  # the three have left the feed
    ]
    for body in bodies:
        httpserver.expect_ordered_request("/feed.xml").respond_with_data(body, content_type="application/rss+xml")
    feed = add_feed(app, httpserver.url_for("/feed.xml"))
    run_watch(app)
    clock.advance(timedelta(minutes=34))
    run_watch(app, feed_ids=[feed.id])
    assert app.store.prune_items(clock() - timedelta(days=90)) == 0, "none is pruned the day it is found"
    clock.advance(timedelta(days=91))
    assert app.store.prune_items(clock() - timedelta(days=90)) == 3, "nor one dated 2099 kept for ever"
    assert set(stored(app)) == {"other"}, "(the one its feed still lists stays)"
