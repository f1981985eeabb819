"""The watch pipeline against a real local HTTP server: polite polling, items stored once, matches recorded."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections import Counter
from concurrent.futures import wait
from datetime import timedelta

import feedparser
import pytest
from lxml import etree
from werkzeug import Response

from feeds.clock import FixedClock
from feeds.errors import IngestError
from feeds.fetch import NotModified
from feeds.ingest import ingest_paths
from feeds.publish import run_publish
from feeds.watch.manage import (
    add_feed,
    add_rule,
    edit_feed,
    export_opml,
    import_configured,
    import_opml,
    read_opml,
    try_query,
)
from feeds.watch.opml import parse_opml
from feeds.watch.poll import run_watch
from feeds.workers import POOL_KEY
from tests.leaseclock_helpers import leases_age

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>World Desk</title><link>https://news.example.com/</link>
<description>World news</description>
{items}
</channel></rss>"""

ITEM = """<item><title>{title}</title><link>https://news.example.com/{slug}</link>
<guid isPermaLink="false">{slug}</guid><description>{body}</description>
<pubDate>Sat, 28 Nov 2026 09:00:00 GMT</pubDate></item>"""


def rss(*items: tuple[str, str, str]) -> str:
    return RSS.format(items="\n".join(ITEM.format(slug=s, title=t, body=b) for s, t, b in items))


STORIES = (
    ("lavrov-talks", "Lavrov holds talks with European ministers", "The Russian foreign minister met counterparts."),
    ("bakery", "Town bakery wins national prize", "A sourdough loaf took first place."),
    ("iranian-food", "The best Iranian restaurants in London", "Saffron rice and stews."),
)


@pytest.fixture
def app(make_settings, make_app_for):
    extra = '\n[http]\nallow = ["127.0.0.1", "localhost", "::1"]\n'
    return make_app_for(make_settings(extra))


def feed_at(app, httpserver, path="/feed.xml", **kw):
    return add_feed(app, httpserver.url_for(path), **kw)


def test_first_poll_stores_items_and_matches_then_304_costs_nothing(app, httpserver, clock):
    add_rule(app, "lavrov", name="lavrov")
    add_rule(app, "iran", name="iran")
    httpserver.expect_ordered_request("/feed.xml").respond_with_data(
        rss(*STORIES), content_type="application/rss+xml", headers={"ETag": '"a1"'}
    )
    httpserver.expect_ordered_request("/feed.xml", headers={"If-None-Match": '"a1"'}).respond_with_response(
        Response(status=304)
    )
    feed = feed_at(app, httpserver)
    report = run_watch(app)
    (o,) = report.outcomes
    assert (o.status, o.new_items, o.new_matches) == ("200", 3, 1)
    (m,) = app.store.matches()
    assert m.kind == "keyword" and m.subject == "lavrov" and m.item.item.title.startswith("Lavrov")
    assert m.terms[0].field == "title" and m.item.item.title[m.terms[0].start : m.terms[0].end] == "Lavrov"
    stored = app.store.feed(feed.id)
    assert stored.title == "World Desk" and stored.etag == '"a1"' and stored.failures == 0
    assert clock() + timedelta(minutes=30) <= stored.next_check <= clock() + timedelta(minutes=33), (
        "spread by up to 10%"
    )
    assert stored.items_seen == 3
    assert run_watch(app).outcomes == [], "not due yet"
    clock.advance(timedelta(minutes=34))
    (o,) = run_watch(app).outcomes
    assert o.status == "304" and o.new_items == 0
    httpserver.check_assertions()
    assert app.store.count_items() == 3 and app.store.count_matches() == 1


def test_changed_item_is_updated_not_duplicated(app, httpserver, clock):
    httpserver.expect_ordered_request("/feed.xml").respond_with_data(rss(STORIES[0]), content_type="text/xml")
    changed = (STORIES[0][0], "Lavrov holds talks (updated)", STORIES[0][2])
    httpserver.expect_ordered_request("/feed.xml").respond_with_data(rss(changed), content_type="text/xml")
    feed_at(app, httpserver)
    run_watch(app)
    clock.advance(timedelta(hours=1))
    (o,) = run_watch(app).outcomes
    assert o.new_items == 0 and o.changed_items == 1
    assert [s.item.title for s in app.store.stored_items()] == ["Lavrov holds talks (updated)"]


def test_failures_back_off_and_never_stop(app, httpserver, clock, caplog):
    httpserver.expect_request("/feed.xml").respond_with_response(Response("down", status=500))
    feed = feed_at(app, httpserver)
    checks = []
    caplog.set_level("WARNING", logger="feeds.watch")
    for _ in range(4):
        run_watch(app)
        f = app.store.feed(feed.id)
        checks.append((f.failures, f.next_check - clock()))
        clock.set(f.next_check)
    assert [c[0] for c in checks] == [1, 2, 3, 4]
    waits = [c[1] for c in checks]
    assert waits == sorted(waits) and waits[0] >= timedelta(minutes=27) and waits[-1] <= timedelta(hours=48)
    f = app.store.feed(feed.id)
    assert f.enabled and f.last_status == "500" and "500" in (f.last_error or "")
    assert feed.url not in (f.last_error or ""), "shown beside the feed's URL: the error does not repeat it"
    # the log line names the feed's URL once (an operator's review: 'feed URL failed …: URL: …')
    (line, *_) = [r.getMessage() for r in caplog.records if "failed (1 in a row)" in r.getMessage()]
    assert line.count(feed.url) == 1, line


def test_retry_after_pushes_the_next_check(app, httpserver, clock):
    httpserver.expect_request("/feed.xml").respond_with_response(
        Response("slow down", status=429, headers={"Retry-After": "86400"})
    )
    feed = feed_at(app, httpserver)
    run_watch(app)
    assert app.store.feed(feed.id).next_check >= clock() + timedelta(days=1)


def test_gone_disables_with_a_reason(app, httpserver):
    httpserver.expect_request("/feed.xml").respond_with_response(Response("gone", status=410))
    feed = feed_at(app, httpserver)
    assert run_watch(app).outcomes[0].status == "gone"
    f = app.store.feed(feed.id)
    assert not f.enabled and "410" in (f.disabled_reason or "")


def test_permanent_redirect_moves_the_url_after_three_checks(app, httpserver, clock):
    httpserver.expect_request("/old.xml").respond_with_response(
        Response(status=301, headers={"Location": httpserver.url_for("/new.xml")})
    )
    httpserver.expect_request("/new.xml").respond_with_data(rss(STORIES[1]), content_type="text/xml")
    feed = feed_at(app, httpserver, "/old.xml")
    for expected in (1, 2):
        run_watch(app)
        f = app.store.feed(feed.id)
        assert f.url.endswith("/old.xml") and f.redirect_count == expected
        clock.set(f.next_check)
    run_watch(app)
    assert app.store.feed(feed.id).url == httpserver.url_for("/new.xml")


def test_a_permanent_redirect_to_a_feed_watched_already_is_said_at_every_check_from_the_third_on(
    app, httpserver, clock
):
    """Watch review: a feed that moved to a URL watched under another row cannot move there; "moved permanently to
    …, which is watched already" showed only at every third check (the counting started again after each refusal,
    and the checks between said all was well), so `watch list` mostly showed nothing to do."""
    httpserver.expect_request("/old.xml").respond_with_response(
        Response(status=301, headers={"Location": httpserver.url_for("/new.xml")})
    )
    httpserver.expect_request("/new.xml").respond_with_data(rss(STORIES[1]), content_type="text/xml")
    old = feed_at(app, httpserver, "/old.xml")
    new = feed_at(app, httpserver, "/new.xml")
    errors = []
    for _ in range(5):
        run_watch(app, feed_ids=[old.id])
        f = app.store.feed(old.id)
        errors.append(f.last_error)
        clock.advance(timedelta(hours=1))
    said = f"moved permanently to {httpserver.url_for('/new.xml')}, which is watched already"
    assert errors == [None, None, said, said, said]
    assert app.store.feed(old.id).url.endswith("/old.xml") and app.store.feed(new.id).url.endswith("/new.xml")


def test_temporary_redirect_never_moves_the_url(app, httpserver, clock):
    httpserver.expect_request("/tmp.xml").respond_with_response(
        Response(status=302, headers={"Location": httpserver.url_for("/elsewhere.xml")})
    )
    httpserver.expect_request("/elsewhere.xml").respond_with_data(rss(STORIES[1]), content_type="text/xml")
    feed = feed_at(app, httpserver, "/tmp.xml")
    for _ in range(4):
        run_watch(app)
        clock.set(app.store.feed(feed.id).next_check)
    assert app.store.feed(feed.id).url.endswith("/tmp.xml")


def test_an_html_page_is_a_parse_error_on_the_feed_row(app, httpserver, caplog):
    httpserver.expect_request("/feed.xml").respond_with_data(
        "<html><body>Hello</body></html>", content_type="text/html"
    )
    feed = feed_at(app, httpserver)
    caplog.set_level("WARNING", logger="feeds.watch")
    (o,) = run_watch(app).outcomes
    assert o.status == "parse-error"
    f = app.store.feed(feed.id)
    assert f.failures == 1 and "HTML" in (f.last_error or "")
    # Watch review: 'https://x/feed: this is an HTML page…' beside the feed's URL, and twice in the log line.
    assert feed.url not in (f.last_error or "") and feed.url not in (o.error or ""), f.last_error
    (line,) = [r.getMessage() for r in caplog.records if "HTML page" in r.getMessage()]
    assert line.count(feed.url) == 1, line


def test_one_bad_feed_does_not_stop_the_others(app, httpserver):
    httpserver.expect_request("/bad.xml").respond_with_data(b"\x00\x01garbage", content_type="text/xml")
    httpserver.expect_request("/good.xml").respond_with_data(rss(*STORIES), content_type="text/xml")
    feed_at(app, httpserver, "/bad.xml")
    feed_at(app, httpserver, "/good.xml")
    report = run_watch(app)
    assert sorted(o.new_items for o in report.outcomes) == [0, 3] and report.failed == 1


def test_a_new_rule_is_applied_to_items_already_stored(app, httpserver, clock):
    httpserver.expect_request("/feed.xml").respond_with_data(rss(*STORIES), content_type="text/xml")
    feed_at(app, httpserver)
    run_watch(app)
    assert app.store.count_matches() == 0
    add_rule(app, "bakery OR sourdough", name="bread")
    clock.advance(timedelta(minutes=1))
    report = run_watch(app)
    assert report.retro_matches == 1
    assert [m.subject for m in app.store.matches()] == ["bread"]
    assert run_watch(app).retro_matches == 0, "applied once"


