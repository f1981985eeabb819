"""feeds.publish.pages: release, index and topic pages parsed back with lxml; escaping; determinism; overrides."""

from __future__ import annotations

import dataclasses
import gettext
import itertools
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import pytest
from lxml import html as lxml_html

from feeds.config import Site, TopicSettings
from feeds.errors import PublishError
from feeds.ingest.formats import parse_release_file
from feeds.model import Change, Release
from feeds.normalise import normalise_release
from feeds.publish.i18n import Messages
from feeds.publish.pages import PageRenderer
from feeds.publish.pagetemplates import outline_headings
from feeds.publish.pageviews import FORMAT_LABELS, CoverageItem, group_feeds, text_direction, web_url
from feeds.publish.releasepage import release_page
from feeds.publish.spec import FeedLink

GOLDEN = Path(__file__).parent / "golden" / "publish_pages"
BASE = "https://news.example.gov.uk/"
CSS = "../../static/site.css"
HOSTILE = '<script>alert(1)</script> "Quoted" & <b>bold</b>'
JSON_LD = re.compile(rb'<script type="application/ld\+json">[^<]*</script>')
"""A page's schema.org data block (`feeds.publish.sharing`): data, never run; no `<` inside it."""
SCRIPTS = "//script[not(@type='application/ld+json')]"

SITE = Site(
    title="Department for Coastal Affairs",
    base_url=BASE,
    author="Department for Coastal Affairs",
    language="en-GB",
    timezone="Europe/London",
    description="Press releases, speeches and statements from the Department for Coastal Affairs.",
    email="newsdesk@example.gov.uk",
)

BODY = (
    "<p>The Coastal Minister today opened the rebuilt sea wall at Saltmarsh Bay, which protects 1,200 homes.</p>"
    "<blockquote><p>This wall means families here can sleep through the winter storms.</p></blockquote>"
    "<h2>Notes to editors</h2><ul><li>The scheme cost £14 million.</li><li>Work began in 2015.</li></ul>"
)


def make_release(slug: str = "sea-wall-opens-at-saltmarsh-bay", **changes: object) -> Release:
    fields: dict[str, object] = {
        "id": f"tag:news.example.gov.uk,2017-11-02:{slug}",
        "identity": f"slug:{slug}",
        "slug": slug,
        "permalink": f"{BASE}releases/{slug}/",
        "title": "Minister opens rebuilt sea wall at Saltmarsh Bay",
        "summary": "A new sea wall protects 1,200 homes from winter flooding.",
        "body_html": BODY,
        "body_text": "The Coastal Minister today opened the rebuilt sea wall.",
        "published": datetime(2017, 11, 2, 9, 30, tzinfo=UTC),
        "updated": datetime(2017, 11, 3, 14, 0, tzinfo=UTC),
        "organisation": "Department for Coastal Affairs",
        "topics": ("Flooding", "Local government"),
        "language": "en",
        "document_type": "press_release",
        "source": "inbox",
        "origin": f"inbox/{slug}.md",
        "content_hash": "sha256:0",
        "image": "https://news.example.gov.uk/images/sea-wall.jpg",
        "changes": (Change(datetime(2017, 11, 3, 14, 0, tzinfo=UTC), "Added figures for the number of homes."),),
    }
    fields.update(changes)
    return Release(**fields)  # type: ignore[arg-type]


MAIN_FEEDS = (
    FeedLink("All releases", f"{BASE}atom.xml", "atom", "Main"),
    FeedLink("All releases", f"{BASE}rss.xml", "rss", "Main"),
    FeedLink("All releases", f"{BASE}feed.json", "json", "Main"),
)
TOPIC_FEEDS = (
    FeedLink("Flooding", f"{BASE}topics/flooding/atom.xml", "atom", "Topics"),
    FeedLink("Flooding", f"{BASE}topics/flooding/rss.xml", "rss", "Topics"),
    FeedLink("Local government", f"{BASE}topics/local-government/atom.xml", "atom", "Topics"),
)
COVERAGE_FEED = (FeedLink("Coverage", f"{BASE}coverage/atom.xml", "atom", "Coverage"),)
ALL_FEEDS = MAIN_FEEDS + TOPIC_FEEDS + COVERAGE_FEED

COVERAGE = (
    CoverageItem(
        title="Saltmarsh Bay residents welcome new defences",
        url="https://local-paper.example.com/news/saltmarsh-wall",
        source="Saltmarsh Gazette",
        found_at=datetime(2017, 11, 2, 15, 5, tzinfo=UTC),
        kinds=("mention",),
        why="title contains 'Saltmarsh Bay'",
    ),
    CoverageItem(
        title="Coastal spending under scrutiny",
        url="https://national.example.org/politics/coast",
        source="National Daily",
        found_at=datetime(2017, 11, 3, 8, 0, tzinfo=UTC),
        kinds=("quote",),
        why="quotes the Coastal Minister",
    ),
)


@pytest.fixture
def renderer() -> PageRenderer:
    return PageRenderer(SITE)


def parse(data: bytes) -> lxml_html.HtmlElement:
    return lxml_html.document_fromstring(data.decode("utf-8"))


def render_release(renderer: PageRenderer, release: Release | None = None, **kw: object) -> lxml_html.HtmlElement:
    kw.setdefault("feeds", MAIN_FEEDS + TOPIC_FEEDS[:2] + COVERAGE_FEED)
    kw.setdefault("coverage", COVERAGE)
    kw.setdefault("stylesheet_url", CSS)
    return parse(release_page(renderer, release or make_release(), **kw).data)  # type: ignore[arg-type]


def og(doc: lxml_html.HtmlElement) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for meta in doc.xpath("//head/meta[@property]"):
        out.setdefault(meta.get("property"), []).append(meta.get("content"))
    return out


