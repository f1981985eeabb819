"""A 200 answer that repeats the last body byte for byte is not parsed again (servers without validators)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from werkzeug import Response

from feeds.cli.watch import feed_json
from feeds.watch import check, parsejobs, poll
from feeds.watch.manage import add_feed, add_rule
from feeds.watch.parse import parse_feed
from feeds.watch.parsejobs import body_digest
from feeds.watch.poll import run_watch

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Night Desk</title><link>https://desk.example.net/</link>
<description>Late news</description>{items}</channel></rss>"""
ITEM = """<item><title>{title}</title><link>https://desk.example.net/{slug}</link><guid>{slug}</guid>
<description>{title}.</description><pubDate>Sat, 28 Nov 2026 10:00:00 GMT</pubDate></item>"""


def feed_body(*stories: tuple[str, str]) -> str:
    return FEED.format(items="".join(ITEM.format(slug=s, title=t) for s, t in stories))


ONE = feed_body(("harbour", "Harbour cranes back in service"))
TWO = feed_body(("harbour", "Harbour cranes back in service"), ("ferry", "Lavrov misses the night ferry"))
# A bare ampersand: libxml2 refuses it, feedparser reads it and flags the feed as malformed (bozo)
SLOPPY = ONE.replace("Late news", "Late news & weather")


def digest_of(text: str) -> str:
    """The digest a feed's row should hold once this body (sent as UTF-8) is read into items."""
    return f"{parsejobs.parse_epoch()}:{hashlib.sha256(text.encode()).hexdigest()}"


@pytest.fixture
def app(make_settings, make_app_for):
    return make_app_for(make_settings('\n[http]\nallow = ["127.0.0.1", "localhost", "::1"]\n'))


@pytest.fixture
def parses(monkeypatch):
    """How many bodies this process parsed."""
    calls: list[str] = []
    real = parsejobs.parse_feed

    def counting(body, **kw):
        calls.append(kw["url"])
        return real(body, **kw)

    monkeypatch.setattr(parsejobs, "parse_feed", counting)
    return calls


def test_the_same_body_again_is_not_parsed_and_a_changed_one_is(app, httpserver, clock, parses):
    add_rule(app, "lavrov", name="lavrov")
    for body in (ONE, ONE, TWO):  # no ETag, no Last-Modified: every check is a full 200
        httpserver.expect_ordered_request("/feed.xml").respond_with_data(body, content_type="application/rss+xml")
    feed = add_feed(app, httpserver.url_for("/feed.xml"))

    (first,) = run_watch(app).outcomes
    assert (first.status, first.new_items, first.unchanged) == ("200", 1, False)
    assert app.store.feed(feed.id).body_digest == digest_of(ONE)

    clock.advance(timedelta(minutes=34))  # past the interval and its spread (up to 10%)
    (again,) = run_watch(app).outcomes
    assert (again.status, again.new_items, again.changed_items, again.unchanged) == ("200", 0, 0, True)
    assert len(parses) == 1, "the repeated body was not parsed"
    row = app.store.feed(feed.id)
    assert row.last_checked == clock() and clock() + timedelta(minutes=30) <= row.next_check <= clock() + timedelta(
        minutes=33
    )
    assert (row.last_status, row.failures, row.last_error) == ("200", 0, None)

    clock.advance(timedelta(minutes=34))  # past the interval and its spread (up to 10%)
    (changed,) = run_watch(app).outcomes
    assert (changed.new_items, changed.new_matches, changed.unchanged) == (1, 1, False)
    assert len(parses) == 2
    assert app.store.count_items() == 2 and app.store.feed(feed.id).body_digest == digest_of(TWO)
    httpserver.check_assertions()


def test_a_parse_warning_stays_on_the_row_while_the_body_stays_the_same(app, httpserver, clock, parses):
    for _ in range(2):  # a server that ignores its own validator once, then honours it
        httpserver.expect_ordered_request("/feed.xml").respond_with_data(
            SLOPPY, content_type="text/xml", headers={"ETag": '"s1"'}
        )
    httpserver.expect_ordered_request("/feed.xml", headers={"If-None-Match": '"s1"'}).respond_with_response(
        Response(status=304)
    )
    feed = add_feed(app, httpserver.url_for("/feed.xml"))
    run_watch(app)
    warning = app.store.feed(feed.id).last_error
    assert warning is not None and warning.startswith("parsed with problems: ")
    for status in ("200", "304"):  # the same bytes, then "not modified": the same problems either way
        clock.advance(timedelta(minutes=34))  # past the interval and its spread (up to 10%)
        (o,) = run_watch(app).outcomes
        assert o.status == status and o.error is None
        assert app.store.feed(feed.id).last_error == warning
    assert len(parses) == 1
    httpserver.check_assertions()


