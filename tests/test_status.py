"""`feeds status` against a store seeded directly, read with a fixed clock (SQLite, and PostgreSQL when present).

What an operator sees: the release count and the newest; the last ingest and publish of any daemon or command;
watched feeds healthy, failing (the worst first, with their errors) and disabled; items; matches of the last 24
hours by kind; daemons alive, gone (heartbeat older than two minutes) or stopped, with their feed leases, and job
lines only for the living.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from click.testing import CliRunner

from feeds.cli import cli
from feeds.clock import rfc3339, utc_now
from feeds.ingest import ingest_paths
from feeds.status import gather
from feeds.statustext import render_text
from tests.alerts_helpers import add_coverage_match, add_keyword_matches
from tests.leaseclock_helpers import leases_age


def _write(folder, name: str, title: str, published: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(
        f"---\ntitle: {title}\npublished: {published}\n---\n{title}, the minister said.\n", encoding="utf-8"
    )


def seed_releases(app, tmp_path) -> None:
    src = tmp_path / "seed"
    _write(src, "a.md", "Harbour wall to be rebuilt", "2026-11-20T09:00:00Z")
    _write(src, "b.md", "New ferry timetable", "2026-11-27T10:30:00Z")
    report = ingest_paths(app, [src])
    assert report.count("created") == 2


def seed_feeds(app, now) -> dict[str, int]:
    """One healthy feed, three failing (5, 2 and 2 failures), one disabled after failing; returns url → id."""
    store = app.store
    ids = {}
    health = {
        "https://ok.example.com/feed": (0, "200", None),
        "https://down.example.com/feed": (5, "500", "GET https://down.example.com/feed answered 500"),
        "https://b-flaky.example.com/feed": (2, "error", "https://b-flaky.example.com/feed: connection refused"),
        "https://a-flaky.example.com/feed": (2, "parse-error", "not a feed: HTML page"),
        "https://off.example.com/feed": (7, "410", "gone"),
    }
    for url, (failures, status, error) in health.items():
        feed = store.add_feed(url, title=url, tags=(), interval=1800, origin="cli", now=now)
        store.record_check(
            replace(
                feed,
                last_checked=now - timedelta(minutes=5),
                last_status=status,
                last_error=error,
                failures=failures,
                next_check=now + timedelta(minutes=25),
            ),
            owner="seed",
        )
        ids[url] = feed.id
    store.edit_feed(store.feed("https://off.example.com/feed").id, enabled=False)
    return ids


def seed_workers(app, now) -> None:
    store = app.store

    def jobs(finished) -> dict:
        return {
            name: {
                "runs": 3,
                "failures": 0,
                "last_started": rfc3339(finished - timedelta(seconds=2)),
                "last_finished": rfc3339(finished),
                "last_ok": True,
                "last_error": None,
                "last_summary": "",
                "last_succeeded": rfc3339(finished),
                "next_run": rfc3339(now + timedelta(minutes=1)),
            }
            for name in ("ingest", "publish", "watch")
        }

    alive_jobs = jobs(now - timedelta(minutes=1))
    alive_jobs["watch"] = dict(alive_jobs["watch"], last_ok=False, runs=4, failures=1, last_error="database locked")
    store.save_worker_status(
        "host-a:100",
        started=now - timedelta(hours=1),
        now=now - timedelta(seconds=30),
        status={"jobs": alive_jobs, "stopped": False},
    )
    store.save_worker_status(
        "host-b:200",
        started=now - timedelta(days=1),
        now=now - timedelta(minutes=10),
        status={"jobs": jobs(now - timedelta(minutes=11)), "stopped": False},
    )
    store.save_worker_status(
        "host-c:300",
        started=now - timedelta(hours=3),
        now=now - timedelta(seconds=5),
        status={"jobs": jobs(now - timedelta(hours=2)), "stopped": True},
    )
    store.save_worker_status(
        "host-d:400", started=now - timedelta(days=30), now=now - timedelta(days=8), status={"jobs": {}}
    )


@pytest.fixture
def seeded(make_settings, make_app_for, db_url, tmp_path, clock):
    app = make_app_for(make_settings(database_url=db_url))
    now = clock()
    seed_releases(app, tmp_path)
    ids = seed_feeds(app, now)
    add_keyword_matches(app.store, {"k1": "Sanctions on steel", "k2": "More sanctions"}, found_at=now)
    add_keyword_matches(app.store, {"k3": "Old sanctions story"}, found_at=now - timedelta(hours=25))
    add_coverage_match(app.store, "p1", "Minister's words picked up", app.store.releases()[0].id, found_at=now)
    app.store.claim_feeds([ids["https://ok.example.com/feed"]], now, owner="host-a:100", lease=timedelta(minutes=5))
    seed_workers(app, now)
    return app


def test_status_counts_worst_offenders_and_daemons(seeded, now):
    newest_id = seeded.store.releases()[0].id
    feed_id = {f.url: f.id for f in seeded.store.feeds()}  # (the feed's `id`, as `watch list --json` gives it)
    report = gather(seeded).as_json()
    workers = report.pop("workers")
    for cause in report["feeds"]["causes"]:  # (their words are `test_watch_triage`'s)
        assert cause.pop("state") == ("disabled" if cause["cause"] == "gone" else "failing")
        assert cause.pop("label") and cause.pop("advice")
        assert cause.pop("act") is (cause["cause"] in ("web-page", "gone"))
    assert report == {
        "now": "2026-11-28T12:00:00Z",
        "releases": {
            "count": 2,
            # (was "new-ferry-timetable (2026-11-27T10:30:00Z)": text a script had to take apart)
            "newest": {"id": newest_id, "slug": "new-ferry-timetable", "published": "2026-11-27T10:30:00Z"},
            "held": [],
        },
        "sources": [],
        "last_ingest": "2026-11-28T12:00:00Z",  # the seed releases, stored by a command after the daemons' run
        "last_publish": "2026-11-28T11:59:00Z",
        "last_poll": "2026-11-28T11:59:00Z",  # (a daemon's `watch` job)
        "publish_failure": None,
        "ingest_failure": None,
        "poll_failure": None,
        "problems": [  # (what makes `feeds status` exit 1)
            "daemon host-a:100: watch FAILED: database locked",
            "daemon host-b:200 gone (no heartbeat since 2026-11-28T11:50:00Z)",
        ],
        "feeds": {
            "total": 6,  # five seeded and the one the match helpers watch
            "ok": 1,  # the healthy one
            "failing": 3,
            "disabled": 1,
            "new": 1,  # never checked: neither ok nor failing
            "worst": [
                {
                    "id": feed_id["https://down.example.com/feed"],
                    "url": "https://down.example.com/feed",
                    "failures": 5,
                    "failing_since": None,
                    "last_status": "500",
                    "last_error": "GET https://down.example.com/feed answered 500",
                },
                {
                    "id": feed_id["https://a-flaky.example.com/feed"],
                    "url": "https://a-flaky.example.com/feed",
                    "failures": 2,
                    "failing_since": None,
                    "last_status": "parse-error",
                    "last_error": "not a feed: HTML page",
                },
                {
                    "id": feed_id["https://b-flaky.example.com/feed"],
                    "url": "https://b-flaky.example.com/feed",
                    "failures": 2,
                    "failing_since": None,
                    "last_status": "error",
                    "last_error": "https://b-flaky.example.com/feed: connection refused",
                },
            ],
            "causes": [  # (`feeds.watch.triage`: what to fix first, first)
                {"cause": "web-page", "feeds": 1, "ids": [feed_id["https://a-flaky.example.com/feed"]]},
                {"cause": "gone", "feeds": 1, "ids": [feed_id["https://off.example.com/feed"]]},  # (its 410)
                {"cause": "server-error", "feeds": 1, "ids": [feed_id["https://down.example.com/feed"]]},
                {"cause": "unreachable", "feeds": 1, "ids": [feed_id["https://b-flaky.example.com/feed"]]},
            ],
        },
        "items": 4,
        "matches_24h": {"keyword": 2, "related": 0, "pickup": 1},
        "host_slots": {"held": 0, "by_holder": {}, "by_host": {}, "expired": 0},
    }
    assert [(w["worker"], w["alive"], w["stopped"], w["leases"]) for w in workers] == [
        ("host-c:300", False, True, 0),
        ("host-a:100", True, False, 1),
        ("host-b:200", False, False, 0),
    ], "newest heartbeat first; host-d (8 days silent) is forgotten"
    alive = workers[1]
    assert alive["heartbeat"] == "2026-11-28T11:59:30Z" and alive["started"] == "2026-11-28T11:00:00Z"
    assert alive["jobs"]["watch"]["last_error"] == "database locked"
    json.dumps(report)


def test_a_heartbeat_is_alive_for_50_seconds(seeded, clock):
    """Heartbeats come every 15 s: three missed (a daemon killed with -9) and it is reported gone."""
    clock.advance(timedelta(seconds=19))  # the heartbeat is 49 s old
    assert [w.worker for w in gather(seeded).workers if w.alive] == ["host-a:100"]
    clock.advance(timedelta(seconds=2))
    assert [w.worker for w in gather(seeded).workers if w.alive] == []


def test_text_names_the_worst_feeds_and_shows_jobs_of_living_daemons_only(seeded):
    text = render_text(gather(seeded))
    lines = text.splitlines()
    assert lines[0] == "releases        2, newest new-ferry-timetable (2026-11-27T10:30:00Z)"
    assert "last ingest     2026-11-28T12:00:00Z (0 min ago)" in lines
    assert "last publish    2026-11-28T11:59:00Z (1 min ago)" in lines
    assert "watched feeds   6: 1 ok, 3 failing, 1 disabled, 1 not checked yet; 4 items stored" in lines
    assert "  failing 5x  https://down.example.com/feed: GET https://down.example.com/feed answered 500" in lines
    assert "  failing 2x  https://b-flaky.example.com/feed: connection refused" in lines, "the URL once"
    assert "matches (24 h)  3: 2 keyword, 0 related, 1 pickup" in lines
    assert "daemon host-a:100  alive, heartbeat 2026-11-28T11:59:30Z, 1 feed leases" in lines
    assert "daemon host-b:200  gone (no heartbeat), heartbeat 2026-11-28T11:50:00Z, 0 feed leases" in lines
    assert "daemon host-c:300  stopped, heartbeat 2026-11-28T11:59:55Z, 0 feed leases" in lines
    job_lines = [line for line in lines if line.startswith("  ") and "next" in line]
    assert job_lines == [
        "  ingest        next 2026-11-28T12:01:00Z  last ok",
        "  publish       next 2026-11-28T12:01:00Z  last ok",
        "  watch         next 2026-11-28T12:01:00Z  last FAILED: database locked",
    ]


def test_an_empty_store_says_no_daemon_has_run(make_settings, make_app_for):
    report = gather(make_app_for(make_settings()))
    data = report.as_json()
    assert data["releases"] == {"count": 0, "newest": None, "held": []} and data["workers"] == []
    assert data["last_ingest"] is None and data["last_publish"] is None
    text = render_text(report)
    assert "last publish    never" in text
    assert "daemons         none has run yet (start one with `feeds run`)" in text


def test_commands_run_without_a_daemon_count_as_the_last_ingest_and_publish(make_settings, make_app_for, tmp_path):
    from feeds.publish import run_publish

    app = make_app_for(make_settings())
    seed_releases(app, tmp_path)
    assert gather(app).as_json()["last_ingest"] == rfc3339(app.clock())
    assert gather(app).as_json()["last_publish"] is None
    run_publish(app)
    assert gather(app).as_json()["last_publish"] == rfc3339(app.clock())


def test_the_command_prints_the_same_report(make_settings, make_app_for, tmp_path):
    """`feeds status --json` and the text form, through the CLI (which reads the real clock)."""
    settings = make_settings()
    app = make_app_for(settings, clock=utc_now)
    seed_releases(app, tmp_path)
    seed_feeds(app, utc_now())
    app.store.save_worker_status("cli-test:1", started=utc_now(), now=utc_now(), status={"jobs": {}, "stopped": False})
    runner = CliRunner()
    config = str(settings.path)
    done = runner.invoke(cli, ["--config", config, "status", "--json"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert data["releases"]["count"] == 2
    assert (data["feeds"]["total"], data["feeds"]["failing"], data["feeds"]["disabled"]) == (5, 3, 1)
    assert [(w["worker"], w["alive"]) for w in data["workers"]] == [("cli-test:1", True)]
    text = runner.invoke(cli, ["--config", config, "status"])
    assert text.exit_code == 0 and "daemon cli-test:1  alive" in text.output


def test_the_last_ingest_and_publish_are_the_last_that_did_their_work(make_settings, make_app_for, clock):
    """Operators review: a daemon whose every ingest failed (or was skipped for another's lock) made the headline
    say "last ingest 0 min ago"; the job lines showed a skipped round as "ok"."""
    app = make_app_for(make_settings())
    now = clock()
    earlier = rfc3339(now - timedelta(hours=3))
    jobs = {
        "ingest": {"runs": 9, "last_finished": rfc3339(now), "last_ok": False, "last_error": "InsufficientPrivilege: "
                   "permission denied for table releases", "last_succeeded": earlier, "next_run": None},
        "publish": {"runs": 9, "last_finished": rfc3339(now), "last_ok": True, "last_error": None,
                    "last_summary": "skipped: another process holds the publish lock (tried again shortly)",
                    "last_succeeded": earlier, "next_run": None},
    }  # fmt: skip
    app.store.save_worker_status("host-a:100", started=now - timedelta(hours=4), now=now, status={"jobs": jobs})
    report = gather(app)
    assert (report.last("ingest"), report.last("publish")) == (earlier, earlier)
    lines = render_text(report).splitlines()
    assert "last ingest     2026-11-28T09:00:00Z (3 h ago)" in lines
    assert "  ingest        next -  last FAILED: InsufficientPrivilege: permission denied for table releases" in lines
    assert "  publish       next -  last skipped: another process holds the publish lock (tried again shortly)" in lines


def test_embargoed_releases_and_remote_sources_are_shown(make_settings, make_app_for, httpserver, clock):
    """Ingest review: a remote source's health (last check, error, next check) could only be read in the database,
    and the newest release shown was one still held back for its embargo."""
    from werkzeug import Response

    from feeds.ingest import run_ingest

    url = httpserver.url_for("/search.json")
    extra = '\n[http]\nallow = ["127.0.0.1", "localhost"]\n'
    extra += f'[[sources]]\ntype = "remote_json"\nname = "govuk"\nurl = "{url}"\n'
    app = make_app_for(make_settings(extra))
    inbox = app.settings.source("inbox").path
    (inbox / "now.txt").write_text("Ferry fares frozen\n\nFares stay as they are.\n")
    (inbox / "later.txt").write_text("Embargoed until 00:01 3 December 2026\n\nNew ports strategy\n\nText.\n")
    httpserver.expect_request("/search.json").respond_with_response(Response("down", status=500))
    run_ingest(app)
    report = gather(app)
    data = report.as_json()
    assert data["releases"]["newest"]["slug"] == "ferry-fares-frozen"
    assert data["releases"]["held"] == [{"slug": "new-ports-strategy", "due": "2026-12-03T00:01:00Z"}]
    (source,) = data["sources"]
    assert (source["name"], source["last_status"], source["failures"]) == ("govuk", "500", 1)
    text = render_text(report)
    assert "1 embargoed, off the site until due (first 2026-12-03T00:01:00Z)" in text
    assert "source govuk  failing 1x: " in text and ", next check 2026-11-28T" in text


def test_older_stopped_daemons_are_counted_not_listed_in_the_text(seeded, now):
    """A reliability review: after a day of restarts, `feeds status` listed 16 stopped daemons above the live one."""
    for pid in range(500, 516):
        at = now - timedelta(hours=1, minutes=pid - 500)
        seeded.store.save_worker_status(
            f"host-e:{pid}", started=at - timedelta(minutes=5), now=at, status={"jobs": {}, "stopped": True}
        )
    report = gather(seeded)
    lines = render_text(report).splitlines()
    assert [line for line in lines if "stopped," in line] == [
        "daemon host-c:300  stopped, heartbeat 2026-11-28T11:59:55Z, 0 feed leases"
    ], "the latest stopped one only"
    assert "  (and 16 more daemon(s) stopped in the last 7 days: `feeds status --json`)" in lines
    assert "daemon host-a:100  alive, heartbeat 2026-11-28T11:59:30Z, 1 feed leases" in lines
    assert sum(w.stopped for w in report.workers) == 17, "all of them in the report (and its JSON)"


def test_a_daemon_whose_publish_fails_shows_failed_in_the_headline_when_the_state_folder_refuses(make_settings, clock):
    """Operator's live run: the state folder made read-only under a running daemon failed every publish (its record
    `publish-state.json` could not be written), and so could the failure note `publish-failure.json`; the headline
    then read `last publish … (0 min ago)` with no FAILED, as if the site were fine."""
    import os
    from pathlib import Path

    from feeds.daemon import Daemon
    from feeds.publish import run_publish

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    try:
        state = settings.paths.state
        state.mkdir(parents=True, exist_ok=True)
        for name in ("publish-state.json", "publish-failure.json"):  # unwritable files, even for root
            (state / name).mkdir()
        earlier = (clock() - timedelta(hours=1)).timestamp()  # the record as the last good publish left it
        os.utime(state / "publish-state.json", (earlier, earlier))
        first = rfc3339(clock())
        daemon._run_job("publish", lambda app: str(run_publish(app)))
        clock.advance(timedelta(minutes=1))
        daemon._run_job("publish", lambda app: str(run_publish(app)))
        assert daemon.state.job("publish").last_ok is False
        daemon.heartbeat()
        report = gather(daemon.app)
        assert report.publish_failure is not None
        assert report.publish_failure[0] == first, "failing since the first failed run"
        headline = next(line for line in render_text(report).splitlines() if line.startswith("last publish"))
        assert f"FAILED since {first}: " in headline and "publish-state.json" in headline

        for name in ("publish-state.json", "publish-failure.json"):
            (state / name).rmdir()
        clock.advance(timedelta(minutes=1))
        daemon._run_job("publish", lambda app: str(run_publish(app)))
        daemon.heartbeat()
        assert gather(daemon.app).publish_failure is None
    finally:
        daemon.app.close()


@pytest.mark.parametrize(
    ("offset", "shown"),
    [
        (timedelta(seconds=0), "(0 min ago)"),
        (timedelta(seconds=-59), "(0 min ago)"),
        (timedelta(seconds=20), "(0 min ago)"),  # another machine's clock a little ahead: not "-1 min ago"
        (timedelta(seconds=59), "(0 min ago)"),
        (timedelta(minutes=61), "(61 min ahead of this clock: a clock is wrong)"),  # this clock stepped back an hour
        (timedelta(hours=3), "(3 h ahead of this clock: a clock is wrong)"),
    ],
)
def test_a_time_ahead_of_the_clock_is_not_shown_as_negative_minutes_ago(
    make_settings, make_app_for, clock, offset, shown
):
    """Time review: a last ingest stored by a daemon whose clock runs 20 s ahead showed as "(-1 min ago)", and
    after this machine's clock stepped back an hour, "(-61 min ago)"."""
    app = make_app_for(make_settings())
    now = clock()
    when = rfc3339(now + offset)
    jobs = {"ingest": {"runs": 1, "last_finished": when, "last_ok": True, "last_succeeded": when, "next_run": None}}
    app.store.save_worker_status("host-a:100", started=now - timedelta(hours=4), now=now, status={"jobs": jobs})
    assert f"last ingest     {when} {shown}" in render_text(gather(app)).splitlines()


