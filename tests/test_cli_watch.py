"""The watch commands (`feeds watch add`, `list`, `remove`, `edit`, `import`, `export`, `discover`, `poll`) end to end
against a local feed server, and one tour of the watch, keywords and matches commands together."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from click.testing import CliRunner

from feeds.cli import cli
from tests.cli_watch_helpers import RSS, run
from tests.conftest import BASE_CONFIG
from tests.localhttp import send, threaded_server


def test_watch_keywords_and_matches_commands(config, httpserver, tmp_path):
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    url = httpserver.url_for("/feed.xml")
    assert "watching #1" in run(config, "watch", "add", url, "--tag", "world", "--interval", "1h").output
    assert run(config, "watch", "add", url).exit_code == 1, "the same feed twice is an error"
    bad = run(config, "watch", "add", url + "?x", "--interval", "1m")
    assert bad.exit_code == 2 and "5-minute floor" in bad.output
    assert run(config, "keywords", "add", "lavrov", "--name", "lavrov").exit_code == 0
    err = run(config, "keywords", "add", "iran (syria")
    assert err.exit_code == 1 and "never closed" in err.output and "^" in err.output
    polled = json.loads(run(config, "watch", "poll", "--json").stdout)
    assert polled["new_items"] == 2 and polled["new_matches"] == 1
    assert polled["feeds"][0]["unchanged"] is False
    again = json.loads(run(config, "watch", "poll", url, "--json").stdout)  # the server sends the same bytes
    assert again["feeds"][0]["unchanged"] is True and again["new_items"] == 0
    assert "the same body as last time: not parsed again" in run(config, "watch", "poll", url).output
    listed = json.loads(run(config, "watch", "list", "--json").stdout)
    assert listed[0]["title"] == "Desk" and listed[0]["health"]["last_status"] == "200"
    assert listed[0]["tags"] == ["world"] and listed[0]["interval"] == 3600
    tested = json.loads(run(config, "keywords", "test", "bakery OR bread", "--json").stdout)
    assert [m["title"] for m in tested["matches"]] == ["Bakery prize"] and tested["checked"] == 2
    # The item and feed by the ids `matches list --json` gives them (the JSON named them by title only).
    assert (tested["matches"][0]["feed_id"], type(tested["matches"][0]["item_id"])) == (listed[0]["id"], int)
    matches = json.loads(run(config, "matches", "list", "--rule", "lavrov", "--json").stdout)
    typo = run(config, "matches", "list", "--rule", "lavorv")
    assert typo.exit_code == 1 and "no keyword rule is named 'lavorv'" in typo.stderr
    assert json.loads(run(config, "matches", "list", "--rule", "LAVROV", "--json").stdout) == matches
    assert matches[0]["kind"] == "keyword" and matches[0]["link"] == "https://news.example.com/a"
    assert matches[0]["terms"][0]["field"] == "title"
    out = tmp_path / "subs.opml"
    run(config, "watch", "export", "-o", str(out))
    assert url in out.read_text(encoding="utf-8")
    assert json.loads(run(config, "keywords", "list", "--json").stdout) == [
        {"name": "lavrov", "query": "lavrov", "origin": "cli"}
    ]
    assert "removed rule" in run(config, "keywords", "remove", "lavrov").output
    gone = run(config, "matches", "list", "--rule", "lavrov")  # a removed rule's matches go with it
    assert gone.exit_code == 1 and "no keyword rule is named 'lavrov'" in gone.stderr
    assert "removed #1" in run(config, "watch", "remove", url).output
    for named in ("#7", "7"):  # a feed is named by its number as `watch list` shows it, and the error says it so
        assert "error: not watching #7 (see `feeds watch list`)" in run(config, "watch", "remove", named).output
    assert (
        "error: not watching 'https://nope.example/x'"
        in run(config, "watch", "remove", "https://nope.example/x").output
    )
    assert json.loads(run(config, "watch", "list", "--json").stdout) == []


def test_watch_poll_json_says_how_many_feeds_were_given_back_and_left_for_the_next_round(
    config, httpserver, monkeypatch
):
    """`given_back` beside `left_for_next_round`: the feeds a round claimed and handed back unchecked because it was
    asked to stop (a stop the round sees as the daemon's SIGTERM does), due as before."""
    from feeds.watch import poll

    for n in range(2):
        httpserver.expect_request(f"/f{n}.xml").respond_with_data(RSS, content_type="application/rss+xml")
        assert run(config, "watch", "add", httpserver.url_for(f"/f{n}.xml")).exit_code == 0
    real, stop = poll.run_watch, threading.Event()
    monkeypatch.setattr(poll, "run_watch", lambda app, **kw: real(app, **{**kw, "stop": stop}))
    stop.set()
    asked = len(httpserver.log)  # (`watch add` fetched each once)
    stopped = json.loads(run(config, "watch", "poll", "--json").stdout)
    assert (stopped["feeds"], stopped["given_back"], stopped["left_for_next_round"]) == ([], 2, {})
    assert len(httpserver.log) == asked, "nothing fetched"
    stop.clear()
    polled = json.loads(run(config, "watch", "poll", "--json").stdout)  # given back: due as before
    assert (len(polled["feeds"]), polled["given_back"], polled["left_for_next_round"]) == (2, 0, {})


def test_watch_discover_finds_alternate_links(config, httpserver):
    page = (
        f'<html><head><link rel="alternate" type="application/rss+xml" title="Desk" href="{"/feed.xml"}"></head></html>'
    )
    httpserver.expect_request("/").respond_with_data(page, content_type="text/html")
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    r = run(config, "watch", "discover", httpserver.url_for("/"))
    assert r.exit_code == 0 and httpserver.url_for("/feed.xml") in r.output


def test_watch_discover_marks_feeds_at_internal_addresses_refused_and_never_adds_them(config, httpserver):
    """Security review: a page linking to internal addresses had them offered (and added with --add), to be
    refused only when polled."""
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" title="{t}" href="{u}">'
        for t, u in (("Metadata", "http://169.254.169.254/latest/feed.xml"), ("Desk", "/feed.xml"))
    )
    httpserver.expect_request("/").respond_with_data(f"<html><head>{links}</head></html>", content_type="text/html")
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    r = run(config, "watch", "discover", "--add", httpserver.url_for("/"))
    assert r.exit_code == 0
    assert "  refused: refused to contact 169.254.169.254 (169.254.169.254): link-local address" in r.output
    listed = json.loads(run(config, "watch", "list", "--json").stdout)
    assert [f["url"] for f in listed] == [httpserver.url_for("/feed.xml")]