def test_a_parse_warning_outlives_a_failed_check_while_the_body_stays_the_same(app, httpserver, clock):
    """A review's find: the warning was read back from `last_error`, which a failed check overwrites, so after
    200 (malformed) → 500 → 304 the feed showed as clean while it still served the same malformed body."""
    httpserver.expect_ordered_request("/feed.xml").respond_with_data(
        SLOPPY, content_type="text/xml", headers={"ETag": '"s1"'}
    )
    httpserver.expect_ordered_request("/feed.xml").respond_with_data("busy", status=500)
    httpserver.expect_ordered_request("/feed.xml", headers={"If-None-Match": '"s1"'}).respond_with_response(
        Response(status=304)
    )
    feed = add_feed(app, httpserver.url_for("/feed.xml"))
    run_watch(app)
    warning = app.store.feed(feed.id).last_error
    assert warning is not None and warning.startswith("parsed with problems: ")
    clock.advance(timedelta(minutes=34))  # past the interval and its spread (up to 10%)
    (failed,) = run_watch(app).outcomes
    row = app.store.feed(feed.id)
    assert failed.status == "500" and row.state == "failing" and row.parse_warning == warning.split(": ", 1)[1]
    assert feed_json(row)["health"]["parse_warning"] == row.parse_warning  # (`feeds watch list --json`)
    clock.advance(timedelta(hours=2))
    (o,) = run_watch(app).outcomes
    row = app.store.feed(feed.id)
    assert o.status == "304" and o.warning is not None
    assert row.last_error == warning and row.state == "warning"
    httpserver.check_assertions()


def test_a_body_that_failed_to_parse_is_read_again(app, httpserver, clock, parses):
    httpserver.expect_request("/feed.xml").respond_with_data("<html><p>Moved</p></html>", content_type="text/html")
    feed = add_feed(app, httpserver.url_for("/feed.xml"))
    for failures in (1, 2):
        (o,) = run_watch(app, feed_ids=[feed.id]).outcomes
        assert o.status == "parse-error" and not o.unchanged
        row = app.store.feed(feed.id)
        assert row.failures == failures and row.body_digest is None
    assert len(parses) == 2


def test_many_feeds_repeating_their_bodies_are_not_sent_to_the_workers(app, httpserver, clock, monkeypatch):
    count = poll.PARALLEL_PARSE_MIN + 4
    for n in range(count):
        body = feed_body((f"story-{n}", f"Story number {n}"))
        httpserver.expect_request(f"/f{n}.xml").respond_with_data(body, content_type="application/rss+xml")
        add_feed(app, httpserver.url_for(f"/f{n}.xml"))
    first = run_watch(app).outcomes
    assert len(first) == count and sum(o.new_items for o in first) == count
    sent: list[object] = []
    real = poll.parse_pool

    def spying_pool(*args):
        pool = real(*args)
        if pool is not None:
            original = pool.submit
            monkeypatch.setattr(pool, "submit", lambda fn, *a: sent.append(fn) or original(fn, *a))
        return pool

    monkeypatch.setattr(poll, "parse_pool", spying_pool)
    clock.advance(timedelta(minutes=34))  # past the interval and its spread (up to 10%)
    again = run_watch(app).outcomes
    assert len(again) == count and all(o.unchanged and o.status == "200" for o in again)
    assert sent == [] and app.store.count_items() == count


def test_the_digest_changes_with_the_code_and_libraries_that_read_feeds(monkeypatch):
    fetched = SimpleNamespace(sha256=hashlib.sha256(b"<rss/>").hexdigest())
    epoch = parsejobs.parse_epoch()
    assert body_digest(fetched) == f"{epoch}:{fetched.sha256}" and parsejobs.parse_epoch() == epoch
    real_version = parsejobs.importlib.metadata.version
    monkeypatch.setattr(
        parsejobs.importlib.metadata, "version", lambda name: real_version(name) + (".1" * (name == "nh3"))
    )
    parsejobs.parse_epoch.cache_clear()
    try:
        assert parsejobs.parse_epoch() != epoch, "a new nh3 reads every unchanged body once more"
        monkeypatch.undo()
        parsejobs.parse_epoch.cache_clear()
        monkeypatch.setattr(
            parsejobs, "_READERS", (*parsejobs._READERS, "feeds.watch.query")
        )  # as if a reader's code changed
        assert parsejobs.parse_epoch() != epoch
    finally:
        monkeypatch.undo()
        parsejobs.parse_epoch.cache_clear()
    assert parsejobs.parse_epoch() == epoch


