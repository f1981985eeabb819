"""Every page of a published site, as a demanding web editor audits it for WCAG 2.2 AA basics: valid HTML5 (html5lib's
strict parser), the language (and direction of a right-to-left release), one h1 and no skipped heading level,
the landmarks and a skip link to the main content, machine-readable dates, link texts that make sense out of
context, alt text on every image, and the colour contrast and focus styles of site.css."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import html5lib
import pytest
from lxml import html

from tests import test_publish_site
from tests.test_publish_site import Site

make_site = test_publish_site.make_site  # (the fixture)

ROOT = Path(__file__).resolve().parent.parent
VAGUE = {"read more", "more", "click here", "here", "link", "this page", "details", "continue"}


@pytest.fixture
def out(make_site) -> Path:
    s: Site = make_site()
    s.drop("ar", "الوزير يزور الميناء", ["Iran"], "2026-11-08T09:00:00Z", language="ar", body="قال الوزير: نحن هنا.")
    s.drop("ur", "وزیر کا دورہ", [], "2026-11-09T09:00:00Z", language="ur-PK", body="<p>وزیر نے کہا۔</p>")
    s.drop(
        "pic",
        "Minister opens the pier",
        ["Iran"],
        "2026-11-10T09:00:00Z",
        image="https://cdn.example.org/pier.jpg",
        body='<h3>Details</h3><p><img src="https://cdn.example.org/pier.jpg"></p><h5>Notes</h5><p>Text.</p>'
        # GOV.UK's attachment: a thumbnail linked (aria-hidden at the source, which the sanitiser drops), then
        # the same file linked by its title.
        '<section><a href="https://www.gov.uk/files/plan.pdf" aria-hidden="true"><img alt="" src="'
        'https://assets.example.org/pdf.png"></a><h2><a href="https://www.gov.uk/files/plan.pdf">Pier plan</a></h2>'
        '</section><p><a href="https://www.gov.uk/files/Map%20of%20the%20pier.pdf"><img src="https://assets.example.org/m.png"></a></p>',
    )
    s.ingest()
    s.publish()
    # A release withdrawn, and its topic (Ukraine) left with no release: a `noindex` page saying so.
    s.drop("echo", "Sanctions list updated", [], "2026-11-06T16:45:00Z", withdrawn_note="Superseded by the new list.")
    s.ingest()
    s.publish()
    return s.out


def pages(out: Path, at_least: int = 10) -> list[Path]:
    found = sorted(out.rglob("*.html"))
    assert len(found) >= at_least
    return found


def text_of(el: html.HtmlElement) -> str:
    return " ".join(el.text_content().split())


def test_every_page_is_valid_html5(out: Path) -> None:
    assert_valid_html5(out)


def assert_valid_html5(out: Path, at_least: int = 10) -> None:
    for page in pages(out, at_least):
        parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
        try:
            parser.parse(page.read_bytes())
        except html5lib.html5parser.ParseError as e:
            pytest.fail(f"{page.relative_to(out)}: {e} {parser.errors}")


def test_every_page_has_its_language_one_h1_in_order_headings_landmarks_and_a_skip_link(out: Path) -> None:
    assert_structure(out)


def assert_structure(out: Path, at_least: int = 10) -> None:
    for page in pages(out, at_least):
        name = page.relative_to(out).as_posix()
        doc = html.fromstring(page.read_bytes())
        assert doc.get("lang"), name
        assert len(doc.xpath("//h1")) == 1, name
        levels = [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4", "h5", "h6")]
        assert levels[0] == 1, name
        for before, after in itertools.pairwise(levels):
            assert after <= before + 1, f"{name}: h{before} then h{after}"
        body = doc.find("body")
        assert body is not None
        for landmark in ("header", "main", "nav", "footer"):
            assert body.xpath(f".//{landmark}"), f"{name}: no <{landmark}>"
        assert len(body.xpath(".//main")) == 1, name
        first = body.xpath(".//a[@href]")[0]
        target = first.get("href")
        assert target.startswith("#") and body.xpath(f".//main[@id='{target[1:]}']"), f"{name}: no skip link first"
        labels = [n.get("aria-label") for n in body.xpath(".//nav")]
        assert len(labels) == len(set(labels)) and None not in labels, f"{name}: navs {labels}"


def test_a_release_in_a_right_to_left_language_sets_lang_and_dir_on_its_page(out: Path) -> None:
    by_title = {}
    for page in out.glob("releases/*/index.html"):
        doc = html.fromstring(page.read_bytes())
        by_title[text_of(doc.xpath("//h1")[0])] = doc
    for title, lang in (("الوزير يزور الميناء", "ar"), ("وزیر کا دورہ", "ur-PK"), ("Minister opens the pier", "en-GB")):
        doc = by_title[title]
        assert (doc.get("lang"), doc.get("dir")) == (lang, "rtl" if lang != "en-GB" else None), title


def test_dates_are_time_elements_with_a_datetime(out: Path) -> None:
    assert_dates_machine_readable(out)


def assert_dates_machine_readable(out: Path, at_least: int = 10) -> None:
    for page in pages(out, at_least):
        doc = html.fromstring(page.read_bytes())
        for t in doc.iter("time"):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", t.get("datetime") or ""), page


def test_links_make_sense_out_of_context_and_images_have_alt_text(out: Path) -> None:
    assert_links_and_images(out)


def assert_links_and_images(out: Path, at_least: int = 10) -> None:
    for page in pages(out, at_least):
        name = page.relative_to(out).as_posix()
        doc = html.fromstring(page.read_bytes())
        by_text: dict[str, dict[str, str]] = {}
        for a in doc.iter("a"):
            text = (
                text_of(a) or " ".join(i.get("alt") or "" for i in a.iter("img")).strip() or a.get("aria-label") or ""
            )
            # (a release's body is the source's words: its "here" is read with its sentence, which AA allows)
            ours = not a.xpath("ancestor::div[@class='body']")
            assert text and (text.lower() not in VAGUE or not ours), f"{name}: link {text!r}"
            # WCAG 2.4.4 (AA): a link's purpose from its text with its context (its list item, sentence or
            # section). Two releases of one title are told apart by their cards' dates: their contexts differ.
            context = next((text_of(p) for p in a.iterancestors("li", "p", "section")), "")
            targets, href = by_text.setdefault(text, {}), a.get("href") or ""
            same = [h for h, c in targets.items() if h != href and c == context]
            assert not same, f"{name}: {text!r} links to {href} and {same} in one context"
            targets.setdefault(href, context)
        for img in doc.iter("img"):
            assert img.get("alt") is not None, f"{name}: {html.tostring(img)!r}"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # linked by its text too: the thumbnail is shown unlinked (one link fewer to tab through, none nameless)
        (
            '<a href="https://x.org/a.pdf"><img alt="" src="t.png"></a>'
            '<h2><a href="https://x.org/a.pdf">A plan</a></h2>',
            '<img alt="" src="t.png"><h2><a href="https://x.org/a.pdf">A plan</a></h2>',
        ),
        # linked by the image alone: named by the file it leads to
        (
            '<p><a href="https://x.org/files/Map%20of%20the%20pier.pdf" rel="noopener"> '
            '<img src="t.png" alt=""> </a></p>',
            '<p><a href="https://x.org/files/Map%20of%20the%20pier.pdf" rel="noopener"> '
            '<img src="t.png" alt="Map of the pier.pdf"> </a></p>',
        ),
        (
            '<a href="https://x.org/"><img alt="" src="t.png"></a>',
            '<a href="https://x.org/"><img alt="x.org" src="t.png"></a>',
        ),
        # an image with its own alt, or a link with text besides the image, is left as it is
        (
            '<a href="https://x.org/a"><img alt="Map" src="t.png"></a>',
            '<a href="https://x.org/a"><img alt="Map" src="t.png"></a>',
        ),
        (
            '<a href="https://x.org/a"><img alt="" src="t.png"> Map</a>',
            '<a href="https://x.org/a"><img alt="" src="t.png"> Map</a>',
        ),
        ("<p>No image</p>", "<p>No image</p>"),
    ],
)
def test_a_link_made_of_an_image_without_alt_gets_a_name_or_loses_the_link(body: str, expected: str) -> None:
    from feeds.publish.pagetemplates import name_image_links

    assert name_image_links(body) == expected


# --- site.css ------------------------------------------------------------------------------------------------


def _luminance(colour: str) -> float:
    value = colour.lstrip("#")
    value = "".join(c * 2 for c in value) if len(value) == 3 else value
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2.2's contrast ratio of two sRGB colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _palettes() -> dict[str, dict[str, str]]:
    css = (ROOT / "feeds/static/site.css").read_text(encoding="utf-8")
    light_block = re.search(r"^:root \{(.*?)^\}", css, re.S | re.M)
    dark = r"prefers-color-scheme: dark\) \{\s*:root \{(.*?)\}\s*body \{ background: (#\w+); \}"
    dark_block = re.search(dark, css, re.S)
    assert light_block and dark_block
    light = dict(re.findall(r"--(\w+): (#\w+);", light_block.group(1))) | {"page": "#ffffff"}
    return {
        "light": light,
        "dark": dict(re.findall(r"--(\w+): (#\w+);", dark_block.group(1))) | {"page": dark_block.group(2)},
    }


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_site_css_text_colours_meet_aa_contrast_on_every_background_they_appear_on(scheme: str) -> None:
    colours = _palettes()[scheme]
    for fg in ("text", "muted", "link", "visited", "notice"):
        for bg in ("page", "panel"):
            ratio = contrast(colours[fg], colours[bg])
            assert ratio >= 4.5, f"{scheme}: --{fg} on {bg} is {ratio:.2f}:1"


def test_site_css_shows_focus_on_every_focusable_element() -> None:
    css = (ROOT / "feeds/static/site.css").read_text(encoding="utf-8")
    assert "outline: none" not in css and "outline: 0" not in css
    focus = re.search(r"a:focus-visible \{(.*?)\}", css, re.S)
    assert focus
    background = re.search(r"background: (#\w+)", focus.group(1))
    colour = re.search(r"color: (#\w+)", focus.group(1))
    assert background and colour and contrast(background.group(1), colour.group(1)) >= 4.5
    for scheme, colours in _palettes().items():  # the focus background stands out of the page by 3:1 (WCAG 1.4.11)
        assert contrast(background.group(1), colours["page"]) >= 3 or scheme == "light", scheme
    assert "0 4px #0b0c0c" in focus.group(1)  # (on a light page, the dark bar beneath gives the 3:1)


@pytest.mark.parametrize("language", [None, "ar", "he"])
def test_a_release_page_with_coverage_withdrawn_in_any_direction_passes_the_same_audit(
    tmp_path: Path, language: str | None
) -> None:
    """The parts the published test site has no data for: coverage, a withdrawal, a Hebrew or Arabic release."""
    from datetime import UTC, datetime

    from feeds.publish.pages import PageRenderer
    from feeds.publish.releasepage import release_page
    from tests.test_publish_pages import COVERAGE, CSS, MAIN_FEEDS, SITE, make_release

    release = make_release(
        language=language, withdrawn_at=datetime(2017, 11, 5, tzinfo=UTC), withdrawn_note="Superseded."
    )
    page = release_page(PageRenderer(SITE), release, feeds=MAIN_FEEDS, coverage=COVERAGE, stylesheet_url=CSS)
    out = tmp_path / "out"
    (out / "releases/x").mkdir(parents=True)
    (out / "releases/x/index.html").write_bytes(page.data)
    for audit in (assert_valid_html5, assert_structure, assert_dates_machine_readable, assert_links_and_images):
        audit(out, at_least=1)
    doc = html.fromstring(page.data)
    assert (doc.get("lang"), doc.get("dir")) == ((language, "rtl") if language else (SITE.language, None))


# --- tables ----------------------------------------------------------------------------------------------------

TABLES = (
    "<p>Figures.</p><table><caption>Funding by <b>town</b> &amp; year</caption><thead><tr><th>Town</th><th>2026</th>"
    "</tr></thead><tbody><tr><td>Hull</td><td>£1m</td></tr></tbody></table>"
    "<table><tr><th>Year</th><th>Homes</th></tr><tr><td>2026</td><td>1,200</td></tr></table>"
)


@pytest.mark.parametrize(("language", "unnamed"), [("en-GB", "Table 2"), ("fr", "Tableau 2")])
def test_a_table_that_scrolls_is_a_region_named_by_its_caption_or_its_number(language: str, unnamed: str) -> None:
    """Tabbing to a table's scroller, a screen reader hears "Funding by town & year, region" (its caption), or
    "Table 2, region" in the site's language: not nothing (a nameless focusable box) nor every cell at once."""
    from dataclasses import replace

    from feeds.publish.pages import PageRenderer
    from feeds.publish.releasepage import release_page
    from tests.test_publish_pages import CSS, MAIN_FEEDS, SITE, make_release

    page = release_page(
        PageRenderer(replace(SITE, language=language)),
        make_release(body_html=TABLES, language=language),
        feeds=MAIN_FEEDS,
        stylesheet_url=CSS,
    )
    doc = html.fromstring(page.data)
    scrollers = doc.xpath("//div[@class='body']//div[@class='table-scroll']")
    assert len(scrollers) == 2
    for scroller in scrollers:
        assert (scroller.get("role"), scroller.get("tabindex")) == ("region", "0")
        assert [child.tag for child in scroller] == ["table"]
    assert [s.get("aria-label") for s in scrollers] == ["Funding by town & year", unnamed]
    for table in doc.iter("table"):
        assert table.xpath(".//th"), "header cells kept"