def test_watch_discover_says_a_page_links_to_our_own_feed_without_fetching_it(config, httpserver):
    """Watch review: a page linking to our own site's feed had it fetched, and reported as a DNS failure (or offered
    as a feed), where `watch add` would refuse it as our own."""
    own = "https://press.example.org/atom.xml"  # (the test config's site, which no test may reach)
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" title="{t}" href="{u}">'
        for t, u in (("Ours", own), ("Desk", "/feed.xml"))
    )
    httpserver.expect_request("/").respond_with_data(f"<html><head>{links}</head></html>", content_type="text/html")
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    r = run(config, "watch", "discover", "--add", httpserver.url_for("/"))
    assert r.exit_code == 0
    assert "  refused: this is our own site: its items would match our own releases" in r.output
    assert "could not fetch" not in r.output
    assert [f["url"] for f in json.loads(run(config, "watch", "list", "--json").stdout)] == [
        httpserver.url_for("/feed.xml")
    ]


def test_watch_discover_checks_linked_feeds_and_says_which_are_watched_already(config, httpserver):
    """A press officer's review: `--add` added a linked /blog.json that answered 404 at its first poll, and a
    feed watched already was offered again."""
    links = "".join(
        f'<link rel="alternate" type="{t}" href="{u}">'
        for t, u in (("application/rss+xml", "/feed.xml"), ("application/feed+json", "/blog.json"),
                     ("application/atom+xml", "/page.html"))
    )  # fmt: skip
    httpserver.expect_request("/").respond_with_data(f"<html><head>{links}</head></html>", content_type="text/html")
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    httpserver.expect_request("/blog.json").respond_with_data("gone", status=404)
    httpserver.expect_request("/page.html").respond_with_data("<html><p>hello</p></html>", content_type="text/html")
    assert run(config, "watch", "add", httpserver.url_for("/feed.xml")).exit_code == 0
    r = run(config, "watch", "discover", "--add", httpserver.url_for("/"))
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0].startswith(httpserver.url_for("/feed.xml") + "  Desk  (rss")
    assert lines[1] == "  watched already (#1)"
    assert lines[3].startswith("  could not fetch it:") and "404" in lines[3]
    assert lines[5].startswith("  not a feed:")
    assert "added" not in r.output and "watch one with" not in r.output
    assert len(json.loads(run(config, "watch", "list", "--json").stdout)) == 1


def test_an_empty_alerts_log_says_why(config):
    run(config, "db", "migrate")
    assert "no alert destinations configured" in run(config, "alerts", "log").output
    config.write_text(
        config.read_text() + '\n[[alerts.webhooks]]\nname = "desk"\nurl = "https://hooks.example.org/x"\n'
    )
    assert "no deliveries yet: each new match is queued" in run(config, "alerts", "log").output
    failed = run(config, "alerts", "log", "--status", "failed").output
    assert failed.strip() == "no failed deliveries", "not a hint about queueing, which is not why none failed"
    pending = run(config, "alerts", "log", "--status", "pending", "--destination", "desk").output
    assert pending.startswith("no pending deliveries to webhook:desk yet: each new match is queued"), pending


def _watched_already(config, url: str, spellings: tuple[str, ...]) -> None:
    """`watch add` refuses each spelling as the feed watched at `url` already."""
    for spelling in spellings:
        again = run(config, "watch", "add", spelling)
        assert again.exit_code == 1 and f"already watching {url}" in again.output, spelling


def test_the_same_feed_spelled_differently_is_watched_once(config):
    assert run(config, "watch", "add", "--no-check", "https://news.example.com/rss").exit_code == 0
    _watched_already(
        config,
        "https://news.example.com/rss",
        ("HTTPS://News.Example.com/rss", "https://news.example.com:443/rss", "https://news.example.com/rss#x"),
    )
    assert run(config, "watch", "add", "--no-check", "https://news.example.com/rss?lang=fr").exit_code == 0, (
        "another query"
    )


def test_an_international_host_name_is_one_feed_in_either_form(config):
    # What a press officer types (Unicode) and what another reader's OPML export holds (the xn-- form that DNS and
    # requests use) are one feed; stored in the form requests fetches (IDNA 2008: "ß" is not "ss")
    added = run(config, "watch", "add", "--no-check", "https://Bücher.example/rss")
    assert added.exit_code == 0 and "https://xn--bcher-kva.example/rss" in added.output
    _watched_already(
        config,
        "https://xn--bcher-kva.example/rss",
        ("https://xn--bcher-kva.example/rss", "https://BÜCHER.example:443/rss", "https://bücher.example/rss"),
    )
    assert run(config, "watch", "add", "--no-check", "https://straße.example/rss").exit_code == 0
    assert run(config, "watch", "add", "--no-check", "https://strasse.example/rss").exit_code == 0, (
        "another domain under IDNA 2008"
    )
    urls = [f["url"] for f in json.loads(run(config, "watch", "list", "--json").stdout)]
    assert urls == [
        "https://xn--bcher-kva.example/rss",
        "https://xn--strae-oqa.example/rss",
        "https://strasse.example/rss",
    ]
    removed = run(config, "watch", "remove", "https://bücher.example/rss")
    assert removed.exit_code == 0, removed.output
    # a name requests cannot encode would never be polled: refused when added
    refused = run(config, "watch", "add", "--no-check", "https://☃.example/rss")
    assert refused.exit_code == 1 and "malformed" in refused.output