def test_old_posts_of_a_slow_feed_are_not_pruned_and_found_again_as_new(app, httpserver, clock):
    posts = [(f"post-{n}", f"Harbour notes, part {n}") for n in range(3)]
    for body in (feed_body(*posts), feed_body(*posts), feed_body(*posts, ("post-3", "Harbour notes, part 3"))):
        httpserver.expect_ordered_request("/feed.xml").respond_with_data(body, content_type="application/rss+xml")
    feed = add_feed(app, httpserver.url_for("/feed.xml"))
    assert run_watch(app).new_items == 3
    clock.advance(timedelta(days=100))  # the blog is quiet for months: the same body, not parsed
    (quiet,) = run_watch(app, feed_ids=[feed.id]).outcomes
    assert quiet.unchanged
    retention = timedelta(days=app.settings.watch.retention_days)
    assert app.store.prune_items(clock() - retention) == 0, "its posts are still in the feed"
    clock.advance(timedelta(days=1))
    (posted,) = run_watch(app, feed_ids=[feed.id]).outcomes
    assert (posted.new_items, posted.unchanged) == (1, False), "one new post, not four"
    assert app.store.count_items() == 4
    httpserver.check_assertions()


def test_a_worker_matches_only_the_items_that_are_new_or_changed(app, clock):
    add_rule(app, "harbour", name="harbour")
    matchers = poll.current_matchers(app, clock(), app.store.rules())
    feed = add_feed(app, "https://desk.example.net/feed.xml")
    body = feed_body(("old", "Harbour cranes back"), ("edited", "Harbour ferry delayed"), ("new", "Harbour opens"))
    parsed = parse_feed(body.encode(), url=feed.url)
    key = {it.title: it.key for it in parsed.items}  # (the guids are permalinks: keys are URLs)
    known = {key["Harbour cranes back"]: parsed.items[0].content_hash, key["Harbour ferry delayed"]: "an earlier hash"}
    parsejobs._install(matchers.spec)  # what a worker process runs first
    try:
        answer = parsejobs.parse_job(body.encode(), feed.url, None, None, feed, known)
    finally:
        parsejobs._install(None)
    assert not isinstance(answer, str) and answer.matches is not None
    by_title = dict(zip((it.title for it in answer.feed.items), answer.matches, strict=True))
    assert by_title["Harbour cranes back"] is None, "stored already, unchanged: not matched again"
    assert [m.subject for m in by_title["Harbour ferry delayed"] or ()] == ["harbour"]
    assert [m.subject for m in by_title["Harbour opens"] or ()] == ["harbour"]


def test_an_item_a_worker_skipped_as_known_is_matched_here_if_it_is_stored_after_all(app, clock):
    """Another daemon changed the item between our look at the store and our write: its matches are not lost."""
    add_rule(app, "harbour", name="harbour")
    matchers = poll.current_matchers(app, clock(), app.store.rules())
    (feed,) = app.store.claim_feeds(
        [add_feed(app, "https://desk.example.net/feed.xml").id], clock(), owner="w", lease=timedelta(minutes=5)
    )
    parsed = parse_feed(feed_body(("k", "Harbour cranes back")).encode(), url=feed.url)
    skipped = parsejobs.Parsed(parsed, (None,))  # the worker thought this item was stored already, unchanged
    stored, added, removed = check._store(app, matchers, feed, feed, skipped, clock(), owner="w")
    assert [(it.title, state) for _, it, state in stored] == [("Harbour cranes back", "new")]
    assert (added, removed) == (1, 0) and [m.subject for m in app.store.matches()] == ["harbour"]


def test_an_item_given_a_new_guid_on_every_request_is_not_new_again(app, httpserver, clock):
    """Some feeds mint a guid per request: the same story must not come back as new (and alert) every time."""
    add_rule(app, "lavrov", name="lavrov")
    minted = [
        ONE.replace("<guid>harbour</guid>", f'<guid isPermaLink="false">urn:uuid:{n:08d}-harbour</guid>').replace(
            "<item>",
            f'<item><guid isPermaLink="false">urn:uuid:{n:08d}-ferry</guid><title>Lavrov visit</title>'
            "<link>https://desk.example.net/ferry</link><description>Lavrov.</description></item><item>",
            1,
        )
        for n in range(3)
    ]
    for body in minted:
        httpserver.expect_ordered_request("/feed.xml").respond_with_data(body, content_type="application/rss+xml")
    feed = add_feed(app, httpserver.url_for("/feed.xml"))

    (first,) = run_watch(app).outcomes
    assert (first.new_items, first.new_matches) == (2, 1)
    for n in (1, 2):
        clock.advance(timedelta(minutes=34))  # past the interval and its spread (up to 10%)
        (again,) = run_watch(app).outcomes
        assert (again.status, again.unchanged, again.new_items, again.changed_items, again.new_matches) == (
            "200",
            False,
            0,
            0,
            0,
        )
        assert {s.item.guid for s in app.store.stored_items()} == {
            f"urn:uuid:{n:08d}-harbour",
            f"urn:uuid:{n:08d}-ferry",
        }, "the stored items follow the feed's latest guids"
    assert app.store.count_items() == 2 and len(app.store.matches()) == 1
    assert app.store.feed(feed.id).items_seen == 2
    httpserver.check_assertions()