def check_golden(name: str, data: bytes) -> None:
    path = GOLDEN / name
    if os.environ.get("FEEDS_REGEN_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert path.exists(), f"golden file {path} missing: run with FEEDS_REGEN_GOLDEN=1"
    assert data == path.read_bytes(), f"{name} differs from its golden file (FEEDS_REGEN_GOLDEN=1 rewrites it)"


# --- pure helpers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "direction"),
    [
        ("en", "ltr"),
        ("en-GB", "ltr"),
        ("cy", "ltr"),
        ("ar", "rtl"),
        ("ur", "rtl"),
        ("fa", "rtl"),
        ("he", "rtl"),
        ("he-IL", "rtl"),
        ("AR", "rtl"),
        ("az-Arab", "rtl"),
        ("ku-Latn", "ltr"),
        ("ar-Latn-EG", "ltr"),
        ("zh-Hant-TW", "ltr"),
        # written in Arabic, Syriac or N'Ko script by default (CLDR): Dari, as the FCDO publishes it, came out
        # left to right, its full stops at the start of the line
        ("prs", "rtl"),
        ("prs-AF", "rtl"),
        ("pnb", "rtl"),
        ("sdh", "rtl"),
        ("azb", "rtl"),
        ("mzn", "rtl"),
        ("lrc", "rtl"),
        ("syr", "rtl"),
        ("nqo", "rtl"),
        ("ji", "rtl"),
    ],
)
def test_text_direction(language: str, direction: str) -> None:
    assert text_direction(language) == direction


@pytest.mark.parametrize(
    ("value", "zone", "date", "date_time"),
    [
        (datetime(2017, 11, 2, 9, 30, tzinfo=UTC), "Europe/London", "2 November 2017", "2 November 2017, 09:30 GMT"),
        (datetime(2017, 6, 30, 23, 30, tzinfo=UTC), "Europe/London", "1 July 2017", "1 July 2017, 00:30 BST"),
        (datetime(2017, 6, 30, 23, 30, tzinfo=UTC), "UTC", "30 June 2017", "30 June 2017, 23:30 UTC"),
        (datetime(2024, 1, 1, 2, 0, tzinfo=UTC), "America/New_York", "31 December 2023", "31 December 2023, 21:00 EST"),
    ],
)
def test_dates_are_written_in_the_site_time_zone(value: datetime, zone: str, date: str, date_time: str) -> None:
    english = Messages("en", gettext.NullTranslations(), ZoneInfo(zone))
    assert english.date(value) == date
    assert english.date_time(value) == date_time


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a", "https://example.com/a"),
        ("http://example.com/", "http://example.com/"),
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)", None),
        ("data:text/html,hi", None),
        ("//example.com/x", None),
        ("/relative", None),
        ("", None),
        (None, None),
    ],
)
def test_web_url_only_passes_absolute_http(url: str | None, expected: str | None) -> None:
    assert web_url(url) == expected


def test_group_feeds_groups_by_group_then_title_in_first_seen_order() -> None:
    groups = group_feeds((TOPIC_FEEDS[2], *MAIN_FEEDS[::-1], *TOPIC_FEEDS[:2]))
    assert [g.name for g in groups] == ["Topics", "Main"]
    assert [f.title for f in groups[0].feeds] == ["Local government", "Flooding"]
    assert [link.format for link in groups[1].feeds[0].links] == ["atom", "rss", "json"]
    assert groups[1].feeds[0].preferred.format == "atom"


# --- release page -----------------------------------------------------------------------------------------


def test_release_page_path_title_h1_description_canonical(renderer: PageRenderer) -> None:
    rendered = release_page(renderer, make_release(), feeds=MAIN_FEEDS, stylesheet_url=CSS)
    assert rendered.path == "releases/sea-wall-opens-at-saltmarsh-bay/index.html"
    doc = parse(rendered.data)
    assert doc.get("lang") == "en"
    assert doc.get("dir") is None
    assert (
        doc.findtext(".//title") == "Minister opens rebuilt sea wall at Saltmarsh Bay – Department for Coastal Affairs"
    )
    assert [h.text_content() for h in doc.xpath("//h1")] == ["Minister opens rebuilt sea wall at Saltmarsh Bay"]
    assert doc.xpath("//meta[@name='description']/@content") == [
        "A new sea wall protects 1,200 homes from winter flooding."
    ]
    assert doc.xpath("//link[@rel='canonical']/@href") == [f"{BASE}releases/sea-wall-opens-at-saltmarsh-bay/"]
    assert doc.xpath("//link[@rel='stylesheet']/@href") == [CSS]
    assert doc.xpath("//*[contains(@class, 'meta')]//dd")[0].text_content() == "Department for Coastal Affairs"


def test_release_page_announces_every_feed_given_with_absolute_urls(renderer: PageRenderer) -> None:
    feeds = MAIN_FEEDS + TOPIC_FEEDS[:2] + COVERAGE_FEED
    doc = render_release(renderer, feeds=feeds)
    links = [(x.get("type"), x.get("title"), x.get("href")) for x in doc.xpath("//head/link[@rel='alternate']")]
    # each format named, so a reader's subscribe dialog does not offer three identical choices
    assert links == [(f.media_type, f"{f.title} ({FORMAT_LABELS[f.format]})", f.url) for f in feeds]
    assert all(href.startswith("https://") for _, _, href in links)
    subscribe = doc.xpath("//section[@id='subscribe']//a/@href")
    assert subscribe == [f.url for f in feeds]