def test_poll_named_feeds_ignores_schedule(app, httpserver, clock):
    httpserver.expect_request("/feed.xml").respond_with_data(rss(*STORIES), content_type="text/xml")
    feed = feed_at(app, httpserver)
    run_watch(app)
    assert run_watch(app).outcomes == []
    assert [o.feed_id for o in run_watch(app, feed_ids=[feed.id]).outcomes] == [feed.id]


def test_items_from_our_own_site_never_match(make_settings, make_app_for, httpserver):
    app = make_app_for(make_settings('\n[http]\nallow = ["127.0.0.1", "localhost"]\n'))
    add_rule(app, "lavrov", name="lavrov")
    own = RSS.format(
        items="<item><title>Lavrov visit</title><link>https://press.example.org/releases/x/</link><guid>x</guid></item>"
    )
    httpserver.expect_request("/feed.xml").respond_with_data(own, content_type="text/xml")
    feed_at(app, httpserver)
    run_watch(app)
    assert app.store.count_items() == 1 and app.store.count_matches() == 0


def model_coverage(model_text: str) -> str:
    """A feed with a pickup of the model release's quote, a related item, and one sharing a single word."""
    quote = next(p for p in model_text.split("\n\n") if p.startswith("Russia is a fellow permanent member"))
    return rss(
        ("pickup", "UK minister plans Russia trip", f"In a statement he said: &#8220;{' '.join(quote.split())}&#8221;"),
        (
            "related",
            "Johnson to meet Sergei Lavrov in Moscow",
            "Boris Johnson will discuss North Korea and Iran with Sergei Lavrov; both sit on the UN Security Council.",
        ),
        ("once", "Russia weather", "Snow fell across Russia."),
    )


def test_related_and_pickup_of_the_model_release(app, httpserver, corpus_releases, clock):
    ingest_paths(app, [corpus_releases / "foreign-secretary-to-visit-moscow.txt"])
    release = app.store.release("foreign-secretary-to-visit-moscow")
    httpserver.expect_request("/feed.xml").respond_with_data(model_coverage(release.body_text), content_type="text/xml")
    feed_at(app, httpserver)
    clock.advance(timedelta(hours=2))
    run_watch(app)
    by_slug = {m.item.item.key: m for m in app.store.matches()}
    assert set(by_slug) == {"pickup", "related"}
    assert by_slug["pickup"].kind == "pickup" and by_slug["related"].kind == "related"
    assert {m.subject for m in by_slug.values()} == {release.id}
    assert by_slug["related"].delay == (by_slug["related"].item.published - release.published).total_seconds()
    assert "Lavrov" in by_slug["related"].why and "UN Security Council" in by_slug["related"].why


def test_opml_import_export_round_trip(app, tmp_path):
    opml = tmp_path / "subs.opml"
    opml.write_text(
        """<?xml version="1.0"?><opml version="1.0"><head><title>x</title></head><body>
        <outline text="World"><outline text="Desk" type="rss" xmlUrl="https://news.example.com/world.xml"/>
          <outline TEXT="Sloppy" XMLURL="https://other.example.net/rss" category="/Europe/,Politics"/></outline>
        <outline text="No URL"/><outline text="Bad" xmlUrl="javascript:alert(1)"/>
        <outline text="Ours" xmlUrl="https://press.example.org/atom.xml"/>
        <outline text="Intranet" xmlUrl="http://10.1.2.3/feed.xml"/>
        <outline text="Metadata" xmlUrl="http://169.254.169.254/latest/meta-data"/>
        </body>""",  # no closing </opml>: sloppy OPML is read as far as it goes
        encoding="utf-8",
    )
    done = import_opml(app, opml)
    added = done.added
    assert [(f.url, f.tags) for f in added] == [
        ("https://news.example.com/world.xml", ("World",)),
        ("https://other.example.net/rss", ("World", "Europe", "Politics")),
    ]
    assert [url for url, _ in done.skipped] == [
        "javascript:alert(1)",
        "https://press.example.org/atom.xml",
        "http://10.1.2.3/feed.xml",  # refused as `watch add` refuses them (a re-check: imported, failing for ever)
        "http://169.254.169.254/latest/meta-data",
    ]
    assert "http(s)" in done.skipped[0][1] and "our own site" in done.skipped[1][1]
    assert "private address" in done.skipped[2][1] and "link-local address" in done.skipped[3][1]
    assert "it would never be polled" in done.skipped[3][1]
    assert import_opml(app, opml).added == [], "idempotent"
    assert {f.origin for f in app.store.feeds()} == {"opml:subs.opml"}
    again = read_opml(export_opml(app), "export")
    assert [(f.url, f.tags) for f in again] == [(f.url, f.tags) for f in added]


def test_config_feeds_and_rules_are_imported_idempotently(make_settings, make_app_for):
    extra = """
[[watch.feeds]]
url = "https://news.example.com/world.xml"
title = "World"
tags = ["news"]
interval = "1h"

[[watch.keywords]]
name = "sanctions"
query = "sanction* (iran OR russia)"
"""
    app = make_app_for(make_settings(extra))
    assert import_configured(app) == (1, 1)
    assert import_configured(app) == (0, 0)
    (f,) = app.store.feeds()
    assert (f.origin, f.interval, f.tags) == ("config", 3600.0, ("news",))
    assert app.store.rule("sanctions").origin == "config"


SANCTIONS = (
    ("iran-sanctions", "Sanctions on Iran tighten", "New sanctions target Iran's shipping."),
    ("korea-sanctions", "North Korea sanctions expand", "More sanctions on North Korea."),
)


def _config_app(make_settings, make_app_for, httpserver, rules: str, feed: bool = True):
    allow = '\n[http]\nallow = ["127.0.0.1", "localhost", "::1"]\n'
    feeds = f'\n[[watch.feeds]]\nurl = "{httpserver.url_for("/feed.xml")}"\n' if feed else ""
    app = make_app_for(make_settings(allow + feeds + rules))
    import_configured(app)
    return app


def test_a_narrowed_rule_loses_the_matches_it_no_longer_makes_and_keeps_the_others(
    make_settings, make_app_for, httpserver
):
    """A press officer narrows a rule to get rid of false matches: they go, whatever their age; the ones it
    still makes keep their ids (their feed entries' ids)."""
    httpserver.expect_request("/feed.xml").respond_with_data(rss(*SANCTIONS), content_type="text/xml")
    rule = '\n[[watch.keywords]]\nname = "sanctions"\nquery = "{}"\n'
    app = _config_app(make_settings, make_app_for, httpserver, rule.format("sanction*"))
    run_watch(app)
    before = {m.item.item.key: m.id for m in app.store.matches(subject="sanctions")}
    assert set(before) == {"iran-sanctions", "korea-sanctions"}
    app = _config_app(make_settings, make_app_for, httpserver, rule.format("sanction* iran"))
    run_watch(app)  # no feed due: the changed rule is applied to the stored items
    after = {m.item.item.key: m.id for m in app.store.matches(subject="sanctions")}
    assert after == {"iran-sanctions": before["iran-sanctions"]}


def test_what_the_config_no_longer_declares_goes(make_settings, make_app_for, httpserver, caplog):
    """A rule deleted from the config is deleted (it kept matching), its past matches kept as history, so that a
    command run once with another config file costs nothing the right one cannot bring back; a feed deleted
    from it is no longer polled, its items kept, and is watched again when it comes back."""
    caplog.set_level(logging.WARNING, logger="feeds.watch")
    httpserver.expect_request("/feed.xml").respond_with_data(rss(*SANCTIONS), content_type="text/xml")
    rules = '\n[[watch.keywords]]\nname = "korea"\nquery = "korea"\n[[watch.keywords]]\nname = "iran"\nquery = "iran"\n'
    app = _config_app(make_settings, make_app_for, httpserver, rules)
    run_watch(app)
    assert {m.subject for m in app.store.matches()} == {"korea", "iran"}
    app = _config_app(
        make_settings, make_app_for, httpserver, '\n[[watch.keywords]]\nname = "iran"\nquery = "iran"\n', feed=False
    )
    assert [r.name for r in app.store.rules()] == ["iran"]
    korea = {m.id for m in app.store.matches(subject="korea")}
    assert len(korea) == 1, "its past matches are kept"
    (feed,) = app.store.feeds()
    assert not feed.enabled and feed.disabled_reason == "removed from the config file"
    assert "removed rule 'korea': it is no longer in the config file" in caplog.text
    assert "stopped watching" in caplog.text
    assert app.store.count_items() == 2, "the feed's items are kept"
    app = _config_app(make_settings, make_app_for, httpserver, rules)  # the right config again: all back
    (feed,) = app.store.feeds()
    assert feed.enabled and feed.disabled_reason is None
    run_watch(app)
    assert {m.id for m in app.store.matches(subject="korea")} == korea, "the same matches, the same ids"


def test_a_rule_or_feed_the_config_declares_is_removed_there_and_a_cli_rule_of_the_same_name_is_said_to_win(
    make_settings, make_app_for, httpserver, caplog
):
    caplog.set_level(logging.WARNING, logger="feeds.watch")
    from feeds.errors import ConfigError
    from feeds.watch.manage import remove_feed, remove_rule

    app = _config_app(make_settings, make_app_for, httpserver, "")
    (feed,) = app.store.feeds()
    with pytest.raises(ConfigError, match=r"watch\.feeds\[0\]"):
        remove_feed(app, str(feed.id))
    add_rule(app, "iran", name="iran")
    app = _config_app(
        make_settings, make_app_for, httpserver, '\n[[watch.keywords]]\nname = "iran"\nquery = "iran OR tehran"\n'
    )
    assert app.store.rule("iran").query == "iran"
    assert "rule 'iran' in the config is not used: a rule of that name was added from the command line" in caplog.text
    remove_rule(app, "iran")  # the command-line one: then the config's is imported
    import_configured(app)
    assert (app.store.rule("iran").query, app.store.rule("iran").origin) == ("iran OR tehran", "config")
    # A config rule whose feed folder a command-line rule has already is not imported either (as `keywords add`
    # refuses such a name): it would be published somewhere else, and move when the other one goes.
    add_rule(app, "gulf", name="Gulf States")
    app = _config_app(
        make_settings, make_app_for, httpserver, '\n[[watch.keywords]]\nname = "gulf-states"\nquery = "gulf"\n'
    )
    assert [r.name for r in app.store.rules()] == ["Gulf States"]
    assert "rule 'gulf-states' in the config is not used: rule 'Gulf States'" in caplog.text


