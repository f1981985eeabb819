"""A site whose `base_url` has an internationalised host or a path that a URI must percent-encode.

The feeds gave such a site's addresses in URI form (`https://xn--80aj3aega.example/%D0%BD…/`), as RFC 4287 and the
validators require, but the pages gave them as the config writes them: autodiscovery links, canonical and `og:url`
with a space in them (an error for an HTML validator, and an address other than the feed's own self link, so a
reader subscribing from the page found a feed that names another address), the 404 page's stylesheet path, and
the WebSub topics pinged to a hub (which must be the self link its subscribers subscribed to).
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from lxml import etree, html

from feeds.config import load_settings
from feeds.ingest import run_ingest
from feeds.publish import run_publish
from feeds.publish.spec import content_version
from feeds.publish.websub import changed_topics
from feeds.urls import uri_form
from tests.test_publish_site import Site, make_site  # noqa: F401  (the fixture)

WRITTEN = "https://пресса.example/новости и/"
URI = "https://xn--80aj3aega.example/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8%20%D0%B8/"
ATOM = "{http://www.w3.org/2005/Atom}"


def as_configured(base_url: str) -> str:
    """`base_url` as the config gives it to the rest of feeds (`site.base_url`, read from a config file)."""
    import tempfile
    from pathlib import Path

    from tests.conftest import BASE_CONFIG

    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "feeds.toml"
        config.write_text(BASE_CONFIG.replace("https://press.example.org/", base_url), encoding="utf-8")
        return load_settings(config, environ={}).site.base_url


def published_at(make_site, base_url: str) -> Site:  # noqa: F811
    site: Site = make_site()
    configured = as_configured(base_url)
    site.app.settings = replace(site.settings, site=replace(site.settings.site, base_url=configured))
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
        "/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8%20%D0%B8/static/site.css?v="
        + content_version((site.out / "static" / "site.css").read_bytes())
    ]


def test_a_plain_base_url_publishes_the_same_site_as_before(make_site) -> None:  # noqa: F811
    site = published_at(make_site, "https://press.example.org/news/")
    index = html.parse(str(site.out / "index.html")).getroot()
    assert index.xpath("//link[@rel='canonical']/@href") == ["https://press.example.org/news/"]


def test_websub_topics_are_the_feeds_self_links() -> None:
    assert changed_topics(["atom.xml", "topics/trade/rss.xml", "index.html"], as_configured(WRITTEN)) == [
        URI + "atom.xml",
        URI + "topics/trade/rss.xml",
    ]


def test_an_international_site_without_id_domain_loads_ingests_and_publishes(tmp_path, make_app_for) -> None:
    """With `base_url = "https://пресса.example/…"` and no `id_domain`, loading the config failed on a key never
    written (the default `http.user_agent` held the address as written, and a header is ASCII), and with the agent
    given, every publish raised: the releases' ids were `tag:пресса.example,…`, which no URI may be. The agent and
    the ids now name the host in its `xn--` form, as the feeds' links do."""
    from tests.conftest import BASE_CONFIG

    (tmp_path / "inbox").mkdir()
    config = tmp_path / "feeds.toml"
    config.write_text(BASE_CONFIG.replace("https://press.example.org/", WRITTEN), encoding="utf-8")
    settings = load_settings(config, environ={})
    assert settings.http.user_agent.isascii() and URI in settings.http.user_agent
    assert settings.site.domain == "xn--80aj3aega.example"

    (tmp_path / "inbox" / "port.json").write_text(
        json.dumps({"title": "Minister visits the port", "body": "The minister visited the port.", "slug": "port"}),
        encoding="utf-8",
    )
    app = make_app_for(settings)
    assert run_ingest(app).count("created") == 1
    run_publish(app)
    atom = etree.parse(str(tmp_path / "out" / "atom.xml")).getroot()
    assert atom.findtext(f"{ATOM}entry/{ATOM}id").startswith("tag:xn--80aj3aega.example,")
    assert atom.find(f"{ATOM}entry/{ATOM}link[@rel='alternate']").get("href") == URI + "releases/port/"


@pytest.mark.parametrize(
    ("url", "uri"),
    [
        ("https://press.example.org/news/", "https://press.example.org/news/"),  # plain: given back as it is
        ("https://Bücher.example/café?q=a b", "https://xn--bcher-kva.example/caf%C3%A9?q=a%20b"),
        # IDNA 2008, as browsers and requests name it: "straße" is not "strasse" (Python's own codec, IDNA 2003)
        ("https://straße.example/", "https://xn--strae-oqa.example/"),
        ("https://example.org/100%/done", "https://example.org/100%25/done"),
        ("https://example.org/a%20b", "https://example.org/a%20b"),
        ("/relative/path", None),
        ("mailto:press@example.org", None),
        ("https://☃.example/", None),
    ],
)
def test_uri_form(url: str, uri: str | None) -> None:
    assert uri_form(url) == uri