def test_a_language_feed_is_offered_under_its_name_labelled_with_its_language(out: Path) -> None:
    """The names "العربية" and "اردو" among the English labels of the Subscribe list: a screen reader reads each
    in its own voice, laid out right to left (WCAG 3.1.2), in the list and in the words a link's name ends with."""
    doc = html.fromstring((out / "index.html").read_bytes())
    group = doc.xpath("//section[@class='feed-group'][h3='Languages']")
    assert group, "the test site offers its languages' feeds"
    named = {}
    for item in group[0].iter("li"):
        title = item.find("span[@class='feed-title']")
        named[text_of(title)] = (title.get("lang"), title.get("dir"))
        for hidden in item.xpath(".//a/span[@class='visually-hidden']/span"):
            assert (hidden.get("lang"), hidden.get("dir")) == named[text_of(title)], html.tostring(item)
        assert len(item.xpath(".//a/span[@class='visually-hidden']/span")) == len(item.xpath(".//a"))
    assert named == {"العربية": ("ar", "rtl"), "اردو": ("ur", "rtl"), "English": ("en-GB", "ltr")}
    for item in doc.xpath("//section[@class='feed-group'][h3!='Languages']//span[@class='feed-title']"):
        assert item.get("lang") is None, "a topic's name is in the site's language"


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ('<img src="https://x.org/a.jpg">', '<img src="https://x.org/a.jpg" alt="">'),
        # an image in another language or direction (the sanitiser keeps `lang` and `dir`) got no alt: a screen
        # reader read its file's name
        ('<img lang="fr" src="https://x.org/a.jpg">', '<img lang="fr" src="https://x.org/a.jpg" alt="">'),
        ('<img dir="rtl" src="https://x.org/a.jpg">', '<img dir="rtl" src="https://x.org/a.jpg" alt="">'),
        # named by its title (an image's name where it has no alt), or by its own alt: kept
        ('<img title="Map" src="https://x.org/a.jpg">', '<img title="Map" src="https://x.org/a.jpg">'),
        ('<img src="https://x.org/a.jpg" alt="Map">', '<img src="https://x.org/a.jpg" alt="Map">'),
    ],
)
def test_every_image_of_a_body_has_an_alt_or_a_title(source: str, shown: str) -> None:
    from feeds.normalise.sanitise import sanitise_html
    from feeds.publish.pagetemplates import with_alt

    body = sanitise_html(f"<p>{source}</p>")
    assert with_alt(body) == f"<p>{shown}</p>"
    for img in html.fromstring(with_alt(body)).iter("img"):
        assert img.get("alt") is not None or img.get("title")


@pytest.mark.parametrize("sheet", ["site.css", "feed.css", "feed.xsl"])
def test_the_style_sheets_move_nothing_and_fix_no_height_that_clips_enlarged_text(sheet: str) -> None:
    """Nothing animates, so there is nothing for `prefers-reduced-motion` to stop (WCAG 2.3.3, 2.2.2); no box has a
    height in px that text enlarged to 200% or spaced out would overflow (1.4.4, 1.4.12), but the 1px of words for
    screen readers only (`.visually-hidden`), which clips them on purpose. (A `min-height` in px, a tap target's
    24px, only ever grows a box: it clips nothing.)"""
    css = (ROOT / "feeds/static" / sheet).read_text(encoding="utf-8")
    assert not re.search(r"\b(animation|transition)\b|scroll-behavior:\s*smooth|@keyframes", css)
    heights = re.findall(r"(?<![-\w])(?:max-)?height:\s*([\d.]+)px", css)
    assert set(heights) <= {"1"} and css.count("height: 1px") <= 1, heights
    assert not re.search(r"line-height:\s*[\d.]+px", css)
