"""Triage of failing feeds as an analyst with 3,000 feeds and 200 of them failing does it: the failures grouped by
cause, each cause saying what to do (a 404 or a DNS failure needs someone; a 500 waits), the causes someone must
act on first, in `feeds status`, `watch list --cause` and `watch show`."""

from __future__ import annotations

import json

from feeds.model import WatchedFeed
from feeds.watch.triage import cause_of, triage
from tests.cli_watch_helpers import RSS, run


def _feed(n: int, status: str | None, error: str | None, *, enabled: bool = True) -> WatchedFeed:
    return WatchedFeed(
        id=n,
        url=f"https://news{n}.example/rss",
        title="",
        tags=(),
        interval=1800.0,
        enabled=enabled,
        origin="cli",
        last_status=status,
        last_error=error,
        failures=3 if enabled and status not in (None, "200") else 0,
    )


def test_each_failure_is_given_a_cause_that_says_what_to_do():
    def key(status: str, error: str, **kw) -> str | None:
        cause = cause_of(_feed(1, status, error, **kw))
        return cause.key if cause else None

    assert key("404", "the server answered 404 Not Found") == "not-found"
    assert key("410", "the server answered 410 Gone", enabled=False) == "gone"
    assert key("error", "could not find the server news.example (DNS lookup failed)") == "dns"
    assert key("503", "the server answered 503 Service Unavailable") == "server-error"
    assert key("403", "the server answered 403 Forbidden") == "refused"
    assert key("parse-error", "this is an HTML page, not a feed; it does not link to any feed") == "web-page"
    assert key("error", "timed out after 10 s connecting to news.example") == "unreachable"
    assert key("error", "connection refused by news.example") == "unreachable"
    assert key("error", "the secure connection to news.example failed: its certificate is not trusted (x)") == "tls"
    assert cause_of(_feed(1, "200", None)) is None  # a healthy feed has no cause
    assert cause_of(_feed(1, None, None, enabled=False)) is None  # nor one paused by hand
    dns = cause_of(_feed(1, "error", "could not find the server news.example (DNS lookup failed)"))
    assert dns is not None and dns.act and "address" in dns.advice
    gone = cause_of(_feed(1, "410", "the server answered 410 Gone", enabled=False))
    assert gone is not None and "feeds watch remove --cause gone" in gone.advice
    assert "feeds watch discover" in cause_of(_feed(1, "404", "the server answered 404 Not Found")).advice  # type: ignore[union-attr]
    waits = cause_of(_feed(1, "500", "the server answered 500 Internal Server Error"))
    assert waits is not None and not waits.act


def test_triage_puts_the_feeds_losing_coverage_first_then_the_tidying_then_those_that_wait():
    feeds = [
        *[_feed(n, "500", "the server answered 500 Internal Server Error") for n in range(10)],
        *[_feed(n, "404", "the server answered 404 Not Found") for n in range(10, 13)],
        *[_feed(n, "410", "the server answered 410 Gone", enabled=False) for n in range(13, 18)],
        _feed(18, "200", None),
    ]
    groups = triage(feeds)
    assert [(c.key, len(fs)) for c, fs in groups] == [("not-found", 3), ("gone", 5), ("server-error", 10)]


def test_status_and_watch_list_group_200_failing_feeds_by_what_to_do(config, httpserver):
    httpserver.expect_request("/ok.xml").respond_with_data(RSS, content_type="application/rss+xml")
    for path, status in (("/moved.xml", 404), ("/moved2.xml", 404), ("/gone.xml", 410), ("/busy.xml", 500)):
        httpserver.expect_request(path).respond_with_data("no", status=status)
    for path in ("/ok.xml", "/moved.xml", "/moved2.xml", "/gone.xml", "/busy.xml"):
        assert run(config, "watch", "add", "--no-check", httpserver.url_for(path)).exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    status = run(config, "status")
    assert status.exit_code == 0, status.output  # (a feed failing is its site's problem: listed, not counted)
    lines = status.output.splitlines()
    causes = [line.strip() for line in lines if line.startswith("    ") and " feed" in line]
    assert causes[0].startswith("2 feeds failing  404 Not Found:") and "feeds watch discover" in causes[0]
    assert "`feeds watch list --cause not-found`" in causes[0], status.output
    assert causes[1].startswith("1 feed disabled  410 Gone:"), status.output
    assert causes[2].startswith("1 feed failing  server error (5xx):") and "nothing to do" in causes[2]
    got = json.loads(run(config, "status", "--json").stdout)["feeds"]["causes"]
    assert [(c["cause"], c["feeds"], c["act"]) for c in got] == [
        ("not-found", 2, True),
        ("gone", 1, True),
        ("server-error", 1, False),
    ]
    listed = run(config, "watch", "list", "--cause", "not-found")
    assert listed.exit_code == 0, listed.output
    assert "moved.xml" in listed.output and "moved2.xml" in listed.output and "busy.xml" not in listed.output
    assert listed.output.splitlines()[-1] == "2 of 5 feeds: 2 failing"
    as_json = json.loads(run(config, "watch", "list", "--json", "--cause", "gone").stdout)
    assert [f["cause"] for f in as_json] == ["gone"]
    assert json.loads(run(config, "watch", "list", "--json").stdout)[0]["cause"] is None  # ok.xml
    shown = run(config, "watch", "show", httpserver.url_for("/moved.xml"))
    assert "to do:" in shown.output and "feeds watch discover" in shown.output


def test_watch_remove_cause_gone_tidies_every_feed_a_410_paused_at_once(config, httpserver):
    httpserver.expect_request("/ok.xml").respond_with_data(RSS, content_type="application/rss+xml")
    for path in ("/gone1.xml", "/gone2.xml"):
        httpserver.expect_request(path).respond_with_data("gone", status=410)
    for path, tag in (("/ok.xml", "Europe"), ("/gone1.xml", "Europe"), ("/gone2.xml", "Asia")):
        assert run(config, "watch", "add", "--no-check", httpserver.url_for(path), "--tag", tag).exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    dry = run(config, "watch", "remove", "--cause", "gone", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would remove 2 feeds gone (410 Gone) with their items and matches" in dry.output
    assert "gone1.xml" in dry.output and "gone2.xml" in dry.output and "ok.xml" not in dry.output
    europe = run(config, "watch", "remove", "--cause", "gone", "--tagged", "europe")
    assert europe.exit_code == 0, europe.output
    assert "removed 1 feed tagged 'europe' gone (410 Gone): deleted 0 items and 0 matches" in europe.output
    left = [f["url"].rsplit("/", 1)[1] for f in json.loads(run(config, "watch", "list", "--json").stdout)]
    assert left == ["ok.xml", "gone2.xml"]
    assert run(config, "watch", "remove", "--cause", "gone").exit_code == 0
    none = run(config, "watch", "remove", "--cause", "gone")
    assert none.exit_code == 1 and "no watched feed is gone (410 Gone)" in none.output
    assert run(config, "watch", "remove", "1", "--cause", "gone").exit_code == 2


def test_watch_show_says_a_new_feed_is_due_now_not_never_checked(config):
    """`next check: never` read as "this feed will not be polled", of a feed just imported and due at once."""
    assert run(config, "watch", "add", "--no-check", "https://news.example/rss").exit_code == 0
    shown = run(config, "watch", "show", "1").output
    assert "next check:    due now (at the next poll)" in shown, shown
    assert run(config, "watch", "edit", "1", "--disable").exit_code == 0
    assert "next check:    none (disabled)" in run(config, "watch", "show", "1").output
