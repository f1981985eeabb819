"""What a shared or searched page tells its readers: Open Graph, Twitter cards, descriptions and schema.org JSON-LD on
the release, index, topic and year pages, parsed back with lxml and `json.loads` (feeds.publish.sharing)."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from lxml import html as lxml_html

from feeds.model import Release
from feeds.publish.pages import PageRenderer
from feeds.publish.pageviews import og_locale
from feeds.publish.releasepage import release_page
from feeds.publish.sharing import DESCRIPTION_LIMIT, clip_text, json_ld
from feeds.publish.translations import Translation
from tests.test_publish_pages import BASE, CSS, MAIN_FEEDS, SITE, make_release

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
LONG_SUMMARY = (
    "The Coastal Minister today set out a ten-year programme of sea defences along the western seaboard, "
    "from Saltmarsh Bay to the northern estuaries, with new walls, dunes and pumping stations extraordinarily "
    "well funded, and a review of every harbour."
)


@pytest.fixture()
def renderer() -> PageRenderer:
    return PageRenderer(SITE)


def page(renderer: PageRenderer, release: Release, **kw: Any) -> lxml_html.HtmlElement:
    data = release_page(renderer, release, feeds=MAIN_FEEDS, stylesheet_url=CSS, **kw).data
    return lxml_html.document_fromstring(data.decode("utf-8"))


def meta(doc: lxml_html.HtmlElement) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for el in doc.xpath("//head/meta[@property or @name]"):
        found.setdefault(el.get("property") or el.get("name"), []).append(el.get("content"))
    return found


def ld(doc: lxml_html.HtmlElement) -> dict[str, Any]:
    (block,) = doc.xpath("//head/script[@type='application/ld+json']")
    return json.loads(block.text)


def graph(doc: lxml_html.HtmlElement, kind: str) -> dict[str, Any]:
    (node,) = [n for n in ld(doc)["@graph"] if n["@type"] == kind]
    return node


def test_release_with_image_is_a_large_card_with_absolute_urls_equal_to_the_canonical(renderer: PageRenderer) -> None:
    doc = page(renderer, make_release())
    tags = meta(doc)
    (canonical,) = doc.xpath("//link[@rel='canonical']/@href")
    assert tags["og:url"] == [canonical] == [f"{BASE}releases/sea-wall-opens-at-saltmarsh-bay/"]
    assert tags["og:type"] == ["article"] and tags["og:site_name"] == [SITE.title]
    assert tags["og:image"] == ["https://news.example.gov.uk/images/sea-wall.jpg"]
    assert tags["twitter:card"] == ["summary_large_image"]
    assert tags["article:section"] == ["Flooding"] and tags["article:tag"] == ["Flooding", "Local government"]
    assert all(RFC3339.match(tags[k][0]) for k in ("article:published_time", "article:modified_time"))
    assert tags["article:published_time"] == ["2017-11-02T09:30:00Z"]  # (GMT: offset zero)
    assert "og:image:alt" not in tags  # (nothing describes the picture: a title is no alt text)


def test_release_without_image_is_a_summary_card(renderer: PageRenderer) -> None:
    doc = page(renderer, make_release(image=None))
    assert meta(doc)["twitter:card"] == ["summary"] and "og:image" not in meta(doc)
    assert "image" not in graph(doc, "NewsArticle")


def test_image_alt_comes_from_the_body_where_it_shows_the_image(renderer: PageRenderer) -> None:
    body = '<p><img src="https://news.example.gov.uk/images/sea-wall.jpg" alt="The new wall &amp; its steps"></p>'
    tags = meta(page(renderer, make_release(body_html=body)))
    assert tags["og:image:alt"] == tags["twitter:image:alt"] == ["The new wall & its steps"]


def test_news_article_json_ld(renderer: PageRenderer) -> None:
    release = make_release(published=datetime(2017, 6, 3, 9, 0, tzinfo=UTC), updated=datetime(2017, 6, 4, tzinfo=UTC))
    doc = page(renderer, release)
    assert ld(doc)["@context"] == "https://schema.org"
    article = graph(doc, "NewsArticle")
    assert article["headline"] == release.title and article["description"] == release.summary
    assert article["datePublished"] == "2017-06-03T10:00:00+01:00"  # the page's day and time, with its offset
    assert article["dateModified"] == "2017-06-04T01:00:00+01:00"
    assert article["mainEntityOfPage"] == article["url"] == release.permalink
    assert article["inLanguage"] == "en"
    assert article["author"] == {"@type": "Organization", "name": "Department for Coastal Affairs"}
    assert article["publisher"] == {"@type": "Organization", "name": SITE.author, "url": BASE}
    assert article["image"] == [release.image]
    assert article["keywords"] == ["Flooding", "Local government"] and "creativeWorkStatus" not in article
    crumbs = [(i["position"], i["name"], i["item"]) for i in graph(doc, "BreadcrumbList")["itemListElement"]]
    assert crumbs == [(1, SITE.title, BASE), (2, "2017", f"{BASE}years/2017/"), (3, release.title, release.permalink)]


def test_no_empty_description(renderer: PageRenderer) -> None:
    doc = page(renderer, make_release(summary=""))
    assert not {"description", "og:description"} & meta(doc).keys()
    assert "description" not in graph(doc, "NewsArticle")


def test_withdrawn_release_is_marked_in_its_card_and_json_ld(renderer: PageRenderer) -> None:
    doc = page(renderer, make_release(withdrawn_at=datetime(2017, 11, 5, tzinfo=UTC), withdrawn_note="In error."))
    assert meta(doc)["og:title"][0].startswith("[Withdrawn] ")
    article = graph(doc, "NewsArticle")
    assert article["creativeWorkStatus"] == "Withdrawn" and article["headline"].startswith("[Withdrawn] ")


def test_a_script_end_tag_in_a_title_stays_inside_the_json_ld(renderer: PageRenderer) -> None:
    title = '</script><script>alert(1)</script> "Sea" & <!-- wall'
    data = release_page(renderer, make_release(title=title), feeds=MAIN_FEEDS, stylesheet_url=CSS).data.decode()
    block = data.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert not re.search("[<>&]", block)
    assert json.loads(block)["@graph"][0]["headline"] == title
    assert data.count("<script") == 1  # (the data block alone: nothing the title held became an element)


def test_long_summary_is_cut_between_words_in_every_description(renderer: PageRenderer) -> None:
    doc = page(renderer, make_release(summary=LONG_SUMMARY))
    tags = meta(doc)
    (description,) = tags["description"]
    assert description == tags["og:description"][0] == graph(doc, "NewsArticle")["description"]
    assert len(description) <= DESCRIPTION_LIMIT and description.endswith("…")
    assert LONG_SUMMARY.startswith(description[:-1]) and LONG_SUMMARY[len(description) - 1] == " "
    assert doc.xpath("//p[@class='summary']/text()") in ([LONG_SUMMARY], [])  # (the page itself shows it whole)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Short.", "Short."),
        ("a  b\n c", "a b c"),
        ("word " * 60, ("word " * 40).strip() + "…"),
        ("外" * 300, "外" * 199 + "…"),  # (no spaces to cut at)
    ],
)
def test_clip_text(text: str, expected: str) -> None:
    assert clip_text(text) == expected


def test_json_ld_is_deterministic_and_escaped() -> None:
    data = {"b": "<x> & y", "a": "Cymraeg ŵ"}
    assert json_ld(data) == json_ld(dict(data))
    assert str(json_ld(data)) == '{"b":"\\u003cx\\u003e \\u0026 y","a":"Cymraeg ŵ"}'


def test_translations_in_welsh_and_arabic(renderer: PageRenderer) -> None:
    en = make_release(image=None)
    cy = make_release("wal-mor", language="cy", title="Agor wal môr", image=None)
    ar = make_release("ar-wall", language="ar", title="افتتاح الجدار البحري", image=None)
    cy_doc = page(renderer, cy, translations=[Translation("en-GB", en.permalink, en.title)])
    tags = meta(cy_doc)
    assert tags["og:locale"] == ["cy_GB"] and tags["og:locale:alternate"] == ["en_GB"]
    article = graph(cy_doc, "NewsArticle")
    assert article["inLanguage"] == "cy" and article["headline"] == "Agor wal môr"
    assert article["workTranslation"] == [{"@id": f"{en.permalink}#article", "inLanguage": "en-GB"}]
    ar_doc = page(renderer, ar)
    assert graph(ar_doc, "NewsArticle")["inLanguage"] == "ar" and meta(ar_doc)["og:locale"] == ["ar_EG"]


@pytest.mark.parametrize(
    ("tag", "locale"),
    [("en-GB", "en_GB"), ("cy", "cy_GB"), ("ar", "ar_EG"), ("zh-Hant-TW", "zh_TW"), ("pt-br", "pt_BR"), ("tlh", "tlh")],
)
def test_open_graph_locales_name_a_territory(tag: str, locale: str) -> None:
    assert og_locale(tag) == locale


def test_index_topic_and_year_pages_are_websites_with_locale_and_json_ld(renderer: PageRenderer) -> None:
    release = make_release()
    index = lxml_html.document_fromstring(
        renderer.index_page(releases=[release], feeds=MAIN_FEEDS, stylesheet_url="static/site.css").data
    )
    tags = meta(index)
    assert tags["og:type"] == ["website"] and tags["og:locale"] == ["en_GB"] and tags["og:url"] == [BASE]
    assert ld(index) | {"publisher": None} == {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": SITE.title,
        "url": BASE,
        "description": SITE.description,
        "inLanguage": "en-GB",
        "publisher": None,
    }
    topic = lxml_html.document_fromstring(
        renderer.topic_page(name="Flooding", slug="flooding", releases=[release], feeds=(), stylesheet_url=CSS).data
    )
    (canonical,) = topic.xpath("//link[@rel='canonical']/@href")
    assert meta(topic)["og:url"] == [canonical] == [f"{BASE}topics/flooding/"]
    assert graph(topic, "CollectionPage")["url"] == canonical
    crumbs = [(i["name"], i["item"]) for i in graph(topic, "BreadcrumbList")["itemListElement"]]
    assert crumbs == [(SITE.title, BASE), ("Flooding", canonical)]
    year = lxml_html.document_fromstring(
        renderer.year_page(year=2017, releases=[release], years=[2017], stylesheet_url=CSS).data
    )
    assert graph(year, "BreadcrumbList")["itemListElement"][-1]["item"] == f"{BASE}years/2017/"


def test_404_page_has_no_card_or_json_ld(renderer: PageRenderer) -> None:
    data = renderer.not_found_page(years=[2017], stylesheet_url="/static/site.css").data
    assert b"ld+json" not in data and b"og:" not in data


def test_bytes_are_deterministic(renderer: PageRenderer) -> None:
    release = dataclasses.replace(make_release(), summary=LONG_SUMMARY)
    first = release_page(renderer, release, feeds=MAIN_FEEDS, stylesheet_url=CSS).data
    assert release_page(PageRenderer(SITE), release, feeds=MAIN_FEEDS, stylesheet_url=CSS).data == first