def test_release_page_open_graph(renderer: PageRenderer) -> None:
    tags = og(render_release(renderer))
    assert tags == {
        "og:type": ["article"],
        "og:title": ["Minister opens rebuilt sea wall at Saltmarsh Bay"],
        "og:description": ["A new sea wall protects 1,200 homes from winter flooding."],
        "og:url": [f"{BASE}releases/sea-wall-opens-at-saltmarsh-bay/"],
        "og:site_name": ["Department for Coastal Affairs"],
        "og:locale": ["en_GB"],
        "og:image": ["https://news.example.gov.uk/images/sea-wall.jpg"],
        "article:published_time": ["2017-11-02T09:30:00Z"],
        "article:modified_time": ["2017-11-03T14:00:00Z"],
        "article:section": ["Flooding"],
        "article:tag": ["Flooding", "Local government"],
    }


@pytest.mark.parametrize("image", [None, "javascript:alert(1)", "/images/relative.jpg"])
def test_release_page_has_og_image_only_for_http_images(renderer: PageRenderer, image: str | None) -> None:
    assert "og:image" not in og(render_release(renderer, make_release(image=image)))


def test_release_page_times(renderer: PageRenderer) -> None:
    doc = render_release(renderer, make_release(published=datetime(2017, 6, 30, 23, 30, tzinfo=UTC)))
    published = doc.xpath("//dd[@class='published']/time")[0]
    updated = doc.xpath("//dd[@class='updated']/time")[0]
    assert (published.get("datetime"), published.text) == (
        "2017-07-01T00:30:00+01:00",
        "1 July 2017",
    )  # (its local day, with its offset)
    assert (updated.get("datetime"), updated.text) == ("2017-11-03T14:00:00Z", "3 November 2017")


def test_release_page_without_update_shows_no_updated_date(renderer: PageRenderer) -> None:
    release = make_release(updated=datetime(2017, 11, 2, 9, 30, tzinfo=UTC), changes=())
    doc = render_release(renderer, release)
    assert doc.xpath("//dd[@class='updated']") == []
    assert [li.text_content() for li in doc.xpath("//section[@class='history']//li")] == [
        "2 November 2017: First published."
    ]


def test_release_page_topic_links_resolve_to_topic_pages(renderer: PageRenderer) -> None:
    release = make_release()
    doc = render_release(renderer, release)
    links = [(a.text, urljoin(release.permalink, a.get("href"))) for a in doc.xpath("//ul[@class='topics']/li/a")]
    assert links == [("Flooding", f"{BASE}topics/flooding/"), ("Local government", f"{BASE}topics/local-government/")]
    assert doc.xpath("//ul[@class='topics']/li/a/@rel") == ["tag", "tag"]


def test_release_page_topic_without_latin_letters_gets_a_safe_link(renderer: PageRenderer) -> None:
    doc = render_release(renderer, make_release(topics=("الفيضانات",)))
    (href,) = doc.xpath("//ul[@class='topics']/li/a/@href")
    assert re.fullmatch(r"\.\./\.\./topics/topic-[0-9a-f]{10}/", href)
    assert doc.xpath("//ul[@class='topics']/li/a/text()") == ["الفيضانات"]


def test_release_page_topic_slugs_can_be_injected() -> None:
    renderer = PageRenderer(SITE, topic_slug=lambda name: "t-" + name.lower().replace(" ", "_"))
    doc = render_release(renderer)
    assert doc.xpath("//ul[@class='topics']/li/a/@href") == [
        "../../topics/t-flooding/",
        "../../topics/t-local_government/",
    ]


def test_release_page_inserts_the_sanitised_body_as_html(renderer: PageRenderer) -> None:
    doc = render_release(renderer)
    body = doc.xpath("//div[@class='body']")[0]
    assert body.xpath("./blockquote/p")[0].text == "This wall means families here can sleep through the winter storms."
    assert [li.text for li in body.xpath("./ul/li")] == ["The scheme cost £14 million.", "Work began in 2015."]
    assert body.xpath("./h2")[0].text == "Notes to editors"


def test_release_page_change_history_newest_first(renderer: PageRenderer) -> None:
    release = make_release(
        updated=datetime(2017, 11, 5, 10, 0, tzinfo=UTC),
        changes=(
            Change(datetime(2017, 11, 3, 14, 0, tzinfo=UTC), "Added figures."),
            Change(datetime(2017, 11, 5, 10, 0, tzinfo=UTC), "Corrected the cost."),
        ),
    )
    items = render_release(renderer, release).xpath("//section[@class='history']//li")
    assert [li.text_content() for li in items] == [
        "5 November 2017: Corrected the cost.",
        "3 November 2017: Added figures.",
        "2 November 2017: First published.",
    ]
    assert [li.find("time").get("datetime") for li in items] == [
        "2017-11-05T10:00:00Z",
        "2017-11-03T14:00:00Z",
        "2017-11-02T09:30:00Z",
    ]


def test_release_page_coverage_section(renderer: PageRenderer) -> None:
    doc = render_release(renderer)
    items = doc.xpath("//section[@class='coverage']/ul/li")
    assert len(items) == 2
    newest = items[0]
    assert newest.xpath("./a/@href") == ["https://national.example.org/politics/coast"]
    assert newest.xpath("./a/text()") == ["Coastal spending under scrutiny"]
    assert newest.xpath("./a/@rel") == ["external nofollow"]
    assert newest.findtext("./span[@class='source']") == "National Daily"
    assert newest.find("./time").get("datetime") == "2017-11-03T08:00:00Z"
    assert newest.findtext("./time") == "3 November 2017, 08:00 GMT"
    assert newest.findtext("./span[@class='kind']") == "quote"
    assert newest.findtext("./span[@class='why']") == "quotes the Coastal Minister"
    assert items[1].findtext("./a") == "Saltmarsh Bay residents welcome new defences"


