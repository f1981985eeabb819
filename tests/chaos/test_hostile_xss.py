"""Hostile input: script injection (tests/chaos/xss.py) in everything we publish that came from outside.

Vectors go into release titles, summaries, organisations, topics and bodies (HTML, Markdown and plain text,
through the real drop folder), links and images, and into watched items' titles, summaries and content (RSS
with escaped HTML and CDATA, Atom with type="html" and XHTML), which keyword rules and pickups carry into the
published match feeds and release pages. After publishing:

- static: nothing executable anywhere in out/ (`outcheck.executable_markup`: no script or active elements, no
  on*= attributes, no javascript:/data: URLs, in HTML pages, in HTML carried inside feeds, in XML attributes),
  no template evaluated (7777*7777 never appears), every file still valid;
- dynamic: headless Chromium loads the index, every release page and every topic page (in iframes of one
  harness page) and runs no script: every page's DOM title is the one in its source and the trap server the
  vectors would call receives no request. Skipped LOUDLY when Chromium is absent.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from feeds.ingest import run_ingest
from feeds.publish import run_publish
from feeds.watch.manage import add_feed
from feeds.watch.poll import run_watch
from feeds.web.static import StaticSite
from tests.chaos.conftest import record
from tests.chaos.feedserver import FeedServer, _send
from tests.chaos.outcheck import executable_markup, problems_in
from tests.chaos.xss import TEMPLATE_PRODUCT, payload, vectors
from tests.localhttp import wsgi_served

PICKUP = (
    "The harbour office confirmed that the northern breakwater repairs will finish before the winter storms "
    "arrive on the coast this year"
)
CONFIG = """
[http]
allow = ["127.0.0.1"]

