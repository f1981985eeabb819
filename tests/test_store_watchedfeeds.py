"""Store contract for the watched feeds (`feeds/store/watchedfeeds.py`: add, import, edit, remove, health) on SQLite and
PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from feeds.errors import ExistsError, NotFoundError
from tests.store_watch_helpers import LEASE, NOW, add


def test_add_list_remove_feed(store):
    f = add(store)
    assert f.id > 0 and f.enabled and f.tags == ("uk",) and f.origin == "cli" and f.next_check is None
    with pytest.raises(ExistsError):
        add(store)
    assert [x.url for x in store.feeds()] == [f.url]
    assert store.feed(str(f.id)) == f == store.feed(f.url)
    store.remove_feed(f.url)
    with pytest.raises(NotFoundError):
        store.feed(f.url)


def test_import_is_idempotent_and_remembers_origin(store):
    _, created = store.import_feed("https://a.example/x", title="A", tags=(), interval=600, origin="config", now=NOW)
    assert created
    g, created = store.import_feed(
        "https://a.example/x", title="A2", tags=("t",), interval=900, origin="config", now=NOW
    )
    assert not created and g.title == "A2" and g.interval == 900
    add(store, "https://b.example/y")
    h, created = store.import_feed("https://b.example/y", title="Z", tags=(), interval=600, origin="config", now=NOW)
    assert not created and h.title == "News" and h.origin == "cli", "a feed added by hand is left alone"
    k, created = store.import_feed(
        "https://b.example/y", title="", tags=("wire",), interval=7200, origin="config", now=NOW, adopt=True
    )
    assert not created and k.id == h.id and k.origin == "config"
    assert (k.title, k.tags, k.interval) == ("News", ("wire",), 7200), "adopted; a blank title keeps its own"


def test_importing_a_feed_already_there_uses_up_no_id(store):
    # Every command and every daemon start imports the config's feeds again. On PostgreSQL an INSERT that meets
    # the row already there still takes a number from the id sequence: 1,000 configured feeds and `run --once`
    # from cron each minute would skip 1.4 million ids a day, and `watch add` got #2501 after 40 commands.
    for _ in range(3):
        store.import_feed("https://a.example/x", title="A", tags=(), interval=600, origin="config", now=NOW)
        store.import_feed("https://b.example/y", title="B", tags=(), interval=600, origin="config", now=NOW)
    a, b, c = store.feed("https://a.example/x"), store.feed("https://b.example/y"), add(store, "https://c.example/z")
    assert (b.id, c.id) == (a.id + 1, a.id + 2)


def test_feed_health_counts_enabled_checked_and_failing_feeds(store):
    a, b, c = (add(store, f"https://{n}.example/f") for n in "abc")
    add(store, "https://d.example/f")
    store.edit_feed(c.id, enabled=False)
    assert store.feed_health() == (3, 0, 0)
    for f, failures in ((a, 0), (b, 2)):
        (claimed,) = store.claim_feeds([f.id], NOW, owner="w", lease=LEASE)
        store.record_check(replace(claimed, last_checked=NOW, failures=failures), owner="w")
    assert store.feed_health() == (3, 2, 1)


def test_a_config_import_with_a_new_interval_reschedules_from_the_last_check(store):
    url = "https://a.example/cfg"
    f, _ = store.import_feed(url, title="A", tags=(), interval=7200, origin="config", now=NOW)
    (claimed,) = store.claim_feeds([f.id], NOW, owner="w", lease=LEASE)
    store.record_check(replace(claimed, last_checked=NOW, next_check=NOW + timedelta(hours=2)), owner="w")
    g, _ = store.import_feed(url, title="A", tags=(), interval=600, origin="config", now=NOW)
    assert g.next_check == NOW + timedelta(minutes=10)
    failing = store.edit_feed(g.id, interval=900)
    assert failing.next_check == NOW + timedelta(minutes=15)
