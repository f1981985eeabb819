"""The Google News sitemap (`sitemap-news.xml`), as Google News and a press office's digital lead see it: only the
releases of the last two days by the publish's clock, at most 1,000, each with its publication (name and language as
Google wants it), its publication date and title; never one under embargo, withdrawn or taken down; named by
robots.txt; byte-stable for one clock, and rewritten by the very publish at which a release ages out of it, even when
nothing else changed. Also the `xhtml:link hreflang` alternates of the main sitemap, which must agree with the
pages' own `<link rel="alternate" hreflang>`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree, html

from feeds.ingest.takedown import remove_release
from feeds.model import Release
from feeds.publish.newsmap import (
    NEWS_LIMIT,
    NEWS_SITEMAP_PATH,
    NEWS_WINDOW,
    news_language,
    news_releases,
    render_news_sitemap,
)
from feeds.publish.sitemap import SitemapUrl, render_sitemap, split_sitemap
from tests import test_publish_site
from tests.test_publish_site import BASE_URL, Site, assert_unchanged_again_and_from_scratch, local_path

make_site = test_publish_site.make_site  # (the fixture)

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)  # (conftest's `now`)

# Google's sitemap-news 0.9 schema, as much of it as we write: written out here, since tests fetch nothing. Each
# `url` has one `news:news` with a publication (name, language), a publication date (W3C) and a title, in order;
# the language is an ISO 639 code of 2 or 3 letters, or `zh-cn` / `zh-tw`.
_NEWS_SCHEMA = """<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.google.com/schemas/sitemap-news/0.9"
  xmlns="http://www.google.com/schemas/sitemap-news/0.9" elementFormDefault="qualified">
  <xsd:element name="news"><xsd:complexType><xsd:sequence>
    <xsd:element name="publication"><xsd:complexType><xsd:sequence>
      <xsd:element name="name" type="tNonEmpty"/>
      <xsd:element name="language"><xsd:simpleType><xsd:restriction base="xsd:string">
        <xsd:pattern value="[a-z]{2,3}|zh-cn|zh-tw"/>
      </xsd:restriction></xsd:simpleType></xsd:element>
    </xsd:sequence></xsd:complexType></xsd:element>
    <xsd:element name="publication_date"><xsd:simpleType><xsd:restriction base="xsd:dateTime">
      <xsd:pattern value="\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(Z|[+-]\\d\\d:\\d\\d)"/>
    </xsd:restriction></xsd:simpleType></xsd:element>
    <xsd:element name="title" type="tNonEmpty"/>
  </xsd:sequence></xsd:complexType></xsd:element>
  <xsd:simpleType name="tNonEmpty"><xsd:restriction base="xsd:string"><xsd:minLength value="1"/></xsd:restriction>
  </xsd:simpleType>
</xsd:schema>
"""
NEWS_SCHEMA = etree.XMLSchema(etree.fromstring(_NEWS_SCHEMA.encode()))


def news_entries(data: bytes) -> list[dict[str, str]]:
    """The news sitemap's entries, each checked against the sitemaps.org and sitemap-news rules."""
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    doc = etree.fromstring(data)
    assert doc.tag == f"{SM}urlset"
    urls = doc.findall(f"{SM}url")
    assert len(urls) <= NEWS_LIMIT
    found = []
    for url in urls:
        assert [c.tag for c in url] == [f"{SM}loc", f"{NEWS}news"], "a loc and one news:news, nothing else"
        news = url.find(f"{NEWS}news")
        assert NEWS_SCHEMA.validate(news), NEWS_SCHEMA.error_log
        loc = url.findtext(f"{SM}loc") or ""
        assert loc.startswith(("https://", "http://")) and 12 <= len(loc) <= 2048
        found.append(
            {
                "loc": loc,
                "name": news.findtext(f"{NEWS}publication/{NEWS}name") or "",
                "language": news.findtext(f"{NEWS}publication/{NEWS}language") or "",
                "date": news.findtext(f"{NEWS}publication_date") or "",
                "title": news.findtext(f"{NEWS}title") or "",
            }
        )
    return found