[[watch.keywords]]
name = "harbour"
query = "harbour"
"""


def hostile_rss(vs: list[str]) -> bytes:
    items = []
    for n, v in enumerate(vs):
        link = f"javascript:document.title='PWNED-{n}'" if n % 3 == 0 else f"https://news.example.com/{n}"
        items.append(
            f"<item><title>{escape(v)} harbour</title><link>{escape(link)}</link><guid>i{n}</guid>"
            f"<description>{escape(v)} harbour {escape(PICKUP) if n == 0 else ''}</description>"
            f"<content:encoded><![CDATA[{v.replace(']]>', '')} harbour]]></content:encoded>"
            f"<category>{escape(v)}</category><author>{escape(v)}</author></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{escape(vs[0])} desk</title><link>https://news.example.com/</link><description>d</description>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def hostile_atom(vs: list[str]) -> bytes:
    entries = []
    for n, v in enumerate(vs):
        entries.append(
            f'<entry><id>urn:x-xss:{n}</id><title type="html">{escape(v)} harbour</title>'
            f"<updated>2026-11-28T10:00:00Z</updated>"
            f'<link href="{escape(v) if n % 2 else "javascript:alert(1)"}"/>'
            f'<summary type="html">{escape(v)} harbour</summary>'
            '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>harbour</p>'
            f'<script>document.title="PWNED-x{n}"</script><a href="javascript:alert({n})">x</a>'
            f'<img src="x" onerror="alert({n})"/></div></content></entry>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x-xss</id>'
        "<title>Atom desk</title><updated>2026-11-28T10:00:00Z</updated><author><name>a</name></author>"
        + "".join(entries)
        + "</feed>"
    ).encode()


@pytest.fixture
def trap() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
def published(make_settings, make_app_for, trap: FeedServer, clock) -> Iterator[tuple[Path, list[str]]]:
    vs = vectors(trap.port)
    app = make_app_for(make_settings(CONFIG))
    inbox = app.settings.source("inbox").path
    for n, v in enumerate(vs):
        release = {
            "title": f"{v} harbour {n}",
            "summary": v,
            "body": f"Release {n} about the harbour.\n\n{v}",
            "organisation": v,
            "topics": [v, "Harbours"],
            "published": "2026-11-27T09:00:00Z",
            "source_key": f"xss-{n}",
        }
        (inbox / f"title-{n}.json").write_text(json.dumps(release), encoding="utf-8")
    all_html = "".join(f"<p>{v}</p>" for v in vs)
    page_html = "".join(f"<p>{v}</p>" for v in vs if "\x00" not in v)
    body_release = {"title": "All vectors as HTML", "body_html": f"<p>{PICKUP}.</p>{all_html}", "source_key": "all"}
    body_release["published"] = "2026-11-27T09:00:00Z"
    (inbox / "all-html.json").write_text(json.dumps(body_release), encoding="utf-8")
    text_safe = [v for v in vs if "\x00" not in v]  # a NUL makes a text file binary (rejected, rightly)
    (inbox / "all-markdown.md").write_text("# Vectors as Markdown\n\n" + "\n\n".join(text_safe), encoding="utf-8")
    (inbox / "all-text.txt").write_text("All vectors as text\n\n" + "\n\n".join(text_safe), encoding="utf-8")
    (inbox / "all-page.html").write_text(
        f"<html><head><title>Page</title></head><body><article><h1>All vectors as a page</h1>{page_html}"
        f"<p>{PICKUP}</p></article></body></html>",
        encoding="utf-8",
    )
    for n, url in enumerate([f"javascript:document.title='PWNED-L{n}'" for n in range(2)] + ["data:text/html,x"]):
        bad = {"title": f"Bad link {n}", "body": "Text.", "link": url, "image": url, "source_key": f"link-{n}"}
        (inbox / f"link-{n}.json").write_text(json.dumps(bad), encoding="utf-8")
    report = run_ingest(app)
    created = report.count("created")
    assert created >= len(vs) + 4, [o.error for o in report.outcomes if o.error]

    feeds = FeedServer().start()
    documents = {"rss": hostile_rss(vs), "atom": hostile_atom(vs)}

    def serve(conn: Any, req: Any, name: str, parts: list[str]) -> bool:
        _send(conn, 200, documents[name], "application/xml")
        return True

    feeds._mixed = serve  # type: ignore[method-assign]
    try:
        for name in documents:
            add_feed(app, feeds.url("mixed", name))
        outcomes = run_watch(app).outcomes
        assert [o.error for o in outcomes] == [None, None], outcomes
    finally:
        feeds.stop()
    assert app.store.count_matches() > 0
    run_publish(app)
    yield app.settings.paths.out, vs


def test_nothing_executable_reaches_out(published: tuple[Path, list[str]]) -> None:
    out, vs = published
    record("XSS vectors", len(vs))
    found = executable_markup(out)
    assert found == [], "\n".join(found[:40])
    assert problems_in(out) == []
    for path in out.rglob("*"):
        if path.is_file():
            assert TEMPLATE_PRODUCT.encode() not in path.read_bytes(), f"{path}: a template ran on input"
    record("XSS: files in out/ checked", sum(1 for p in out.rglob("*") if p.is_file()))


def chromium_or_skip() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        message = "chromium is not installed (apt-get install -y chromium): the browser XSS test is SKIPPED"
        warnings.warn(message, stacklevel=2)
        pytest.skip(message)
    return found


HARNESS = "/__chaos_harness.html"
CONTROL = "__chaos_control.html"
"""A page of ours that does run a script: proves the harness would see one (a positive control)."""


def harness_page(paths: list[str]) -> bytes:
    """One page of ours that frames every published page and, once all of them have loaded (the window's load
    event waits for every frame, and for every script a frame would run), writes what each frame's title became."""
    frames = "".join(f'<iframe src="/{p}" width="400" height="200"></iframe>' for p in paths)
    script = """
    window.addEventListener('load', () => {
      const list = document.createElement('ol'); list.id = 'results';
      for (const f of document.querySelectorAll('iframe')) {
        const li = document.createElement('li');
        li.dataset.src = f.getAttribute('src');
        li.dataset.title = f.contentDocument ? f.contentDocument.title : '(no document)';
        list.appendChild(li);
      }
      document.body.appendChild(list);
    });
    """
    return f"<!doctype html><html><head><title>harness</title></head><body>{frames}<script>{script}</script>".encode()


