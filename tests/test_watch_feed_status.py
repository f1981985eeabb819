"""A press office's watched feeds as its officer sees them: a feed's own title, secrets in a feed's URL, since
when a feed has been failing, and what a failing feed resumed says."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from werkzeug import Response

from feeds.clock import rfc3339
from feeds.status import gather
from feeds.statustext import render_text
from feeds.watch.manage import add_feed, edit_feed, import_configured
from feeds.watch.poll import run_watch
from tests.cli_watch_helpers import run

ALLOW = '\n[http]\nallow = ["127.0.0.1", "localhost", "::1"]\n'
RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title><link>https://news.example.com/</link>
<description>d</description><item><title>Story</title><link>https://news.example.com/a</link>
<guid isPermaLink="false">a</guid><description>{body}</description></item></channel></rss>"""


@pytest.fixture
def app(make_settings, make_app_for):
    return make_app_for(make_settings(ALLOW))


@pytest.fixture
def config(app, tmp_path):
    return tmp_path / "feeds.toml"


def _serve(httpserver, title: str, body: str = "Talks.") -> None:
    httpserver.clear()
    httpserver.expect_request("/feed.xml").respond_with_data(
        RSS.format(title=title, body=body), content_type="application/rss+xml"
    )


def test_a_config_feed_without_a_title_takes_and_keeps_its_own_until_one_is_given(
    make_settings, make_app_for, httpserver
):
    url = httpserver.url_for("/feed.xml")
    app = make_app_for(make_settings(ALLOW + f'\n[[watch.feeds]]\nurl = "{url}"\n'))
    import_configured(app)
    _serve(httpserver, "World Desk")
    run_watch(app)
    assert app.store.feed(url).title == "World Desk"
    import_configured(app)  # every command and daemon start imports the config again
    assert app.store.feed(url).title == "World Desk"
    run_watch(app, feed_ids=[app.store.feed(url).id])  # the same body again: skipped, title kept
    assert app.store.feed(url).title == "World Desk"
    _serve(httpserver, "Global Desk", body="Other talks.")  # the feed renames itself
    run_watch(app, feed_ids=[app.store.feed(url).id])
    assert app.store.feed(url).title == "Global Desk"
    assert not app.store.feed(url).title_given


def test_a_title_given_wins_and_list_says_which_title_it_is(app, httpserver, config):
    url = httpserver.url_for("/feed.xml")
    _serve(httpserver, "World Desk")
    feed = add_feed(app, url)
    run_watch(app)
    out = run(config, "watch", "list").output
    assert "World Desk (the feed's own title)" in out, out
    edit_feed(app, str(feed.id), title="Our name")
    _serve(httpserver, "Renamed Desk", body="New.")
    run_watch(app, feed_ids=[app.store.feed(url).id])
    f = app.store.feed(url)
    assert (f.title, f.title_given) == ("Our name", True)
    out = run(config, "watch", "list").output
    assert "Our name" in out and "own title" not in out, out
    (row,) = json.loads(run(config, "watch", "list", "--json").output)
    assert row["title_given"] is True
    edit_feed(app, str(feed.id), title="")  # back to the feed's own: read again at the next check
    run_watch(app, feed_ids=[app.store.feed(url).id])
    assert app.store.feed(url).title == "Renamed Desk"


def test_a_feed_failing_for_days_says_since_when(app, httpserver, clock, config):
    url = httpserver.url_for("/feed.xml")
    httpserver.expect_request("/feed.xml").respond_with_response(Response("down", status=500))
    add_feed(app, url)
    started = clock()
    run_watch(app)
    for _ in range(3):
        clock.advance(timedelta(days=1))
        run_watch(app, feed_ids=[app.store.feed(url).id])
    f = app.store.feed(url)
    assert (f.failures, f.failing_since) == (4, started)
    out = run(config, "watch", "list").output
    assert f"failing since {rfc3339(started)}" in out, out  # (RFC 3339, as every other time these print)
    text = render_text(gather(app))
    assert f"failing since {rfc3339(started)}" in text, text
    httpserver.clear()
    _serve(httpserver, "Back")
    run_watch(app, feed_ids=[app.store.feed(url).id])
    assert app.store.feed(url).failing_since is None