def in_news(out) -> list[str]:  # type: ignore[no-untyped-def]
    return [e["loc"] for e in news_entries((out / NEWS_SITEMAP_PATH).read_bytes())]


@pytest.mark.parametrize(
    ("tag", "google"),
    [
        ("en", "en"),
        ("en-GB", "en"),
        ("EN-gb", "en"),
        ("cy", "cy"),
        ("fil", "fil"),
        ("ar-EG", "ar"),
        ("zh", "zh-cn"),
        ("zh-CN", "zh-cn"),
        ("zh-Hans", "zh-cn"),
        ("zh-Hans-SG", "zh-cn"),
        ("zh-SG", "zh-cn"),
        ("zh-TW", "zh-tw"),
        ("zh-HK", "zh-tw"),
        ("zh-MO", "zh-tw"),
        ("zh-Hant", "zh-tw"),
        ("zh-Hant-CN", "zh-tw"),
        ("sr-Latn-RS", "sr"),
    ],
)
def test_the_language_is_written_as_google_news_wants_it(tag: str, google: str) -> None:
    assert news_language(tag) == google


def _release(slug: str, published: datetime, **kw: object) -> Release:
    fields: dict[str, object] = {
        "id": f"tag:press.example.org,2026:{slug}",
        "identity": f"key:{slug}",
        "slug": slug,
        "title": f"Title of {slug}",
        "organisation": "Example Office",
        "summary": "",
        "body_html": "<p>Body.</p>",
        "published": published,
        "updated": published,
        "permalink": f"{BASE_URL}releases/{slug}/",
        "topics": (),
        "content_hash": slug,
        "language": "en-GB",
        "body_text": "Body.",
        "document_type": "press release",
        "source": "inbox",
        "origin": f"{slug}.json",
    }
    fields.update(kw)
    return Release(**fields)  # type: ignore[arg-type]


def test_only_releases_of_the_last_two_days_newest_first_at_most_a_thousand() -> None:
    fresh = [_release(f"r{n:04}", NOW - timedelta(minutes=n)) for n in range(NEWS_LIMIT + 5)]
    old = _release("old", NOW - NEWS_WINDOW)  # two days to the second: out
    edge = _release("edge", NOW - NEWS_WINDOW + timedelta(seconds=1))
    ahead = _release("ahead", NOW + timedelta(hours=1))  # (the planner never gives one; still not listed)
    withdrawn = _release("withdrawn", NOW - timedelta(hours=1), withdrawn_at=NOW - timedelta(minutes=5))
    chosen = news_releases([old, edge, ahead, withdrawn, *reversed(fresh)], NOW)
    assert [r.slug for r in chosen] == [r.slug for r in fresh[:NEWS_LIMIT]]
    assert [r.slug for r in news_releases([old, edge, withdrawn, ahead], NOW)] == ["edge"]


def test_render_news_sitemap_writes_every_required_tag_escaped_and_byte_stable() -> None:
    releases = [
        _release("b", NOW - timedelta(hours=2), title="Tom & Jerry <agree>", language="zh-Hant"),
        _release("a", NOW - timedelta(hours=1), language=""),
    ]
    data = render_news_sitemap(news_releases(releases, NOW), name="Press & Media Office", site_language="cy").data
    assert data == render_news_sitemap(news_releases(list(reversed(releases)), NOW), "Press & Media Office", "cy").data
    entries = news_entries(data)
    assert entries == [
        {
            "loc": f"{BASE_URL}releases/a/",
            "name": "Press & Media Office",
            "language": "cy",  # (a release naming no language is in the site's)
            "date": "2026-11-28T11:00:00Z",
            "title": "Title of a",
        },
        {
            "loc": f"{BASE_URL}releases/b/",
            "name": "Press & Media Office",
            "language": "zh-tw",
            "date": "2026-11-28T10:00:00Z",
            "title": "Tom & Jerry <agree>",
        },
    ]
    empty = render_news_sitemap((), name="Office", site_language="en")
    assert empty.path == NEWS_SITEMAP_PATH and news_entries(empty.data) == []


