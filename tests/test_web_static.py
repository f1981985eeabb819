"""The static site server over a real socket: waitress on 127.0.0.1 serving a published out/ with StaticSite.

What a feed reader and a browser see: the right media types, stable validators and 304s, gzip that decodes to
the same bytes, HEAD, redirects for folders, 404s for everything outside out/ (whatever the encoding of the
attempt), never a byte of the state folder, and 405 for writes.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from feeds.clock import http_date
from feeds.publish import run_publish
from feeds.web.static import StaticSite
from tests.chaos.outcheck import page_without_json_ld
from tests.localhttp import wsgi_served

SQLITE_MAGIC = b"SQLite format 3"
CONFIG = """
[site]
title = "Static Test Office"
base_url = "https://press.example.org/"
[paths]
out = "out"
state = "state"
[[sources]]
type = "folder"
name = "inbox"
path = "inbox"
"""


@dataclass
class Served:
    port: int
    out: Path
    state_db: Path

    def request(
        self, path: str, method: str = "GET", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """One request with the path sent exactly as given (no client-side normalisation)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for name, value in (headers or {}).items():
                conn.putheader(name, value)
            conn.endheaders()
            resp = conn.getresponse()
            body = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
        finally:
            conn.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    """A published site (a few releases, big enough for gzip) behind waitress, with traps planted in out/."""
    from feeds.app import make_app
    from feeds.clock import FixedClock
    from feeds.config import load_settings
    from feeds.ingest import run_ingest

    root = tmp_path_factory.mktemp("site")
    (root / "inbox").mkdir()
    (root / "feeds.toml").write_text(CONFIG, encoding="utf-8")
    settings = load_settings(root / "feeds.toml", environ={})
    app = make_app(settings, clock=FixedClock(datetime(2026, 11, 28, 12, tzinfo=UTC)))
    for i, topic in enumerate(["Iran", "Russia", "Iran", "Syria"]):
        release = {
            "title": f"Statement number {i} on the talks",
            "body": "Officials met today and agreed to meet again. " * 20,
            "published": f"2026-11-0{i + 2}T09:30:00Z",
            "topics": [topic],
            "source_key": f"s{i}",
        }
        (root / "inbox" / f"s{i}.json").write_text(json.dumps(release), encoding="utf-8")
    run_ingest(app)
    run_publish(app)
    app.close()

    out = settings.paths.out
    hour_ago = time.time() - 3600  # published a while ago: every file has a Last-Modified (see the test below)
    for path in out.rglob("*"):
        os.utime(path, (hour_ago, hour_ago), follow_symlinks=False)
    state_db = settings.paths.state / "feeds.db"
    assert state_db.read_bytes().startswith(SQLITE_MAGIC)
    (out / ".secret").write_text("dot-file")
    (out / ".hidden").mkdir()
    (out / ".hidden" / "x.txt").write_text("hidden folder")
    (out / "static" / ".site.css.tmp").write_text("half-written")
    os.symlink(state_db, out / "db.sqlite")
    os.symlink(settings.paths.state, out / "statelink")
    os.symlink(out / ".secret", out / "public.txt")  # inside out/, but to a dot-file
    os.symlink(out / ".hidden", out / "shown")

    with wsgi_served(StaticSite(out)) as port:
        yield Served(port=port, out=out, state_db=state_db)


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/rss.xml", "application/rss+xml; charset=utf-8"),
        ("/feed.json", "application/feed+json; charset=utf-8"),
        ("/topics/iran/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/archive/1/atom.xml", None),  # no archive with default settings: checked to be a 404 below
        ("/index.html", "text/html; charset=utf-8"),
        ("/", "text/html; charset=utf-8"),
        ("/topics/iran/", "text/html; charset=utf-8"),
        ("/feeds.opml", "text/x-opml; charset=utf-8"),
        ("/static/feed.xsl", "text/xsl; charset=utf-8"),
        ("/static/feed.css", "text/css; charset=utf-8"),
        ("/static/site.css", "text/css; charset=utf-8"),
    ],
)
def test_files_are_served_with_their_media_type(served: Served, path: str, media_type: str | None) -> None:
    status, headers, body = served.request(path)
    if media_type is None:
        assert status == 404
        return
    assert status == 200
    assert headers["content-type"] == media_type
    assert headers["x-content-type-options"] == "nosniff"
    file = served.out / path.lstrip("/")
    expected = (file / "index.html" if path.endswith("/") else file).read_bytes()
    assert body == expected
    assert int(headers["content-length"]) == len(expected)


