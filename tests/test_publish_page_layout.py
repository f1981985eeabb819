"""A release page and the index as a demanding web editor reads them: the summary shown above the body only when
it says something the body's opening does not, a skip link that moves focus, the head of a bilingual release
(hreflang x-default, Open Graph locales, a Twitter card), topics on a page and on a card, tables and figures on a
phone, and what print shows."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from lxml import html
from lxml import html as lxml_html

from feeds.publish.pages import PageRenderer
from tests import test_publish_site
from tests.test_publish_a11y import assert_structure, assert_valid_html5
from tests.test_publish_pages import ALL_FEEDS, COVERAGE, SITE, make_release, render_release
from tests.test_publish_site import Site

make_site = test_publish_site.make_site  # (the fixture)
ROOT = Path(__file__).resolve().parent.parent

LONG = " ".join(["The new ferry service links the islands every hour, all year, at the fares of the bus."] * 5)


def page(out: Path, slug: str) -> html.HtmlElement:
    return html.fromstring((out / "releases" / slug / "index.html").read_bytes())


def ledes(doc: html.HtmlElement) -> list[str]:
    return [" ".join(p.text_content().split()) for p in doc.xpath('//article/header/p[@class="summary"]')]


def test_the_lede_is_shown_only_when_the_body_does_not_open_with_it(make_site) -> None:
    s: Site = make_site(seed=False)
    s.drop(
        "made",
        "Ferry fares frozen",
        [],
        "2026-11-02T09:00:00Z",
        body="<p>Fares on every ferry are frozen for a year.</p><p>More.</p>",
    )
    s.drop(
        "dateline",
        "Pier opens",
        [],
        "2026-11-02T10:00:00Z",
        body="<p>Oban, 2 November</p><p>The new pier opened to the public today.</p>",
    )
    s.drop("long", "Ferries every hour", [], "2026-11-02T11:00:00Z", body=f"<p>{LONG}</p>")
    s.drop(
        "said",
        "Minister on ferries",
        [],
        "2026-11-02T12:00:00Z",
        body="<p>The Minister said:</p><blockquote><p>Every island deserves a ferry.</p></blockquote>",
    )
    s.drop(
        "same",
        "Harbour dredged",
        [],
        "2026-11-02T13:00:00Z",
        summary="The harbour was dredged this week.",
        body="<p>The harbour was dredged this week.</p><p>Boats can dock again.</p>",
    )
    s.drop(
        "given",
        "Bridge closed",
        [],
        "2026-11-02T14:00:00Z",
        summary="Drivers should use the ferry until March.",
        body="<p>The bridge is closed for repairs from Monday.</p>",
    )
    s.drop(
        "short",
        "Rail fares",
        [],
        "2026-11-02T15:00:00Z",
        summary="Fares frozen",
        body="<p>Last year, with fares frozen, more people took the train. This year they rise.</p>",
    )
    s.ingest()
    s.publish()
    # A few words given as the summary are a deliberate lede, shown unless the body begins with them.
    assert ledes(page(s.out, "rail-fares")) == ["Fares frozen"]
    for slug in ("ferry-fares-frozen", "pier-opens", "ferries-every-hour", "minister-on-ferries", "harbour-dredged"):
        assert ledes(page(s.out, slug)) == [], slug
    assert ledes(page(s.out, "bridge-closed")) == ["Drivers should use the ferry until March."]
    # Where it is not shown on the page, it still describes the page where it is shared.
    doc = page(s.out, "ferry-fares-frozen")
    assert doc.xpath('//meta[@name="description"]/@content')[0] == "Fares on every ferry are frozen for a year."


def test_the_skip_link_target_takes_focus(make_site) -> None:
    s: Site = make_site()
    s.publish()
    for path in sorted(s.out.rglob("*.html")):
        doc = html.fromstring(path.read_bytes())
        skip = doc.xpath('//a[@class="skip"]/@href')[0]
        target = doc.get_element_by_id(skip.lstrip("#"))
        assert target.get("tabindex") == "-1", path


def test_a_bilingual_release_names_its_default_version_and_its_locales(make_site) -> None:
    s: Site = make_site(seed=False)
    s.drop("en", "Ferry fares frozen", [], "2026-11-02T09:00:00Z", image="https://cdn.example.org/ferry.jpg")
    s.drop(
        "cy",
        "Prisiau fferi wedi'u rhewi",
        [],
        "2026-11-02T09:05:00Z",
        language="cy",
        translation_of="en",
        body="<p>Mae prisiau pob fferi wedi'u rhewi am flwyddyn.</p>",
    )
    s.ingest()
    s.publish()
    en, cy = page(s.out, "ferry-fares-frozen"), page(s.out, "prisiau-fferi-wediu-rhewi")
    base = "https://press.example.org/releases/"
    for doc in (en, cy):
        links = {a.get("hreflang"): a.get("href") for a in doc.xpath('//head/link[@rel="alternate"][@hreflang]')}
        assert links == {
            "en-GB": f"{base}ferry-fares-frozen/",
            "cy": f"{base}prisiau-fferi-wediu-rhewi/",
            "x-default": f"{base}ferry-fares-frozen/",
        }

    def meta(doc: html.HtmlElement, key: str) -> list[str]:
        return doc.xpath(f'//meta[@property="{key}" or @name="{key}"]/@content')

    assert meta(en, "og:locale") == ["en_GB"] and meta(en, "og:locale:alternate") == ["cy_GB"]
    assert meta(cy, "og:locale") == ["cy_GB"] and meta(cy, "og:locale:alternate") == ["en_GB"]
    assert meta(en, "og:type") == ["article"] and meta(en, "og:url") == [f"{base}ferry-fares-frozen/"]
    assert meta(en, "og:image") == ["https://cdn.example.org/ferry.jpg"]
    assert meta(en, "article:published_time") == ["2026-11-02T09:00:00Z"]
    assert meta(en, "twitter:card") == ["summary_large_image"] and meta(cy, "twitter:card") == ["summary"]
    assert en.xpath('//meta[@name="twitter:card"]'), "Twitter reads its card type from name=, not property="


TABLE = (
    "<p>What it costs.</p><table><tr><th>Year</th><th>Cost</th></tr><tr><td>2026</td><td>£12,000,000</td></tr>"
    "</table><p>Between.</p><table><tr><td>Outer<table><tr><td>inner</td></tr></table></td></tr></table>"
)


def test_a_table_in_a_body_scrolls_sideways_on_a_phone_rather_than_breaking_its_words(make_site) -> None:
    s: Site = make_site(seed=False)
    s.drop("table", "Costs of the scheme", [], "2026-11-02T09:00:00Z", body=TABLE)
    s.ingest()
    s.publish()
    doc = page(s.out, "costs-of-the-scheme")
    tables = doc.xpath("//div[@class='body']//table")
    assert len(tables) == 3
    for table in tables:
        wrapper = table.getparent()
        assert wrapper.tag == "div" and wrapper.get("class") == "table-scroll", "every table has its scroller"
        assert wrapper.get("tabindex") == "0", "a keyboard can scroll it"
    assert doc.xpath("//div[@class='table-scroll']/table//td/text()")[:2] == ["2026", "£12,000,000"]
    css = (ROOT / "feeds" / "static" / "site.css").read_text("utf-8")
    assert ".table-scroll { overflow-x: auto;" in css
    # A cell's words are not broken anywhere to fit ("20 / 26", "£12, / 000, / 000"): the table scrolls instead.
    assert ".body table, .body table * { overflow-wrap: normal; }" in css


def test_a_release_with_many_topics_lists_them_after_its_body(make_site) -> None:
    s: Site = make_site(seed=False)
    topics = [f"Harbour district {n}" for n in range(40)]
    s.drop("many", "Every harbour district", topics, "2026-11-02T09:00:00Z")
    s.drop("few", "Two harbours", topics[:3], "2026-11-02T10:00:00Z")
    s.ingest()
    s.publish()
    many, few = page(s.out, "every-harbour-district"), page(s.out, "two-harbours")
    # A few stay in the header's facts; forty would push the release itself screens down on a phone.
    assert len(few.xpath("//article/header//ul[@class='topics']/li")) == 3
    assert not many.xpath("//article/header//ul[@class='topics']")
    section = many.xpath("//article/section[@class='topics']")
    assert len(section) == 1 and section[0].xpath("h2/text()") == ["Topics"]
    assert len(section[0].xpath(".//ul[@class='topics']/li/a[@rel='tag']")) == 40
    order = [el.get("class") for el in many.xpath("//article/*")]
    assert order.index("body") < order.index("topics") < order.index("history")
    s.drop("table", "Costs of the scheme", topics, "2026-11-03T09:00:00Z", body=f"<h3>Costs</h3>{TABLE}")
    s.ingest()
    s.publish()
    assert_valid_html5(s.out, at_least=5)
    assert_structure(s.out, at_least=5)


def print_rules() -> str:
    css = (ROOT / "feeds" / "static" / "site.css").read_text("utf-8")
    return css[css.index("@media print") :]


def test_a_printed_table_is_whole_not_cut_at_the_papers_edge() -> None:
    rules = print_rules()
    # On screen it scrolls; paper does not, so a wide table must fit the page, its cells wrapping to do so.
    assert ".table-scroll { overflow: visible; }" in rules
    assert ".body table, .body table * { overflow-wrap: anywhere; }" in rules


def test_cards_show_a_few_topics_and_say_there_are_more(make_site) -> None:
    s: Site = make_site(seed=False)
    topics = [f"Harbour district {n}" for n in range(40)]
    s.drop("many", "Every harbour district", topics, "2026-11-02T09:00:00Z")
    s.ingest()
    s.publish()
    index = html.fromstring((s.out / "index.html").read_bytes())
    (card,) = index.xpath("//ol[@class='releases']/li")
    links = card.xpath(".//ul[@class='topics']/li/a")
    assert len(links) == 8, "the release's page lists all 40; a card in a list of releases a few"
    assert card.xpath(".//ul[@class='topics']/li[last()]/text()") == ["and 32 more"], "and how many more"


def test_the_index_topic_and_year_pages_have_a_twitter_card_too(make_site) -> None:
    s: Site = make_site()
    s.publish()
    for path in ("index.html", "topics/iran/index.html", "years/2026/index.html"):
        doc = html.fromstring((s.out / path).read_bytes())
        assert doc.xpath('//head/meta[@name="twitter:card"]/@content') == ["summary"], path
        assert doc.xpath('//head/meta[@property="og:url"]/@content')[0].startswith("https://press.example.org/")


def test_a_release_in_the_sites_language_naming_no_region_has_the_sites_locale(make_site) -> None:
    s: Site = make_site(seed=False)
    s.drop("en", "Ferry fares frozen", [], "2026-11-02T09:00:00Z", language="en")
    s.ingest()
    s.publish()
    doc = page(s.out, "ferry-fares-frozen")
    assert doc.get("lang") == "en"
    assert doc.xpath('//meta[@property="og:locale"]/@content') == ["en_GB"], "Open Graph locales name a region"


def test_a_figure_in_a_body_uses_the_whole_width_of_a_phone() -> None:
    css = (ROOT / "feeds" / "static" / "site.css").read_text("utf-8")
    # The browser's own 40px either side took a quarter of a 320px screen from a picture and its caption.
    assert ".body figure { margin-inline: 0; }" in css
    assert ".body figcaption {" in css


def test_the_facts_labels_take_at_most_part_of_a_narrow_screen() -> None:
    css = (ROOT / "feeds" / "static" / "site.css").read_text("utf-8")
    # `max-content` gave French's "Dernière mise à jour" two thirds of a 320px screen, and the dates beside it
    # were broken inside their words ("nove / mbre"); the label wraps instead.
    assert "grid-template-columns: fit-content(40%) minmax(0, 1fr);" in css


def test_a_release_with_many_topics_announces_a_few_of_their_feeds_in_its_head(make_site) -> None:
    s: Site = make_site(seed=False)
    topics = [f"Harbour district {n}" for n in range(40)]
    s.drop("many", "Every harbour district", topics, "2026-11-02T09:00:00Z")
    s.ingest()
    s.publish()
    doc = page(s.out, "every-harbour-district")
    # A feed reader's subscribe dialog offered 123 feeds: the main one and those of the first 8 topics it has.
    titles = doc.xpath("//head/link[@rel='alternate'][@type]/@title")
    assert len(titles) == 3 * 9, titles
    assert any("Harbour district 7" in t for t in titles) and not any("Harbour district 8" in t for t in titles)
    # The Subscribe section lists them all.
    assert len(doc.xpath("//section[@id='subscribe']//li")) == 41


def test_print_keeps_a_figure_and_a_table_row_whole_and_no_line_alone() -> None:
    rules = print_rules()
    assert "figure, tr, img { break-inside: avoid; }" in rules
    assert "p, li { orphans: 2; widows: 2; }" in rules


@pytest.mark.parametrize(
    ("language", "more"),
    [
        ("en-GB", ["and 3 more", "and 1 more"]),
        ("de", ["und 3 weitere", "und 1 weiteres"]),
        ("fr", ["et 3 autres", "et 1 autre"]),
        ("es", ["y 3 más", "y 1 más"]),
        ("cy", ["a 3 arall", "ac 1 arall"]),
    ],
)
def test_a_card_with_more_than_eight_topics_says_how_many_more_in_the_site_s_language(
    language: str, more: list[str]
) -> None:
    site = dataclasses.replace(SITE, language=language)
    cards = (
        make_release("many", topics=tuple(f"Topic {n}" for n in range(11))),
        make_release("nine", topics=tuple(f"Topic {n}" for n in range(9))),
        make_release("eight", topics=tuple(f"Topic {n}" for n in range(8))),
    )
    page = PageRenderer(site).index_page(releases=cards, feeds=ALL_FEEDS, stylesheet_url="static/site.css")
    doc = lxml_html.fromstring(page.data)
    lists = doc.xpath("//ol[@class='releases']//ul[@class='topics']")
    assert [len(ul.xpath("li/a")) for ul in lists] == [8, 8, 8]
    said = sorted(" ".join(li.text_content().split()) for li in doc.xpath("//li[@class='more']"))
    assert said == sorted(more)
    assert "…" not in page.data.decode()


def test_the_count_of_more_topics_on_a_card_in_another_language_is_marked_in_the_site_s_language() -> None:
    card = make_release("many", language="fr", topics=tuple(f"Sujet {n}" for n in range(10)))
    page = PageRenderer(SITE).index_page(releases=(card,), feeds=ALL_FEEDS, stylesheet_url="static/site.css")
    (more,) = lxml_html.fromstring(page.data).xpath("//li[@class='more']")
    assert more.text_content() == "and 2 more" and more.get("lang") == "en-GB"


_PRINTED_ADDRESS = re.compile(r"([^{}]+)\{[^}]*content:\s*\" \(\" attr\(href\) \"\)\"")


def test_a_printed_link_whose_text_is_its_address_does_not_print_the_address_again() -> None:
    body = (
        '<p>See <a href="https://www.gov.uk/coast" rel="noopener noreferrer">www.gov.uk/coast</a>, '
        '<a href="https://example.org/r?a=1&amp;b=2" rel="noopener noreferrer">https://example.org/r?a=1&amp;b=2</a>, '
        '<a href="https://example.org/report/" rel="noopener noreferrer">example.org/report</a> and '
        '<a href="https://example.org/plan" rel="noopener noreferrer">the plan</a>.</p>'
    )
    coverage = (
        dataclasses.replace(COVERAGE[0], title="https://local-paper.example.com/news/saltmarsh-wall"),
        COVERAGE[1],
    )
    doc = render_release(PageRenderer(SITE), make_release(body_html=body), coverage=coverage)
    shown = {
        a.text_content(): a.get("class") for a in doc.xpath("//div[@class='body']//a | //section[@class='coverage']//a")
    }
    assert shown == {
        "www.gov.uk/coast": "url",
        "https://example.org/r?a=1&b=2": "url",
        "example.org/report": "url",
        "the plan": None,
        "https://local-paper.example.com/news/saltmarsh-wall": "url",
        "Coastal spending under scrutiny": None,
    }
    css = (Path(__file__).resolve().parent.parent / "feeds" / "static" / "site.css").read_text("utf-8")
    printed = re.sub(r"/\*.*?\*/", "", css[css.index("@media print") :], flags=re.DOTALL)
    (selectors,) = _PRINTED_ADDRESS.findall(printed)
    assert [s.strip() for s in selectors.split(",")] == [
        '.body a[href^="http"]:not(.url)::after',
        '.coverage a[href^="http"]:not(.url)::after',
    ]