def test_chromium_runs_no_script_on_any_page(published: tuple[Path, list[str]], trap: FeedServer, tmp_path) -> None:
    chromium = chromium_or_skip()
    out, _ = published
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("index.html"))
    expected = {p: lxml_html.fromstring((out / p).read_text("utf-8")).findtext(".//title") or "" for p in pages}
    static = StaticSite(out)
    harness = harness_page([*pages, CONTROL])
    control = (
        "<!doctype html><html><head><title>control</title></head><body>"
        f"<script>{payload(-1, trap.port)}</script></body></html>"
    ).encode()

    policies: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        extra = {HARNESS: harness, "/" + CONTROL: control}.get(environ.get("PATH_INFO", ""))
        if extra is not None:
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [extra]

        def without_policy(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            # The pages' Content-Security-Policy would stop any script a sanitising failure let through: this
            # test is about the sanitising, so pages load without it (the test checks that they do send it).
            if environ.get("PATH_INFO", "").removesuffix("index.html").strip("/") != "search":  # (runs our script)
                policies.extend(v for k, v in headers if k == "Content-Security-Policy")
            return start_response(status, [(k, v) for k, v in headers if k != "Content-Security-Policy"], *rest)

        return static(environ, without_policy)

    with wsgi_served(app, threads=4) as port:
        url = f"http://127.0.0.1:{port}{HARNESS}"
        cmd = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            f"--user-data-dir={tmp_path / 'profile'}",
            # Nothing leaves the machine: every name but 127.0.0.1 fails at once (the pages link to the site's
            # public base URL, press.example.org, which would otherwise wait for DNS).
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--dump-dom",
            url,
        ]
        done = subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    dom = lxml_html.fromstring(done.stdout.decode("utf-8"))
    results = {li.get("data-src").lstrip("/"): li.get("data-title") for li in dom.iter("li") if li.get("data-src")}
    assert results.pop(CONTROL) == "PWNED--1", "the positive control's script did not run: the harness is blind"
    assert set(results) == set(pages), "the harness did not report every page (did Chromium finish loading?)"
    changed = {p: (expected[p], t) for p, t in results.items() if t != expected[p]}
    assert changed == {}, f"a script changed the title of: {changed}"
    assert len(policies) >= len(pages) - 1 and all("script-src" not in p for p in policies), "pages send their CSP"
    xss = [r.path for r in trap.requests if r.path.startswith("/xss") and r.path != "/xss/-1"]
    assert any(r.path == "/xss/-1" for r in trap.requests), "the positive control's request did not arrive"
    assert xss == [], f"a vector ran in the browser and called the trap: {xss}"
    record("XSS: pages loaded in Chromium", len(pages))


def test_the_static_checker_sees_planted_markup(tmp_path) -> None:
    """A positive control for `executable_markup`: raw vectors in pages, feeds and JSON Feeds are found (one
    vector per file: an unclosed <style> or <noscript> would hide the vectors after it)."""
    for n, v in enumerate(vectors(9)):
        raw = v.replace("\x00", "").replace("\x0c", " ")  # characters XML cannot carry
        (tmp_path / f"page-{n}.html").write_text(f"<!doctype html><html><body>{raw}</body></html>", "utf-8")
        (tmp_path / f"rss-{n}.xml").write_text(
            f"<rss version='2.0'><channel><title>t</title><item><description>{escape(raw)}</description></item>"
            "</channel></rss>",
            encoding="utf-8",
        )
        (tmp_path / f"feed-{n}.json").write_text(json.dumps({"items": [{"content_html": raw}]}), encoding="utf-8")
    found = executable_markup(tmp_path)
    for kind in ("page", "rss", "feed"):
        hits = "\n".join(f for f in found if f.startswith(kind))
        for what in ("<script>", "onerror=", "href='javascript:", "data:", "style=", "<meta http-equiv", "<base>"):
            assert what in hits, (kind, what)
        flagged = {int(f.split("-", 1)[1].split(".", 1)[0]) for f in found if f.startswith(kind)}
        assert len(flagged) >= 40, f"{kind}: only {len(flagged)} of the vectors were seen"
