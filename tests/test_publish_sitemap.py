"""The site's sitemap.xml and robots.txt, as a search engine and a demanding web editor see them: every public page
listed once by its absolute URL (a release with its `updated` as `<lastmod>`), nothing embargoed or never public,
valid against the sitemaps.org 0.9 schema, split past the protocol's limits, byte-stable, written only when it
changes, and served with the right content types."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from lxml import etree

from feeds.clock import rfc3339
from feeds.publish import plansitemaps
from feeds.publish.sitemap import SitemapUrl, render_robots, render_sitemap, split_sitemap
from feeds.web.static import StaticSite
from tests import test_publish_site
from tests.localhttp import wsgi_served
from tests.test_publish_site import BASE_URL, Site, assert_unchanged_again_and_from_scratch, local_path

make_site = test_publish_site.make_site  # (the fixture)

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

# The sitemaps.org 0.9 schema (sitemap.xsd and siteindex.xsd), as much of it as we publish: written out here, since
# tests fetch nothing from the internet. `loc` is an absolute URL of 12 to 2,048 characters; `lastmod` a W3C
# date-time; at most 50,000 children; a `url` may end with elements of other namespaces (`xhtml:link`), as the
# real schema's `xsd:any namespace="##other"` allows.
_SCHEMA = """<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.sitemaps.org/schemas/sitemap/0.9"
  xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" elementFormDefault="qualified">
  <xsd:element name="urlset"><xsd:complexType><xsd:sequence>
    <xsd:element name="url" type="tUrl" maxOccurs="50000"/>
  </xsd:sequence></xsd:complexType></xsd:element>
  <xsd:element name="sitemapindex"><xsd:complexType><xsd:sequence>
    <xsd:element name="sitemap" type="tSitemap" maxOccurs="50000"/>
  </xsd:sequence></xsd:complexType></xsd:element>
  <xsd:complexType name="tUrl"><xsd:sequence>
    <xsd:element name="loc" type="tLoc"/>
    <xsd:element name="lastmod" type="tLastmod" minOccurs="0"/>
    <xsd:element name="changefreq" type="xsd:string" minOccurs="0"/>
    <xsd:element name="priority" type="xsd:decimal" minOccurs="0"/>
    <xsd:any namespace="##other" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
  </xsd:sequence></xsd:complexType>
  <xsd:complexType name="tSitemap"><xsd:sequence>
    <xsd:element name="loc" type="tLoc"/>
    <xsd:element name="lastmod" type="tLastmod" minOccurs="0"/>
  </xsd:sequence></xsd:complexType>
  <xsd:simpleType name="tLoc"><xsd:restriction base="xsd:anyURI">
    <xsd:minLength value="12"/><xsd:maxLength value="2048"/><xsd:pattern value="https?://[^\\s]+"/>
  </xsd:restriction></xsd:simpleType>
  <xsd:simpleType name="tLastmod"><xsd:union memberTypes="xsd:date xsd:dateTime"/></xsd:simpleType>
</xsd:schema>
"""
SCHEMA = etree.XMLSchema(etree.fromstring(_SCHEMA.encode()))


def valid(data: bytes) -> etree._Element:
    """The document, asserted valid against the schema and encoded as the protocol asks (UTF-8, declared)."""
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    doc = etree.fromstring(data)
    assert SCHEMA.validate(doc), SCHEMA.error_log
    return doc


def listed(out: Path) -> dict[str, str | None]:
    """Every URL the site's sitemap lists (following a sitemap index), with its lastmod."""
    doc = valid((out / "sitemap.xml").read_bytes())
    if doc.tag == f"{SM}sitemapindex":
        locs = [loc for loc in doc.xpath("//*[local-name()='loc']/text()") if not loc.endswith("sitemap-news.xml")]
        docs = [valid(local_path(out, loc).read_bytes()) for loc in locs]  # (the news sitemap has its own tests)
    else:
        docs = [doc]
    urls: dict[str, str | None] = {}
    for d in docs:
        for url in d.iter(f"{SM}url"):
            loc = url.findtext(f"{SM}loc")
            assert loc is not None and loc not in urls, f"{loc} listed twice"
            urls[loc] = url.findtext(f"{SM}lastmod")
    return urls


def test_the_sitemap_lists_every_public_page_and_nothing_else(make_site) -> None:
    s: Site = make_site()
    s.drop_never_public()
    s.ingest()
    s.publish()
    urls = listed(s.out)
    public = {r.slug: r for r in s.app.store.releases() if r.published <= s.clock() and not r.never_public}
    stored = {r.slug: r for r in s.app.store.releases()}
    assert stored["cancelled-statement-on-ferries"].never_public and "port-strategy-under-embargo" in stored
    assert "port-strategy-under-embargo" not in public and "cancelled-statement-on-ferries" not in public
    expected = {BASE_URL}
    expected |= {f"{BASE_URL}topics/{slug}/" for slug in ("iran", "russia", "syria", "ukraine")}
    expected |= {f"{BASE_URL}years/2026/"}
    expected |= {f"{BASE_URL}releases/{slug}/" for slug in public}
    assert set(urls) == expected
    for slug, r in public.items():
        assert urls[f"{BASE_URL}releases/{slug}/"] == rfc3339(r.updated)
    newest = max(r.updated for r in public.values())
    assert urls[BASE_URL] == rfc3339(newest) == urls[f"{BASE_URL}years/2026/"]
    for url in urls:  # every page listed is there, and none asks not to be indexed
        page = local_path(s.out, url).read_text(encoding="utf-8")
        assert "noindex" not in page and f'<link rel="canonical" href="{url}">' in page
    assert (s.out / "robots.txt").read_bytes() == (
        f"User-agent: *\nDisallow:\n\nSitemap: {BASE_URL}sitemap.xml\nSitemap: {BASE_URL}sitemap-news.xml\n".encode()
    )