def test_a_secret_in_a_feed_url_is_masked_wherever_it_is_shown_and_fetched_whole(
    app, httpserver, config, caplog, tmp_path
):
    url = httpserver.url_for("/feed.xml") + "?token=s3cret&edition=uk"
    httpserver.expect_request("/feed.xml", query_string="token=s3cret&edition=uk").respond_with_response(
        Response("down", status=500)
    )
    caplog.set_level("INFO")
    add_feed(app, url)
    run_watch(app)
    assert app.store.feed(url).last_status == "500", "fetched with its token"
    ours = [r for r in caplog.records if r.name.startswith("feeds")]  # (not the test server's own log)
    logged = "\n".join(r.getMessage() + str(getattr(r, "url", "")) for r in ours)
    assert "s3cret" not in logged and "token=***" in logged, logged
    listed = run(config, "watch", "list")
    assert "s3cret" not in listed.output and "token=***&edition=uk" in listed.output, listed.output
    listed_json = run(config, "watch", "list", "--json").output
    assert "s3cret" not in listed_json and "token=***" in listed_json
    polled_json = run(config, "watch", "poll", "--json", "1").output
    assert "s3cret" not in polled_json and "token=***" in polled_json, polled_json
    polled = run(config, "watch", "poll", "1")
    assert "s3cret" not in polled.output + polled.stderr and "token=***" in polled.output + polled.stderr
    assert "s3cret" not in render_text(gather(app))
    assert "s3cret" not in json.dumps(gather(app).as_json())
    again = run(config, "watch", "add", "--no-check", url)
    assert "s3cret" not in again.output + again.stderr and "already watching" in again.output + again.stderr
    # The export moves the subscriptions elsewhere: it holds the URL that works, and says so
    exported = run(config, "watch", "export", "-o", str(tmp_path / "out.opml"))
    assert "token=s3cret" in (tmp_path / "out.opml").read_text(encoding="utf-8")
    assert "1 feed URL holds a secret" in exported.stderr and "s3cret" not in exported.stderr, exported.stderr


def test_an_opml_round_trip_keeps_a_feeds_own_title_its_own(app, httpserver, make_settings, make_app_for, tmp_path):
    from feeds.watch.manage import export_opml, import_opml

    own, named = httpserver.url_for("/feed.xml"), httpserver.url_for("/other.xml")
    _serve(httpserver, "World Desk")
    add_feed(app, own)
    add_feed(app, named, title="Our name")
    run_watch(app, feed_ids=[app.store.feed(own).id])
    assert app.store.feed(own).title_given is False
    (tmp_path / "subs.opml").write_bytes(export_opml(app))
    import_opml(app, tmp_path / "subs.opml")  # back into the same installation: nothing changes
    assert [(f.title, f.title_given) for f in app.store.feeds()] == [("World Desk", False), ("Our name", True)]
    there = make_app_for(make_settings(ALLOW, database_url=f"sqlite:///{tmp_path / 'elsewhere.db'}"))
    import_opml(there, tmp_path / "subs.opml")
    assert [(f.title, f.title_given) for f in there.store.feeds()] == [("World Desk", False), ("Our name", True)]
    _serve(httpserver, "Global Desk", body="Renamed.")
    run_watch(there, feed_ids=[there.store.feed(own).id])
    assert there.store.feed(own).title == "Global Desk", "still follows the feed's own name"


def test_edit_remove_and_import_say_a_feed_with_a_secret_masked(app, config, tmp_path):
    url = "https://paid.example.com/wire.xml?api_key=s3cret"
    (tmp_path / "subs.opml").write_text(
        f'<opml version="2.0"><body><outline text="Wire" xmlUrl="{url.replace("&", "&amp;")}"/></body></opml>',
        encoding="utf-8",
    )
    said = [run(config, "watch", "import", str(tmp_path / "subs.opml"))]
    said.append(run(config, "watch", "import", str(tmp_path / "subs.opml")))
    said.append(run(config, "watch", "edit", "1", "--disable"))
    said.append(run(config, "watch", "edit", "1", "--enable", "--title", "Paid wire"))
    said.append(run(config, "watch", "remove", "1"))
    shown = "".join(r.output + r.stderr for r in said)
    assert "s3cret" not in shown and shown.count("api_key=***") == 5, shown


def test_a_title_handed_back_to_the_feed_says_when_it_is_read(app, httpserver, config):
    url = httpserver.url_for("/feed.xml")
    _serve(httpserver, "World Desk")
    feed = add_feed(app, url, title="Ours")
    run_watch(app)
    edit_feed(app, str(feed.id), title="")
    out = run(config, "watch", "list").output
    assert "feed.xml  (named by the feed at its next check)" in out, out