def test_etag_is_strong_and_stable_across_requests(served: Served) -> None:
    _, first, _ = served.request("/atom.xml")
    _, second, _ = served.request("/atom.xml")
    assert first["etag"] == second["etag"]
    assert first["etag"].startswith('"') and first["etag"].endswith('"')
    assert first["last-modified"] == second["last-modified"]
    _, other, _ = served.request("/rss.xml")
    assert other["etag"] != first["etag"]


@pytest.mark.parametrize("form", ["{etag}", "W/{etag}", '"nope", {etag}', "*"])
def test_if_none_match_gives_304(served: Served, form: str) -> None:
    _, headers, _ = served.request("/atom.xml")
    status, h304, body = served.request("/atom.xml", headers={"If-None-Match": form.format(etag=headers["etag"])})
    assert status == 304
    assert body == b""
    assert h304["etag"] == headers["etag"]


def test_a_stale_etag_gets_the_full_document(served: Served) -> None:
    status, _, body = served.request("/atom.xml", headers={"If-None-Match": '"0123456789abcdef"'})
    assert status == 200 and body


def test_if_modified_since(served: Served) -> None:
    _, headers, _ = served.request("/rss.xml")
    modified = parsedate_to_datetime(headers["last-modified"])
    assert served.request("/rss.xml", headers={"If-Modified-Since": headers["last-modified"]})[0] == 304
    later = format_datetime(modified + timedelta(minutes=30), usegmt=True)  # (not ahead of now: ignored)
    assert served.request("/rss.xml", headers={"If-Modified-Since": later})[0] == 304
    earlier = format_datetime(modified - timedelta(seconds=1), usegmt=True)
    assert served.request("/rss.xml", headers={"If-Modified-Since": earlier})[0] == 200
    assert served.request("/rss.xml", headers={"If-Modified-Since": "not a date"})[0] == 200
    overflowing = "Sat, 28 Nov 99999999999999999999 09:41:39 GMT"  # unreadable: ignored, not a 500
    assert served.request("/rss.xml", headers={"If-Modified-Since": overflowing})[0] == 200
    # If-None-Match takes precedence (RFC 9110 §13.2.2): a mismatching tag wins over a matching date.
    both = {"If-None-Match": '"other"', "If-Modified-Since": headers["last-modified"]}
    assert served.request("/rss.xml", headers=both)[0] == 200


