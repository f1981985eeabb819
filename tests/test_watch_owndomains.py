"""A domain added to our own (`watch.own_domains`) takes the stored keyword matches of items on it with it, once, by
one daemon: items from our own site never match, and a match stored before the domain was ours is no exception.
Removing the domain again finds, among the items of the last `watch.retro_days`, the matches the rules make there."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from feeds.publish import run_publish
from feeds.store.alerts import NewDelivery
from feeds.watch.manage import add_feed, add_rule
from feeds.watch.poll import run_watch
from feeds.watch.retro import SETTINGS

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Aggregator</title><link>https://news.example.com/</link>
<description>World news</description>
{items}
</channel></rss>"""

ITEM = """<item><title>{title}</title><link>{link}</link>
<guid isPermaLink="false">{key}</guid><description>{body}</description>
<pubDate>Sat, 28 Nov 2026 09:00:00 GMT</pubDate></item>"""

ITEMS = (  # (key, link, title, body): an aggregator's feed that also carries the pages of our other site
    ("lavrov-talks", "https://news.example.com/lavrov", "Lavrov holds talks", "The Russian foreign minister met."),
    ("ours", "https://blog.ourdept.example/iran", "Our minister on Lavrov and Iran", "A statement."),
    ("iran-food", "https://food.example.net/iran", "The best Iranian restaurants", "Iran's cuisine: saffron rice."),
    ("ours-too", "https://ourdept.example/notes", "Lavrov notes", "Ours, on the bare domain."),
)
HTTP = '\n[http]\nallow = ["127.0.0.1", "localhost", "::1"]\n'


@pytest.fixture
def deploy(make_settings, make_app_for, db_url):
    """A daemon on the test's database with `own_domains`: each call is another daemon, or a restart after the
    config was edited."""

    def start(*own: str):
        domains = ", ".join(f'"{d}"' for d in own)
        return make_app_for(make_settings(f"{HTTP}\n[watch]\nown_domains = [{domains}]\n", database_url=db_url))

    return start


@pytest.fixture
def watched(deploy, httpserver, clock):
    """A daemon with `own_domains`, two rules, and a feed of `ITEMS` polled once."""

    def run(*own: str):
        app = deploy(*own)
        add_rule(app, "lavrov", name="lavrov")
        add_rule(app, "iran", name="iran")
        httpserver.expect_request("/feed.xml").respond_with_data(
            RSS.format(items="\n".join(ITEM.format(key=k, link=u, title=t, body=b) for k, u, t, b in ITEMS)),
            content_type="text/xml",
        )
        add_feed(app, httpserver.url_for("/feed.xml"))
        clock.advance(timedelta(hours=1))
        run_watch(app)
        clock.advance(timedelta(minutes=5))
        return app

    return run


def stored(app):
    """(item key, rule) → match id of every stored keyword match."""
    return {(m.item.item.key, m.subject): m.id for m in app.store.matches(kind="keyword")}


def published(app, path: str) -> set[str]:
    """The links of the entries of a published JSON Feed (`out/<path>/feed.json`)."""
    feed = json.loads((app.settings.paths.out / path / "feed.json").read_bytes())
    return {entry["url"] for entry in feed["items"]}


def logged(caplog):
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("own domains changed")]


