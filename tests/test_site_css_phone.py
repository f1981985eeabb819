"""What a reader on a phone gets from the pages and `static/site.css`: zoom left on, text no smaller than 14px,
links standing alone big enough to tap, no part of a page past the screen's edge (right to left too), room for
text enlarged to 200%, and print without the menus and without cut lines.

Fast checks of the style sheet and the pages we write; tests/test_publish_browser.py measures the same in
headless Chromium on a 360 px screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import html

from feeds.publish.spec import content_version
from tests import test_publish_site
from tests.test_publish_site import Site

make_site = test_publish_site.make_site  # (the fixture)
ROOT = Path(__file__).resolve().parent.parent
CSS = (ROOT / "feeds" / "static" / "site.css").read_text("utf-8")
SCREEN = CSS[: CSS.index("@media print")]
PRINT = CSS[CSS.index("@media print") :]


def rule(selector: str, css: str = SCREEN) -> str:
    """The declarations of the rules written with exactly `selector` (in a media query or not)."""
    found = re.findall(r"(?:^|\n)\s*" + re.escape(selector) + r"\s*\{([^}]*)\}", css)
    assert found, f"site.css has no rule for {selector}"
    return "\n".join(found)


def test_every_page_lets_the_reader_zoom_and_fits_the_phone_s_width(make_site) -> None:
    s: Site = make_site()
    s.publish()
    pages = ["index.html", "404.html", "topics/iran/index.html", "years/2026/index.html"]
    pages += [p.relative_to(s.out).as_posix() for p in sorted((s.out / "releases").glob("*/index.html"))[:1]]
    for path in pages:
        doc = html.fromstring((s.out / path).read_bytes())
        assert doc.xpath("//head/meta[@name='viewport']/@content") == ["width=device-width, initial-scale=1"], path
    xsl = (ROOT / "feeds" / "static" / "feed.xsl").read_text("utf-8")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1"/>' in xsl


def _px(size: str) -> float:
    """A font size of site.css in px at the browser's default 16px (the smallest a clamp() allows)."""
    size = size.strip()
    if size.startswith("clamp("):
        size = size.removeprefix("clamp(").split(",")[0]
    number = float(re.match(r"[\d.]+", size).group())  # type: ignore[union-attr]
    return number * 16 if size.endswith("rem") else number


def test_no_text_on_screen_is_smaller_than_14px_and_the_body_s_is_17px() -> None:
    sizes = re.findall(r"font-size:\s*([^;]+);", SCREEN)
    assert sizes and min(map(_px, sizes)) >= 14, sizes
    assert re.search(r"\bfont: 1\.0625rem/1\.55 ", rule("body"))  # 17px; in rem, so the reader's text size counts


def test_a_link_standing_alone_is_a_box_at_least_24px_square() -> None:
    declarations = rule("header.site nav a, ul.topics a, nav.years a, .feeds a")
    for wanted in ("display: inline-block;", "min-width: 24px;", "min-height: 24px;"):
        assert wanted in declarations
    # Its height is its line's: 1.55 x 17px = 26px.
    assert 1.55 * 17 >= 24
    # Topics wrapped onto a second line leave room between the rows of targets.
    assert "gap: 0.5rem 0.75rem;" in rule("ul.topics")


def test_nothing_hidden_or_hanging_widens_a_right_to_left_page() -> None:
    hidden = rule(".skip:not(:focus),\n.visually-hidden")
    assert "top: 0;" in hidden and "left: 0;" in hidden, "pinned inside the page, not left at a line's end"
    assert "position: relative;" in rule("header.site nav a, ul.topics a, nav.years a, .feeds a")
    assert "padding-inline: 1.25rem;" in rule('[dir="rtl"] .history ol')


def test_text_enlarged_on_a_phone_keeps_most_of_the_screen() -> None:
    assert "padding-inline: min(1.25rem, 6vw);" in rule("header.site, main, footer.site")


@pytest.mark.parametrize(
    "wanted",
    [
        "nav, .skip, .subscribe, footer.site .generator { display: none; }",
        ".body pre { overflow: visible; white-space: pre-wrap; overflow-wrap: anywhere; }",
        "blockquote, li, .notice { break-inside: avoid; }",
    ],
)
def test_print_leaves_out_the_menus_and_cuts_no_line(wanted: str) -> None:
    assert wanted in PRINT


def test_every_page_names_the_stylesheet_by_its_version(make_site) -> None:
    """`feeds serve` keeps `site.css?v=…` for a year (tests/test_web_static.py): a page on a slow line does not
    wait for a round trip to ask whether the stylesheet changed. New bytes, a new version, a new address."""
    s: Site = make_site()
    s.publish()
    version = content_version((s.out / "static" / "site.css").read_bytes())
    assert re.fullmatch(r"[0-9a-f]{12}", version) and content_version(b"a {}") != content_version(b"b {}")
    pages = sorted(s.out.rglob("*.html"))
    assert len(pages) > 5
    for page in pages:
        (href,) = html.fromstring(page.read_bytes()).xpath("//link[@rel='stylesheet']/@href")
        assert href.endswith(f"static/site.css?v={version}"), (page, href)


def test_a_printed_page_says_where_it_is_which_the_screen_does_not_repeat(make_site) -> None:
    s: Site = make_site()
    s.publish()
    for path in ("index.html", "topics/iran/index.html", "years/2026/index.html"):
        doc = html.fromstring((s.out / path).read_bytes())
        (canonical,) = doc.xpath("//head/link[@rel='canonical']/@href")
        assert doc.xpath("//footer[@class='site']/p[@class='address']/text()") == [canonical], path
    not_found = html.fromstring((s.out / "404.html").read_bytes())
    assert not not_found.xpath("//*[@class='address']"), "the 404 page is at every missing address: it has none"
    assert "display: none;" in rule("footer.site .address")
    assert "footer.site .address { display: block; overflow-wrap: anywhere; }" in PRINT