def test_the_hosts_slots_say_how_many_fetches_are_under_way_by_whom_and_flag_the_expired(seeded, clock):
    """The hosts' slots (`watch.per_host` across daemons) held now: how many, by how many processes, the busiest
    hosts first; a slot past its time (its holder stopped mid-fetch, or could not renew it) is counted apart: free
    to take, though its row is still there. In one line, and in JSON."""
    store, now = seeded.store, clock()
    hold = timedelta(minutes=3)

    def take(owner: str, host: str, n: int, at=now) -> None:
        got = store.trade_host_slots([], [host] * n, now=at, owner=owner, hold=hold, per_host=4)
        assert None not in got

    text = render_text(gather(seeded))
    assert "host slots      none held (no fetch under way)" in text.splitlines()
    take("killed:9", "gone.example.net", 1, at=now - 2 * hold)  # ran out a hold ago, nobody has cleared it yet
    leases_age(store, 2 * hold)  # (on PostgreSQL slots run by the server's clock: time passes for them so)
    take("host-a:100", "news.example.org", 2)
    take("host-b:200", "news.example.org", 1)
    take("host-b:200", "b.example.com", 1)
    take("host-b:200", "a.example.com", 1)
    take("host-b:200", "c.example.com", 1)
    report = gather(seeded)
    (line,) = [x for x in render_text(report).splitlines() if x.startswith("host slots")]
    assert line == (
        "host slots      6 held by 2 processes (news.example.org 3, a.example.com 1, b.example.com 1, and 1 more"
        " host); 1 expired (free: its holder stopped mid-fetch or could not renew it)"
    ), line
    assert report.as_json()["host_slots"] == {
        "held": 6,
        "by_holder": {"host-a:100": 2, "host-b:200": 4},
        "by_host": {"a.example.com": 1, "b.example.com": 1, "c.example.com": 1, "news.example.org": 3},
        "expired": 1,
    }