def test_a_removed_rules_matches_do_not_pass_to_a_new_rule_of_the_same_name(app, httpserver):
    from feeds.watch.manage import remove_rule

    httpserver.expect_request("/feed.xml").respond_with_data(rss(*SANCTIONS), content_type="text/xml")
    feed_at(app, httpserver)
    add_rule(app, "sanction*", name="watchlist")
    run_watch(app)
    assert len(app.store.matches(subject="watchlist")) == 2
    state = app.store.rules_state()
    remove_rule(app, "watchlist")
    assert app.store.matches(subject="watchlist") == [] and app.store.rules_state() != state
    add_rule(app, "iran", name="watchlist")
    run_watch(app)
    assert [m.item.item.key for m in app.store.matches(subject="watchlist")] == ["iran-sanctions"]


def test_keywords_test_explains(app, httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data(rss(*STORIES), content_type="text/xml")
    feed_at(app, httpserver)
    run_watch(app)
    result = try_query(app, "lavrov -bakery")
    assert result.checked == 3 and len(result.hits) == 1
    item, why = result.hits[0]
    assert item.item.key == "lavrov-talks" and any("Lavrov" in r for r in why.reasons)
    assert json.dumps([list(why.reasons)])


def test_many_feeds_are_parsed_in_worker_processes_with_the_same_result(app, httpserver, monkeypatch):
    """Above PARALLEL_PARSE_MIN feeds, bodies are parsed in a process pool; items, errors and matches are the same."""
    from feeds.watch import poll

    monkeypatch.setattr(poll, "PARALLEL_PARSE_MIN", 2)
    add_rule(app, "lavrov", name="lavrov")
    httpserver.expect_request("/a.xml").respond_with_data(rss(*STORIES), content_type="text/xml")
    httpserver.expect_request("/b.xml").respond_with_data(rss(STORIES[0]), content_type="text/xml")
    httpserver.expect_request("/bad.xml").respond_with_data("<html><body>no</body></html>", content_type="text/html")
    for path in ("/a.xml", "/b.xml", "/bad.xml"):
        feed_at(app, httpserver, path)
    report = run_watch(app)
    assert POOL_KEY in app.extras, "the worker pool was used"
    assert sorted((o.status, o.new_items, o.new_matches) for o in report.outcomes) == [
        ("200", 1, 1),
        ("200", 3, 1),
        ("parse-error", 0, 0),
    ]
    bad = next(o for o in report.outcomes if o.status == "parse-error")
    assert "HTML" in (bad.error or "")


def test_feeds_are_stored_in_the_order_their_workers_finish():
    """`first_ready`: a feed that needs no worker, or whose worker is done, goes first; else the first to finish,
    not the oldest (which may be a large feed holding up the workers that are idle)."""
    import threading
    from concurrent.futures import Future

    from feeds.watch.turns import first_ready

    oldest, done, later = Future(), Future(), Future()
    done.set_result("parsed")
    assert first_ready([oldest, done, later]) == 1
    assert first_ready([oldest, None, done]) == 1
    with pytest.raises(ValueError):
        first_ready([])

    waiting = [Future(), Future(), Future()]
    finisher = threading.Thread(target=waiting[2].set_result, args=("parsed",))
    finisher.start()
    assert first_ready(waiting) == 2, "the one that finished, though it came last"
    finisher.join()
    assert not waiting[0].done() and not waiting[1].done()


def test_a_batch_is_fetched_a_window_at_a_time_however_large():
    """`fetched_in_turn`: every feed once, and never more than `ahead` fetched (or being fetched) that the caller
    has not taken: a batch of feeds with 10 MiB bodies must not all sit in memory while the workers catch up."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from feeds.watch.turns import fetched_in_turn

    lock = threading.Lock()
    started: list[int] = []

    def fetch(feed):
        with lock:
            started.append(feed)
        return f"body of {feed}"

    taken: list[int] = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        for feed, result in fetched_in_turn(pool, list(range(50)), fetch, ahead=6):
            assert result == f"body of {feed}"
            with lock:
                assert len(started) - len(taken) <= 6, "fetched ahead of the caller by more than the window"
            taken.append(feed)
    assert sorted(taken) == list(range(50)) and sorted(started) == list(range(50))


def _matches_after_polling(app, httpserver, clock, corpus_releases, feeds: int) -> list[tuple[object, ...]]:
    ingest_paths(app, [corpus_releases / "foreign-secretary-to-visit-moscow.txt"])
    release = app.store.release("foreign-secretary-to-visit-moscow")
    quote = next(p for p in release.body_text.split("\n\n") if p.startswith("Russia is a fellow permanent member"))
    add_rule(app, "lavrov OR iran*", name="lavrov")
    items = (
        ("pickup", "UK minister plans Russia trip", f"In a statement he said: &#8220;{quote}&#8221;"),
        (
            "related",
            "Johnson to meet Sergei Lavrov in Moscow",
            "Boris Johnson will discuss North Korea and Iran with Sergei Lavrov; both sit on the UN Security Council.",
        ),
        *STORIES,
    )
    httpserver.expect_request("/feed.xml").respond_with_data(rss(*items), content_type="text/xml")
    for n in range(feeds):
        add_feed(app, httpserver.url_for("/feed.xml") + f"?n={n}")
    clock.advance(timedelta(hours=2))
    run_watch(app)
    return sorted(
        (m.item.feed_id, m.item.item.key, m.kind, m.subject, m.terms, m.score, m.why, m.delay)
        for m in app.store.matches()
    )


def test_matches_found_in_worker_processes_are_the_ones_found_here(
    make_settings, make_app_for, httpserver, clock, now, corpus_releases, monkeypatch, tmp_path
):
    """Keyword, related and pickup matches, their terms, scores and delays: the same from the workers."""
    from feeds.watch import poll

    extra = '\n[http]\nallow = ["127.0.0.1", "localhost", "::1"]\n'
    here = make_app_for(make_settings(extra))
    monkeypatch.setattr(poll, "PARALLEL_PARSE_MIN", 1000)
    expected = _matches_after_polling(here, httpserver, clock, corpus_releases, feeds=3)
    assert POOL_KEY not in here.extras
    assert {kind for _, _, kind, *_ in expected} == {"keyword", "related", "pickup"}

    pooled_clock = FixedClock(now)  # the same times again: release dates and delays come from the clock
    pooled = make_app_for(make_settings(extra, database_url=f"sqlite:///{tmp_path / 'pooled.db'}"), clock=pooled_clock)
    monkeypatch.setattr(poll, "PARALLEL_PARSE_MIN", 2)
    assert _matches_after_polling(pooled, httpserver, pooled_clock, corpus_releases, feeds=3) == expected
    assert POOL_KEY in pooled.extras, "the worker pool was used"


def test_the_worker_pool_is_kept_while_the_matchers_stay_the_same(app):
    from feeds.watch.matching import matcher_spec
    from feeds.watch.parsejobs import parse_pool

    now = app.clock()
    same = parse_pool(app, matcher_spec([], [], app.settings, now))
    if same is None:
        pytest.skip("one CPU: no worker pool")
    assert parse_pool(app, matcher_spec([], [], app.settings, now)) is same
    add_rule(app, "lavrov", name="lavrov")
    other = parse_pool(app, matcher_spec(app.store.rules(), [], app.settings, now))
    assert other is not same and app.extras[POOL_KEY] is other


def test_ingest_and_watch_share_the_apps_one_worker_pool(app):
    """Ingest takes whatever pool there is; watch needs workers set up with its matchers and replaces a pool
    that was not; a second App gets its own pool."""
    from feeds.watch.matching import matcher_spec
    from feeds.watch.parsejobs import parse_pool
    from feeds.workers import worker_pool

    plain = worker_pool(app)
    if plain is None:
        pytest.skip("one CPU: no worker pool")
    assert worker_pool(app) is plain
    watching = parse_pool(app, matcher_spec([], [], app.settings, app.clock()))
    assert watching is not None and watching is not plain
    assert worker_pool(app) is watching, "ingest reuses the watch stage's pool rather than starting another"
    app.close()
    assert POOL_KEY not in app.extras


def test_tags_that_differ_only_in_case_are_one_tag(app):
    feed = add_feed(app, "https://news.example.com/world.xml", tags=["World", "world", " WORLD ", "Europe"])
    assert feed.tags == ("World", "Europe")


def test_an_exported_opml_imported_elsewhere_gives_the_same_feeds(make_settings, make_app_for, tmp_path):
    """Titles (none stays none), tags and each feed's own interval survive `watch export` → `watch import`."""
    first = make_app_for(make_settings())
    add_feed(first, "https://news.example.com/world.xml", title="World desk", tags=["news"], interval=7200)
    add_feed(first, "https://other.example.net/rss")
    exported = tmp_path / "subs.opml"
    exported.write_bytes(export_opml(first))
    # (an installation whose own default interval differs: a feed at the exporter's default keeps it)
    second = make_app_for(
        make_settings('[watch]\ninterval = "1h"\n', database_url=f"sqlite:///{tmp_path / 'second.db'}")
    )
    import_opml(second, exported)
    wanted = [(f.url, f.title, f.tags, f.interval) for f in first.store.feeds()]
    assert [(f.url, f.title, f.tags, f.interval) for f in second.store.feeds()] == wanted
    assert wanted[1][1] == "" and wanted[0][3] == 7200 and wanted[1][3] == first.settings.watch.interval != 3600


def test_a_feed_answering_with_an_impossible_date_does_not_stop_the_others(app, httpserver, clock):
    """One hostile (or broken) server must cost its own feed, never the run, the other feeds or their leases."""
    hostile = {"Expires": "Sat, 28 Nov 99999999999999999999 09:41:39 GMT"}
    httpserver.expect_request("/evil.xml").respond_with_data(rss(("e", "Evil", "x")), headers=hostile)
    httpserver.expect_request("/good.xml").respond_with_data(rss(("g", "Good news", "y")), content_type="text/xml")
    add_feed(app, httpserver.url_for("/evil.xml"))
    good = add_feed(app, httpserver.url_for("/good.xml"))
    report = run_watch(app)
    assert {o.url: o.status for o in report.outcomes} == {
        httpserver.url_for("/evil.xml"): "200",
        httpserver.url_for("/good.xml"): "200",
    }
    assert app.store.feed(good.id).items_seen == 1


def test_sloppy_opml_keeps_urls_as_written_and_says_what_it_skipped_or_changed(app, tmp_path):
    """Hand-written OPML: a bare `&` in a query, intervals out of bounds or unreadable, feeds that cannot be
    watched. No URL is silently rewritten, nothing is silently dropped."""
    opml = tmp_path / "hand.opml"
    opml.write_text(
        """<opml version="2.0"><body>
        <outline text="Query" xmlUrl="https://news.example.com/q?a=1&b=2&amp;c=3"/>
        <outline text="Too often" xmlUrl="https://fast.example.com/rss" feedsInterval="60"/>
        <outline text="Never" xmlUrl="https://slow.example.com/rss" feedsInterval="1e12"/>
        <outline text="Garbled" xmlUrl="https://odd.example.com/rss" feedsInterval="abc"/>
        <outline text="Local file" xmlUrl="file:///etc/passwd"/>
        <outline text="Relative" xmlUrl="/feed.xml"/>
        <outline text="Spaced" xmlUrl="http://exa mple.org/rss"/>
        <outline text="Secret" xmlUrl="https://user:pw@private.example.com/rss"/>
        <outline text="A page" htmlUrl="https://page.example.com/news"/>
        <outline text="No address" xmlUrl=""/>
        <outline text="Empty folder"/>
        </body></opml>""",
        encoding="utf-8",
    )
    done = import_opml(app, opml)
    assert {f.url: f.interval for f in done.added} == {
        "https://news.example.com/q?a=1&b=2&c=3": 1800.0,
        "https://fast.example.com/rss": 300.0,
        "https://slow.example.com/rss": 30 * 86400.0,
        "https://odd.example.com/rss": 1800.0,
    }
    notes = dict(done.notes)
    assert "out of bounds" in notes["https://fast.example.com/rss"]
    assert notes["https://slow.example.com/rss"].endswith("every 30 days")
    assert notes["https://fast.example.com/rss"].endswith("every 5 min")
    assert "not a number" in notes["https://odd.example.com/rss"]
    skipped = dict(done.skipped)
    assert set(skipped) == {
        "file:///etc/passwd",
        "/feed.xml",
        "http://exa mple.org/rss",
        "https://private.example.com/rss",  # shown without the credentials
        "https://page.example.com/news",  # a page only: said, not dropped
        "the outline 'No address'",  # an empty xmlUrl: said too (an empty folder is only a folder)
    }
    assert skipped["the outline 'No address'"] == "its xmlUrl is empty: nothing to watch"
    assert "a web page, not a feed" in skipped["https://page.example.com/news"]
    assert "malformed" in skipped["http://exa mple.org/rss"]
    assert "password" in skipped["https://private.example.com/rss"]
    # A feed watched another way keeps its own interval, and no note claims otherwise.
    add_feed(app, "https://herald.example.com/rss", interval=600)
    opml.write_text(
        '<opml version="2.0"><body><outline xmlUrl="https://herald.example.com/rss" feedsInterval="1m"/></body></opml>'
    )
    again = import_opml(app, opml)
    assert [f.interval for f in again.known] == [600.0] and again.notes == []


def test_a_file_that_is_not_opml_is_refused(app, tmp_path):
    rss = tmp_path / "feed.opml"
    rss.write_text('<rss version="2.0"><channel><title>x</title></channel></rss>', encoding="utf-8")
    with pytest.raises(IngestError, match="root element is <rss>"):
        import_opml(app, rss)


def test_a_feed_of_very_many_items_is_read_in_part_and_stored_in_chunks(app, httpserver, monkeypatch):
    """Thousands of items passed SQLite's limit on variables per statement (one per item key) and crashed the
    whole poll; beyond MAX_ITEMS they are left out with a warning on the feed's row."""
    import feeds.watch.feeditems as feeditems

    monkeypatch.setattr(feeditems, "MAX_ITEMS", 1500)
    many = [(f"s{i}", f"Story number {i}", f"Text {i}.") for i in range(1600)]
    httpserver.expect_request("/feed.xml").respond_with_data(rss(*many), content_type="application/rss+xml")
    feed = feed_at(app, httpserver)
    report = run_watch(app)
    assert report.failed == 0 and report.new_items == 1500
    stored = app.store.feed(feed.id)
    assert stored.last_error == "parsed with problems: 1,600 items: only the first 1,500 were read"


def test_an_unexpected_error_storing_one_feed_is_its_failure_and_the_others_are_checked(
    app, httpserver, monkeypatch, clock
):
    httpserver.expect_request("/bad.xml").respond_with_data(rss(*STORIES), content_type="application/rss+xml")
    httpserver.expect_request("/good.xml").respond_with_data(rss(*STORIES), content_type="application/rss+xml")
    bad, good = feed_at(app, httpserver, "/bad.xml"), feed_at(app, httpserver, "/good.xml")
    real = app.store.upsert_items

    def refuse(feed_id, *args, **kwargs):
        if feed_id == bad.id:
            raise RuntimeError("disk I/O error")
        return real(feed_id, *args, **kwargs)

    monkeypatch.setattr(app.store, "upsert_items", refuse)
    report = run_watch(app)
    assert {o.url: o.status for o in report.outcomes} == {bad.url: "error", good.url: "200"}
    failed = app.store.feed(bad.id)
    assert failed.failures == 1 and "RuntimeError: disk I/O error" in (failed.last_error or "")
    assert failed.next_check is not None and failed.next_check > clock() and failed.body_digest is None
    assert len(app.store.stored_items()) == len(STORIES)


def test_storing_waits_until_enough_answers_are_ready(monkeypatch):
    """`wait_until_ready`: returns once `count` of the futures are done (a feed with nothing to wait for counts as
    done), or all of them when there are fewer, calling `tick` while it waits; the poll stores those together."""
    from concurrent.futures import Future

    from feeds.watch import turns
    from feeds.watch.turns import wait_until_ready

    done = Future()
    done.set_result("parsed")
    wait_until_ready([done, None, Future()], 2)  # (returns at once: two need nothing more)
    wait_until_ready([done], 4)  # (fewer than asked for: all of them)

    waiting = [Future(), Future(), Future(), done]
    finishing = [waiting[2], waiting[0]]  # each wait's tick (the leases' renewal) sees the next one finish

    def tick() -> None:
        finishing.pop(0).set_result("parsed")

    monkeypatch.setattr(turns, "WAKE", 0.001)
    wait_until_ready(waiting, 3, tick=tick)
    assert not finishing, "it waited for the third"
    assert waiting[0].done() and waiting[2].done() and not waiting[1].done()


def test_many_feeds_are_stored_in_few_transactions_and_one_failing_midway_is_rolled_back_alone(
    app, httpserver, monkeypatch
):
    """With worker processes (16 feeds or more), the feeds whose answers are ready are stored together: one
    commit (one fsync) for several feeds. A feed whose writes fail half-way inside the database is rolled back
    alone (a savepoint): none of its items stay, it records the failure, and the others of its batch are stored."""
    import sqlalchemy as sa

    import feeds.store.claims as store_claims
    import feeds.watch.poll as poll_module

    for n in range(20):
        items = [(f"s{n}-{i}", f"Story {i} of feed {n}", f"Text {i}.") for i in range(3)]
        httpserver.expect_request(f"/f{n}.xml").respond_with_data(rss(*items), content_type="application/rss+xml")
    feeds = [feed_at(app, httpserver, f"/f{n}.xml") for n in range(20)]
    bad = feeds[7]
    real_upsert, real_ready = store_claims.upsert_items_in, poll_module.first_ready

    def half_way(conn, feed_id, found, *args, **kwargs):
        stored = real_upsert(conn, feed_id, found, *args, **kwargs)
        if feed_id == bad.id:
            raise RuntimeError("disk I/O error")  # (its items are written by now)
        return stored

    def all_ready(futures, *, tick=None):  # every parse finished before storing starts: batches are deterministic
        wait([f for f in futures if f is not None])
        return real_ready(futures, tick=tick)

    monkeypatch.setattr(store_claims, "upsert_items_in", half_way)  # (where `record_fetched` finds it)
    monkeypatch.setattr(poll_module, "first_ready", all_ready)
    commits: list[object] = []  # of transactions that stored items (not the claim, leases or host slots)
    storing: set[int] = set()

    def wrote(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ITEMS"):
            storing.add(id(conn))

    def count(conn: object) -> None:
        if id(conn) in storing:
            storing.discard(id(conn))
            commits.append(conn)

    sa.event.listen(app.store.engine, "before_cursor_execute", wrote)
    sa.event.listen(app.store.engine, "commit", count)
    try:
        report = run_watch(app)
    finally:
        sa.event.remove(app.store.engine, "commit", count)
        sa.event.remove(app.store.engine, "before_cursor_execute", wrote)
    assert {o.feed_id: o.status for o in report.outcomes} == {f.id: "error" if f is bad else "200" for f in feeds}
    assert len(commits) < 10, f"{len(commits)} commits storing items for 20 feeds"
    stored = app.store.stored_items()
    assert len(stored) == 19 * 3 and not any(s.item.title.endswith("of feed 7") for s in stored)
    failed = app.store.feed(bad.id)
    assert failed.failures == 1 and "RuntimeError: disk I/O error" in (failed.last_error or "")
    assert all(app.store.feed(f.id).last_status == "200" for f in feeds if f is not bad)


def test_a_database_refusing_a_feeds_items_is_one_line_on_the_feed_without_a_traceback(
    app, httpserver, monkeypatch, caplog
):
    """Operators review: a revoked permission printed ~90 lines with the INSERT and every item's text, and stored
    the SQL as the feed's error (shown by `watch list` and `feeds status`)."""
    import sqlalchemy as sa

    httpserver.expect_request("/feed.xml").respond_with_data(rss(*STORIES), content_type="application/rss+xml")
    feed = feed_at(app, httpserver, "/feed.xml")

    class InsufficientPrivilege(Exception):
        pass

    def refuse(*args, **kwargs):
        orig = InsufficientPrivilege("permission denied for table items\nDETAIL: the row holds an item's text")
        raise sa.exc.ProgrammingError("INSERT INTO items (title, content) VALUES (?, ?)", ("secret", "text"), orig)

    monkeypatch.setattr(app.store, "record_fetched", refuse)
    monkeypatch.setattr(app.store, "upsert_items", refuse)
    caplog.set_level(logging.INFO, logger="feeds.watch")
    assert [o.status for o in run_watch(app).outcomes] == ["error"]
    error = app.store.feed(feed.id).last_error
    assert error == "unexpected error while storing this feed: InsufficientPrivilege: permission denied for table items"
    assert "Traceback" not in caplog.text and "INSERT" not in caplog.text and "secret" not in caplog.text


def test_a_feed_redirecting_to_our_own_site_is_a_failure_and_never_moves_there(
    make_settings, make_app_for, httpserver, clock
):
    app = make_app_for(
        make_settings('\n[http]\nallow = ["127.0.0.1", "localhost"]\n[watch]\nown_domains = ["localhost"]\n')
    )
    own = httpserver.url_for("/own.xml")  # http://localhost:PORT/...: ours, by watch.own_domains
    httpserver.expect_request("/moved.xml").respond_with_response(Response(status=301, headers={"Location": own}))
    httpserver.expect_request("/own.xml").respond_with_data(rss(*STORIES), content_type="application/rss+xml")
    gone = httpserver.url_for("/not-there.xml")  # ours too, and answering 404: still never followed
    httpserver.expect_request("/moved-to-404.xml").respond_with_response(
        Response(status=308, headers={"Location": gone})
    )
    feed = add_feed(app, f"http://127.0.0.1:{httpserver.port}/moved.xml")
    other = add_feed(app, f"http://127.0.0.1:{httpserver.port}/moved-to-404.xml")
    for _ in range(4):
        outcomes = run_watch(app, feed_ids=[feed.id, other.id]).outcomes
        assert [o.status for o in outcomes] == ["error", "error"]
        assert all("which is not followed: it is our own site" in (o.error or "") for o in outcomes), outcomes
        clock.advance(timedelta(hours=1))
    assert app.store.feed(feed.id).url == feed.url and app.store.feed(other.id).url == other.url
    assert app.store.count_items() == 0
    assert not [r.path for r, _ in httpserver.log if r.path in ("/own.xml", "/not-there.xml")], "never requested"


def test_opml_folder_names_with_commas_become_tags_that_survive_a_round_trip(app, tmp_path):
    opml = tmp_path / "folders.opml"
    opml.write_text(
        '<opml version="2.0"><body><outline text="World, Europe">'
        '<outline text="Desk" xmlUrl="https://news.example.com/world.xml"/></outline></body></opml>',
        encoding="utf-8",
    )
    (feed,) = import_opml(app, opml).added
    assert feed.tags == ("World Europe",)
    again = read_opml(export_opml(app), "export")
    assert [f.tags for f in again] == [("World Europe",)]


def test_a_feed_that_hangs_holds_up_no_other_feed(make_settings, make_app_for):
    """Answers are stored as they arrive, not in the order the feeds were claimed."""
    import time as _time

    from pytest_httpserver import HTTPServer
    from werkzeug import Request

    app = make_app_for(make_settings('\n[http]\nallow = ["127.0.0.1", "localhost"]\nread_timeout = 1\n'))
    httpserver = HTTPServer(host="127.0.0.1", port=0, threaded=True)  # the hanging request blocks no other
    httpserver.start()

    def hang(request: Request) -> Response:
        _time.sleep(2)  # the server sleeps past the read timeout; the test does not wait on a clock of its own
        return Response(rss(*STORIES), content_type="application/rss+xml")

    httpserver.expect_request("/hang.xml").respond_with_handler(hang)
    httpserver.expect_request("/good.xml").respond_with_data(rss(*STORIES), content_type="application/rss+xml")
    slow = feed_at(app, httpserver, "/hang.xml")  # claimed first
    good = feed_at(app, httpserver, "/good.xml")
    try:
        report = run_watch(app)
    finally:
        httpserver.clear()
        httpserver.stop()
    assert [o.feed_id for o in report.outcomes] == [good.id, slow.id]
    assert report.outcomes[0].status == "200" and "timed out" in (report.outcomes[1].error or "")


@pytest.mark.parametrize("in_workers", [False, True])
def test_a_changed_item_keeps_only_the_matches_it_still_makes_with_their_ids(
    app, httpserver, clock, monkeypatch, in_workers
):
    """Watch review: a wire story corrected to drop "sanctions" stayed matched to the sanctions rule (while
    `keywords test --item` said NO MATCH), and a changed headline kept its old explanation, pointing at words
    no longer there."""
    from feeds.watch import poll

    if in_workers:  # parsed and matched in worker processes, stored in one transaction (`record_fetched`)
        monkeypatch.setattr(poll, "PARALLEL_PARSE_MIN", 1)
    add_rule(app, "sanctions", name="sanctions")
    add_rule(app, "lavrov", name="lavrov")
    first = (("wire", "Sanctions on steel, Lavrov says", "Ministers discussed sanctions."),)
    corrected = (("wire", "Tariffs on steel, Lavrov says", "Ministers discussed tariffs."),)
    httpserver.expect_ordered_request("/feed.xml").respond_with_data(rss(*first), content_type="application/rss+xml")
    httpserver.expect_ordered_request("/feed.xml").respond_with_data(
        rss(*corrected), content_type="application/rss+xml"
    )
    feed = feed_at(app, httpserver)
    run_watch(app)
    before = {m.subject: m for m in app.store.matches()}
    assert set(before) == {"sanctions", "lavrov"}
    clock.advance(timedelta(hours=1))
    assert run_watch(app, feed_ids=[feed.id]).outcomes[0].changed_items == 1
    after = {m.subject: m for m in app.store.matches()}
    assert set(after) == {"lavrov"}, "the corrected story no longer mentions sanctions"
    assert after["lavrov"].id == before["lavrov"].id and after["lavrov"].found_at == before["lavrov"].found_at
    (term,) = {t for t in after["lavrov"].terms if t.field == "title"}
    assert (term.start, term.end) == (18, 24), "where it is in the corrected headline (it was at 20)"
    assert after["lavrov"].item.changed_at == clock(), "when it was corrected"
    run_publish(app)
    rule_feed = feedparser.parse((app.settings.paths.out / "matches" / "rules" / "lavrov" / "atom.xml").read_bytes())
    (entry,) = rule_feed.entries
    assert entry.title == "Tariffs on steel, Lavrov says" and entry.updated == clock().strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_matches_of_a_rule_gone_from_the_config_can_then_be_removed(make_settings, make_app_for, httpserver):
    """Watch review: after a rule was renamed in the config, the old name's matches (and its feed) stayed, and
    `feeds keywords remove` refused the old name: 'no keyword rule named …'."""
    from click.testing import CliRunner

    from feeds.cli import cli

    httpserver.expect_request("/feed.xml").respond_with_data(rss(*SANCTIONS), content_type="text/xml")
    app = _config_app(
        make_settings, make_app_for, httpserver, '\n[[watch.keywords]]\nname = "korea"\nquery = "korea"\n'
    )
    run_watch(app)
    app = _config_app(make_settings, make_app_for, httpserver, '\n[[watch.keywords]]\nname = "dprk"\nquery = "korea"\n')
    assert len(app.store.matches(subject="korea")) == 1, "kept as history"
    runner = CliRunner()
    done = runner.invoke(cli, ["--config", str(app.settings.path), "keywords", "remove", "korea"])
    assert done.exit_code == 0, done.output
    assert "removed the 1 match(es) of the former rule 'korea'" in done.output
    assert app.store.matches(subject="korea") == []
    again = runner.invoke(cli, ["--config", str(app.settings.path), "keywords", "remove", "korea"])
    assert again.exit_code == 1 and "korea" in again.output


def test_a_rule_gone_from_the_config_is_named_in_any_case_as_a_rule_is(make_settings, make_app_for, httpserver):
    """The config's rule "North Korea" removed from the file: its kept matches were found, and could be removed,
    only under the name spelt exactly (the log said to run `feeds keywords remove`; `north korea` answered
    "no keyword rule named 'north korea'"), though a rule is named in any case everywhere else."""
    from click.testing import CliRunner

    from feeds.cli import cli

    httpserver.expect_request("/feed.xml").respond_with_data(rss(*SANCTIONS), content_type="text/xml")
    app = _config_app(
        make_settings, make_app_for, httpserver, '\n[[watch.keywords]]\nname = "North Korea"\nquery = "korea"\n'
    )
    run_watch(app)
    app = _config_app(make_settings, make_app_for, httpserver, "")
    runner = CliRunner()
    listed = runner.invoke(cli, ["--config", str(app.settings.path), "matches", "list", "--rule", "north korea"])
    assert listed.exit_code == 0 and "1 match" in listed.output, listed.output
    done = runner.invoke(cli, ["--config", str(app.settings.path), "keywords", "remove", "NORTH-KOREA"])
    assert done.exit_code == 0, done.output
    assert "removed the 1 match(es) of the former rule 'North Korea'" in done.output
    assert app.store.matches(kind="keyword") == []


def test_a_former_rule_is_found_without_reading_every_match(make_settings, make_app_for, httpserver, monkeypatch):
    """Watch review: naming a former rule (or mistyping a rule) loaded every keyword match to scan their
    subjects; the store answers the former rules' names itself."""
    from feeds.watch.manage import rule_name

    httpserver.expect_request("/feed.xml").respond_with_data(rss(*SANCTIONS), content_type="text/xml")
    app = _config_app(
        make_settings, make_app_for, httpserver, '\n[[watch.keywords]]\nname = "North Korea"\nquery = "korea"\n'
    )
    run_watch(app)
    app = _config_app(make_settings, make_app_for, httpserver, "")

    def every_match(**kw):
        raise AssertionError(f"every match read to name a rule: {kw}")

    monkeypatch.setattr(app.store, "matches", every_match)
    assert rule_name(app, "north-korea") == "North Korea"
    assert rule_name(app, "typo") == "typo"


def test_an_empty_opml_file_is_named_as_such(app, tmp_path):
    empty = tmp_path / "empty.opml"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"not an OPML file \(empty or not XML\)"):
        import_opml(app, empty)


def test_an_interrupted_poll_gives_back_the_feeds_it_did_not_check(app, httpserver, clock, monkeypatch):
    """Ctrl-C on `feeds watch poll`: the feeds not checked are due again at once, not held for the rest of the
    lease ("being checked by another process right now" for 5 minutes, with no process checking them)."""
    httpserver.expect_request("/a.xml").respond_with_data(rss(STORIES[0]), content_type="application/rss+xml")
    httpserver.expect_request("/b.xml").respond_with_data(rss(STORIES[1]), content_type="application/rss+xml")
    a, b = feed_at(app, httpserver, "/a.xml"), feed_at(app, httpserver, "/b.xml")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("feeds.watch.check.check_feed", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_watch(app, feed_ids=[a.id, b.id])
    monkeypatch.undo()
    report = run_watch(app, feed_ids=[a.id, b.id])
    assert sorted((o.feed_id, o.status) for o in report.outcomes) == [(a.id, "200"), (b.id, "200")]


SLOW_ROUND = (
    '\n[http]\nallow = ["127.0.0.1", "localhost"]\nconnect_timeout = "5s"\nread_timeout = "5s"\n'
    '\n[watch]\nworkers = {workers}\nlease = "60s"\n'
)
"""(A lease is at least one fetch at its deadlines, connect_timeout + 6 x read_timeout: 35 s at these timeouts,
which a local server never comes near.)"""


def _slow_round(make_settings, make_app_for, db_url, httpserver, *, feeds: int, workers: int):
    """An App on `db_url` (SQLite and PostgreSQL) watching `feeds` local feeds, fetched by `workers` threads."""
    app = make_app_for(make_settings(SLOW_ROUND.format(workers=workers), database_url=db_url))
    watched = []
    for n in range(feeds):
        httpserver.expect_request(f"/f{n}.xml").respond_with_data(rss(STORIES[1]), content_type="application/rss+xml")
        watched.append(feed_at(app, httpserver, f"/f{n}.xml").id)
    return app, watched, timedelta(seconds=app.settings.watch.lease)


def test_a_round_longer_than_the_lease_keeps_its_feeds_and_no_other_daemon_polls_them(
    make_settings, make_app_for, db_url, httpserver, clock, monkeypatch
):
    """Review 4 #2: a round of slow servers outlasted `watch.lease`; the feeds late in the batch lost their
    lease while still waiting, another daemon claimed and polled them too, and this run's results were refused
    (the lease no longer its own), so they were polled a third time. Each server here takes half the lease to
    answer (the clock moves inside the fetch), and another daemon tries to claim before each fetch."""
    from feeds.watch import poll

    app, ids, lease = _slow_round(make_settings, make_app_for, db_url, httpserver, feeds=5, workers=1)
    real, taken = poll._fetch, []

    def slow(app_, feed, own=frozenset()):
        taken.extend(f.id for f in app.store.claim_due(clock(), limit=100, owner="other:1", lease=lease))
        clock.advance(lease / 2)
        return real(app_, feed, own)

    monkeypatch.setattr(poll, "_fetch", slow)
    report = run_watch(app, owner="me:1")
    assert taken == [], "no feed of the round was claimed by another daemon while it ran"
    assert sorted((o.feed_id, o.status) for o in report.outcomes) == [(i, "200") for i in ids]
    assert all(f.last_status == "200" and f.next_check > clock() for f in app.store.feeds()), "every check recorded"
    assert app.store.claim_due(clock(), limit=100, owner="other:1", lease=lease) == [], "and none due again"
    assert len(httpserver.log) == len(ids), "each feed polled once"


def test_leases_are_renewed_while_every_fetch_hangs(
    make_settings, make_app_for, db_url, httpserver, clock, monkeypatch
):
    """No fetch finishes for longer than the lease (a server holding its answer until the header deadline): the
    run renews its leases while it waits, not only when an answer arrives."""
    import threading

    from feeds.watch import poll

    app, ids, lease = _slow_round(make_settings, make_app_for, db_url, httpserver, feeds=3, workers=1)
    renewed, taken = threading.Event(), []
    renew = app.store.renew_feeds

    def spy(*args, **kwargs):
        got = renew(*args, **kwargs)
        renewed.set()
        return got

    def hanging(app_, feed, own=frozenset()):
        if feed.id == ids[0]:
            clock.advance(lease * 0.9)
            assert renewed.wait(10), "the leases were renewed while the first fetch still hung"
            clock.advance(lease * 0.9)  # past the lease first taken
            taken.extend(f.id for f in app.store.claim_due(clock(), limit=100, owner="other:1", lease=lease))
        return NotModified(
            url=feed.url, requested_url=feed.url, fetched_at=clock(), fresh_until=None, permanent_redirect=None
        )

    monkeypatch.setattr(app.store, "renew_feeds", spy)
    monkeypatch.setattr(poll, "_fetch", hanging)
    report = run_watch(app, owner="me:1")
    assert taken == []
    assert sorted(o.feed_id for o in report.outcomes) == ids


def test_a_feed_another_worker_took_while_this_one_stalled_is_not_fetched_here(
    make_settings, make_app_for, db_url, httpserver, clock, monkeypatch
):
    """This process stalled past its lease (a frozen VM) and another worker claimed the batch meanwhile: the
    renewal finds out, and the feeds not fetched yet are left to that worker."""
    from feeds.watch import poll

    app, ids, lease = _slow_round(make_settings, make_app_for, db_url, httpserver, feeds=3, workers=1)
    real, fetched, taken = poll._fetch, [], []

    def stalling(app_, feed, own=frozenset()):
        fetched.append(feed.id)
        if feed.id == ids[0]:
            clock.advance(lease * 1.5)
            leases_age(app.store, lease * 1.5)
            taken.extend(f.id for f in app.store.claim_due(clock(), limit=100, owner="other:1", lease=lease))
        return real(app_, feed, own)

    monkeypatch.setattr(poll, "_fetch", stalling)
    run_watch(app, owner="me:1")
    assert taken == ids
    assert ids[2] not in fetched, "submitted after the renewal found it taken"


def test_a_stop_during_a_round_fetches_nothing_more_and_gives_back_the_feeds_not_checked(
    make_settings, make_app_for, db_url, httpserver, clock, monkeypatch
):
    """Review 4 #7: SIGTERM during a round; the round went on fetching new feeds after it, and the daemon, gone
    after its grace period, left the feeds it had claimed but not polled leased for up to `watch.lease`, which
    no other daemon could take. Now the fetches under way are stored, no new one starts, and the rest are given
    back at once, due as before. The stop comes while the first two feeds are being fetched."""
    import threading

    from feeds.watch import poll

    app, ids, lease = _slow_round(make_settings, make_app_for, db_url, httpserver, feeds=5, workers=2)
    real, fetched = poll._fetch, []
    stop, second_started = threading.Event(), threading.Event()

    def fetch(app_, feed, own=frozenset()):
        fetched.append(feed.id)
        if feed.id == ids[0]:
            assert second_started.wait(10)
            stop.set()  # SIGTERM, while the second feed is being fetched too
        elif feed.id == ids[1]:
            second_started.set()
            assert stop.wait(10)
        return real(app_, feed, own)

    monkeypatch.setattr(poll, "_fetch", fetch)
    report = run_watch(app, owner="me:1", stop=stop)
    assert sorted(fetched) == ids[:2], "no fetch started after the stop"
    assert sorted((o.feed_id, o.status) for o in report.outcomes) == [(ids[0], "200"), (ids[1], "200")]
    assert report.given_back == 3 and report.summary().endswith("; stopped: 3 feeds given back unchecked")
    taken = app.store.claim_due(clock(), limit=100, owner="other:1", lease=lease)
    assert sorted(f.id for f in taken) == ids[2:], "free for another daemon at once, not after the lease"


@pytest.mark.parametrize("cut", ["inside an item", "between items"])
def test_a_feed_cut_short_keeps_no_validators_so_the_next_poll_reads_the_rest(app, httpserver, clock, cut):
    """A server that closes the connection mid-body, the body framed by closing (no Content-Length), sends an
    answer that reads as complete. Its ETag stood for a document only half read: the next poll got 304, and the
    rest of the items (the row saying "left for a later poll") waited until the feed changed."""
    full = rss(*STORIES)
    end = full.index("</item>", full.index("bakery")) + len("</item>")
    body = full[: end + (10 if cut == "inside an item" else 0)]
    httpserver.expect_ordered_request("/feed.xml").respond_with_data(
        body, content_type="application/rss+xml", headers={"ETag": '"v1"'}
    )
    # the same cut again (a proxy that always stops there): its ETag is not kept either
    httpserver.expect_ordered_request("/feed.xml").respond_with_data(
        body, content_type="application/rss+xml", headers={"ETag": '"v1"'}
    )
    httpserver.expect_ordered_request("/feed.xml").respond_with_data(
        full, content_type="application/rss+xml", headers={"ETag": '"v1"'}
    )
    feed = feed_at(app, httpserver)
    run_watch(app)
    stored = app.store.feed(feed.id)
    assert app.store.count_items() == 2 and stored.etag is None and stored.last_error
    for _ in range(2):
        clock.set(app.store.feed(feed.id).next_check)
        run_watch(app)
    httpserver.check_assertions()
    assert [r.headers.get("If-None-Match") for r, _ in httpserver.log] == [None, None, None]
    assert app.store.count_items() == 3 and app.store.feed(feed.id).etag == '"v1"'


def test_a_feed_filed_in_two_opml_folders_is_watched_once_with_both_tags():
    """Feedly and Inoreader export a feed once per folder it is in: the second folder was dropped."""
    feeds = read_opml(
        b"""<opml version="2.0"><body>
        <outline text="News"><outline type="rss" text="BBC" xmlUrl="https://bbc.example.com/rss"/></outline>
        <outline text="World"><outline type="rss" text="BBC" xmlUrl="https://bbc.example.com/rss" category="UK"/>
        <outline type="rss" text="Ars" xmlUrl="https://ars.example.com/rss"/></outline>
        </body></opml>""",
        "two.opml",
    )
    assert [(f.url, f.title, f.tags) for f in feeds] == [
        ("https://bbc.example.com/rss", "BBC", ("News", "World", "UK")),
        ("https://ars.example.com/rss", "Ars", ("World",)),
    ]


def test_html_entities_in_opml_titles_are_read_as_their_characters():
    """Readers write titles as the page had them: `&eacute;` and `&nbsp;` are not XML, and the recovering
    parser dropped them (`Le Monde dition`). A name HTML does not know is kept as written."""
    feeds = read_opml(
        b'<opml version="2.0"><body><outline text="Le Monde &eacute;dition &mdash; Monde&nbsp;&amp; Co &bogus;"'
        b' xmlUrl="https://lemonde.example.com/rss?a=1&amp;b=2"/></body></opml>',
        "fr.opml",
    )
    assert [(f.url, f.title) for f in feeds] == [
        ("https://lemonde.example.com/rss?a=1&b=2", "Le Monde \u00e9dition \u2014 Monde\u00a0& Co &bogus;")
    ]


def test_a_large_opml_file_has_its_entities_read_piece_by_piece_without_cutting_one():
    """References are rewritten a piece at a time (a million of them at once held 129 MiB): a piece ends before
    an "&", so every reference is read whole, wherever the pieces fall."""
    outline = '<outline text="Caf&eacute; &mdash; n&deg;%d &bogus;" xmlUrl="https://news.example.com/%d"/>'
    body = "".join(outline % (n, n) for n in range(3000)).encode()  # about 200 KiB: several pieces
    feeds = read_opml(b'<opml version="2.0"><body>' + body + b"</body></opml>", "big.opml")
    assert len(feeds) == 3000
    assert {f.title.split(" n")[0] for f in feeds} == {"Caf\u00e9 \u2014"}
    assert all(f.title.endswith(f"n\u00b0{n} &bogus;") for n, f in enumerate(feeds))


def test_an_opml_import_looks_up_its_feeds_host_names_side_by_side(app, tmp_path):
    """Each feed's host is looked up (a feed at an internal address is not added): one after another, a
    200-feed onboarding file took 200 times the resolver's answer time, with nothing on screen."""
    busy, most, lock = [0], [0], threading.Lock()

    def slow_dns(host, port, *args):
        with lock:
            busy[0] += 1
            most[0] = max(most[0], busy[0])
        time.sleep(0.05)
        with lock:
            busy[0] -= 1
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    app.http._guard.resolver = slow_dns
    opml = tmp_path / "many.opml"
    outlines = "".join(f'<outline text="F{i}" xmlUrl="https://f{i}.example.com/rss"/>' for i in range(40))
    opml.write_text(f'<opml version="2.0"><body><outline text="Desk">{outlines}</outline></body></opml>')
    done = import_opml(app, opml)
    assert [f.url for f in done.added] == [f"https://f{i}.example.com/rss" for i in range(40)], "in file order"
    assert most[0] > 1


def test_an_opml_file_the_parser_could_not_read_whole_says_where_it_stopped(app, tmp_path):
    """A broken outline, or nesting deeper than the parser goes, was recovered from without a word: a file
    nested 300 deep imported as "0 added, 0 already watched", and a broken outline's feed went missing."""
    deep = tmp_path / "deep.opml"
    deep.write_text(
        '<opml version="2.0"><body>\n'
        + '<outline text="L">' * 300
        + '<outline xmlUrl="https://deep.example.com/rss"/>'
        + "</outline>" * 300
        + "</body></opml>"
    )
    with pytest.raises(IngestError, match=r"deep\.opml: no feed read: line 2: Excessive depth in document: 256$"):
        import_opml(app, deep)
    broken = tmp_path / "broken.opml"
    broken.write_text(
        '<opml version="2.0"><body>\n<outline text="A" xmlUrl="https://a.example.com/rss"/>\n'
        '<outline text="B" xmlUrl="https://b.example.com/rss"\n<outline text="C" xmlUrl="https://c.example.com/rss"/>\n'
        "</body></opml>"
    )
    done = import_opml(app, broken)
    assert "https://a.example.com/rss" in [f.url for f in done.added]
    assert [n for u, n in done.notes if u == str(broken)] == [
        "not well-formed from line 4 (error parsing attribute name): an outline there may be missing"
    ]


def test_a_feed_filed_in_two_opml_folders_under_two_spellings_is_watched_once_with_both_tags(app, tmp_path):
    """The same feed in two folders, once spelt with a fragment or a capital scheme: the import said `added #1
    [World]`, then `already #1`, and the second outline overwrote the first's title and tags (the feed was left
    in one folder, named as the last outline named it)."""
    path = tmp_path / "spelt.opml"
    path.write_text(
        """<opml version="2.0"><body>
        <outline text="World"><outline text="BBC" xmlUrl="https://bbc.example.com/rss"/></outline>
        <outline text="UK"><outline text="BBC UK" xmlUrl="HTTPS://bbc.example.com:443/rss#uk"/></outline>
        </body></opml>""",
        encoding="utf-8",
    )
    assert [(f.url, f.title, f.tags) for f in read_opml(path.read_bytes(), "spelt.opml")] == [
        ("https://bbc.example.com/rss", "BBC", ("World", "UK"))
    ]
    done = import_opml(app, path)
    assert [(f.url, f.title, f.tags) for f in done.added] == [("https://bbc.example.com/rss", "BBC", ("World", "UK"))]
    assert done.known == [] and [(f.title, f.tags) for f in app.store.feeds()] == [("BBC", ("World", "UK"))]


def test_opml_2_link_and_include_outlines_are_not_watched_as_feeds(app, tmp_path):
    """OPML 2.0's `type="include"` names another OPML file and `type="link"` a web page, both in `url`, the
    attribute some readers use for a feed: both were watched as feeds, to fail at every poll."""
    path = tmp_path / "inc.opml"
    path.write_text(
        """<opml version="2.0"><body>
        <outline text="More lists" type="include" url="https://lists.example.com/more.opml"/>
        <outline text="Ministry" type="link" url="https://ministry.example.com/news"/>
        <outline text="A list by link" type="link" url="https://lists.example.com/other.opml"/>
        <outline text="Desk" url="https://desk.example.com/rss"/>
        </body></opml>""",
        encoding="utf-8",
    )
    done = import_opml(app, path)
    assert [f.url for f in done.added] == ["https://desk.example.com/rss"]
    include = 'another OPML file (type="include"), not a feed: `feeds watch import` it once downloaded'
    page = "a web page, not a feed (no xmlUrl): `feeds watch discover URL` finds it"
    assert done.skipped == [
        ("https://lists.example.com/more.opml", include),
        ("https://ministry.example.com/news", page),
        ("https://lists.example.com/other.opml", include),
    ]


def test_an_opml_file_without_a_feed_says_so(app, tmp_path):
    """A file of folders only (or another program's outline) imported as `0 added, 0 already watched`, as if its
    feeds were all there already."""
    path = tmp_path / "folders.opml"
    path.write_text('<opml version="2.0"><body><outline text="Empty folder"/></body></opml>', encoding="utf-8")
    done = import_opml(app, path)
    assert done.added == [] and done.notes == [
        (str(path), "no outline with a feed's address (xmlUrl): nothing to watch")
    ]


def test_an_opml_file_saved_in_windows_1252_without_saying_so_is_read_in_it():
    """A file edited in an old Windows editor, with no encoding declared: `Café` came back as `Caf\ufffd`."""
    data = '<?xml version="1.0"?><opml version="2.0"><body><outline text="Café “Le Monde”" xmlUrl="https://c.example.com/rss"/></body></opml>'
    feeds = read_opml(data.encode("cp1252"), "ansi.opml")
    assert [f.title for f in feeds] == ["Café “Le Monde”"]
    assert [f.title for f in read_opml(data.encode("utf-8"), "utf8.opml")] == ["Café “Le Monde”"]


def test_an_opml_file_that_says_utf_8_but_holds_windows_1252_bytes_keeps_its_titles():
    """A template's `encoding="utf-8"` over a title typed in an old Windows editor: the feed was watched as
    `Caf\ufffd News`, the \ufffd then shown in every list and exported. The bytes that are no UTF-8 are read as
    windows-1252; what is UTF-8 in the same file stays so."""
    data = (
        b'<?xml version="1.0" encoding="UTF-8"?><opml version="2.0"><body>'
        + '<outline text="Café “Le Monde”" xmlUrl="https://c.example.com/rss"/>'.encode("cp1252")
        + '<outline text="Zürich Größe" xmlUrl="https://z.example.com/rss"/>'.encode()
        + b"</body></opml>"
    )
    feeds, stopped = parse_opml(data, "mixed.opml")
    assert [f.title for f in feeds] == ["Café “Le Monde”", "Zürich Größe"]
    assert stopped is None


def test_an_opml_feed_is_named_as_the_readers_outline_shows_it():
    """OPML 2.0: `text` is what the reader shows (the name the press officer gave the feed there), `title` the
    feed's own title; a feed renamed in the reader came back under the feed's own title."""
    feeds = read_opml(
        b'<opml version="2.0"><body><outline type="rss" text="BBC World desk" title="BBC News - World"'
        b' xmlUrl="https://bbc.example.com/rss"/><outline type="rss" title="Only a title"'
        b' xmlUrl="https://t.example.com/rss"/></body></opml>',
        "renamed.opml",
    )
    assert [f.title for f in feeds] == ["BBC World desk", "Only a title"]
    (url_text,) = read_opml(
        b'<opml><body><outline text="https://u.example.com/rss" title="Own" xmlUrl="https://u.example.com/rss"/></body></opml>',
        "u.opml",
    )
    assert url_text.title == "Own"


def test_an_export_files_feeds_in_folders_for_readers_that_ignore_category(app, tmp_path):
    """Feedly, Inoreader and NetNewsWire make folders of nested outlines and ignore `category`: an export
    opened there was one flat list of 200 feeds. Each feed is now in the folder of its first tag (the
    `category` keeping them all), and reads back with the same tags."""
    add_feed(app, "https://a.example.com/rss", tags=["News", "UK"])
    add_feed(app, "https://b.example.com/rss")
    add_feed(app, "https://c.example.com/rss", tags=["Tech"])
    add_feed(app, "https://d.example.com/rss", tags=["News"])
    add_feed(app, "https://e.example.com/rss", tags=["news"])  # (a tag is spelt per feed: it comes back so)
    root = etree.fromstring(export_opml(app))
    body = root.find("body")
    assert [(o.get("text"), [c.get("xmlUrl") or c.get("text") for c in o]) for o in body] == [
        ("News", ["UK", "https://d.example.com/rss"]),  # (UK nested in News: each feed of UK is in News too)
        ("https://b.example.com/rss", []),
        ("Tech", ["https://c.example.com/rss"]),
        ("news", ["https://e.example.com/rss"]),
    ]
    assert [c.get("xmlUrl") for c in body[0][0]] == ["https://a.example.com/rss"]
    again = {f.url: f.tags for f in read_opml(export_opml(app), "export")}
    assert again == {f.url: f.tags for f in app.store.feeds()}


def test_a_feed_paused_by_hand_stays_paused_when_the_export_is_imported_elsewhere(
    make_settings, make_app_for, tmp_path
):
    """A press officer moving 200 feeds to a new server found the ones they had paused polled again there."""
    first = make_app_for(make_settings())
    add_feed(first, "https://paused.example.com/rss")
    add_feed(first, "https://live.example.com/rss")
    edit_feed(first, "https://paused.example.com/rss", enabled=False)
    exported = tmp_path / "subs.opml"
    exported.write_bytes(export_opml(first))
    second = make_app_for(make_settings(database_url=f"sqlite:///{tmp_path / 'second.db'}"))
    import_opml(second, exported)
    assert {f.url: (f.enabled, f.disabled_reason) for f in second.store.feeds()} == {
        "https://paused.example.com/rss": (False, "disabled by hand"),
        "https://live.example.com/rss": (True, None),
    }


class _CountingServer:
    """A threaded HTTP server on 127.0.0.1 that counts the requests in flight at once, by the host name asked
    for (`127.0.0.1` and `localhost` reach the same socket), and answers each after `delay[host]` seconds."""

    def __init__(self, delay: dict[str, float], on_request=None):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.delay, self.lock, self.on_request = delay, threading.Lock(), on_request
        self.paths: list[tuple[str, str]] = []
        """(host, path) of every request, in the order they arrived."""
        self.now: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.most_at_once = 0
        self.events: list[tuple[float, str, str]] = []
        """(time, host, "start" or "end") of every request."""
        outer, body = self, rss(STORIES[1]).encode()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                host = self.headers["Host"].rsplit(":", 1)[0]
                with outer.lock:
                    outer.now[host] = outer.now.get(host, 0) + 1
                    outer.most[host] = max(outer.most.get(host, 0), outer.now[host])
                    outer.most_at_once = max(outer.most_at_once, sum(outer.now.values()))
                    outer.events.append((time.monotonic(), host, "start"))
                    outer.paths.append((host, self.path))
                if outer.on_request is not None:
                    outer.on_request(host, self.path)
                time.sleep(outer.delay.get(host, 0.0))
                with outer.lock:
                    outer.now[host] -= 1
                    outer.events.append((time.monotonic(), host, "end"))
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, host: str, n: int) -> str:
        return f"http://{host}:{self.port}/f{n}.xml"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def counting_server():
    servers = []

    def make(delay, on_request=None):
        servers.append(_CountingServer(delay, on_request))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


PER_HOST = '\n[http]\nallow = ["127.0.0.1", "localhost"]\n\n[watch]\nworkers = {workers}\nper_host = 2\n'


def test_at_most_per_host_requests_to_one_host_at_once_while_other_hosts_go_on(
    make_settings, make_app_for, counting_server
):
    """A news site whose 8 feeds were imported together gets 2 requests at a time, not 16 (`watch.per_host`),
    and a second site is fetched alongside it meanwhile."""
    server = counting_server({"127.0.0.1": 0.15, "localhost": 0.15})
    app = make_app_for(make_settings(PER_HOST.format(workers=16)))
    for n in range(8):
        for host in ("127.0.0.1", "localhost"):
            add_feed(app, server.url(host, n))
    report = run_watch(app)
    assert sorted(o.status for o in report.outcomes) == ["200"] * 16
    assert server.most == {"127.0.0.1": 2, "localhost": 2}, "never more than 2 at once to one host"
    assert server.most_at_once == 4, "both hosts at their limit at the same time"


def test_a_slow_host_holds_up_only_its_own_feeds(make_settings, make_app_for, counting_server):
    """The slow site's 6 feeds come first in the batch; with 4 fetch threads, they used to take all 4, and the
    fast site waited behind them. Now the slow site has its 2, and the fast site's feeds are all fetched before
    the slow site has answered even once."""
    server = counting_server({"localhost": 0.8, "127.0.0.1": 0.01})
    app = make_app_for(make_settings(PER_HOST.format(workers=4)))
    for n in range(6):
        add_feed(app, server.url("localhost", n))
    for n in range(6):
        add_feed(app, server.url("127.0.0.1", n))
    report = run_watch(app)
    assert sorted(o.status for o in report.outcomes) == ["200"] * 12
    first_slow_answer = min(t for t, host, what in server.events if host == "localhost" and what == "end")
    fast_answers = [t for t, host, what in server.events if host == "127.0.0.1" and what == "end"]
    assert len(fast_answers) == 6 and max(fast_answers) < first_slow_answer
    assert server.most["localhost"] == 2


def test_feeds_held_for_their_host_past_the_bound_are_left_to_the_caller_unfetched():
    """`fetched_in_turn`: once `host_wait_over` says so, the feeds waiting for a busy host are handed to `leave`
    (and so is one taken up later whose host is still busy), never fetched; a feed whose host is free still
    goes. Every feed is either yielded or left, once. Host `a` answers only when the test lets it."""
    from concurrent.futures import ThreadPoolExecutor
    from types import SimpleNamespace

    from feeds.watch.turns import fetched_in_turn

    def at(host: str, n: int) -> SimpleNamespace:
        return SimpleNamespace(url=f"http://{host}.example/{n}")

    a1, b1, a2, b2, a3, b3 = at("a", 1), at("b", 1), at("a", 2), at("b", 2), at("a", 3), at("b", 3)
    gate, over = threading.Event(), threading.Event()
    fetched, left, taken = [], [], []

    def fetch(feed):
        fetched.append(feed)
        if feed is a1:
            assert gate.wait(10)
        return "ok"

    with ThreadPoolExecutor(max_workers=2) as pool:
        for feed, _ in fetched_in_turn(
            pool,
            [a1, b1, a2, b2, a3, b3],
            fetch,
            ahead=2,
            per_host=1,
            host_wait_over=over.is_set,
            leave=lambda feeds: left.append(list(feeds)),
        ):
            taken.append(feed)
            if feed is b1:
                over.set()  # a2 is held for host a by now; a3 is not taken up yet
            elif feed is b3:
                gate.set()
    assert left == [[a2], [a3]], "held, then taken up while its host was busy: both left, each once"
    assert taken[-1] is a1 and sorted(map(id, taken)) == sorted(map(id, [a1, b1, b2, b3]))
    assert a2 not in fetched and a3 not in fetched and len(fetched) == 4


def _host_bound_round(make_settings, make_app_for, counting_server, clock, on_slow=None, fast=6):
    """6 feeds on a slow host (`localhost`), claimed first, then `fast` on a fast one (`127.0.0.1`), 4 fetch
    threads, 2 requests per host. Each answer of the slow host takes, by the App's clock, longer than a feed may
    wait for its host: the handler moves the injected clock on (nothing sleeps), once every feed of the fast host
    has been asked for (time passes for both hosts: the fast one's answers come within it)."""
    from feeds.watch.turns import host_wait

    app = make_app_for(make_settings(PER_HOST.format(workers=4)))
    slow_answer = host_wait(app.settings.http) + timedelta(seconds=1)
    asked, all_fast_asked, lock = Counter(), threading.Event(), threading.Lock()

    def on_request(host, path):
        if host == "127.0.0.1":
            with lock:
                asked[host] += 1
                if asked[host] == fast:
                    all_fast_asked.set()
        else:
            assert fast == 0 or all_fast_asked.wait(10)
            (on_slow or (lambda: clock.advance(slow_answer)))()

    server = counting_server({}, on_request)
    slow = [add_feed(app, server.url("localhost", n)).id for n in range(6)]
    quick = [add_feed(app, server.url("127.0.0.1", n)).id for n in range(fast)]
    return app, server, slow, quick


def test_a_round_leaves_the_feeds_still_waiting_for_a_slow_host_to_the_next_round(
    make_settings, make_app_for, counting_server, clock
):
    """A slow site with 50 feeds, each answer taking the 60 s header deadline, made a round of ~25 minutes at 2
    at a time, and every other feed's next check waited for it. Now the feeds still waiting for their host past
    `host_wait` are given back unfetched, due as before, and the report says how many, and why, in one line;
    the next rounds take them, and no feed is lost or fetched twice."""
    app, server, slow, fast = _host_bound_round(make_settings, make_app_for, counting_server, clock)
    lease = timedelta(seconds=app.settings.watch.lease)
    report = run_watch(app, owner="me:1")
    assert sorted(o.feed_id for o in report.outcomes) == sorted(fast + slow[:2])
    assert all(o.status == "200" for o in report.outcomes)
    assert report.left == {"localhost": 4}
    assert report.summary() == (
        "8 feeds checked, 0 failed, 8 new items, 0 new matches; "
        "4 feeds left for the next round, having waited too long for their site (localhost)"
    )
    assert sorted(p for h, p in server.paths if h == "localhost") == ["/f0.xml", "/f1.xml"], "the rest not fetched"
    taken = app.store.claim_due(clock(), limit=100, owner="other:1", lease=lease)
    assert sorted(f.id for f in taken) == slow[2:], "free at once, and still due"
    app.store.release_feeds(slow[2:], owner="other:1")

    second = run_watch(app, owner="me:1")
    assert sorted(o.feed_id for o in second.outcomes) == slow[2:4] and second.left == {"localhost": 2}
    third = run_watch(app, owner="me:1")
    assert sorted(o.feed_id for o in third.outcomes) == slow[4:] and third.left == {}
    assert "left for the next round" not in third.summary()
    requests = Counter(server.paths)
    assert len(requests) == 12 and set(requests.values()) == {1}, "every feed fetched, each once"
    assert all(f.last_status == "200" for f in app.store.feeds())


def test_the_feeds_left_for_the_next_round_go_first_for_their_host(make_settings, make_app_for, counting_server, clock):
    """In the next round, when the slow site's feeds checked last time are due again as well, the ones left
    waiting (due the longest) are asked for first, not the first in the list again: otherwise, on a site that
    never catches up, the same feeds would be left round after round."""
    app, server, slow, _ = _host_bound_round(make_settings, make_app_for, counting_server, clock, fast=0)
    run_watch(app, owner="me:1")
    clock.advance(timedelta(hours=1))  # every feed due again
    before = len(server.paths)
    report = run_watch(app, owner="me:1")
    asked = [p for h, p in server.paths[before:] if h == "localhost"]
    assert sorted(asked) == ["/f2.xml", "/f3.xml"]
    assert sorted(o.feed_id for o in report.outcomes) == slow[2:4] and report.left == {"localhost": 4}


def test_a_stop_while_feeds_wait_for_their_host_gives_them_back_as_before_not_as_left(
    make_settings, make_app_for, counting_server, clock
):
    """SIGTERM while the slow host's feeds wait for it, the bound passing at the same moment: they are given back
    unchecked as a stop gives them back (review 4 #7), counted once, and not said to be left for the next round.
    The stop comes while both of the host's first two requests are in flight."""
    stop = threading.Event()
    both = threading.Barrier(2, action=lambda: (stop.set(), clock.advance(timedelta(hours=1))))
    app, server, slow, _ = _host_bound_round(
        make_settings, make_app_for, counting_server, clock, on_slow=lambda: both.wait(10), fast=0
    )
    report = run_watch(app, owner="me:1", stop=stop)
    assert sorted((o.feed_id, o.status) for o in report.outcomes) == [(slow[0], "200"), (slow[1], "200")]
    assert report.given_back == 4 and report.left == {}
    assert sorted(p for _, p in server.paths) == ["/f0.xml", "/f1.xml"], "no fetch started after the stop"
    assert report.summary().endswith("0 new matches; stopped: 4 feeds given back unchecked")
    lease = timedelta(seconds=app.settings.watch.lease)
    taken = app.store.claim_due(clock(), limit=100, owner="other:1", lease=lease)
    assert sorted(f.id for f in taken) == slow[2:]