def test_a_title_given_while_a_check_is_under_way_is_not_undone_by_it(app, clock):
    from dataclasses import replace

    feed = add_feed(app, "https://news.example.com/world.xml")  # the check read it, not named yet
    edit_feed(app, str(feed.id), title="Ours")  # meanwhile
    app.store.record_check(replace(feed, title="World Desk", last_checked=clock(), last_status="200"), owner="w")
    f = app.store.feed(feed.id)
    assert (f.title, f.title_given, f.last_status) == ("Ours", True, "200")


def test_a_feed_is_named_by_its_url_as_shown_with_the_secret_masked(app, config):
    add_feed(app, "https://paid.example.com/wire.xml?token=s3cret")
    paused = run(config, "watch", "edit", "https://paid.example.com/wire.xml?token=***", "--disable")
    assert paused.exit_code == 0 and "disabled" in paused.output, paused.output + paused.stderr
    near = run(config, "watch", "edit", "http://paid.example.com/wire.xml?token=s3cret", "--enable")
    assert near.exit_code != 0 and "did you mean #1" in near.stderr and "s3cret" not in near.stderr.split("mean")[1]


def test_migration_30_takes_a_stored_title_as_given_and_an_empty_one_as_the_feeds(store, now):
    from feeds.store import schema as schema_mod

    named = store.add_feed("https://a.example.com/rss", title="Desk", tags=(), interval=1800, origin="cli", now=now)
    blank = store.add_feed("https://b.example.com/rss", title="", tags=(), interval=1800, origin="cli", now=now)
    with store.engine.begin() as conn:  # the table as migration 29 left it
        conn.exec_driver_sql("ALTER TABLE watched_feeds DROP COLUMN title_given")
        conn.exec_driver_sql("ALTER TABLE watched_feeds DROP COLUMN failing_since")
        conn.execute(schema_mod.schema_migrations.delete().where(schema_mod.schema_migrations.c.version == 30))
    assert [m.version for m in store.migrate(now)] == [30]
    assert (store.feed(named.id).title_given, store.feed(blank.id).title_given) == (True, False)
    assert store.feed(named.id).failing_since is None
    added = store.add_feed("https://c.example.com/rss", title="", tags=(), interval=1800, origin="cli", now=now)
    assert store.feed(added.id).title_given is False


def test_resuming_a_paused_failing_feed_forgets_since_when_it_failed(app, httpserver, clock):
    url = httpserver.url_for("/feed.xml")
    httpserver.expect_request("/feed.xml").respond_with_response(Response("down", status=500))
    feed = add_feed(app, url)
    run_watch(app)
    edit_feed(app, str(feed.id), enabled=False)
    assert app.store.feed(url).failing_since == clock()
    edit_feed(app, str(feed.id), enabled=True)
    assert app.store.feed(url).failing_since is None


def test_the_configs_warnings_about_a_feed_mask_its_secret(make_settings, make_app_for, caplog):
    url = "https://paid.example.com/wire.xml?token=s3cret"
    app = make_app_for(make_settings(ALLOW))
    add_feed(app, url)
    caplog.set_level("WARNING")
    app = make_app_for(make_settings(ALLOW + f'\n[[watch.feeds]]\nurl = "{url}"\n'))
    import_configured(app)  # adopted from the command line
    app = make_app_for(make_settings(ALLOW))
    import_configured(app)  # dropped from the config
    said = [r.getMessage() + str(getattr(r, "url", "")) for r in caplog.records if r.name.startswith("feeds")]
    assert len(said) == 2 and all("token=***" in s and "s3cret" not in s for s in said), said


def test_a_failing_feed_resumed_shows_it_waits_for_its_next_check_not_ok(config, httpserver) -> None:
    httpserver.expect_request("/bad.xml").respond_with_data("oops", status=500)
    url = httpserver.url_for("/bad.xml")
    assert run(config, "watch", "add", "--no-check", url).exit_code == 0
    run(config, "watch", "poll")
    assert run(config, "watch", "edit", "1", "--disable").exit_code == 0
    resumed = run(config, "watch", "edit", "1", "--enable")
    assert resumed.exit_code == 0 and ": ok," not in resumed.output
    head, detail = run(config, "watch", "list").output.splitlines()[:2]
    assert head.split()[1] != "ok" and "waits for its next check" in detail
