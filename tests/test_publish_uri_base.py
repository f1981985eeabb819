"""A site whose `base_url` has an internationalised host or a path that a URI must percent-encode.

The feeds gave such a site's addresses in URI form (`https://xn--80aj3aega.example/%D0%BD…/`), as RFC 4287 and the
validators require, but the pages gave them as the config writes them: autodiscovery links, canonical and `og:url`
with a space in them (an error for an HTML validator, and an address other than the feed's own self link, so a
reader subscribing from the page found a feed that names another address), the 404 page's stylesheet path, and
the WebSub topics pinged to a hub (which must be the self link its subscribers subscribed to).
"""

from __future__ import annotations

from dataclasses import replace

from lxml import etree, html

from feeds.publish.websub import changed_topics
from tests.test_publish_site import Site, make_site  # noqa: F401  (the fixture)

WRITTEN = "https://пресса.example/новости и/"
URI = "https://xn--80aj3aega.example/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8%20%D0%B8/"
ATOM = "{http://www.w3.org/2005/Atom}"


def published_at(make_site, base_url: str) -> Site:  # noqa: F811
    site: Site = make_site()
    site.app.settings = replace(site.settings, site=replace(site.settings.site, base_url=base_url))
    site.publish()
    return site


def test_pages_give_the_sites_addresses_in_uri_form_as_its_feeds_do(make_site) -> None:  # noqa: F811
    site = published_at(make_site, WRITTEN)
    pages = sorted(site.out.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        root = html.parse(str(page)).getroot()
        for attribute in ("href", "src", "content"):
            for value in root.xpath(f"//*[@{attribute}]/@{attribute}"):
                if value.startswith(("http:", "https:", "/")):
                    assert value.isascii() and " " not in value, f"{page.relative_to(site.out)}: {value}"
    index = html.parse(str(site.out / "index.html")).getroot()
    (canonical,) = index.xpath("//link[@rel='canonical']/@href")
    assert canonical == URI
    (discovered,) = index.xpath("//link[@rel='alternate'][@type='application/atom+xml']/@href")
    self_link = etree.parse(str(site.out / "atom.xml")).getroot().find(f"{ATOM}link[@rel='self']").get("href")
    assert discovered == self_link == URI + "atom.xml"
    not_found = html.parse(str(site.out / "404.html")).getroot()
    assert not_found.xpath("//link[@rel='stylesheet']/@href") == [
        "/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8%20%D0%B8/static/site.css"
    ]


def test_a_plain_base_url_publishes_the_same_site_as_before(make_site) -> None:  # noqa: F811
    site = published_at(make_site, "https://press.example.org/news/")
    index = html.parse(str(site.out / "index.html")).getroot()
    assert index.xpath("//link[@rel='canonical']/@href") == ["https://press.example.org/news/"]


def test_websub_topics_are_the_feeds_self_links() -> None:
    assert changed_topics(["atom.xml", "topics/trade/rss.xml", "index.html"], WRITTEN) == [
        URI + "atom.xml",
        URI + "topics/trade/rss.xml",
    ]
