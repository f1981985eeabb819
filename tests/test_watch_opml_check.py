"""`feeds watch import FILE.opml --check`: each new feed fetched once, as `watch add` checks it, against a local
server serving a feed, a web page naming a feed, and a 404; a real OPML file."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.cli_watch_helpers import RSS, run
from tests.conftest import BASE_CONFIG
from tests.localhttp import send, threaded_server

PAGE = """<!doctype html><html><head><title>Harbour News</title>
<link rel="alternate" type="application/rss+xml" title="Harbour desk" href="/desk.xml">
</head><body><p>Latest news.</p></body></html>"""


@pytest.fixture
def config(tmp_path) -> Path:
    (tmp_path / "inbox").mkdir()
    path = tmp_path / "feeds.toml"
    path.write_text(BASE_CONFIG + '\n[http]\nallow = ["127.0.0.1", "localhost", "::1"]\n', encoding="utf-8")
    return path


@pytest.fixture
def served(httpserver):
    """A feed at /feed.xml, a web page at /news/ naming the feed /desk.xml, and a 404 at /gone.xml."""
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    httpserver.expect_request("/news/").respond_with_data(PAGE, content_type="text/html")
    httpserver.expect_request("/desk.xml").respond_with_data(RSS, content_type="application/rss+xml")
    httpserver.expect_request("/gone.xml").respond_with_data("no such page", status=404)
    return httpserver


@pytest.fixture
def opml(tmp_path, served) -> Path:
    """An export whose outlines point at a feed, a web page (as some readers export them), a 404 and a feed
    watched already (/known.xml: never served, so never to be fetched)."""
    url = served.url_for
    path = tmp_path / "subs.opml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0"><head><title>Subs</title></head><body>\n'
        '<outline text="World">\n'
        f'  <outline type="rss" text="Desk" xmlUrl="{url("/feed.xml")}"/>\n'
        f'  <outline type="rss" text="Harbour News" xmlUrl="{url("/news/")}" htmlUrl="{url("/news/")}"/>\n'
        "</outline>\n"
        f'<outline type="rss" text="Gone" xmlUrl="{url("/gone.xml")}"/>\n'
        f'<outline type="rss" text="Known" xmlUrl="{url("/known.xml")}"/>\n'
        "</body></opml>\n",
        encoding="utf-8",
    )
    return path


def _watched(config: Path) -> list[str]:
    return [f["url"] for f in json.loads(run(config, "watch", "list", "--json").stdout)]


def test_a_checked_import_watches_the_feeds_and_refuses_a_page_with_its_feeds_and_a_404_with_why(config, served, opml):
    known = served.url_for("/known.xml")
    assert run(config, "watch", "add", "--no-check", known).exit_code == 0
    r = run(config, "watch", "import", "--check", str(opml))
    assert r.exit_code == 0, r.output
    feed, page, gone = served.url_for("/feed.xml"), served.url_for("/news/"), served.url_for("/gone.xml")
    assert f"added    #2 {feed}  [World]" in r.stdout
    assert f"already  #1 {known}" in r.stdout
    lines = r.stderr.splitlines()
    at = lines.index(f"refused  {page}  (Harbour News): a web page, not a feed. The feeds it names:")
    assert lines[at + 1] == f"           {served.url_for('/desk.xml')}  Harbour desk"
    assert f"re-import with the right xmlUrl, or watch one with: feeds watch add {served.url_for('/desk.xml')}" in (
        r.stderr
    )
    refused_gone = next(line for line in lines if line.startswith(f"refused  {gone}  (Gone): "))
    assert "could not fetch it" in refused_gone and "404" in refused_gone
    assert "1 added, 1 already watched, 2 refused" in r.stdout
    assert _watched(config) == [known, feed]


def test_a_checked_import_fetches_each_new_feed_once_and_nothing_watched_already(config, served, opml):
    known = served.url_for("/known.xml")
    assert run(config, "watch", "add", "--no-check", known).exit_code == 0
    assert run(config, "watch", "import", "--check", str(opml)).exit_code == 0
    paths = sorted(r.path for r, _ in served.log)
    assert paths == ["/desk.xml", "/feed.xml", "/gone.xml", "/news/"], "each once; /known.xml never"
    # imported again: the feed is watched now, and only what was refused is fetched again
    served.clear_log()
    again = run(config, "watch", "import", "--check", str(opml))
    assert "0 added, 2 already watched, 2 refused" in again.stdout
    assert sorted(r.path for r, _ in served.log) == ["/desk.xml", "/gone.xml", "/news/"]


def test_a_checked_import_says_the_same_in_json(config, served, opml):
    known = served.url_for("/known.xml")
    assert run(config, "watch", "add", "--no-check", known).exit_code == 0
    r = run(config, "watch", "import", "--check", "--json", str(opml))
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert [(f["id"], f["url"], f["title"], f["tags"]) for f in report["added"]] == [
        (2, served.url_for("/feed.xml"), "Desk", ["World"])
    ]
    assert [(f["id"], f["url"]) for f in report["already"]] == [(1, known)]
    refused = {f["url"]: f for f in report["refused"]}
    page = refused[served.url_for("/news/")]
    assert page["title"] == "Harbour News" and page["reason"] == "web page"
    assert page["feeds"] == [
        {
            "url": served.url_for("/desk.xml"),
            "title": "Harbour desk",
            "kind": "rss",
            "watched": None,
            "problem": None,
        }
    ]
    gone = refused[served.url_for("/gone.xml")]
    assert gone["reason"] == "unreachable" and "404" in gone["why"] and gone["feeds"] == []
    assert report["skipped"] == [] and report["notes"] == []


def test_an_import_without_check_fetches_nothing_and_watches_every_outline(config, served, opml):
    r = run(config, "watch", "import", str(opml))
    assert r.exit_code == 0 and "4 added, 0 already watched" in r.stdout, r.output
    assert not served.log
    assert len(_watched(config)) == 4


def test_a_checked_import_fetches_a_few_at_once_and_never_more_than_per_host_from_one_site(config, tmp_path):
    """Six feeds of one site: fetched side by side (each request waits for a second to be under way), and no more
    than `watch.per_host` (2) at a time were seen (without sleeping, a missing cap is likely, not certain, to
    show)."""
    gate = threading.Condition()
    in_flight = [0]
    most = [0]

    def on_get(handler: BaseHTTPRequestHandler) -> None:
        with gate:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
            gate.notify_all()
            gate.wait_for(lambda: most[0] >= 2, timeout=10)  # (each waits for a second one to be under way)
        try:
            send(handler, RSS.encode())
        finally:
            with gate:
                in_flight[0] -= 1

    with threaded_server(on_get) as base:
        outlines = "".join(f'<outline text="F{n}" xmlUrl="{base}/f{n}.xml"/>' for n in range(6))
        opml = tmp_path / "six.opml"
        opml.write_text(f'<opml version="2.0"><body>{outlines}</body></opml>', encoding="utf-8")
        r = run(config, "watch", "import", "--check", str(opml))
    assert r.exit_code == 0 and "6 added, 0 already watched" in r.stdout, r.output
    assert most[0] == 2


def test_a_refused_page_marks_the_feed_it_names_when_the_same_file_watched_it(config, served, tmp_path):
    """The page's outline first, its feed's after: the report says that feed is watched now, not to add it."""
    page, desk = served.url_for("/news/"), served.url_for("/desk.xml")
    opml = tmp_path / "pair.opml"
    opml.write_text(
        f'<opml version="2.0"><body><outline text="Harbour News" xmlUrl="{page}"/>'
        f'<outline text="Desk" xmlUrl="{desk}"/></body></opml>',
        encoding="utf-8",
    )
    r = run(config, "watch", "import", "--check", str(opml))
    assert r.exit_code == 0 and "1 added, 0 already watched, 1 refused" in r.stdout, r.output
    assert f"           {desk}  Harbour desk  (watched already, #1)" in r.stderr
    assert "feeds watch add" not in r.stderr


def test_a_checked_import_does_not_watch_an_old_address_of_a_feed_watched_already(config, served, tmp_path):
    """An old reader's export keeps a feed's former address (a 301 to the one watched now): `--check` saw the
    move, yet watched the feed a second time, every match reported twice."""
    served.expect_request("/old.rss").respond_with_data("", status=301, headers={"Location": "/feed.xml"})
    feed, old = served.url_for("/feed.xml"), served.url_for("/old.rss")
    assert run(config, "watch", "add", feed).exit_code == 0
    path = tmp_path / "old.opml"
    path.write_text(f'<opml version="2.0"><body><outline text="Desk" xmlUrl="{old}"/></body></opml>', encoding="utf-8")
    r = run(config, "watch", "import", "--check", str(path))
    assert r.exit_code == 0, r.output
    assert f"already  #1 {feed}" in r.stdout and "0 added, 1 already watched" in r.stdout
    assert f"note     {old}: has moved permanently to #1 {feed}, watched already: not added" in r.stdout + r.stderr
    assert _watched(config) == [feed]