@pytest.mark.parametrize("path", ["/atom.xml", "/index.html", "/feed.json", "/static/site.css"])
def test_gzip_when_accepted(served: Served, path: str) -> None:
    _, plain_headers, plain = served.request(path)
    status, headers, body = served.request(path, headers={"Accept-Encoding": "gzip, deflate"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == plain
    assert len(body) < len(plain)
    assert int(headers["content-length"]) == len(body)
    assert headers["vary"] == "Accept-Encoding" == plain_headers["vary"]
    assert "content-encoding" not in plain_headers
    assert headers["etag"] != plain_headers["etag"]  # a different representation has a different tag
    again = served.request(path, headers={"Accept-Encoding": "gzip"})[2]
    assert again == body  # deterministic: no timestamp in the gzip header
    assert served.request(path, headers={"Accept-Encoding": "gzip", "If-None-Match": headers["etag"]})[0] == 304
    refused = served.request(path, headers={"Accept-Encoding": "gzip;q=0, identity"})[1]
    assert "content-encoding" not in refused


@pytest.mark.parametrize(
    ("header", "gzipped"),
    [
        ("*;q=0, gzip", True),  # gzip's own entry decides, wherever it is (a subscriber's review)
        ("gzip;q=0, *", False),
        ("deflate, *", True),
        ("br;q=1.0, x-gzip;q=0.5", True),
        ("identity", False),
        ("gzip ; q=0", False),
        ("", False),
    ],
)
def test_accept_encoding_is_read_entry_by_entry(header: str, gzipped: bool) -> None:
    from feeds.web.static import _accepts_gzip

    assert _accepts_gzip(header) is gzipped


def test_head_has_the_headers_of_get_and_no_body(served: Served) -> None:
    _, get_headers, get_body = served.request("/index.html")
    status, headers, body = served.request("/index.html", method="HEAD")
    assert status == 200
    assert body == b""
    assert headers["content-length"] == str(len(get_body))
    for name in ("content-type", "etag", "last-modified"):
        assert headers[name] == get_headers[name]


@pytest.mark.parametrize("path", ["/nothing.xml", "/topics/nowhere/", "/releases/x/index.html", "/atom.xml/x"])
def test_unknown_paths_are_404(served: Served, path: str) -> None:
    assert served.request(path)[0] == 404


TRAVERSALS = [
    "/../state/feeds.db",
    "/../../state/feeds.db",
    "/%2e%2e/state/feeds.db",
    "/%2E%2E/state/feeds.db",
    "/%2e%2e/",
    "/..%2fstate/feeds.db",
    "/..%2Fstate%2Ffeeds.db",
    "/static/..%2f..%2fstate/feeds.db",
    "/%2e%2e%2fstate%2ffeeds.db",
    "/..%5cstate%5cfeeds.db",
    "/..\\state\\feeds.db",
    "/static%5c..%5c..%5cstate%5cfeeds.db",
    "/atom.xml%00.html",
    "/%00",
    "/db.sqlite",
    "/statelink/feeds.db",
    "/statelink/",
    "/./../state/feeds.db",
    "//../state/feeds.db",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_nothing_outside_out_is_reachable(served: Served, path: str) -> None:
    status, _, body = served.request(path)
    assert status == 404, path
    assert SQLITE_MAGIC not in body
    assert body == (served.out / "404.html").read_bytes(), "the site's own 404 page, nothing else"


def test_an_address_with_nothing_there_gets_the_sites_404_page_with_its_way_back(served: Served) -> None:
    """A reader's review: a stale link got a plain-text "not found" and no way back to the site."""
    status, headers, body = served.request("/releases/no-such-release/")
    assert status == 404
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in headers["content-security-policy"]
    page = body.decode("utf-8")
    assert "<h1>Page not found</h1>" in page
    assert '<a href="https://press.example.org/">The latest releases</a>' in page, "absolute: served at any path"
    # by its path on this host: the same on every page at any depth, and allowed by the pages' security policy
    # whatever origin serves out/ (a full URL to base_url's host was blocked on a preview host, or www. or not)
    assert re.search(r'<link rel="stylesheet" href="/static/site\.css\?v=[0-9a-f]{12}">', page)
    assert '<a href="https://press.example.org/years/2026/">2026</a>' in page
    head_status, head_headers, head_body = served.request("/nothing", method="HEAD")
    assert (head_status, head_body) == (404, b"") and head_headers["content-length"] == str(len(body))
    (served.out / "404.html").rename(served.out / "404.html.kept")
    try:  # not published (yet): plain text
        assert served.request("/nothing")[2] == b"not found\n"
    finally:
        (served.out / "404.html.kept").rename(served.out / "404.html")


def test_a_folder_without_its_slash_is_redirected(served: Served) -> None:
    status, headers, _ = served.request("/topics/iran")
    assert status == 301
    assert urljoin("http://127.0.0.1:8080/topics/iran", headers["location"]) == "http://127.0.0.1:8080/topics/iran/"
    status, headers, _ = served.request("/topics/iran?utm_source=mail&x=%2F")
    assert status == 301
    assert headers["location"].endswith("iran/?utm_source=mail&x=%2F"), "the query is kept"


def test_a_folder_redirect_stays_under_the_sites_base_path_behind_a_proxy(served: Served) -> None:
    """A visitor's review: with the site at https://press.example.org/news/ (a proxy passing /news/… on as /…),
    /news/topics/iran was redirected to /topics/iran/, off the site (another application's page, or a 404 of the
    host's). The Location is relative to the address asked for, so it keeps whatever path the site is under."""
    release = next((served.out / "releases").iterdir()).name
    for asked in ("/topics/iran", f"/releases/{release}", "/years/2026"):
        status, headers, _ = served.request(asked)
        assert status == 301, asked
        public = "https://press.example.org/news" + asked
        assert urljoin(public, headers["location"]) == public + "/", (asked, headers["location"])
        assert not headers["location"].startswith("/"), headers["location"]


def test_a_folder_without_a_page_is_not_found_rather_than_redirected(served: Served) -> None:
    assert served.request("/topics")[0] == 404  # (it redirected to /topics/, which is 404)
    assert served.request("/topics/")[0] == 404


def test_a_file_asked_for_as_a_folder_is_not_found(served: Served) -> None:
    """`/atom.xml/` served the feed under a second URL, and a page's relative links resolved wrongly there."""
    assert served.request("/atom.xml")[0] == 200
    for path in ("/atom.xml/", "/atom.xml//", "/topics/iran/index.html/"):
        assert served.request(path)[0] == 404, path


def test_a_redirect_never_leaves_the_site(served: Served) -> None:
    """`//topics` must not become `Location: //topics/`, which a browser reads as the host `topics`."""
    for path in ("//topics", "///topics", "//topics/iran"):
        status, headers, _ = served.request(path)
        assert status in (301, 404), path
        if status == 301:
            assert not headers["location"].startswith("//"), headers["location"]
            assert urlsplit(urljoin("http://127.0.0.1:8080" + path, headers["location"])).netloc == "127.0.0.1:8080"


@pytest.mark.parametrize(
    "path", ["/.secret", "/.hidden/x.txt", "/.hidden/", "/static/.site.css.tmp", "/public.txt", "/shown/x.txt"]
)
def test_dot_files_are_not_served(served: Served, path: str) -> None:
    assert served.request(path)[0] == 404


def test_html_pages_may_load_nothing_but_the_sites_own_styles_and_images(served: Served) -> None:
    for path in ("/", "/topics/iran/"):
        status, headers, body = served.request(path)
        assert status == 200
        policy = dict(p.strip().split(" ", 1) for p in headers["content-security-policy"].split(";"))
        assert policy["default-src"] == "'none'" and policy["style-src"] == "'self'"
        assert "script-src" not in policy and policy["frame-ancestors"] == "'self'"
        assert headers["x-frame-options"] == "SAMEORIGIN"
        # nothing the policy would block (a JSON-LD block is data, which no policy blocks: browsers never run it)
        assert b"<script" not in page_without_json_ld(body) and b"style=" not in body
    # Feeds are not pages: the XSL stylesheet browsers apply to them brings its own inline styles.
    status, headers, _ = served.request("/atom.xml")
    assert status == 200 and "content-security-policy" not in headers


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_writes_are_refused(served: Served, method: str) -> None:
    status, headers, _ = served.request("/atom.xml", method=method)
    assert status == 405
    assert headers["allow"] == "GET, HEAD, OPTIONS"


def test_a_rewritten_file_gets_a_new_etag(served: Served) -> None:
    target = served.out / "static" / "extra.txt"
    target.write_text("first version\n")
    _, first, body = served.request("/static/extra.txt")
    assert body == b"first version\n"
    target.write_text("second version, longer\n")
    _, second, body = served.request("/static/extra.txt")
    assert body == b"second version, longer\n"
    assert second["etag"] != first["etag"]
    assert served.request("/static/extra.txt", headers={"If-None-Match": first["etag"]})[0] == 200


def _call(app: StaticSite, path: str, **environ: str) -> tuple[str, dict[str, str]]:
    """Call the WSGI app directly, as a server that keeps PATH_INFO as sent would (wsgiref, gunicorn…)."""
    from wsgiref.util import setup_testing_defaults

    env: dict[str, object] = {"PATH_INFO": path, **environ}
    setup_testing_defaults(env)
    seen: dict[str, object] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, {k.lower(): v for k, v in headers}

    b"".join(app(env, start_response))
    return str(seen["status"]), seen["headers"]  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("path", "script_name", "location"),
    [
        ("/topics/iran", "", "/topics/iran/"),
        ("//topics/iran", "", "/topics/iran/"),  # (as urljoin folds it; a browser keeps the //: still here)
        ("//topics//iran", "", "/topics/iran/"),
        ("/topics/iran", "/press", "/press/topics/iran/"),
    ],
)
def test_redirect_location_is_a_path_on_this_site(served: Served, path: str, script_name: str, location: str) -> None:
    """Waitress folds leading slashes, other servers do not: `//topics` must never become `Location: //topics/`
    (a browser reads that as the host `topics`), and an app mounted under a prefix redirects under it: the
    Location is relative to the address asked for, so the browser keeps the host and the prefix."""
    status, headers = _call(StaticSite(served.out), path, SCRIPT_NAME=script_name)
    assert status.startswith("301")
    asked = "https://press.example.org" + script_name + path
    assert urljoin(asked, headers["location"]) == "https://press.example.org" + location


@pytest.mark.parametrize(
    "path",
    [
        "/../state/feeds.db",
        "//../state/feeds.db",
        "/static/../../state/feeds.db",
        "/..\\state",
        "/atom.xml\x00",
        "/db.sqlite",
    ],
)
def test_decoded_traversals_are_404_without_waitress_in_front(served: Served, path: str) -> None:
    """The app's own checks, as any WSGI server would hand it the decoded path (waitress normalises some)."""
    status, _ = _call(StaticSite(served.out), path)
    assert status.startswith("404")


@pytest.mark.parametrize("target", ["outside", "dot-file"])
def test_a_404_page_that_links_elsewhere_is_not_served(tmp_path: Path, target: str) -> None:
    """`404.html` is answered to every unknown address: a symlink out of out/ (or to a dot-file in it) must not
    make it serve what lies there, as the same link under any other name would not."""
    out = tmp_path / "out"
    out.mkdir()
    secret = tmp_path / "state.txt" if target == "outside" else out / ".secret"
    secret.write_text("PRIVATE STATE\n")
    os.symlink(secret, out / "404.html")
    app = StaticSite(out)
    seen: dict[str, str] = {}
    for path in ("/nothing-here", "/404.html"):
        env: dict[str, object] = {"REQUEST_METHOD": "GET", "PATH_INFO": path}
        body = b"".join(app(env, lambda status, headers: seen.update(status=status)))
        assert seen["status"].startswith("404")
        assert b"PRIVATE" not in body


@pytest.mark.parametrize("target", ["outside", "dot-file"])
def test_a_folders_page_that_links_elsewhere_is_not_served(tmp_path: Path, target: str) -> None:
    """`/topics/x/` serves `topics/x/index.html`: that file is checked as one named in the URL is, so a symlink
    out of out/ (or to a dot-file in it) is a 404 there too, not what it points at."""
    out = tmp_path / "out"
    (out / "topics" / "x").mkdir(parents=True)
    secret = tmp_path / "state.txt" if target == "outside" else out / ".secret"
    secret.write_text("PRIVATE STATE\n")
    os.symlink(secret, out / "topics" / "x" / "index.html")
    app = StaticSite(out)
    seen: dict[str, str] = {}
    for path in ("/topics/x/", "/topics/x", "/topics/x/index.html"):
        env: dict[str, object] = {"REQUEST_METHOD": "GET", "PATH_INFO": path}
        body = b"".join(app(env, lambda status, headers: seen.update(status=status)))
        assert seen["status"].startswith("404"), path
        assert b"PRIVATE" not in body


def test_a_file_changed_within_the_last_second_has_no_date_to_revalidate_with(tmp_path: Path) -> None:
    """HTTP dates are whole seconds: a Last-Modified given out in the second of a change would also stand for a
    second change in that second (a push, then a withdrawal), and If-Modified-Since would then get a 304 for a
    feed the reader has not seen. A fresh file has only its ETag; once it has stood a second it has its date."""
    out = tmp_path / "out"
    out.mkdir()
    feed = out / "atom.xml"
    feed.write_text("<feed>one</feed>")
    written = os.stat(feed).st_mtime_ns
    now = [written + 400_000_000]
    app = StaticSite(out, now_ns=lambda: now[0])

    def get(headers: dict[str, str]) -> tuple[str, dict[str, str], bytes]:
        env: dict[str, object] = {"REQUEST_METHOD": "GET", "PATH_INFO": "/atom.xml"}
        env.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
        seen: dict[str, Any] = {}
        body = b"".join(app(env, lambda status, hs: seen.update(status=status, headers=dict(hs))))
        return seen["status"], seen["headers"], body

    status, fresh, _ = get({})
    assert status.startswith("200") and "ETag" in fresh and "Last-Modified" not in fresh
    now[0] = written + 1_500_000_000
    status, settled, _ = get({})
    rounded_up = -(-written // 10**9)  # the second the change ends in (see the test below)
    assert settled["Last-Modified"] == http_date(datetime.fromtimestamp(rounded_up, tz=UTC))
    assert get({"If-Modified-Since": settled["Last-Modified"]})[0].startswith("304")


def _get(app: StaticSite, path: str, headers: dict[str, str] | None = None) -> tuple[str, dict[str, str], bytes]:
    """One GET through the WSGI app, headers given as a client sends them."""
    env: dict[str, object] = {"REQUEST_METHOD": "GET", "PATH_INFO": path}
    env.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in (headers or {}).items()})
    seen: dict[str, Any] = {}
    body = b"".join(app(env, lambda status, hs: seen.update(status=status, headers=dict(hs))))
    return seen["status"], seen["headers"], body


def test_a_file_replaced_by_one_of_the_same_size_and_time_is_served_anew(tmp_path: Path) -> None:
    """The served-file cache must know a replaced file: a publish renames a new file over the old one, and on a
    file system whose timestamps are coarse (ext4 on kernels before 6.13 stamps with the timer tick, ~4 ms) two
    publishes close together give the new file the old one's size and modification time. It is another file
    (inode) all the same, and its new bytes and ETag are what must be served, not the old ones kept in memory."""
    from feeds.publish.writer import atomic_write

    out = tmp_path / "out"
    out.mkdir()
    feed = out / "atom.xml"
    atomic_write(feed, b"<feed>release one</feed>")
    before = os.stat(feed)
    app = StaticSite(out)
    status, first, body = _get(app, "/atom.xml")
    assert status.startswith("200") and body == b"<feed>release one</feed>"

    atomic_write(feed, b"<feed>release two</feed>")  # same length
    os.utime(feed, ns=(before.st_atime_ns, before.st_mtime_ns))  # the same timer tick
    status, second, body = _get(app, "/atom.xml")
    assert status.startswith("200") and body == b"<feed>release two</feed>"
    assert second["ETag"] != first["ETag"]
    assert _get(app, "/atom.xml", {"If-None-Match": first["ETag"]})[0].startswith("200")


def test_if_modified_since_from_a_responses_date_never_hides_a_change_in_that_second(tmp_path: Path) -> None:
    """A cache holding a response without Last-Modified revalidates with the response's Date or the time it got
    it (RFC 9110 §13.1.3 names both). Fetched at 12:00:00.4, just after a publish at .2, and published again
    at .8, the feed is newer than `If-Modified-Since: 12:00:00`: a 304 would keep that reader on the old feed
    until the next change. Our own Last-Modified still revalidates with a 304, and is never after the Date."""
    out = tmp_path / "out"
    out.mkdir()
    feed = out / "atom.xml"
    second = 1_795_000_000 * 10**9
    feed.write_text("<feed>one</feed>")
    os.utime(feed, ns=(second + 200_000_000, second + 200_000_000))
    now = [second + 400_000_000]
    app = StaticSite(out, now_ns=lambda: now[0])
    status, first, body = _get(app, "/atom.xml")
    assert status.startswith("200") and body == b"<feed>one</feed>" and "Last-Modified" not in first
    date = http_date(datetime.fromtimestamp(second // 10**9, tz=UTC))  # the Date of that response

    feed.write_text("<feed>two</feed>")
    os.utime(feed, ns=(second + 800_000_000, second + 800_000_000))
    for later in (second + 900_000_000, second + 5 * 10**9):  # still in that second, and long settled
        now[0] = later
        status, _, body = _get(app, "/atom.xml", {"If-Modified-Since": date})
        assert status.startswith("200") and body == b"<feed>two</feed>", later

    status, settled, _ = _get(app, "/atom.xml")
    modified = parsedate_to_datetime(settled["Last-Modified"])
    assert modified.timestamp() * 10**9 <= now[0]  # not after the Date (RFC 9110 §8.8.2.1)
    assert modified.timestamp() * 10**9 >= second + 800_000_000  # and it covers the change
    assert _get(app, "/atom.xml", {"If-Modified-Since": settled["Last-Modified"]})[0].startswith("304")


def test_a_file_with_a_non_ascii_name_is_served_at_its_utf8_address(served: Served) -> None:
    """A browser sends `/static/café.txt` as `/static/caf%C3%A9.txt` (UTF-8, RFC 3986 §2.5); WSGI hands the decoded
    bytes over as latin-1 text (PEP 3333), which named no file on disk. A folder's redirect keeps the name."""
    (served.out / "static" / "café.txt").write_text("crème\n", encoding="utf-8")
    (served.out / "static" / "répertoire").mkdir()
    (served.out / "static" / "répertoire" / "index.html").write_text("<p>page</p>\n", encoding="utf-8")
    status, headers, body = served.request("/static/caf%C3%A9.txt")
    assert status == 200 and body == "crème\n".encode()
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert served.request("/static/r%C3%A9pertoire/")[2] == b"<p>page</p>\n"
    status, headers, _ = served.request("/static/r%C3%A9pertoire")
    assert status == 301 and headers["location"] == "r%C3%A9pertoire/"  # (relative: the folder asked for)
    assert served.request("/static/caf%E9.txt")[0] == 404  # latin-1, not UTF-8: no such name
    assert served.request("/static/caf%C3%A9.txt/")[0] == 404


def test_the_cache_holds_a_bounded_number_of_bytes_however_much_of_the_site_is_read(tmp_path: Path) -> None:
    """An operator's soak: a crawler reading each of 5,000 release pages (46 KB each) once left every one of
    them in the web server's memory with its gzipped copy, 302 MiB, for the rest of the daemon's life (up to
    20,000 files of any size were kept). The cache now holds the files read last, up to a number of bytes."""
    for i in range(400):
        (tmp_path / f"page{i}.html").write_text(f"<p>page {i} " + "lorem ipsum " * 1000 + "</p>\n")
    site = StaticSite(tmp_path, cache_bytes=1 << 20)
    for _ in range(2):
        for i in range(400):
            status, headers = _call(site, f"/page{i}.html", HTTP_ACCEPT_ENCODING="gzip")
            assert status == "200 OK" and headers["content-encoding"] == "gzip"
            assert sum(e.size + len(e.gz or b"") for e in site._cache.values()) <= 1 << 20
            cached = site._cache[tmp_path.resolve() / f"page{i}.html"]
            _call(site, "/page0.html")  # read often: kept
            assert site._cache[tmp_path.resolve() / f"page{i}.html"] is cached
    hot = site._cache[tmp_path.resolve() / "page0.html"]
    assert _call(site, "/page0.html")[0] == "200 OK" and site._cache[tmp_path.resolve() / "page0.html"] is hot
    big = tmp_path / "big.html"
    big.write_text("x" * (2 << 20))  # larger than the cache: served, not kept
    status, headers = _call(site, "/big.html")
    assert status == "200 OK" and headers["content-length"] == str(2 << 20)
    assert tmp_path.resolve() / "big.html" not in site._cache


def test_head_of_a_redirect_sends_no_body_so_the_connection_stays_in_step(served: Served) -> None:
    """A HEAD of a folder without its slash (`/topics/iran`, a link checker's request) was answered 301 with its
    plain-text body, `moved`, which HEAD must not have (RFC 9110 §9.3.2): on a kept-alive connection a client took
    those bytes for the start of its next answer. The answer to the GET sent after it on the same connection must
    follow the HEAD's headers at once."""
    from tests.rawhttp import exchange

    received = exchange(
        served.port,
        b"HEAD /topics/iran HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /topics/iran/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    head, _, rest = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 301 ")
    assert rest.startswith(b"HTTP/1.1 200 OK\r\n"), rest[:40]


def test_the_stylesheet_asked_for_by_its_version_is_kept_for_a_year(served: Served) -> None:
    """A phone on a slow line asked again for site.css, which holds up the page, every hour (a 304 is a round
    trip all the same). The pages name its version (`site.css?v=…`), new bytes a new address: that address is
    kept for a year. Asked for without it, or by another version (one a server not yet published to was asked
    for), it is kept an hour, as before, so no one keeps old bytes under a new name."""
    page = (served.out / "index.html").read_text("utf-8")
    (href,) = re.findall(r'<link rel="stylesheet" href="([^"]+)">', page)
    status, headers, body = served.request("/" + href)
    assert status == 200 and body == (served.out / "static" / "site.css").read_bytes()
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    for other in ("/static/site.css", "/static/site.css?v=000000000000", "/static/feed.css?" + href.split("?")[1]):
        assert served.request(other)[1]["cache-control"] == "public, max-age=3600", other


@pytest.mark.parametrize(
    ("name", "media_type"),
    [("a.png", "image/png"), ("a.jpg", "image/jpeg"), ("a.gif", "image/gif"), ("a.webp", "image/webp")],
)
def test_a_picture_dropped_with_a_release_is_served_as_itself_and_cached_for_good(name: str, media_type: str) -> None:
    from feeds.web.static import cache_control
    from feeds.web.static import media_type as media_type_of

    assert media_type_of(Path("pictures") / name) == media_type
    # (named by its bytes: other bytes are another name, so a cached copy is never stale)
    assert cache_control(f"pictures/{name}") == "public, max-age=31536000, immutable"
    assert cache_control("index.html") == "public, max-age=300"