def test_the_site_publishes_fresh_releases_and_never_an_embargoed_withdrawn_or_removed_one(make_site) -> None:
    s: Site = make_site()  # (the seed releases are from early November: none is news on 28 November)
    s.drop("fresh", "Ferry timetable restored", ["Iran"], "2026-11-28T09:00:00Z")
    s.drop("cymraeg", "Amserlen fferi", [], "2026-11-28T08:00:00Z", language="cy")
    s.drop("held", "Port strategy under embargo", ["Iran"], "2026-11-28T18:00:00Z")
    s.drop(
        "never",
        "Cancelled statement on ferries",
        [],
        "2026-11-29T00:00:00Z",
        withdrawn_at="2026-11-27T16:00:00Z",
        withdrawn_note="Cancelled before publication.",
    )
    s.drop(
        "gone", "Withdrawn notice", [], "2026-11-27T09:00:00Z", withdrawn_at="2026-11-28T10:00:00Z", withdrawn_note="x"
    )
    s.drop("lawyer", "Statement the lawyers removed", [], "2026-11-28T07:00:00Z")
    s.ingest()
    remove_release(s.app, "statement-the-lawyers-removed", "A court order.")
    s.publish()
    entries = news_entries((s.out / NEWS_SITEMAP_PATH).read_bytes())
    assert [e["loc"] for e in entries] == [
        f"{BASE_URL}releases/ferry-timetable-restored/",
        f"{BASE_URL}releases/amserlen-fferi/",
    ]
    title = s.settings.site.title
    assert [(e["name"], e["language"], e["date"], e["title"]) for e in entries] == [
        (title, "en", "2026-11-28T09:00:00Z", "Ferry timetable restored"),
        (title, "cy", "2026-11-28T08:00:00Z", "Amserlen fferi"),
    ]
    for e in entries:  # each listed page is there, public
        assert local_path(s.out, e["loc"]).is_file()
    robots = (s.out / "robots.txt").read_text().splitlines()
    assert f"Sitemap: {BASE_URL}sitemap.xml" in robots and f"Sitemap: {BASE_URL}{NEWS_SITEMAP_PATH}" in robots
    assert_unchanged_again_and_from_scratch(s)


def test_a_release_leaves_the_news_sitemap_at_the_first_publish_two_days_on_with_nothing_else_changed(
    make_site,
) -> None:
    s: Site = make_site()
    s.drop("fresh", "Ferry timetable restored", ["Iran"], "2026-11-28T09:00:00Z")
    s.ingest()
    s.publish()
    assert in_news(s.out) == [f"{BASE_URL}releases/ferry-timetable-restored/"]
    s.clock.set(datetime(2026, 11, 30, 8, 59, 59, tzinfo=UTC))
    assert s.publish().changed == [], "still news a second before two days: nothing to write"
    s.clock.set(datetime(2026, 11, 30, 9, 0, 0, tzinfo=UTC))
    report = s.publish()
    assert report.written == [NEWS_SITEMAP_PATH] and report.removed == []
    assert in_news(s.out) == []
    assert s.publish().changed == []
    assert_unchanged_again_and_from_scratch(s)


def test_a_release_coming_out_of_embargo_joins_the_news_sitemap(make_site) -> None:
    s: Site = make_site()
    s.drop("held", "Port strategy under embargo", ["Iran"], "2026-11-28T18:00:00Z")
    s.ingest()
    s.publish()
    assert in_news(s.out) == []
    s.clock.set(datetime(2026, 11, 28, 18, 0, 0, tzinfo=UTC))
    assert NEWS_SITEMAP_PATH in s.publish().written
    assert in_news(s.out) == [f"{BASE_URL}releases/port-strategy-under-embargo/"]