def test_a_topic_left_without_releases_keeps_its_noindex_page_out_of_the_sitemap(make_site) -> None:
    s: Site = make_site()
    s.publish()
    assert f"{BASE_URL}topics/ukraine/" in listed(s.out)
    s.drop("echo", "Sanctions list updated", [], "2026-11-06T16:45:00Z")
    s.ingest()
    s.publish()
    assert (s.out / "topics/ukraine/index.html").is_file()
    assert f"{BASE_URL}topics/ukraine/" not in listed(s.out)


def test_the_sitemap_is_byte_stable_and_written_only_when_it_changes(make_site) -> None:
    s: Site = make_site()
    s.publish()
    assert_unchanged_again_and_from_scratch(s)
    s.clock.advance(timedelta(minutes=5))
    s.drop("golf", "Harbour dues frozen", ["Iran"], "2026-11-20T09:00:00Z")
    s.ingest()
    report = s.publish()
    assert "sitemap.xml" in report.written and "robots.txt" not in report.written
    assert f"{BASE_URL}releases/harbour-dues-frozen/" in listed(s.out)
    assert s.publish().changed == []


def test_an_offices_own_robots_txt_is_left_as_it_is_and_said_once(make_site, caplog) -> None:
    """A `robots.txt` the office put into out/ before (its own rules for crawlers) is never overwritten, nor removed;
    the log says so once, with the line to add. One feeds wrote is kept up to date as any other file."""
    s: Site = make_site()
    s.out.mkdir(parents=True, exist_ok=True)
    own = "User-agent: BadBot\nDisallow: /\n"
    (s.out / "robots.txt").write_text(own)
    with caplog.at_level("WARNING", logger="feeds.publish"):
        report = s.publish()
    assert (s.out / "robots.txt").read_text() == own
    assert report.kept == ["robots.txt"] and "robots.txt" not in report.written
    assert "robots.txt was not written by feeds: left as it is" in caplog.text
    assert f"Sitemap: {BASE_URL}sitemap.xml / Sitemap: {BASE_URL}sitemap-news.xml" in caplog.text  # (both to add)
    caplog.clear()
    with caplog.at_level("WARNING", logger="feeds.publish"):
        assert s.publish().changed == []
    assert "robots.txt" not in caplog.text, "said once"
    (s.out / "robots.txt").unlink()  # the office gives it up: feeds writes its own from then on
    assert "robots.txt" in s.publish().written
    assert f"Sitemap: {BASE_URL}sitemap.xml" in (s.out / "robots.txt").read_text()


def test_a_sitemap_past_the_limits_becomes_an_index_and_shrinks_back(make_site, monkeypatch) -> None:
    s: Site = make_site()
    s.publish()
    single = listed(s.out)
    monkeypatch.setattr(plansitemaps, "split_sitemap", partial(split_sitemap, max_urls=4))
    report = s.publish()
    assert set(report.written) == {
        "sitemap.xml",
        "sitemaps/sitemap-1.xml",
        "sitemaps/sitemap-2.xml",
        "sitemaps/sitemap-3.xml",
    }
    index = valid((s.out / "sitemap.xml").read_bytes())
    assert index.tag == f"{SM}sitemapindex"
    assert listed(s.out) == single  # the same URLs, in files of 4
    assert s.publish().changed == []
    monkeypatch.undo()
    report = s.publish()
    assert sorted(report.removed) == [f"sitemaps/sitemap-{n}.xml" for n in (1, 2, 3)]
    assert listed(s.out) == single and not (s.out / "sitemaps").exists()


def test_render_sitemap_splits_by_bytes_and_escapes_urls() -> None:
    base = "https://press.example.org/"
    urls = [SitemapUrl(f"{base}releases/a&b-{n:03}/", datetime(2026, 11, n + 1, tzinfo=UTC)) for n in range(10)]
    one = render_sitemap(split_sitemap(urls), base)
    assert [f.path for f in one] == ["sitemap.xml"] and b"a&amp;b-000" in one[0].data
    size = len(one[0].data)
    files = render_sitemap(split_sitemap(urls, max_bytes=size // 2), base)
    index, parts = valid(files[0].data), files[1:]
    assert index.tag == f"{SM}sitemapindex" and len(parts) > 2
    assert all(len(f.data) <= size // 2 for f in parts)
    assert [u.text for f in parts for u in valid(f.data).iter(f"{SM}loc")] == [u.loc for u in urls]
    newest = [max(u.text for u in valid(f.data).iter(f"{SM}lastmod")) for f in parts]
    assert [t.text for t in index.iter(f"{SM}lastmod")] == newest
    assert render_sitemap(split_sitemap(urls, max_bytes=size // 2), base) == files  # same input, same bytes
    assert render_robots("https://press.example.org/news/").data.endswith(
        b"Sitemap: https://press.example.org/news/sitemap.xml\n"
    )


@pytest.fixture
def served(make_site) -> Iterator[str]:
    published: Site = make_site()
    published.publish()
    with wsgi_served(StaticSite(published.out)) as port:
        yield f"http://127.0.0.1:{port}/"


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("sitemap.xml", "application/xml; charset=utf-8"),
        ("sitemap-news.xml", "application/xml; charset=utf-8"),
        ("robots.txt", "text/plain; charset=utf-8"),
    ],
)
def test_the_server_gives_sitemap_and_robots_their_content_types(served: str, path: str, media_type: str) -> None:
    with urllib.request.urlopen(served + path) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == media_type