def test_adding_our_domain_removes_exactly_the_keyword_matches_of_items_on_it(watched, deploy, caplog, clock):
    first = watched()
    run_publish(first)
    assert "https://blog.ourdept.example/iran" in published(first, "matches/rules/iran")
    before = stored(first)
    assert set(before) == {
        ("lavrov-talks", "lavrov"),
        ("ours", "lavrov"),
        ("ours", "iran"),
        ("iran-food", "iran"),
        ("ours-too", "lavrov"),
    }
    waiting = [NewDelivery(i, f"desk:{k}:{r}", clock()) for (k, r), i in before.items()]
    assert first.store.enqueue_deliveries("webhook:desk", waiting, clock()) == 5

    caplog.set_level(logging.INFO, logger="feeds.watch")
    app = deploy("ourdept.example")  # the press officer adds our other site and restarts; no feed is due
    report = run_watch(app)
    assert report.outcomes == [] and (report.retro_removed, report.retro_matches) == (3, 0)
    kept = {k: i for k, i in before.items() if k[0] not in {"ours", "ours-too"}}
    assert stored(app) == kept, "the others keep their ids"
    assert sorted(d.match_id for d in app.store.deliveries()) == sorted(kept.values()), "no alert of what went"
    assert logged(caplog) == [
        "own domains changed (+ourdept.example): removed 3 match(es) of stored items now on our own "
        "site, found 0 on domains no longer ours"
    ]
    run_publish(app)
    assert published(app, "matches") == {"https://news.example.com/lavrov", "https://food.example.net/iran"}
    assert published(app, "matches/rules/iran") == {"https://food.example.net/iran"}

    clock.advance(timedelta(minutes=1))
    again = deploy("ourdept.example")  # a restart, or a second daemon on the same database
    assert (run_watch(again).retro_removed, run_watch(app).retro_removed) == (0, 0)
    assert stored(again) == kept
    assert len(logged(caplog)) == 1
    assert app.store.settings_fingerprint(SETTINGS).endswith(",ourdept.example")


def test_adding_our_domain_removes_the_coverage_of_a_release_long_out_of_the_related_window_too(watched, deploy, clock):
    """The re-application of the related settings reaches the window's releases only: an item now ours that was
    coverage of a release published months ago loses that match too (items from our own site never match)."""
    from feeds.model import Match

    first = watched()
    (ours,) = [s for s in first.store.stored_items() if s.item.key == "ours"]
    (other,) = [s for s in first.store.stored_items() if s.item.key == "iran-food"]
    old = "tag:press.example.org,2026-05-04:an-old-statement"
    coverage = [
        (
            s.id,
            Match("related", old, s.item.key, s.feed_id, (), 0.5, f"related to 'An old statement': {s.item.key}"),
            None,
        )
        for s in (ours, other)
    ]
    assert first.store.add_matches(coverage, clock()) == 2
    report = run_watch(deploy("ourdept.example"))
    assert report.retro_removed == 4  # the 3 keyword matches of items now ours, and this coverage
    left = {(m.kind, m.item.item.key) for m in first.store.matches(kind="related")}
    assert left == {("related", "iran-food")}


def test_the_daemon_holding_the_lock_does_the_work_the_others_skip_it(watched, deploy):
    watched()
    one, other = deploy("ourdept.example"), deploy("ourdept.example")
    with one.store.exclusive("related-settings") as mine:
        assert mine
        assert run_watch(other).retro_removed == 0, "another daemon is at it"
        assert other.store.count_matches() == 5
    assert run_watch(other).retro_removed == 3
    assert run_watch(one).retro_removed == 0


def test_removing_our_domain_finds_the_matches_of_the_retro_window_unalerted(watched, deploy, clock):
    """An own domain added by mistake and taken out again: the items on it of the last `retro_days` are matched
    by the rules again (as a new rule's are), and not alerted (they are not news: some were alerted already)."""
    first = watched("ourdept.example")
    assert {k for k, _ in stored(first)} == {"lavrov-talks", "iran-food"}, "ours never matched"
    since = clock() - timedelta(days=1)
    assert {c.item_key for c in first.store.unqueued_matches("webhook:desk", since=since)} == {
        "lavrov-talks",
        "iran-food",
    }
    clock.advance(timedelta(days=2))
    app = deploy()
    assert run_watch(app).retro_matches == 3
    assert {k for k, _ in stored(app)} == {"lavrov-talks", "iran-food", "ours", "ours-too"}
    assert {c.item_key for c in app.store.unqueued_matches("webhook:desk", since=since)} == {
        "lavrov-talks",
        "iran-food",
    }, "found again, not news"


def test_items_older_than_the_retro_window_are_not_matched_again(watched, deploy, clock, make_settings, db_url):
    watched("ourdept.example")
    clock.advance(timedelta(days=31))  # watch.retro_days is 30
    app = deploy()
    assert run_watch(app).retro_matches == 0
    assert {k for k, _ in stored(app)} == {"lavrov-talks", "iran-food"}