def test_a_url_with_a_space_or_another_script_is_one_feed_in_any_spelling(config, tmp_path):
    # stored as requests sends it (escaped UTF-8, IDNA host), so typed, escaped or from an OPML file it is one feed
    added = run(config, "watch", "add", "--no-check", "https://news.example.com/news feed.xml")
    assert added.exit_code == 0 and "watching #1 https://news.example.com/news%20feed.xml" in added.output
    _watched_already(
        config,
        "https://news.example.com/news%20feed.xml",
        ("https://news.example.com/news%20feed.xml", "https://NEWS.example.com:443/news feed.xml#latest"),
    )
    added = run(config, "watch", "add", "--no-check", "https://Bücher.example/neuigkeiten/café?thema=bücher")
    stored = "https://xn--bcher-kva.example/neuigkeiten/caf%C3%A9?thema=b%C3%BCcher"
    assert added.exit_code == 0 and f"watching #2 {stored}" in added.output
    # what the press officer typed is what they read back, beside the stored address
    assert "(https://bücher.example/neuigkeiten/café?thema=bücher)" in added.output
    listed = run(config, "watch", "list")
    assert f"{stored}  (https://bücher.example/neuigkeiten/café?thema=bücher)" in listed.output
    _watched_already(config, stored, ("https://xn--bcher-kva.example/neuigkeiten/caf%c3%a9?thema=b%c3%bccher", stored))
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<opml version="2.0"><body>'
        '<outline text="News" xmlUrl="https://news.example.com/news%20feed.xml"/>'
        '<outline text="Buecher" xmlUrl="https://bücher.example/neuigkeiten/café?thema=bücher"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    imported = run(config, "watch", "import", str(opml))
    assert imported.exit_code == 0 and "0 added, 2 already watched" in imported.output, imported.output
    config.write_text(config.read_text() + '\n[[watch.feeds]]\nurl = "https://news.example.com/news feed.xml"\n')
    urls = [f["url"] for f in json.loads(run(config, "watch", "list", "--json").stdout)]
    assert urls == ["https://news.example.com/news%20feed.xml", stored], "the config's spelling is the same feed"
    removed = run(config, "watch", "remove", "https://bücher.example/neuigkeiten/café?thema=bücher")
    assert removed.exit_code == 0 and "removed #2" in removed.output
    # an argument in no encoding (a lone surrogate, as Python reads undecodable bytes) is no URL
    bad = run(config, "watch", "add", "--no-check", "https://news.example.com/\udcff.xml")
    assert bad.exit_code == 1 and "not a valid URL: it holds a character that is not text" in bad.output