def test_a_large_sitemap_index_lists_the_news_sitemap_too(make_site, monkeypatch) -> None:
    from functools import partial

    from feeds.publish import plansitemaps

    s: Site = make_site()
    monkeypatch.setattr(plansitemaps, "split_sitemap", partial(split_sitemap, max_urls=4))
    s.publish()
    index = etree.fromstring((s.out / "sitemap.xml").read_bytes())
    assert index.tag == f"{SM}sitemapindex"
    locs = [loc.text for loc in index.iter(f"{SM}loc")]
    assert locs[-1] == f"{BASE_URL}{NEWS_SITEMAP_PATH}" and locs[:-1] == [
        f"{BASE_URL}sitemaps/sitemap-{n}.xml" for n in (1, 2, 3)
    ]


# --- hreflang in the sitemap ---------------------------------------------------------------------------------


def test_render_sitemap_writes_each_language_version_as_xhtml_link() -> None:
    base = "https://press.example.org/"
    en, cy = f"{base}releases/floods/", f"{base}releases/llifogydd/"
    both = (("en-GB", en), ("cy", cy), ("x-default", en))
    urls = [
        SitemapUrl(base),
        SitemapUrl(en, NOW, both),
        SitemapUrl(cy, NOW, (("cy", cy), ("en-GB", en), ("x-default", en))),
    ]
    (single,) = render_sitemap(split_sitemap(urls), base)
    doc = etree.fromstring(single.data)
    got = {
        url.findtext(f"{SM}loc"): [(a.get("hreflang"), a.get("href"), a.get("rel")) for a in url.iter(f"{XHTML}link")]
        for url in doc.iter(f"{SM}url")
    }
    assert got[base] == []
    assert got[en] == [("en-GB", en, "alternate"), ("cy", cy, "alternate"), ("x-default", en, "alternate")]
    assert [c.tag for c in doc.find(f"{SM}url[2]")][:2] == [f"{SM}loc", f"{SM}lastmod"]  # (sitemap's own first)


def test_split_sitemap_counts_the_alternates_bytes() -> None:
    base = "https://press.example.org/"
    alt = tuple((f"l{n}", f"{base}releases/version-{n}/") for n in range(20))
    urls = [SitemapUrl(f"{base}releases/r{n}/", NOW, alt) for n in range(20)]
    size = len(render_sitemap(split_sitemap(urls), base)[0].data)
    for f in render_sitemap(split_sitemap(urls, max_bytes=size // 3), base)[1:]:
        assert len(f.data) <= size // 3


def test_the_sitemaps_hreflang_alternates_are_the_pages_own(make_site) -> None:
    s: Site = make_site(seed=False)
    s.drop("flood-2026-11", "Flood defences opened", [], "2026-11-20T09:00:00Z")
    s.drop(
        "llifogydd",
        "Amddiffynfeydd llifogydd wedi agor",
        [],
        "2026-11-20T09:05:00Z",
        language="cy",
        translation_of="flood-2026-11",
    )
    s.drop("alone", "A release in one language", [], "2026-11-21T09:00:00Z")
    s.ingest()
    s.publish()
    doc = etree.fromstring((s.out / "sitemap.xml").read_bytes())
    in_sitemap = {
        url.findtext(f"{SM}loc"): sorted((a.get("hreflang"), a.get("href")) for a in url.iter(f"{XHTML}link"))
        for url in doc.iter(f"{SM}url")
    }
    pages = [u for u in in_sitemap if "/releases/" in u]
    assert len(pages) == 3
    for url in pages:
        page = html.fromstring(local_path(s.out, url).read_bytes())
        on_page = sorted(
            (a.get("hreflang"), a.get("href")) for a in page.xpath("//head/link[@rel='alternate'][@hreflang]")
        )
        assert in_sitemap[url] == on_page, url
    assert len(in_sitemap[f"{BASE_URL}releases/flood-defences-opened/"]) == 3  # en, cy, x-default
    assert in_sitemap[f"{BASE_URL}releases/a-release-in-one-language/"] == []
