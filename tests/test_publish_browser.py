"""The published site in a real browser: headless Chromium loads pages from StaticSite on 127.0.0.1.

What a visitor gets: the index and a release page render with the site title, the release headline and
working subscribe links, feeds display through their XSLT stylesheet (and through their CSS one where XSLT is
turned off, as Chromium does from 2026), and hostile titles and bodies
(`<script>`, `onerror=`) end up as text, never as a script element or an event handler in the live DOM. On a
phone (measured through the DevTools pipe, tests/chromium_cdp.py): no page wider than a 360 or 390 px screen, at
100% and 200% text; links standing alone at least 24 px square; a feed styled by feed.css readable; and in print,
no menus, the page's address, no cut lines.

Needs the Debian `chromium` package; without it every test here is SKIPPED with a warning saying so.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import html

from feeds.app import make_app
from feeds.clock import FixedClock
from feeds.config import load_settings
from feeds.ingest import run_ingest
from feeds.publish import run_publish
from feeds.web.static import StaticSite
from tests.chromium_cdp import HEADLESS, Chromium
from tests.localhttp import wsgi_served

SITE_TITLE = "Browser Test Office"
HOSTILE_TITLE = '<script>alert("title")</script><img src=x onerror=alert(1)>'
HOSTILE_BODY = (
    "Read this. <script>alert('body')</script>\n\n"
    '<img src=x onerror="alert(2)"> <svg onload=alert(3)></svg> <a href="javascript:alert(4)">click</a>\n\n'
    '<iframe src="javascript:alert(5)"></iframe> <b onmouseover=alert(6)>bold</b>'
)

LONG_URL = "https://www.example.org/" + "verylongpathsegment" * 12 + "?query=" + "x" * 80
LONG_BODY = (
    f'<p>See {LONG_URL} for the full text, or <a href="{LONG_URL}">the annex</a>.</p>'
    "<p>Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetzrindfleischetikettierung is one word.</p>"
    "<table><tr>"
    + "".join(f"<th>Heading {c}</th>" for c in range(8))
    + "</tr>"
    + "".join("<tr>" + "".join(f"<td>Region {r} £12,000,000</td>" for c in range(8)) + "</tr>" for r in range(3))
    + "</table><blockquote><p>“We will not stop until every household on every coast has the protection it"
    " deserves,” said the minister.</p></blockquote>"
    '<figure><img src="{base}chart.png" width="2000" height="300" alt="A chart"></figure>'
    "<pre>a_very_long_preformatted_line_of_code_that_scrolls_in_its_own_box_and_never_pushes_the_page = 1</pre>"
)
"""A release with what widens a page on a phone: an unbroken URL, a wide table, a long German word, a quotation,
a picture 2000px wide (from the test's own server, `{base}`: it is not there) and a long line of preformatted text."""


def chromium_binary() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        message = (
            "chromium is not installed (apt-get install -y chromium): "
            "the headless-browser tests of the published site are SKIPPED"
        )
        warnings.warn(message, stacklevel=2)
        pytest.skip(message)
    return found


AS_XML = "as-xml"


def as_xml(app: StaticSite) -> Callable[..., Iterable[bytes]]:
    """The site, plus `/as-xml/<path>`: the same file labelled application/xml.

    Chromium applies a feed's <?xml-stylesheet?> only to documents it treats as XML, which excludes the
    registered feed types the server rightly sends; this lets the test run feed.xsl in the browser anyway.
    """

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(f"/{AS_XML}/"):
            return app(environ, start_response)

        def relabel(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            xml = "application/xml; charset=utf-8"
            return start_response(status, [(k, xml if k.lower() == "content-type" else v) for k, v in headers], *rest)

        return app({**environ, "PATH_INFO": path[len(AS_XML) + 1 :]}, relabel)

    return wrapped


def png_pixels(data: bytes) -> list[list[tuple[int, ...]]]:
    """The rows of pixels of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium's screenshots are)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + size]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + size
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    depth, colour, interlace = header[8], header[9], header[12]
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    rows: list[list[tuple[int, ...]]] = []
    prev = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a, b = line[i - bpp] if i >= bpp else 0, prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append([tuple(line[x : x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return rows


@dataclass
class BrowsedSite:
    base_url: str
    out: Path
    chromium: str
    profile: Path
    slugs: dict[str, str]
    requested: list[str]
    """The paths the server was asked for, in order."""

    def dom(self, path: str) -> html.HtmlElement:
        """The DOM after Chromium loaded and ran the page (`--dump-dom`)."""
        cmd = [
            self.chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            f"--user-data-dir={self.profile}",
            "--dump-dom",
            self.base_url + path,
        ]
        done = subprocess.run(cmd, capture_output=True, timeout=90, check=False)
        assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
        assert done.stdout.strip(), f"empty DOM for {path}: {done.stderr.decode(errors='replace')[-2000:]}"
        return html.fromstring(done.stdout)

    def screenshot(
        self, path: str, *, width: int, height: int, flags: Sequence[str] = (), profile: Path | None = None
    ) -> list[list[tuple[int, ...]]]:
        """The pixels Chromium shows in a `width`×`height` window opened on the page, row by row (`flags`: more
        command-line switches; `profile`: a browser profile of its own, whose cache holds nothing yet)."""
        shot = self.profile.parent / "shot.png"
        cmd = [
            self.chromium,
            *HEADLESS,
            f"--user-data-dir={profile or self.profile}",
            f"--window-size={width},{height}",
            f"--screenshot={shot}",
            *flags,
            self.base_url + path,
        ]
        done = subprocess.run(cmd, capture_output=True, timeout=90, check=False)
        assert done.returncode == 0 and shot.exists(), done.stderr.decode(errors="replace")[-2000:]
        return png_pixels(shot.read_bytes())


@pytest.fixture(scope="module")
def browsed(tmp_path_factory) -> Iterator[BrowsedSite]:
    chromium = chromium_binary()
    root = tmp_path_factory.mktemp("browser")
    out = root / "out"
    out.mkdir()
    requested: list[str] = []
    site = as_xml(StaticSite(out))

    def recorded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        requested.append(environ.get("PATH_INFO", ""))
        return site(environ, start_response)

    with wsgi_served(recorded) as port:
        base_url = f"http://127.0.0.1:{port}/"
        (root / "inbox").mkdir()
        (root / "feeds.toml").write_text(
            f'[site]\ntitle = "{SITE_TITLE}"\nbase_url = "{base_url}"\nid_domain = "browser.example.org"\n'
            '[paths]\nout = "out"\nstate = "state"\n'
            '[[sources]]\ntype = "folder"\nname = "inbox"\npath = "inbox"\n',
            encoding="utf-8",
        )
        settings = load_settings(root / "feeds.toml", environ={})
        app = make_app(settings, clock=FixedClock(datetime(2026, 11, 28, 12, tzinfo=UTC)))
        releases = {
            "plain": {
                "title": "Harbour reopens after repairs",
                "body": "The harbour reopened today.\n\nShips may dock from Monday.",
                "published": "2026-11-02T09:30:00Z",
                "topics": ["Harbours"],
            },
            "hostile": {"title": HOSTILE_TITLE, "body": HOSTILE_BODY, "published": "2026-11-03T09:30:00Z"},
            "long": {
                "title": "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherungsanstalt reviewed",
                "body_html": LONG_BODY.replace("{base}", base_url),
                "published": "2026-11-05T09:30:00Z",
                "topics": ["Harbours", "Shipping", "Fisheries", "North Atlantic", "Ferries", "EU", "Trade", "Ports"],
            },
            "arabic": {
                "title": "افتتاح الميناء بعد الإصلاحات",
                "body": "أعيد افتتاح الميناء اليوم.\n\nيمكن للسفن الرسو اعتبارا من يوم الاثنين.",
                "published": "2026-11-04T09:30:00Z",
                "language": "ar",
            },
        }
        for key, fields in releases.items():
            (root / "inbox" / f"{key}.json").write_text(json.dumps({**fields, "source_key": key}), encoding="utf-8")
        outcomes = run_ingest(app).outcomes
        assert all(o.status == "created" for o in outcomes), outcomes
        slugs = {o.origin.rsplit("/", 1)[-1].removesuffix(".json"): o.slug or "" for o in outcomes}
        run_publish(app)
        app.close()
        yield BrowsedSite(base_url, out, chromium, root / "profile", slugs, requested)


def _hrefs(dom: html.HtmlElement) -> set[str]:
    return {a.get("href") for a in dom.iter("a") if a.get("href")}


def test_the_index_shows_the_site_and_its_feeds(browsed: BrowsedSite) -> None:
    dom = browsed.dom("")
    assert dom.findtext(".//title") == SITE_TITLE
    assert dom.findtext(".//h1") == SITE_TITLE
    hrefs = _hrefs(dom)
    for name in ("atom.xml", "rss.xml", "feed.json", "topics/harbours/atom.xml"):
        assert browsed.base_url + name in hrefs, name
    assert "releases/" + browsed.slugs["plain"] + "/" in hrefs
    assert "Harbour reopens after repairs" in dom.text_content()
    discovered = {link.get("href") for link in dom.iter("link") if link.get("rel") == "alternate"}
    assert browsed.base_url + "atom.xml" in discovered


def test_a_release_page_shows_its_headline_and_subscribe_links(browsed: BrowsedSite) -> None:
    dom = browsed.dom(f"releases/{browsed.slugs['plain']}/")
    assert dom.findtext(".//h1") == "Harbour reopens after repairs"
    assert SITE_TITLE in dom.findtext(".//title")
    assert dom.find(".//*[@class='site-title']/a").text == SITE_TITLE
    subscribe = dom.find(".//section[@id='subscribe']")
    assert subscribe is not None
    hrefs = _hrefs(subscribe)
    assert browsed.base_url + "atom.xml" in hrefs
    assert browsed.base_url + "topics/harbours/atom.xml" in hrefs
    assert "Ships may dock from Monday." in dom.text_content()


def test_chromium_shows_a_feed_served_as_atom_as_text(browsed: BrowsedSite) -> None:
    """Chromium renders application/atom+xml and application/rss+xml as plain text and never applies their
    xml-stylesheet: what a visitor sees is the source, escaped."""
    for name in ("atom.xml", "rss.xml"):
        dom = browsed.dom(name)
        assert dom.find(".//pre") is not None, name
        assert "<?xml-stylesheet" in dom.text_content(), name


@pytest.mark.parametrize("name", ["atom.xml", "rss.xml"])
def test_the_feed_stylesheet_turns_a_feed_into_a_page(browsed: BrowsedSite, name: str) -> None:
    """feed.xsl, as a browser runs it when the feed arrives as application/xml (see `as_xml`)."""
    dom = browsed.dom(f"{AS_XML}/{name}")
    assert dom.find(".//pre") is None, "the stylesheet was not applied"
    assert SITE_TITLE in dom.findtext(".//h1")
    text = dom.text_content()
    assert "Harbour reopens after repairs" in text
    assert browsed.base_url + "releases/" + browsed.slugs["plain"] + "/" in _hrefs(dom)


@pytest.mark.parametrize("name", ["atom.xml", "rss.xml"])
def test_where_xslt_is_turned_off_the_feed_is_shown_through_its_css(
    browsed: BrowsedSite, name: str, tmp_path: Path
) -> None:
    """Chromium without XSLT (`--disable-features=XSLT`, as it ships from 2026) fetches feed.css, the second
    <?xml-stylesheet?>, and shows the feed styled by it: the subscribe panel's background is on the screen, which
    Chromium's own view of XML never paints."""
    panel = (0xF3, 0xF2, 0xF1)  # feed.css's --panel
    del browsed.requested[:]
    flags = ["--disable-features=XSLT"]
    rows = browsed.screenshot(f"{AS_XML}/{name}", width=800, height=600, flags=flags, profile=tmp_path / "profile")
    assert "/static/feed.css" in browsed.requested and "/static/feed.xsl" not in browsed.requested
    assert sum(row.count(panel) for row in rows) > 20_000, "the feed was not styled by feed.css"
    # (With XSLT on, the transform's page is shown instead: `test_the_feed_stylesheet_turns_a_feed_into_a_page`.)


PAGES = ["", "hostile", f"{AS_XML}/atom.xml", f"{AS_XML}/rss.xml", "atom.xml", "rss.xml", "feed.json"]
RAW = {"atom.xml", "rss.xml", "feed.json"}
"""Shown by Chromium as source text: the hostile title appears escaped (XML) or quoted (JSON), not as is."""


@pytest.mark.parametrize("page", PAGES)
def test_hostile_text_never_becomes_script_or_handler(browsed: BrowsedSite, page: str) -> None:
    path = f"releases/{browsed.slugs['hostile']}/" if page == "hostile" else page
    dom = browsed.dom(path)
    # The page's one JSON-LD block in <head> is data a browser never runs; the hostile title stays inside it, whole.
    data = [el for el in dom.iter("script") if el.get("type") == "application/ld+json" and el.getparent().tag == "head"]
    assert [el for el in dom.iter("script") if el not in data] == [], "a script element reached the DOM"
    assert len(data) <= 1 and all(isinstance(json.loads(el.text or ""), dict) for el in data)
    if page == "hostile":
        assert HOSTILE_TITLE in json.loads(data[0].text or "")["@graph"][0]["headline"]
    assert not list(dom.iter("iframe"))
    for el in dom.iter():
        if not isinstance(el.tag, str):
            continue
        handlers = [name for name in el.attrib if name.lower().startswith("on")]
        assert not handlers, f"<{el.tag} {handlers}> reached the DOM"
        for name in ("href", "src"):
            assert not (el.get(name) or "").strip().lower().startswith("javascript:"), el.get(name)
    if page in RAW:
        assert dom.find(".//pre") is not None, "expected Chromium's plain-text view"
        return
    assert HOSTILE_TITLE in dom.text_content(), "the hostile title must still be shown, as text"
    if page == "hostile":
        assert dom.findtext(".//h1") == HOSTILE_TITLE


@pytest.mark.parametrize("page", ["arabic", "plain"])
def test_a_phone_opens_a_release_page_on_its_text(browsed: BrowsedSite, page: str) -> None:
    """A 500 px window shows the page's text where it opens. The skip link used to wait 100vw off the page's
    start side: on a right-to-left page that widened the page by a screen, and a phone opened it on the blank."""
    rows = browsed.screenshot(f"releases/{browsed.slugs[page]}/", width=500, height=400)
    background = Counter(rows[-1]).most_common(1)[0][0]
    inked = sum(1 for row in rows for pixel in row if pixel != background)
    assert inked > 2000, f"the window shows a blank page ({inked} pixels differ from the background)"


# --- on a phone: measured through the DevTools protocol (tests/chromium_cdp.py) ---------------------------------

PHONE_PAGES = ["", "topics/harbours/", "years/2026/", "plain", "arabic", "long"]
STANDING_ALONE = "header.site nav a, ul.topics a, nav.years a, .feeds a"
"""The links that are not inside a sentence: the site's menu, topics, years, each feed's formats."""


def _path(browsed: BrowsedSite, page: str) -> str:
    return f"releases/{browsed.slugs[page]}/" if page in browsed.slugs else page


def test_a_phone_never_scrolls_a_page_sideways_even_with_its_text_enlarged(
    browsed: BrowsedSite, tmp_path: Path
) -> None:
    """On a 360 or 390 px wide phone, at the browser's own text size and at 200%, no page is wider than the screen:
    a long URL, a German compound and a headline wrap; a wide table, a picture and preformatted text stay in their
    own box. An Arabic release's English history line had its number outside the screen's edge, and a phone
    scrolled the page sideways by it (and by the pixel of the skip link left at the end of its line)."""
    wider: list[str] = []
    with Chromium(browsed.chromium, tmp_path / "profile") as browser:
        tab = browser.tab()
        for width in (360, 390):
            tab.emulate_phone(width, 800)
            for percent in (100, 200):
                tab.enlarge_text(percent)
                for page in PHONE_PAGES:
                    tab.open(browsed.base_url + _path(browsed, page))
                    scroll_width, text = tab.evaluate(
                        "[document.documentElement.scrollWidth, parseFloat(getComputedStyle(document.body).fontSize)]"
                    )
                    assert text >= 16 * percent / 100, f"{page}: the text is {text}px at {percent}%"
                    if scroll_width > width:
                        wider.append(f"{page or 'index'} at {width}px, text {percent}%: {scroll_width}px wide")
    assert wider == []


def test_a_link_standing_alone_is_at_least_24_px_square_on_a_phone(browsed: BrowsedSite, tmp_path: Path) -> None:
    """WCAG 2.2's 2.5.8 (target size): the site's menu, a topic, a year, a feed's format are tapped, not read in a
    sentence, and were the 20px of their letters high."""
    small: list[str] = []
    with Chromium(browsed.chromium, tmp_path / "profile") as browser:
        tab = browser.tab()
        tab.emulate_phone(360, 800)
        for page in ["", "long", "arabic"]:
            tab.open(browsed.base_url + _path(browsed, page))
            boxes = tab.evaluate(
                f"[...document.querySelectorAll({json.dumps(STANDING_ALONE)})].map(a => "
                "[a.textContent.trim(), a.getBoundingClientRect().width, a.getBoundingClientRect().height])"
            )
            assert len(boxes) > 5, page
            small += [f"{page or 'index'}: {text!r} {w:.0f}x{h:.0f}" for text, w, h in boxes if min(w, h) < 24]
    assert small == []


def test_a_printed_release_shows_its_text_whole_and_no_menus(browsed: BrowsedSite, tmp_path: Path) -> None:
    """Printed (to paper or PDF, an A4 page's width): the menu, the skip link and the Subscribe panel are left out,
    the page's address is printed at its foot (a browser's own header and footer are often off), and preformatted
    text wraps where on screen it scrolls: paper cut it at its edge."""
    with Chromium(browsed.chromium, tmp_path / "profile") as browser:
        tab = browser.tab()
        tab.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 718, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
        )
        tab.send("Emulation.setEmulatedMedia", {"media": "print"})
        tab.open(browsed.base_url + _path(browsed, "long"))
        shown = tab.evaluate(
            "['header.site nav', '.skip', '#subscribe'].map(s => getComputedStyle(document.querySelector(s)).display)"
        )
        assert shown == ["none", "none", "none"]
        address = tab.evaluate(
            "(p => [getComputedStyle(p).display, p.textContent])(document.querySelector('.address'))"
        )
        assert address == ["block", browsed.base_url + _path(browsed, "long")], "the page's address, on paper"
        pre = tab.evaluate("(p => [p.scrollWidth, p.clientWidth])(document.querySelector('.body pre'))")
        assert pre[0] <= pre[1], f"the preformatted line is cut: {pre[0]}px of text in {pre[1]}px"
        assert tab.evaluate("document.documentElement.scrollWidth") <= 718


@pytest.mark.parametrize("name", ["atom.xml", "rss.xml"])
def test_a_phone_shows_a_feed_through_its_css_at_a_readable_size(
    browsed: BrowsedSite, name: str, tmp_path: Path
) -> None:
    """Where XSLT is gone, a feed opened on a phone is styled by feed.css. XML has no viewport meta, so the phone
    laid it out 980px wide and shrank it to the screen: its dates were 8px high on a 360 px screen, its text 6px.
    feed.css zooms it on a phone's screen to about that screen's width."""
    shown_date = (
        "(() => { const date = [...document.querySelectorAll('*')].find(e =>"
        " ['published', 'updated', 'pubDate'].includes(e.localName) && ['entry', 'item'].includes("
        "e.parentElement.localName) && e.getBoundingClientRect().height > 0);"
        " return [date.getBoundingClientRect().height, innerWidth, document.documentElement.scrollWidth]; })()"
    )
    with Chromium(browsed.chromium, tmp_path / "profile", flags=["--disable-features=XSLT"]) as browser:
        tab = browser.tab()
        tab.emulate_phone(360, 800)
        tab.open(browsed.base_url + f"{AS_XML}/{name}")
        height, layout_width, scroll_width = tab.evaluate(shown_date)
    on_screen = height * 360 / layout_width
    assert on_screen >= 18, f"a date's line is {on_screen:.1f}px high on the phone's screen"
    assert scroll_width <= layout_width, "nor is the feed wider than the screen"