def test_release_page_coverage_with_unsafe_url_is_not_linked(renderer: PageRenderer) -> None:
    item = dataclasses.replace(COVERAGE[0], url="javascript:alert(document.cookie)")
    doc = render_release(renderer, coverage=(item,))
    li = doc.xpath("//section[@class='coverage']/ul/li")[0]
    assert li.xpath(".//a") == []
    assert li.findtext("./span[@class='title']") == "Saltmarsh Bay residents welcome new defences"
    assert (
        b"javascript:"
        not in release_page(renderer, make_release(), feeds=(), coverage=(item,), stylesheet_url=CSS).data
    )


def test_release_page_without_coverage_has_no_coverage_section(renderer: PageRenderer) -> None:
    assert render_release(renderer, coverage=()).xpath("//section[@class='coverage']") == []


def test_release_page_withdrawn_notice(renderer: PageRenderer) -> None:
    release = make_release(
        withdrawn_at=datetime(2019, 3, 1, 12, 0, tzinfo=UTC),
        withdrawn_note="The sea wall project has been merged into the national coastal programme.",
    )
    notice = render_release(renderer, release).xpath("//section[contains(@class, 'withdrawn')]")
    assert len(notice) == 1
    assert notice[0].findtext("./h2") == "Withdrawn"
    assert notice[0].find(".//time").get("datetime") == "2019-03-01T12:00:00Z"
    assert "This press release was withdrawn on 1 March 2019." in notice[0].text_content()
    assert notice[0].findtext("./p[@class='note']") == release.withdrawn_note
    assert render_release(renderer).xpath("//section[contains(@class, 'withdrawn')]") == []


def test_release_page_links_to_the_source_only_when_http(renderer: PageRenderer) -> None:
    link = "https://www.gov.uk/government/news/sea-wall"
    doc = render_release(renderer, make_release(link=link))
    assert doc.xpath("//p[@class='elsewhere']/a/@href") == [link]
    assert render_release(renderer, make_release(link="javascript:x")).xpath("//p[@class='elsewhere']") == []


@pytest.mark.parametrize("language", ["ar", "ur", "fa", "he"])
def test_right_to_left_release(renderer: PageRenderer, language: str) -> None:
    release = make_release(
        slug="new-support-for-flooded-communities",
        title="الوزير يعلن عن دعم جديد للمجتمعات المتضررة من الفيضانات",
        summary="دعم مالي للأسر التي غمرت المياه منازلها هذا الشتاء.",
        body_html="<p>أعلن الوزير اليوم عن صندوق جديد.</p><blockquote><p>لن نترك أحدا وحده.</p></blockquote>",
        language=language,
    )
    doc = render_release(renderer, release)
    assert (doc.get("lang"), doc.get("dir")) == (language, "rtl")
    assert doc.xpath("//h1")[0].text == release.title
    # The site's own English labels keep their language and direction inside the right-to-left page.
    assert doc.xpath("//header[@class='site']/@lang") == ["en-GB"]
    assert doc.xpath("//header[@class='site']/@dir") == ["ltr"]
    assert doc.xpath("//section[@id='subscribe']/@dir") == ["ltr"]
    # So do its dates ("25 January 2024"), which the bidi algorithm otherwise shows as "January 2024 25".
    for time in doc.xpath("//dd[@class='published']/time | //section[@class='history']//time"):
        assert (time.get("lang"), time.get("dir")) == ("en-GB", "ltr"), lxml_html.tostring(time)
    # A history line takes its direction from its note: our English "First published." read as
    # ".First published :25 January 2024" in the page's right-to-left direction (a review's find).
    # (Ours is English, labelled so and left to right; the source's take their direction from their text.)
    assert [li.get("dir") for li in doc.xpath("//section[@class='history']//li")] == ["auto", "ltr"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<p>a</p><h2>Notes to editors</h2><p>b</p>", "<p>a</p><h2>Notes to editors</h2><p>b</p>"),
        ("<h2>A</h2><h3>B</h3><h4>C</h4><h2>D</h2>", "<h2>A</h2><h3>B</h3><h4>C</h4><h2>D</h2>"),
        # GOV.UK bodies open at level 3
        ("<h3>The Award</h3><p>x</p><h3>How to apply</h3>", "<h2>The Award</h2><p>x</p><h2>How to apply</h2>"),
        ("<h3>A</h3><h2>B</h2>", "<h2>A</h2><h2>B</h2>"),
        ("<h2>A</h2><h4>B</h4><h5>C</h5><h3>D</h3>", "<h2>A</h2><h3>B</h3><h4>C</h4><h3>D</h3>"),
        ('<h1 id="x">Top</h1><h2>Sub</h2>', '<h2 id="x">Top</h2><h3>Sub</h3>'),  # one <h1>: the headline
        (
            "<h6><a href='https://e.example/'>A <b>b</b></a></h6>",
            "<h2><a href='https://e.example/'>A <b>b</b></a></h2>",
        ),
        ("<header><hr><p>&lt;h3&gt;</p>", "<header><hr><p>&lt;h3&gt;</p>"),
    ],
)
def test_body_headings_fit_under_the_headline(body: str, expected: str) -> None:
    assert outline_headings(body) == expected


