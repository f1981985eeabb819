"""A change of the settings that decide related and pickup matches (`[watch.related]`) is applied to the coverage
stored already, once, by one daemon: raising `min_score` removes what is now below it, lowering it finds the items
now over it, and the matches still made stay exactly as they were."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feeds.ingest import ingest_paths
from feeds.store.alerts import NewDelivery
from feeds.store.schema import watch_settings
from feeds.watch.manage import add_feed
from feeds.watch.poll import run_watch
from feeds.watch.retro import SETTINGS
from tests.test_watch_poll import rss

HTTP = '\n[http]\nallow = ["127.0.0.1", "localhost", "::1"]\n'
MOSCOW = "foreign-secretary-to-visit-moscow"
ITEMS = (  # their related scores against the model release: 0.44, 0.22, 0.16, 0.13
    (
        "strong",
        "Johnson to meet Sergei Lavrov in Moscow",
        "Boris Johnson will discuss North Korea and Iran with Sergei Lavrov; both sit on the UN Security Council.",
    ),
    ("middle", "Johnson heads to Moscow", "Boris Johnson will meet Sergei Lavrov."),
    ("weaker", "Moscow talks", "Boris Johnson travels to Moscow next week."),
    ("weak", "Lavrov on Korea", "Sergei Lavrov spoke about North Korea."),
)


@pytest.fixture
def deploy(make_settings, make_app_for, db_url):
    """A daemon (an App) on the test's database with `min_score` set: each call is another daemon, or a restart
    after the config was edited."""

    def start(min_score: float):
        return make_app_for(make_settings(f"{HTTP}\n[watch.related]\nmin_score = {min_score}\n", database_url=db_url))

    return start


@pytest.fixture
def watched(deploy, httpserver, corpus_releases, clock):
    """Start a daemon with `min_score`, ingest the model release, poll a feed of four items covering it."""

    def run(min_score: float):
        app = deploy(min_score)
        ingest_paths(app, [corpus_releases / f"{MOSCOW}.txt"])
        httpserver.expect_request("/feed.xml").respond_with_data(rss(*ITEMS), content_type="text/xml")
        add_feed(app, httpserver.url_for("/feed.xml"))
        clock.advance(timedelta(hours=1))
        run_watch(app)
        clock.advance(timedelta(minutes=5))
        return app

    return run


def stored(app):
    """item key → (match id, kind, score, why, found at, delay) of every stored match."""
    return {m.item.item.key: (m.id, m.kind, m.score, m.why, m.found_at, m.delay) for m in app.store.matches()}


def changes(caplog):
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("related settings changed")]


def test_raising_min_score_removes_exactly_the_coverage_below_it(watched, deploy, caplog, clock):
    first = watched(0.15)
    before = stored(first)
    assert set(before) == {"strong", "middle", "weaker"}
    waiting = [NewDelivery(match_id, f"desk:{key}", clock()) for key, (match_id, *_) in before.items()]
    assert first.store.enqueue_deliveries("webhook:desk", waiting, clock()) == 3

    caplog.set_level(logging.INFO, logger="feeds.watch")
    app = deploy(0.3)  # the press officer raises the bar and restarts the daemon; no feed is due
    report = run_watch(app)
    assert report.outcomes == [] and (report.retro_removed, report.retro_matches) == (2, 0)
    assert stored(app) == {"strong": before["strong"]}, "the match still made is untouched: id, why, time found"
    assert changes(caplog) == [
        "related settings changed (min_score 0.15 → 0.3): the stored coverage of 1 release(s) of the window matched "
        "again: 2 match(es) below the new settings removed, 0 now meeting them added"
    ]
    assert app.store.count_matches() == 1
    assert [d.match_id for d in app.store.deliveries()] == [before["strong"][0]], "no alert of what was removed"


def test_lowering_min_score_adds_the_stored_items_now_over_it(watched, deploy, clock):
    before = stored(watched(0.34))
    assert set(before) == {"strong"}

    app = deploy(0.2)
    report = run_watch(app)
    assert (report.retro_matches, report.retro_removed) == (1, 0)
    after = stored(app)
    assert set(after) == {"strong", "middle"}, "0.16 and 0.13 stay below the bar"
    assert after["strong"] == before["strong"]
    _, kind, score, why, found_at, delay = after["middle"]
    assert kind == "related" and 0.2 <= score < 0.34 and found_at == clock()
    assert why.startswith("related to 'Foreign Secretary to visit Moscow': ") and "Lavrov" in why
    release = app.store.release(MOSCOW)
    (middle,) = [m for m in app.store.matches() if m.item.item.key == "middle"]
    assert delay == (middle.item.published - release.published).total_seconds()


def test_restarting_with_the_same_settings_changes_nothing(watched, deploy, caplog):
    before = stored(watched(0.15))
    caplog.set_level(logging.INFO, logger="feeds.watch")
    app = deploy(0.15)
    report = run_watch(app)
    assert (report.retro_matches, report.retro_removed) == (0, 0)
    assert stored(app) == before
    assert changes(caplog) == []


def test_a_change_is_applied_once_across_restarts_and_daemons(watched, deploy, caplog, clock):
    first = watched(0.15)
    caplog.set_level(logging.INFO, logger="feeds.watch")
    changed = deploy(0.3)
    assert run_watch(changed).retro_removed == 2
    kept = stored(changed)
    clock.advance(timedelta(minutes=1))
    again = deploy(0.3)  # that daemon restarted, or a second one on the same database
    assert (run_watch(again).retro_removed, run_watch(changed).retro_removed) == (0, 0)
    assert stored(again) == kept
    assert len(changes(caplog)) == 1
    assert first.store.settings_fingerprint(SETTINGS) == again.store.settings_fingerprint(SETTINGS)


def test_the_daemon_holding_the_lock_does_the_work_the_others_skip_it(watched, deploy):
    watched(0.15)
    one, other = deploy(0.3), deploy(0.3)
    with one.store.exclusive("related-settings") as mine:
        assert mine
        assert run_watch(other).retro_removed == 0, "another daemon is at it"
        assert other.store.count_matches() == 3
    assert run_watch(other).retro_removed == 2
    assert run_watch(one).retro_removed == 0


def test_coverage_found_by_a_change_of_settings_is_not_alerted(watched, deploy, clock):
    """Lowering the bar finds items stored days ago, and raising it and lowering it back finds again coverage
    alerted already: neither is news, as the stored items a new rule matches are not."""
    first = watched(0.15)
    since = clock() - timedelta(days=1)
    alerted = {c.item_key for c in first.store.unqueued_matches("webhook:desk", since=since)}
    assert alerted == {"strong", "middle", "weaker"}, "found by polling: alerted"
    run_watch(deploy(0.3))
    clock.advance(timedelta(minutes=5))
    app = deploy(0.12)
    assert run_watch(app).retro_matches == 3
    assert set(stored(app)) == {"strong", "middle", "weaker", "weak"}
    assert {c.item_key for c in app.store.unqueued_matches("webhook:desk", since=since)} == {"strong"}


def test_with_no_settings_recorded_the_stored_coverage_is_taken_as_made_with_the_current_ones(watched, deploy):
    """A database from before the settings were recorded: what they were then cannot be told, so the stored
    coverage stays as it is, and a change from now on is applied."""
    before = stored(watched(0.15))
    with deploy(0.15).store.engine.begin() as conn:
        conn.execute(sa.delete(watch_settings))
    app = deploy(0.3)
    assert (run_watch(app).retro_removed, stored(app)) == (0, before)
    assert app.store.settings_fingerprint(SETTINGS).startswith("min_score=0.3 ")
    changed = deploy(0.4)
    assert run_watch(changed).retro_removed == 2


def test_a_reloaded_config_is_applied_by_the_running_daemon(watched, make_settings, db_url):
    """SIGHUP: the daemon's App takes the new settings, and its next round applies them."""
    app = watched(0.15)
    app.settings = make_settings(f"{HTTP}\n[watch.related]\nmin_score = 0.3\n", database_url=db_url)
    assert run_watch(app).retro_removed == 2
    assert set(stored(app)) == {"strong"}