def test_a_feed_at_a_url_with_a_space_is_polled_where_it_is(config, httpserver):
    httpserver.expect_request("/news feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    url = httpserver.url_for("/news feed.xml")
    assert run(config, "watch", "add", url).exit_code == 0
    polled = json.loads(run(config, "watch", "poll", "--json").stdout)
    assert polled["failed"] == 0 and polled["new_items"] == 2


PAGE = """<!doctype html><html><head><title>Harbour News</title>
<link rel="alternate" type="application/rss+xml" title="All news" href="/feed.xml">
<link rel="alternate" type="application/atom+xml" title="Comments" href="/comments.atom">
</head><body><p>Latest news.</p></body></html>"""


def test_adding_a_web_page_is_refused_at_once_with_the_feeds_it_names(config, httpserver):
    """A demanding user's review: `watch add PAGE_URL` said "watching #1" and only the first poll said it was a
    page, not a feed."""
    httpserver.expect_request("/news/").respond_with_data(PAGE, content_type="text/html")
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    page, feed = httpserver.url_for("/news/"), httpserver.url_for("/feed.xml")
    refused = run(config, "watch", "add", page)
    assert refused.exit_code == 1
    assert f"error: {page}: a web page, not a feed: not added. The feeds it names" in refused.output
    assert f"  {feed}  All news" in refused.output
    assert "/comments.atom  Comments  (could not fetch it: " in refused.output  # (a link to nothing is said)
    assert f"watch one with: feeds watch add {feed}" in refused.output
    assert json.loads(run(config, "watch", "list", "--json").stdout) == []
    # the feed it names is added; the page is named as watched already
    assert run(config, "watch", "add", feed).exit_code == 0
    again = run(config, "watch", "add", page)
    assert again.exit_code == 1 and f"  {feed}  All news  (watched already, #1)" in again.output
    assert "watch one with" not in again.output
    # offline, for scripts: added as it is, nothing fetched
    fetched = len(httpserver.log)
    offline = run(config, "watch", "add", "--no-check", page)
    assert offline.exit_code == 0 and f"watching #2 {page}" in offline.output
    assert len(httpserver.log) == fetched


def test_adding_a_url_that_is_no_feed_or_cannot_be_fetched_is_refused_unless_unchecked(config, httpserver):
    httpserver.expect_request("/notes.txt").respond_with_data("just text", content_type="text/plain")
    httpserver.expect_request("/gone.xml").respond_with_data("no", status=404)
    text, gone = httpserver.url_for("/notes.txt"), httpserver.url_for("/gone.xml")
    refused = run(config, "watch", "add", text)
    assert refused.exit_code == 1 and f"error: {text}: not a feed (" in refused.output
    assert "no feed found from it (no <link rel=alternate>, none at the common paths)" in refused.output
    missing = run(config, "watch", "add", gone)
    assert missing.exit_code == 1 and "could not fetch it to see that it is a feed (" in missing.output
    assert "404" in missing.output and "`--no-check` adds it unchecked" in missing.output
    assert json.loads(run(config, "watch", "list", "--json").stdout) == []
    assert run(config, "watch", "add", "--no-check", gone).exit_code == 0


def test_the_check_follows_no_redirect_to_our_own_site_as_a_poll_follows_none(config, httpserver):
    own = "https://press.example.org/feed.atom"  # (site.base_url of the test config)
    httpserver.expect_request("/moved.xml").respond_with_data("", status=301, headers={"Location": own})
    refused = run(config, "watch", "add", httpserver.url_for("/moved.xml"))
    assert refused.exit_code == 1 and "could not fetch it to see that it is a feed" in refused.output
    assert "our own site" in refused.output
    assert json.loads(run(config, "watch", "list", "--json").stdout) == []


def test_a_feed_is_checked_once_and_a_watched_one_not_at_all(config, httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    url = httpserver.url_for("/feed.xml")
    assert run(config, "watch", "add", url).exit_code == 0
    assert [r.path for r, _ in httpserver.log] == ["/feed.xml"]
    assert "already watching" in run(config, "watch", "add", url).output
    assert len(httpserver.log) == 1


def test_the_check_is_refused_a_private_address_as_polling_would_be(tmp_path, httpserver):
    (tmp_path / "inbox").mkdir()
    config = tmp_path / "feeds.toml"
    config.write_text(BASE_CONFIG, encoding="utf-8")  # no [http] allow
    url = httpserver.url_for("/feed.xml")
    refused = run(config, "watch", "add", url)
    assert refused.exit_code == 1 and "refused to contact" in refused.output and not httpserver.log
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    r = CliRunner().invoke(
        cli, ["--config", str(config), "watch", "add", url], env={"FEEDS_FETCH_ALLOW": "127.0.0.1,localhost"}
    )
    assert r.exit_code == 0 and len(httpserver.log) == 1, r.output


def test_polling_named_feeds_exits_1_when_one_failed_and_new_feeds_are_not_called_ok(config, httpserver):
    httpserver.expect_request("/gone.xml").respond_with_data("no", status=404)
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    gone, good = httpserver.url_for("/gone.xml"), httpserver.url_for("/feed.xml")
    for url in (gone, good):
        assert run(config, "watch", "add", "--no-check", url).exit_code == 0
    assert " new " in run(config, "watch", "list").output, "not checked yet: not 'ok'"
    assert run(config, "watch", "poll", good).exit_code == 0
    failed = run(config, "watch", "poll", gone, good)
    assert failed.exit_code == 1 and "1 failed" in failed.output
    assert "failing" in run(config, "watch", "list").output


def test_intervals_and_urls_a_feed_cannot_be_watched_with_are_refused_with_what_is_wrong(config):
    huge = run(config, "watch", "add", "https://news.example.com/rss", "--interval", "99999999999d")
    assert huge.exit_code == 2 and "longer than a year" in huge.output
    monthly = run(config, "watch", "add", "https://news.example.com/rss", "--interval", "45d")
    assert monthly.exit_code == 2 and "30-day ceiling" in monthly.output
    for url, why in [
        ("http://exa%20mple.com/f", "malformed"),
        ("http://example..com/f", "malformed"),
        ("http://-bad-.com/f", "malformed"),
        ("http://ex_ample.com/f", "malformed"),
        ("http://[::1", "not a valid URL"),
        ("http://127.0.0.1:99999/x", "not a valid URL"),
        ("http://exa mple.org/", "malformed"),
        ("https://user:secret@example.org/feed", "user name or password"),
    ]:
        bad = run(config, "watch", "add", url)
        assert bad.exit_code == 1 and why in bad.output and "--interval" not in bad.output, (url, bad.output)
        assert "secret" not in bad.output
    assert json.loads(run(config, "watch", "list", "--json").stdout) == []


def test_a_feed_is_named_by_id_or_by_any_spelling_of_its_url(config, httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    url = httpserver.url_for("/feed.xml")
    assert run(config, "watch", "add", url).exit_code == 0
    shouted = url.replace("http://", "HTTP://").replace("localhost", "LOCALHOST")
    assert run(config, "watch", "poll", shouted + "#top").exit_code == 0
    assert run(config, "watch", "poll", "#1").exit_code == 0
    # RFC 3986 normalisation: dot segments, escaped letters: the same feed, not a second one
    for spelling in (url.replace("/feed.xml", "/./feed.xml"), url.replace("/feed.xml", "/%66eed.xml")):
        again = run(config, "watch", "add", spelling)
        assert again.exit_code == 1 and "already" in again.output, again.output
    removed = run(config, "watch", "remove", "#1")
    assert removed.exit_code == 0 and "removed #1" in removed.output


def test_a_feed_stored_with_an_absurd_interval_is_still_polled(config, httpserver):
    """A row written before the ceiling existed (or by hand) must not crash every poll."""
    import sqlite3

    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    assert run(config, "watch", "add", httpserver.url_for("/feed.xml")).exit_code == 0
    db = sqlite3.connect(config.parent / "state" / "feeds.db")
    with db:
        db.execute("UPDATE watched_feeds SET interval_s = 8.64e18")
    db.close()
    polled = run(config, "watch", "poll", "--json")
    assert polled.exit_code == 0 and json.loads(polled.stdout)["new_items"] == 2


def test_a_tag_with_a_comma_is_refused_and_export_names_a_path_it_cannot_write(config, tmp_path):
    comma = run(config, "watch", "add", "--no-check", "https://news.example.com/rss", "--tag", "a,b")
    assert comma.exit_code == 2 and "--tag" in comma.output and "comma" in comma.output
    assert (
        run(config, "watch", "add", "--no-check", "https://news.example.com/rss", "--tag", "a", "--tag", "b").exit_code
        == 0
    )
    nowhere = tmp_path / "no" / "such" / "x.opml"
    export = run(config, "watch", "export", "-o", str(nowhere))
    assert export.exit_code == 1 and f"cannot write {nowhere}" in export.output


def test_a_feed_read_with_problems_says_so_in_poll_and_list(config, httpserver):
    truncated = RSS[: RSS.index("<item><title>Bakery")]  # cut mid-document, as a dropped connection leaves it
    httpserver.expect_request("/feed.xml").respond_with_data(truncated, content_type="application/rss+xml")
    assert run(config, "watch", "add", httpserver.url_for("/feed.xml")).exit_code == 0
    polled = run(config, "watch", "poll", "--json")
    (outcome,) = json.loads(polled.stdout)["feeds"]
    assert outcome["status"] == "200" and outcome["error"] is None and outcome["warning"]
    assert "parsed with problems" in run(config, "watch", "poll", "#1").output
    (listed,) = json.loads(run(config, "watch", "list", "--json").stdout)
    assert listed["state"] == "warning"
    assert " warning " in run(config, "watch", "list").output


def test_an_international_host_name_is_watched(config):
    assert run(config, "watch", "add", "--no-check", "https://bücher.example/rss").exit_code == 0


def test_a_feed_the_config_lists_takes_the_config_settings_even_if_it_was_added_by_hand(config, caplog):
    from feeds.app import make_app
    from feeds.config import load_settings
    from feeds.watch.manage import add_feed, import_configured

    app = make_app(load_settings(config, environ={}))
    add_feed(app, "https://news.example.com/rss", tags=("old",))
    app.close()
    config.write_text(
        config.read_text() + '\n[[watch.feeds]]\nurl = "https://news.example.com/rss"\ntitle = "Wire"\n'
        'tags = ["config-tag"]\ninterval = "2h"\n'
    )
    caplog.set_level("WARNING", logger="feeds.watch")
    app = make_app(load_settings(config, environ={}))
    try:
        assert import_configured(app) == (0, 0)
        assert "now takes its title, tags and interval from the config file" in caplog.text
        assert "added from the command line" in caplog.text
        caplog.clear()
        import_configured(app)
        assert "now takes" not in caplog.text, "said once, when it happens"
    finally:
        app.close()
    (listed,) = json.loads(run(config, "watch", "list", "--json").stdout)
    assert (listed["title"], listed["tags"], listed["interval"], listed["origin"]) == (
        "Wire",
        ["config-tag"],
        7200,
        "config",
    )


def test_a_feed_is_edited_paused_and_resumed_in_place_keeping_its_items_and_matches(config, httpserver, tmp_path):
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    url = httpserver.url_for("/feed.xml")
    assert run(config, "watch", "add", url, "--tag", "world").exit_code == 0
    assert run(config, "keywords", "add", "lavrov").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    assert run(config, "watch", "edit", "1").exit_code == 2, "nothing to change"
    assert run(config, "watch", "edit", "1", "--tag", "x", "--no-tags").exit_code == 2
    edited = run(
        config, "watch", "edit", "#1", "--title", "Desk wire", "--tag", "wire", "--tag", "uk", "--interval", "2h"
    )
    assert edited.exit_code == 0 and "every 2 h, wire, uk" in edited.output
    (feed,) = json.loads(run(config, "watch", "list", "--json").stdout)
    assert (feed["title"], feed["tags"], feed["interval"], feed["origin"]) == ("Desk wire", ["wire", "uk"], 7200, "cli")
    assert feed["health"]["items_seen"] == 2, "its items are kept"
    paused = run(config, "watch", "edit", url, "--disable", "--no-tags")
    assert paused.exit_code == 0 and "disabled" in paused.output and "no tags" in paused.output
    (feed,) = json.loads(run(config, "watch", "list", "--json").stdout)
    assert feed["enabled"] is False and feed["tags"] == []
    assert "disabled by hand" in run(config, "watch", "list").output
    assert json.loads(run(config, "watch", "poll", "--json").stdout)["feeds"] == [], "a paused feed is not polled"
    assert len(json.loads(run(config, "matches", "list", "--json").stdout)) == 1
    resumed = run(config, "watch", "edit", "1", "--enable")
    assert resumed.exit_code == 0
    (feed,) = json.loads(run(config, "watch", "list", "--json").stdout)
    assert feed["enabled"] is True and feed["health"]["next_check"] is None, "due at once"
    assert len(json.loads(run(config, "watch", "poll", "--json").stdout)["feeds"]) == 1
    bad = run(config, "watch", "edit", "1", "--interval", "1m")
    assert bad.exit_code == 2 and "5-minute floor" in bad.output
    removed = run(config, "watch", "remove", "1")
    assert removed.exit_code == 0 and "deleted 2 items and 1 match" in removed.output


def test_a_feed_gone_410_is_enabled_again_and_a_config_feed_is_edited_in_the_config(config, httpserver):
    httpserver.expect_request("/gone.xml").respond_with_data("", status=410)
    gone = httpserver.url_for("/gone.xml")
    assert run(config, "watch", "add", "--no-check", gone).exit_code == 0
    run(config, "watch", "poll")
    (feed,) = json.loads(run(config, "watch", "list", "--json").stdout)
    assert feed["enabled"] is False and "feeds watch edit URL --enable" in feed["health"]["disabled_reason"]
    assert run(config, "watch", "edit", gone, "--disable").exit_code == 0
    (kept,) = json.loads(run(config, "watch", "list", "--json").stdout)
    assert kept["health"]["disabled_reason"] == feed["health"]["disabled_reason"], "disabled already: the 410 stays"
    assert run(config, "watch", "edit", gone, "--enable", "--disable").exit_code == 2
    assert run(config, "watch", "edit", gone, "--enable").exit_code == 0
    (feed,) = json.loads(run(config, "watch", "list", "--json").stdout)
    assert feed["enabled"] is True and feed["health"]["failures"] == 0
    assert feed["state"] == "new" or feed["health"]["last_error"] is None, "the 410 is not its error any more"
    config.write_text(config.read_text() + '\n[[watch.feeds]]\nurl = "https://news.example.com/rss"\n')
    refused = run(config, "watch", "edit", "https://news.example.com/rss", "--title", "X")
    assert refused.exit_code == 1
    line = config.read_text().splitlines().index("[[watch.feeds]]") + 1
    assert f"error: {config}:{line}: watch.feeds[0]: https://news.example.com/rss is listed here" in refused.output
    removal = run(config, "watch", "remove", "https://news.example.com/rss")
    assert removal.exit_code == 1 and f"{config}:{line}: watch.feeds[0]:" in removal.output
    assert run(config, "watch", "edit", "https://news.example.com/rss", "--disable").exit_code == 0


def test_an_edited_feed_from_an_opml_file_is_left_as_edited_by_the_next_import(config, tmp_path):
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<opml version="2.0"><head/><body><outline text="Wire" xmlUrl="https://news.example.com/rss"/></body></opml>',
        encoding="utf-8",
    )
    assert run(config, "watch", "import", str(opml)).exit_code == 0
    assert run(config, "watch", "edit", "1", "--title", "My wire").exit_code == 0
    assert run(config, "watch", "import", str(opml)).exit_code == 0
    (feed,) = json.loads(run(config, "watch", "list", "--json").stdout)
    assert (feed["title"], feed["origin"]) == ("My wire", "cli")


def test_poll_says_which_items_changed_and_which_matches_went(config, httpserver):
    """A press officer's review: matches that edited items or a narrowed rule no longer made went without a word."""
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    assert run(config, "watch", "add", httpserver.url_for("/feed.xml")).exit_code == 0
    assert run(config, "keywords", "add", "lavrov").exit_code == 0
    assert json.loads(run(config, "watch", "poll", "--json").stdout)["new_matches"] == 1
    httpserver.clear_all_handlers()
    edited = RSS.replace("Lavrov meets ministers", "Ministers meet bakers")
    httpserver.expect_request("/feed.xml").respond_with_data(edited, content_type="application/rss+xml")
    polled = run(config, "watch", "poll", "1")
    assert "+0 items (1 changed), +0 matches, -1 no longer made" in polled.output
    assert polled.output.rstrip().endswith(
        "1 feed checked, 0 failed, 0 new items, 1 changed, 0 new matches, 1 removed (no longer made)"
    )
    config.write_text(config.read_text() + '\n[[watch.keywords]]\nname = "bread"\nquery = "bread OR bakers"\n')
    assert json.loads(run(config, "watch", "poll", "--json").stdout)["new_matches"] == 2
    config.write_text(config.read_text().replace('"bread OR bakers"', '"bread -ministers"'))
    narrowed = json.loads(run(config, "watch", "poll", "--json").stdout)
    assert (narrowed["new_matches"], narrowed["removed_matches"], narrowed["changed_items"]) == (0, 1, 0)


def test_a_new_interval_counts_from_the_last_check(config, httpserver):
    """A re-check: a feed set from 2 h to 10 min still waited out the 2 h."""
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    assert run(config, "watch", "add", httpserver.url_for("/feed.xml"), "--interval", "2h").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    (before,) = json.loads(run(config, "watch", "list", "--json").stdout)
    checked = datetime.fromisoformat(before["health"]["last_checked"].replace("Z", "+00:00"))
    assert run(config, "watch", "edit", "1", "--interval", "10m").exit_code == 0
    (after,) = json.loads(run(config, "watch", "list", "--json").stdout)
    assert after["health"]["next_check"] == (checked + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_what_the_config_feeds_came_to_is_said_without_v_and_not_with_q(config):
    """A re-check: the warning that a config feed took over one added by hand showed only with -v."""
    assert run(config, "watch", "add", "--no-check", "https://news.example.com/rss").exit_code == 0
    config.write_text(config.read_text() + '\n[[watch.feeds]]\nurl = "https://news.example.com/rss"\ntitle = "Wire"\n')
    said = run(config, "watch", "list")
    assert said.exit_code == 0 and "now takes its title, tags and interval from the config file" in said.stderr
    config.write_text(config.read_text() + '\n[[watch.feeds]]\nurl = "https://press.example.org/atom.xml"\n')
    quiet = CliRunner().invoke(cli, ["--config", str(config), "-q", "watch", "list"])
    assert quiet.exit_code == 0 and "on our own site" not in quiet.stderr
    assert "on our own site" in run(config, "watch", "list").stderr


def test_a_title_cleared_by_edit_is_the_feeds_own_again_after_the_next_check(config, httpserver):
    """`watch edit --title ''` promises "the feed's own title": a server answering 304, or the same bytes, must
    not leave the feed without any title for good."""
    httpserver.expect_request("/feed.xml").respond_with_data(
        RSS, content_type="application/rss+xml", headers={"ETag": '"v1"'}
    )
    url = httpserver.url_for("/feed.xml")
    assert run(config, "watch", "add", url, "--title", "Mine").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    assert run(config, "watch", "edit", url, "--title", "").exit_code == 0
    assert run(config, "watch", "poll", url).exit_code == 0
    (feed,) = json.loads(run(config, "watch", "list", "--json").stdout)
    assert feed["title"] == "Desk"


def test_titles_and_tags_are_stored_on_one_line_without_characters_xml_forbids(config, tmp_path):
    """A control character typed into --title, or in an OPML file, stopped every publish of the match feeds."""
    added = run(
        config,
        "watch",
        "add",
        "--no-check",
        "https://news.example.com/rss",
        "--title",
        "Wire\x01  desk\n",
        "--tag",
        "w\x07",
    )
    assert added.exit_code == 0
    assert run(config, "watch", "edit", "1", "--tag", "a\x0b b").exit_code == 0
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<opml version="2.0"><head/><body><outline text="Other&#x9;\n wire" category="c&#x9;d"'
        ' xmlUrl="https://other.example.com/rss"/></body></opml>',
        encoding="utf-8",
    )
    assert run(config, "watch", "import", str(opml)).exit_code == 0
    assert run(config, "watch", "edit", "2", "--title", "\x02Renamed\x1f").exit_code == 0
    feeds = {f["url"]: f for f in json.loads(run(config, "watch", "list", "--json").stdout)}
    wire, other = feeds["https://news.example.com/rss"], feeds["https://other.example.com/rss"]
    assert (wire["title"], wire["tags"]) == ("Wire desk", ["a b"])
    assert (other["title"], other["tags"]) == ("Renamed", ["c d"])


def test_the_text_list_shows_each_feeds_tags_and_interval(config):
    """An operator's review: the tags (what `feed:TAG` rules match) were only in `--json`."""
    tagged = run(
        config, "watch", "add", "--no-check", "https://news.example.com/rss", "--tag", "world", "--tag", "europe"
    )
    assert tagged.exit_code == 0
    assert run(config, "watch", "add", "--no-check", "https://other.example.com/rss", "--interval", "2h").exit_code == 0
    lines = run(config, "watch", "list").output.splitlines()
    assert lines[0].endswith("https://news.example.com/rss  [world, europe]")
    assert lines[1].strip().startswith("every 30 min, last never")
    assert lines[2].endswith("https://other.example.com/rss")
    assert lines[3].strip().startswith("every 2 h, last never")


def test_a_new_database_knows_the_configs_rules_and_feeds_before_the_first_add_or_import(config, tmp_path):
    """On a new database, `keywords add --name NAME` took a config rule's name (the config's rule then unused) and
    `watch import` reported a feed the config lists as "added" from the OPML file, since neither read the config's
    feeds and rules first, as every other command does."""
    config.write_text(
        config.read_text() + '\n[[watch.keywords]]\nname = "fisheries"\nquery = "fish*"\n'
        '\n[[watch.feeds]]\nurl = "http://127.0.0.1:9/feed.xml"\ntitle = "Configured"\n'
    )
    taken = run(config, "keywords", "add", "cod", "--name", "fisheries")
    assert taken.exit_code == 1 and "watch.keywords[0]: rule 'fisheries' is defined here" in taken.output
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body>'
        '<outline text="Configured" xmlUrl="http://127.0.0.1:9/feed.xml"/></body></opml>'
    )
    imported = run(config, "watch", "import", str(opml))
    assert imported.exit_code == 0
    assert "0 added, 1 already watched" in imported.output and "added    #" not in imported.output
    assert json.loads(run(config, "watch", "list", "--json").output)[0]["origin"] == "config"


def test_a_feed_url_pasted_with_the_feed_pseudo_scheme_is_watched_at_its_http_address(config, httpserver, tmp_path):
    """Browsers and pages still hand out `feed://host/rss` and `feed:https://host/rss`: they name the http(s)
    feed, and were refused as "not an absolute http(s) URL"."""
    url = httpserver.url_for("/rss")
    bare = url.removeprefix("http://")
    assert f"watching #1 {url} " in run(config, "watch", "add", "--no-check", f"feed://{bare}").output
    assert run(config, "watch", "add", "--no-check", f"feed:{url}").exit_code == 1, "the same feed"
    assert "removed #1" in run(config, "watch", "remove", f"FEED://{bare}").output
    opml = tmp_path / "subs.opml"
    opml.write_text(f'<opml version="2.0"><body><outline text="R" xmlUrl="feed:{url}"/></body></opml>')
    imported = run(config, "watch", "import", str(opml)).output
    assert imported.startswith("added    #") and f" {url}\n" in imported


def test_a_feed_is_named_by_its_title_and_a_near_miss_url_says_which_feed_it_may_be(config, httpserver):
    """With 200 feeds a press officer knows them by title: `watch edit "Le Monde"` said "not watching", and so
    did the feed's URL typed with https for http or a trailing slash, without a hint."""
    url = httpserver.url_for("/monde/rss")
    run(config, "watch", "add", "--no-check", url, "--title", "Le Monde")
    run(config, "watch", "add", "--no-check", httpserver.url_for("/a"), "--title", "Desk")
    run(config, "watch", "add", "--no-check", httpserver.url_for("/b"), "--title", "desk")
    edited = run(config, "watch", "edit", "le monde", "--interval", "2h")
    assert edited.exit_code == 0 and f"#1 {url}: new, every 2 h" in edited.output
    twice = run(config, "watch", "remove", "Desk")
    assert twice.exit_code == 1 and "2 watched feeds are titled 'Desk' (#2, #3): name one by its id" in twice.output
    near = run(config, "watch", "edit", url.replace("http://", "https://") + "/", "--interval", "1h")
    assert near.exit_code == 1 and f"did you mean #1 {url}?" in near.output
    assert "removed #1" in run(config, "watch", "remove", "Le Monde").output
    run(config, "watch", "add", "--no-check", httpserver.url_for("/wire"), "--title", "Feed: Wire")
    assert "removed" in run(config, "watch", "remove", "feed: wire").output, "a title, not a feed: link"


def test_a_feed_added_twice_under_near_spellings_is_pointed_out(config, httpserver, tmp_path):
    """`http://` and `https://`, with and without `www.` or a trailing slash are, in practice, one feed that an
    onboarding file lists twice: each was watched, polled and matched twice without a word."""
    url = httpserver.url_for("/rss")
    run(config, "watch", "add", "--no-check", url)
    again = run(config, "watch", "add", "--no-check", url + "/")
    assert again.exit_code == 0, "servers may tell them apart: watched, but said"
    assert f"note: #1 {url} is watched already" in again.stderr
    opml = tmp_path / "subs.opml"
    other = url.replace("/rss", "/other")
    opml.write_text(
        f'<opml version="2.0"><body><outline xmlUrl="{url.replace("http:", "https:")}"/>'
        f'<outline xmlUrl="{other}"/><outline xmlUrl="{other}/"/></body></opml>'
    )
    notes = [line for line in run(config, "watch", "import", str(opml)).stdout.splitlines() if "note" in line]
    assert len(notes) == 2 and "#1" in notes[0] and "#4" in notes[1]


def test_watch_list_ends_with_how_many_feeds_are_in_each_state(config, httpserver):
    """200 feeds are 400 lines: the failing ones were found only by scrolling through them all."""
    one = RSS[: RSS.index("<item><title>Bakery")] + "</channel></rss>"
    httpserver.expect_request("/ok.xml").respond_with_data(one, content_type="application/rss+xml")
    httpserver.expect_request("/gone.xml").respond_with_data("no", status=500)
    for path in ("/ok.xml", "/gone.xml", "/new.xml"):
        run(config, "watch", "add", "--no-check", httpserver.url_for(path))
    run(config, "watch", "poll", httpserver.url_for("/ok.xml"), httpserver.url_for("/gone.xml"))
    run(config, "watch", "edit", "3", "--disable")
    listed = run(config, "watch", "list")
    assert listed.stdout.splitlines()[-1] == "3 feeds: 1 ok, 1 failing, 1 disabled"
    assert ", 1 failure: " in listed.stdout, "not '1 failures'"
    assert ", 0 items" in listed.stdout and ", 1 item\n" in listed.stdout
    assert "3 feeds" not in run(config, "-q", "watch", "list").stdout


def test_a_feed_url_pasted_without_its_scheme_gets_a_suggestion(config):
    """`news.example.com/rss`, as address bars show URLs, was refused with no hint of what was missing."""
    bare = run(config, "watch", "add", "news.example.com/rss")
    assert bare.exit_code == 1
    assert "needs an absolute http(s) URL: did you mean https://news.example.com/rss?" in bare.output
    assert "did you mean" not in run(config, "watch", "add", "rss").output


def test_the_command_discover_suggests_can_be_pasted_into_a_shell(config, httpserver):
    """A feed at `/rss?a=1&b=2` was suggested as `feeds watch add http://…/rss?a=1&b=2`: pasted, the shell ran
    `watch add http://…/rss?a=1` in the background and set b=2."""
    httpserver.expect_request("/page").respond_with_data(
        '<html><head><link rel="alternate" type="application/rss+xml" href="/rss?a=1&amp;b=2"></head></html>',
        content_type="text/html",
    )
    httpserver.expect_request("/rss", query_string="a=1&b=2").respond_with_data(RSS, content_type="application/rss+xml")
    found = run(config, "watch", "discover", httpserver.url_for("/page"))
    assert f"watch one with: feeds watch add '{httpserver.url_for('/rss')}?a=1&b=2'" in found.output


def test_watch_poll_stopped_by_sigterm_stores_what_it_fetched_and_gives_the_rest_back(config):
    """`feeds watch poll` under cron's `timeout` or systemd: SIGTERM used to kill it outright, leaving every feed it
    had claimed leased, unchecked, for `watch.lease`. Now it stops as the daemon's round does: the fetches under
    way are stored, the feeds not started are given back at once (`given_back`), and it exits 143 as a command
    ended by SIGTERM does."""
    import os
    import signal
    import subprocess
    import sys
    import time

    release, arrived = threading.Event(), []

    def answer(handler: BaseHTTPRequestHandler) -> None:
        arrived.append(handler.path)
        if handler.path.startswith("/slow"):
            release.wait(30)
        send(handler, RSS.encode())

    with threaded_server(answer) as base:
        for path in ("/slow0.xml", "/slow1.xml", "/fast2.xml", "/fast3.xml"):  # one host: 2 at a time
            assert run(config, "watch", "add", "--no-check", base + path).exit_code == 0
        root = Path(__file__).resolve().parent.parent
        proc = subprocess.Popen(
            [sys.executable, "-m", "feeds", "--config", str(config), "watch", "poll", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
        try:
            deadline = time.monotonic() + 60
            while len(arrived) < 2 and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.02)
            assert sorted(arrived) == ["/slow0.xml", "/slow1.xml"], "both of the host's slots are busy"
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.2)  # (the stop is seen before the slow answers end)
            release.set()
            out, err = proc.communicate(timeout=60)
        finally:
            release.set()
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 128 + signal.SIGTERM, err
        report = json.loads(out)
        assert sorted(f["url"] for f in report["feeds"]) == [base + "/slow0.xml", base + "/slow1.xml"]
        assert report["given_back"] == 2
        assert sorted(arrived) == ["/slow0.xml", "/slow1.xml"], "nothing started after the SIGTERM"
        assert "received SIGTERM" in err
        again = json.loads(run(config, "watch", "poll", "--json").stdout)  # given back: free and due at once
        assert sorted(f["url"] for f in again["feeds"]) == [base + "/fast2.xml", base + "/fast3.xml"]


def test_watch_add_of_an_address_that_moved_permanently_to_a_watched_feed_is_refused(config, httpserver):
    """A press officer added a feed's old address (a 301 to the feed watched already): it was watched twice, each
    item fetched, stored and matched twice (every match reported twice) until the third poll found the move."""
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    httpserver.expect_request("/old.rss").respond_with_data("", status=301, headers={"Location": "/feed.xml"})
    httpserver.expect_request("/moved.rss").respond_with_data("", status=302, headers={"Location": "/feed.xml"})
    assert run(config, "watch", "add", httpserver.url_for("/feed.xml")).exit_code == 0
    r = run(config, "watch", "add", httpserver.url_for("/old.rss"))
    assert r.exit_code == 1
    assert r.stderr == (
        f"error: already watching #1 {httpserver.url_for('/feed.xml')}: "
        f"{httpserver.url_for('/old.rss')} has moved there permanently\n"
    )
    # a temporary redirect is the publisher's to change: the address given is watched, as it is polled
    assert run(config, "watch", "add", httpserver.url_for("/moved.rss")).exit_code == 0
    assert len(json.loads(run(config, "watch", "list", "--json").stdout)) == 2


def test_a_title_of_several_words_typed_without_quotes_is_answered_with_the_quoting(config):
    """`feeds watch remove Harbour Desk` said only "Got unexpected extra argument (Desk)"."""
    assert (
        run(config, "watch", "add", "--no-check", "https://news.example.com/rss", "--title", "Harbour Desk").exit_code
        == 0
    )
    for command in (("remove",), ("edit", "--interval", "2h")):
        r = run(config, "watch", *command, "Harbour", "Desk")
        assert r.exit_code == 2
        assert "a feed is one argument: put a title of several words in quotes, as in 'Harbour Desk'" in r.output
    assert run(config, "watch", "edit", "Harbour Desk", "--interval", "2h").exit_code == 0
    assert run(config, "watch", "remove", "harbour desk").exit_code == 0


def test_watch_poll_answers_a_title_typed_without_quotes_with_the_quoting(config, httpserver):
    """Watch review: `feeds watch poll Harbour Desk` said "not watching 'Harbour'" (poll takes several feeds, so
    the words were two feeds); an unknown word that makes a watched feed's title with its neighbours is answered
    with the quoted title, and nothing is polled."""
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    url = httpserver.url_for("/feed.xml")
    assert run(config, "watch", "add", "--no-check", url, "--title", "Harbour Desk").exit_code == 0
    assert run(config, "watch", "add", "--no-check", "https://news.example.com/rss", "--title", "Desk").exit_code == 0
    for words in (("Harbour", "Desk"), ("#2", "Harbour", "Desk"), ("Harbour", "Desk", "#2")):
        r = run(config, "watch", "poll", *words)
        assert r.exit_code == 1, r.output
        assert "not watching 'Harbour'" in r.output and "in quotes, as in 'Harbour Desk'" in r.output, r.output
    listed = json.loads(run(config, "watch", "list", "--json").stdout)
    assert [f["health"]["last_checked"] for f in listed] == [None, None], "nothing polled"
    unknown = run(config, "watch", "poll", "Nowhere", "Desk")
    assert unknown.exit_code == 1 and "not watching 'Nowhere'" in unknown.output and "quotes" not in unknown.output
    polled = run(config, "watch", "poll", "Harbour Desk")
    assert polled.exit_code == 0 and url in polled.output, polled.output