def test_release_page_headings_never_skip_a_level(renderer: PageRenderer) -> None:
    body = "<p>Intro.</p><h3>The Award</h3><p>x</p><h4>Amount</h4><p>y</p><h3>How to apply</h3><p>z</p>"
    doc = render_release(renderer, make_release(body_html=body))
    levels = [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    assert [h.text for h in doc.xpath("//div[@class='body']/*[self::h2 or self::h3]")] == [
        "The Award",
        "Amount",
        "How to apply",
    ]
    assert [h.tag for h in doc.xpath("//div[@class='body']/*[self::h2 or self::h3]")] == ["h2", "h3", "h2"]


@pytest.mark.parametrize(("language", "direction"), [("ga", "ltr"), ("nl", "ltr"), ("ar", "rtl")])
def test_our_first_published_note_is_labelled_english_on_a_page_in_another_language(
    renderer: PageRenderer, language: str, direction: str
) -> None:
    """A screen reader read our "First published." on a Welsh page with a Welsh voice (WCAG 3.1.2): the line is
    the site's, labelled with its language as the history's heading is; a note from the source is not. (A page in
    a language we ship a catalogue for, Welsh or French, says it in that language: tests/test_publish_bilingual.py.)"""
    changes = (Change(datetime(2017, 11, 3, 14, 0, tzinfo=UTC), "Ychwanegwyd ffigurau."),)
    doc = render_release(renderer, make_release(language=language, changes=changes))
    theirs, ours = doc.xpath("//section[@class='history']//li")  # newest first
    assert ours.text_content().endswith("First published.")
    assert (ours.get("lang"), ours.get("dir")) == ("en-GB", "ltr")
    assert theirs.get("lang") is None
    assert theirs.get("dir") == ("auto" if direction == "rtl" else None)


def test_english_page_has_no_chrome_language_overrides(renderer: PageRenderer) -> None:
    assert render_release(renderer).xpath("//*[@dir]") == []


@pytest.mark.parametrize("slug", ["", ".", "..", "a/b", "a\\b", "x?y", "line\nbreak"])
def test_unsafe_slugs_are_refused(renderer: PageRenderer, slug: str) -> None:
    with pytest.raises(PublishError, match="not safe"):
        release_page(renderer, make_release(slug=slug), feeds=(), stylesheet_url=CSS)
    with pytest.raises(PublishError, match="not safe"):
        renderer.topic_page(name="X", slug=slug, releases=(), feeds=(), stylesheet_url=CSS)


# --- index and topic pages --------------------------------------------------------------------------------


def three_releases() -> list[Release]:
    return [
        make_release(
            "budget-for-harbours", title="Harbour budget confirmed", published=datetime(2017, 10, 1, 9, 0, tzinfo=UTC)
        ),
        make_release(
            "storm-warning-issued",
            title="Storm warning issued",
            published=datetime(2017, 12, 5, 7, 0, tzinfo=UTC),
            topics=("Flooding",),
        ),
        make_release(published=datetime(2017, 11, 2, 9, 30, tzinfo=UTC)),
    ]


def test_index_lists_releases_newest_first_with_links_dates_summaries_topics(renderer: PageRenderer) -> None:
    rendered = renderer.index_page(releases=three_releases(), feeds=ALL_FEEDS, stylesheet_url="static/site.css")
    assert rendered.path == "index.html"
    doc = parse(rendered.data)
    items = doc.xpath("//ol[@class='releases']/li")
    assert [li.findtext("./h3/a") for li in items] == [
        "Storm warning issued",
        "Minister opens rebuilt sea wall at Saltmarsh Bay",
        "Harbour budget confirmed",
    ]
    assert [urljoin(BASE, href) for href in doc.xpath("//ol[@class='releases']/li/h3/a/@href")] == [
        f"{BASE}releases/storm-warning-issued/",
        f"{BASE}releases/sea-wall-opens-at-saltmarsh-bay/",
        f"{BASE}releases/budget-for-harbours/",
    ]
    assert [li.find(".//time").get("datetime") for li in items] == [
        "2017-12-05T07:00:00Z",
        "2017-11-02T09:30:00Z",
        "2017-10-01T10:00:00+01:00",  # (BST: the local time with its offset)
    ]
    assert items[0].findtext("./p[@class='summary']") == "A new sea wall protects 1,200 homes from winter flooding."
    assert items[0].xpath("./ul[@class='topics']/li/a/@href") == ["topics/flooding/"]
    assert doc.findtext(".//h1") == SITE.title
    assert doc.xpath("//p[@class='lede']/text()") == [SITE.description]
    assert doc.xpath("//link[@rel='canonical']/@href") == [BASE]


def test_index_lists_every_feed_grouped_and_the_opml(renderer: PageRenderer) -> None:
    doc = parse(renderer.index_page(releases=[], feeds=ALL_FEEDS, stylesheet_url="static/site.css").data)
    subscribe = doc.xpath("//section[@id='subscribe']")[0]
    assert [h.text for h in subscribe.xpath(".//section[@class='feed-group']/h3")] == ["Main", "Topics", "Coverage"]
    assert subscribe.xpath(".//ul[@class='feeds']//a/@href") == [f.url for f in ALL_FEEDS]
    assert subscribe.xpath(".//ul[@class='feeds']//a/@type") == [f.media_type for f in ALL_FEEDS]
    assert subscribe.xpath("(.//ul[@class='feeds'])[1]/li[1]/a/text()") == ["Atom", "RSS", "JSON Feed"]
    assert subscribe.xpath(".//p[@class='opml']/a/@href") == ["feeds.opml"]
    assert doc.xpath("//p[@class='empty']/text()") == ["No releases yet."]


def test_every_subscribe_link_names_its_feed_out_of_context(renderer: PageRenderer) -> None:
    """A screen reader's list of links read "Atom, RSS, JSON Feed, Atom, RSS, JSON Feed…", a dozen times on the
    front page, with nothing to tell one feed from another (WCAG 2.4.4/2.4.9). Each link still shows just its format,
    and says whose feed it is in text kept for screen readers, as the autodiscovery titles do."""
    doc = parse(renderer.index_page(releases=[], feeds=ALL_FEEDS, stylesheet_url="static/site.css").data)
    links = doc.xpath("//section[@id='subscribe']//ul[@class='feeds']//a")
    names = [" ".join(a.text_content().split()) for a in links]
    assert len(set(names)) == len(links), names
    assert names[0] == f"Atom: {ALL_FEEDS[0].title}"
    assert [a.text for a in links[:3]] == ["Atom", "RSS", "JSON Feed"]  # what the eye sees
    assert {span.get("class") for a in links for span in a.iter("span")} == {"visually-hidden"}
    (css,) = PageRenderer.static_files()
    assert ".visually-hidden" in css.data.decode("utf-8")


def test_index_autodiscovers_the_main_feeds(renderer: PageRenderer) -> None:
    doc = parse(renderer.index_page(releases=[], feeds=ALL_FEEDS, stylesheet_url="s.css").data)
    assert doc.xpath("//head/link[@rel='alternate']/@href") == [f.url for f in MAIN_FEEDS]
    doc = parse(renderer.index_page(releases=[], feeds=TOPIC_FEEDS, stylesheet_url="s.css").data)
    assert doc.xpath("//head/link[@rel='alternate']/@href") == [f.url for f in TOPIC_FEEDS]
    doc = parse(renderer.index_page(releases=[], feeds=ALL_FEEDS, stylesheet_url="s.css", discover=COVERAGE_FEED).data)
    assert doc.xpath("//head/link[@rel='alternate']/@href") == [COVERAGE_FEED[0].url]


def test_index_marks_other_language_releases(renderer: PageRenderer) -> None:
    arabic = make_release("arabic-release", title="بيان صحفي", language="ar")
    doc = parse(renderer.index_page(releases=[arabic], feeds=(), stylesheet_url="s.css").data)
    assert doc.get("lang") == "en-GB"
    li = doc.xpath("//ol[@class='releases']/li")[0]
    assert (li.get("lang"), li.get("dir")) == ("ar", "rtl")
    # The card's date is in the site's language and direction: read as English, never reordered right to left.
    time = li.xpath(".//p[@class='meta']/time")[0]
    assert (time.get("lang"), time.get("dir"), time.text) == ("en-GB", "ltr", "2 November 2017")


def test_index_card_of_a_same_language_release_needs_no_overrides(renderer: PageRenderer) -> None:
    doc = parse(renderer.index_page(releases=three_releases(), feeds=(), stylesheet_url="s.css").data)
    assert doc.xpath("//main//*[@lang or @dir]") == []


def test_topic_page(renderer: PageRenderer) -> None:
    rendered = renderer.topic_page(
        name="Flooding", slug="flooding", releases=three_releases()[1:], feeds=TOPIC_FEEDS[:2], stylesheet_url=CSS
    )
    assert rendered.path == "topics/flooding/index.html"
    doc = parse(rendered.data)
    page_url = f"{BASE}topics/flooding/"
    assert doc.findtext(".//h1") == "Flooding"
    assert doc.findtext(".//title") == "Flooding – Department for Coastal Affairs"
    assert doc.xpath("//link[@rel='canonical']/@href") == [page_url]
    assert og(doc)["og:url"] == [page_url]
    assert [urljoin(page_url, h) for h in doc.xpath("//ol[@class='releases']/li/h3/a/@href")] == [
        f"{BASE}releases/storm-warning-issued/",
        f"{BASE}releases/sea-wall-opens-at-saltmarsh-bay/",
    ]
    assert doc.xpath("//head/link[@rel='alternate']/@href") == [f.url for f in TOPIC_FEEDS[:2]]
    assert urljoin(page_url, doc.xpath("//p[@class='site-title']/a/@href")[0]) == BASE


# --- escaping, determinism, overrides, golden -------------------------------------------------------------


def test_hostile_text_stays_text_everywhere(renderer: PageRenderer) -> None:
    release = make_release(
        title=HOSTILE,
        summary=HOSTILE,
        organisation=HOSTILE,
        topics=(HOSTILE,),
        withdrawn_at=datetime(2019, 1, 1, tzinfo=UTC),
        withdrawn_note=HOSTILE,
        changes=(Change(datetime(2017, 11, 3, tzinfo=UTC), HOSTILE),),
        body_html="<p>Safe.</p>",
    )
    feed = FeedLink(HOSTILE, f'{BASE}atom.xml?a=1&b="2"', "atom", HOSTILE)
    coverage = (
        CoverageItem(
            HOSTILE, 'https://e.example/?q="x"&y=<z>', HOSTILE, datetime(2017, 11, 3, tzinfo=UTC), (HOSTILE,), HOSTILE
        ),
    )
    site = dataclasses.replace(SITE, title=HOSTILE, description=HOSTILE, author=HOSTILE)
    renderer = PageRenderer(site)
    pages = [
        release_page(renderer, release, feeds=(feed,), coverage=coverage, stylesheet_url=CSS),
        renderer.index_page(releases=[release], feeds=(feed,), stylesheet_url=CSS),
        renderer.topic_page(name=HOSTILE, slug="hostile", releases=[release], feeds=(feed,), stylesheet_url=CSS),
    ]
    for page in pages:
        assert b"<script" not in JSON_LD.sub(b"", page.data).lower()  # (the JSON-LD data block alone)
        assert b"<b>" not in page.data
        doc = parse(page.data)
        assert doc.xpath(f"{SCRIPTS} | //b") == []
        data = json.dumps(json.loads(doc.xpath("//script/text()")[0]), ensure_ascii=False)
        assert json.dumps(HOSTILE, ensure_ascii=False) in data  # (the JSON names it as text, whole)
        assert doc.xpath("//head/link[@rel='alternate']/@title") == [f"{HOSTILE} (Atom)"]
        assert doc.xpath("//head/link[@rel='alternate']/@href") == [feed.url]
        assert HOSTILE in doc.findtext(".//title")
    release_doc = parse(pages[0].data)
    assert release_doc.findtext(".//h1") == HOSTILE
    assert og(release_doc)["og:title"] == [f"[Withdrawn] {HOSTILE}"]  # (withdrawn: said where it is shared too)
    assert og(release_doc)["article:tag"] == [HOSTILE]
    assert release_doc.xpath("//meta[@name='description']/@content") == [HOSTILE]
    # in URI form: a raw `"` or `<` is escaped as HTML but is no character of a URL (the validator refused it)
    assert release_doc.xpath("//section[@class='coverage']//a/@href") == ["https://e.example/?q=%22x%22&y=%3Cz%3E"]
    assert release_doc.findtext(".//p[@class='note']") == HOSTILE
    assert b"&#34;Quoted&#34;" in pages[0].data


def test_rendering_is_deterministic() -> None:
    def render_all() -> list[bytes]:
        r = PageRenderer(SITE)
        return [
            release_page(r, make_release(), feeds=ALL_FEEDS, coverage=COVERAGE, stylesheet_url=CSS).data,
            r.index_page(releases=three_releases(), feeds=ALL_FEEDS, stylesheet_url=CSS).data,
            r.topic_page(
                name="Flooding", slug="flooding", releases=three_releases(), feeds=(), stylesheet_url=CSS
            ).data,
        ]

    first = render_all()
    assert first == render_all()
    shuffled = PageRenderer(SITE).index_page(releases=three_releases()[::-1], feeds=ALL_FEEDS, stylesheet_url=CSS)
    assert shuffled.data == first[1]


def test_a_template_folder_overrides_packaged_templates_by_name(tmp_path: Path) -> None:
    (tmp_path / "release.html").write_text(
        '{% extends "base.html" %}{% block main %}<p class="custom">Custom: {{ release.title }}</p>{% endblock %}\n',
        encoding="utf-8",
    )
    renderer = PageRenderer(SITE, template_dir=tmp_path)
    doc = parse(release_page(renderer, make_release(title=HOSTILE), feeds=MAIN_FEEDS, stylesheet_url=CSS).data)
    assert doc.findtext(".//p[@class='custom']") == f"Custom: {HOSTILE}"
    assert doc.xpath(f"//h1 | {SCRIPTS}") == []
    assert doc.xpath("//link[@rel='canonical']/@href") == [f"{BASE}releases/sea-wall-opens-at-saltmarsh-bay/"]
    index = parse(renderer.index_page(releases=[make_release()], feeds=MAIN_FEEDS, stylesheet_url=CSS).data)
    assert index.findtext(".//h1") == SITE.title


def test_the_packaged_stylesheet_is_self_contained() -> None:
    (css,) = PageRenderer.static_files()
    assert css.path == "static/site.css"
    text = css.data.decode("utf-8")
    assert "@media print" in text
    assert "@import" not in text and "url(" not in text and "http" not in text.replace('[href^="http"]', "")


def _contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb (or #rgb) colours."""

    def luminance(colour: str) -> float:
        digits = colour.lstrip("#")
        digits = "".join(c * 2 for c in digits) if len(digits) == 3 else digits
        rgb = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_focus_indicator_stands_out_from_a_light_page_and_a_dark_one() -> None:
    """A keyboard user on the light page could hardly see where they were: the focused link turned yellow (#fd0)
    on white, 1.35:1, where WCAG 1.4.11 asks 3:1 of a focus indicator against what is next to it. It has a dark
    bar beneath it too now (GOV.UK's pattern), and the yellow still stands out on the dark scheme's background."""
    (css,) = PageRenderer.static_files()
    text = css.data.decode("utf-8")
    rule = re.search(r"a:focus-visible\s*\{([^}]*)\}", text)
    assert rule is not None
    drawn = re.findall(r"(?:outline|box-shadow)\s*:[^;]*", rule.group(1))
    shown = [c for part in drawn if "transparent" not in part for c in re.findall(r"#[0-9a-fA-F]{3,6}\b", part)]
    page_light = "#ffffff"
    page_dark = re.search(r"body\s*\{\s*background:\s*(#[0-9a-fA-F]{3,6})", text)
    assert page_dark is not None
    for background in (page_light, page_dark.group(1)):
        assert max(_contrast(c, background) for c in shown) >= 3, (background, shown)


def test_pages_have_no_scripts(renderer: PageRenderer) -> None:
    data = release_page(renderer, make_release(), feeds=ALL_FEEDS, coverage=COVERAGE, stylesheet_url=CSS).data
    assert b"<script" not in JSON_LD.sub(b"", data)
    assert not parse(data).xpath(f"{SCRIPTS} | //@*[starts-with(name(), 'on')]")


def test_golden_release_page(renderer: PageRenderer) -> None:
    rendered = release_page(
        renderer,
        make_release(link="https://www.gov.uk/government/news/sea-wall-opens-at-saltmarsh-bay"),
        feeds=MAIN_FEEDS + TOPIC_FEEDS[:2] + COVERAGE_FEED,
        coverage=COVERAGE,
        stylesheet_url=CSS,
    )
    check_golden("release.html", rendered.data)


def test_images_without_alt_text_get_an_empty_one_on_the_page_only(renderer: PageRenderer) -> None:
    """HTML requires `alt` on every image; the stored body (and its content hash) is left as it is."""
    body = '<p>Map <img src="https://press.example.org/map.png"> and <img src="https://x.example/a.png" alt="A"></p>'
    release = make_release(body_html=body)
    doc = render_release(renderer, release)
    assert [img.get("alt") for img in doc.iter("img")] == ["", "A"]
    assert release.body_html == body


PUBLISHED = datetime(2017, 11, 2, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # GOV.UK's own history opens with its first publication: not said twice
        ((Change(PUBLISHED, "First published."),), ["2 November 2017: First published."]),
        (
            (Change(datetime(2017, 11, 5, tzinfo=UTC), "Corrected the cost."), Change(PUBLISHED, "First published.")),
            ["5 November 2017: Corrected the cost.", "2 November 2017: First published."],
        ),
        # at the publication time under another note, or a minute off with a note that says so
        ((Change(PUBLISHED, "Published."),), ["2 November 2017: Published."]),
        (
            (Change(datetime(2017, 11, 2, 9, 31, tzinfo=UTC), "First published"),),
            ["2 November 2017: First published"],
        ),
        # a change at another time that is not the first publication: ours is added
        (
            (Change(datetime(2017, 11, 3, tzinfo=UTC), "Published the annex."),),
            ["3 November 2017: Published the annex.", "2 November 2017: First published."],
        ),
        ((), ["2 November 2017: First published."]),
    ],
)
def test_release_page_says_first_published_once(
    renderer: PageRenderer, changes: tuple[Change, ...], expected: list[str]
) -> None:
    doc = render_release(renderer, make_release(changes=changes, published=PUBLISHED))
    assert [li.text_content() for li in doc.xpath("//section[@class='history']//li")] == expected


def test_a_govuk_item_page_says_first_published_once(corpus_releases: Path) -> None:
    """Re-check: /releases/…drug-driving-limits/ listed "First published." twice, GOV.UK's and ours."""
    path = corpus_releases / "govuk-news-story-drug-driving-limits.json"
    (raw,) = parse_release_file(path.read_bytes(), path.name, source="inbox", origin=path.name)
    release = normalise_release(raw, SITE, TopicSettings(), datetime(2026, 11, 28, tzinfo=UTC))
    doc = render_release(PageRenderer(SITE), release)
    notes = [li.text_content() for li in doc.xpath("//section[@class='history']//li")]
    assert notes == ["27 March 2014: First published."]


def test_topics_are_named_as_the_feeds_name_them_whatever_the_release_spells(renderer: PageRenderer) -> None:
    """Re-check: `tags: [iran, "north-korea", "UKRAINE"]` showed iran, north-korea and UKRAINE on the release page
    while its feeds, categories and topic pages said Iran, North Korea and Ukraine."""
    release = make_release(topics=("iran", "north-korea", "UKRAINE", "Fisheries"))
    names = {"iran": "Iran", "north-korea": "North Korea", "ukraine": "Ukraine"}
    doc = render_release(renderer, release, topic_names=names)
    links = doc.xpath("//dl[@class='meta']//ul[@class='topics']/li/a")
    assert [(a.text, a.get("href")) for a in links] == [
        ("Iran", "../../topics/iran/"),
        ("North Korea", "../../topics/north-korea/"),
        ("Ukraine", "../../topics/ukraine/"),
        ("Fisheries", "../../topics/fisheries/"),  # not in the names: as the release spells it
    ]
    assert og(doc)["article:tag"] == ["Iran", "North Korea", "Ukraine", "Fisheries"]
    for page in (
        renderer.index_page(releases=[release], feeds=MAIN_FEEDS, stylesheet_url=CSS, topic_names=names),
        renderer.topic_page(
            name="Iran", slug="iran", releases=[release], feeds=(), stylesheet_url=CSS, topic_names=names
        ),
    ):
        cards = parse(page.data).xpath("//ol[@class='releases']//ul[@class='topics']/li/a/text()")
        assert cards == ["Iran", "North Korea", "Ukraine", "Fisheries"]


def test_the_404_page_names_no_canonical_address(renderer: PageRenderer) -> None:
    """It is served for every missing address: declaring the front page its canonical one told search engines
    that every broken link was the front page (a review's find)."""
    doc = parse(renderer.not_found_page(years=[2026], stylesheet_url="/static/site.css").data)
    assert doc.xpath("//link[@rel='canonical']") == []
    assert doc.xpath("//link[@rel='stylesheet']/@href") == ["/static/site.css"]


def test_the_404_page_asks_search_engines_not_to_index_it(renderer: PageRenderer) -> None:
    """Published as out/404.html, it also answers 200 at /404.html: a search engine that found that address
    listed a "Page not found" page among the site's results. It says noindex; no other page does (a release page
    allows large image previews: tests/test_publish_search_social.py)."""
    doc = parse(renderer.not_found_page(years=[2026], stylesheet_url="/static/site.css").data)
    assert doc.xpath("//head/meta[@name='robots']/@content") == ["noindex"]
    page = render_release(renderer)
    assert page.xpath("//meta[@name='robots']/@content") == ["max-image-preview:large"]
    index = parse(renderer.index_page(releases=[], feeds=(), stylesheet_url=CSS).data)
    assert index.xpath("//meta[@name='robots']") == []


def test_lists_drawn_without_bullets_stay_lists_for_voiceover(renderer: PageRenderer) -> None:
    """Safari drops the list role of a list styled `list-style: none`: VoiceOver read the front page's releases
    and a release's topics as loose paragraphs, with no "list, 3 items" to say how many there are (WCAG 1.3.1).
    Every list the stylesheet draws without bullets says role="list"."""
    (css,) = PageRenderer.static_files()
    unbulleted = set(re.findall(r"^(ol|ul)\.([\w-]+)\s*\{[^}]*list-style:\s*none", css.data.decode(), re.MULTILINE))
    assert unbulleted == {("ol", "releases"), ("ul", "topics")}
    docs = [
        parse(renderer.index_page(releases=three_releases(), feeds=(), stylesheet_url=CSS).data),
        render_release(renderer),
    ]
    for tag, cls in unbulleted:
        lists = [el for doc in docs for el in doc.xpath(f"//{tag}[@class='{cls}']")]
        assert lists, (tag, cls)
        assert {el.get("role") for el in lists} == {"list"}, (tag, cls)
