"""What search engines, Google News, social networks and browsers get from the published site, as a press office's
digital lead checks it: large image previews allowed on current release pages only (never on a withdrawn, removed
or empty page), the picture's alt text on the social cards, the publication's name in the news sitemap as Publisher
Center knows it (`site.publication_name`), an answer to `/favicon.ico` that is no error, and the browser view of an
RSS feed labelling an item in another language (`dc:language`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from lxml import etree
from lxml import html as lxml_html

from feeds.cli import cli
from feeds.config import load_settings
from feeds.errors import ConfigError
from feeds.ingest.takedown import remove_release
from feeds.publish.newsmap import NEWS_SITEMAP_PATH
from feeds.publish.pages import PageRenderer
from feeds.publish.releasepage import release_page
from feeds.web.app import make_web_app
from tests import test_publish_site
from tests.conftest import BASE_CONFIG
from tests.test_publish_pages import CSS, MAIN_FEEDS, SITE, make_release
from tests.test_publish_site import BASE_URL, Site, assert_unchanged_again_and_from_scratch
from tests.test_web_api import serving

make_site = test_publish_site.make_site  # (the fixture)

TIMEZONE = 'timezone = "Europe/London"'
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@pytest.fixture
def serve() -> Iterator[Callable[[Any], str]]:
    yield from serving()


def head_meta(path: Path) -> dict[str, list[str]]:
    doc = lxml_html.document_fromstring(path.read_bytes().decode("utf-8"))
    found: dict[str, list[str]] = {}
    for el in doc.xpath("//head/meta[@property or @name]"):
        found.setdefault(el.get("property") or el.get("name"), []).append(el.get("content"))
    return found


def with_site_keys(text: str) -> str:
    """The test deployment's config with `text` added to its `[site]` table."""
    return BASE_CONFIG.replace(TIMEZONE, f"{TIMEZONE}\n{text}")


# --- 1. large image previews --------------------------------------------------------------------------------------


def test_current_release_pages_allow_large_image_previews_and_no_other_kind_of_page_is_promoted(make_site) -> None:
    """Google Discover and Top stories show a page's picture large only with `max-image-preview:large`. A current
    release page says so; a withdrawn one does not (it stays listed, with its notice, but is not promoted), a
    taken-down one's notice and an emptied topic's page say `noindex`, and nothing is written for an embargoed one."""
    s: Site = make_site()
    picture = "https://press.example.org/images/ferry.jpg"
    s.drop("ferry", "Ferry timetable restored", ["Iran"], "2026-11-28T09:00:00Z", image=picture)
    s.drop("plain", "Statement on ports", ["Iran"], "2026-11-28T08:00:00Z")
    s.drop("gone", "Withdrawn notice", [], "2026-11-27T09:00:00Z", withdrawn_note="Superseded.")
    s.drop("held", "Port strategy under embargo", ["Iran"], "2026-11-29T18:00:00Z", image=picture)
    s.drop("lawyer", "Statement the lawyers removed", ["Lawyers"], "2026-11-28T07:00:00Z")
    s.ingest()
    s.publish()
    remove_release(s.app, "statement-the-lawyers-removed", "A court order.")
    s.publish()
    releases = s.out / "releases"
    assert head_meta(releases / "ferry-timetable-restored/index.html")["robots"] == ["max-image-preview:large"]
    assert head_meta(releases / "statement-on-ports/index.html")["robots"] == ["max-image-preview:large"]
    assert "robots" not in head_meta(releases / "withdrawn-notice/index.html")
    assert not (releases / "port-strategy-under-embargo").exists()
    assert head_meta(releases / "statement-the-lawyers-removed/index.html")["robots"] == ["noindex"]
    assert head_meta(s.out / "topics/lawyers/index.html")["robots"] == ["noindex"]
    assert head_meta(s.out / "404.html")["robots"] == ["noindex"]
    assert_unchanged_again_and_from_scratch(s)


# --- 2. the picture's alt text on the cards -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("img", "alt"),
    [
        ('alt="The Foreign Secretary &amp; the ferry"', "The Foreign Secretary & the ferry"),
        # the page names a picture with no alt by its title (with_alt): so does the card
        ('title="The ferry at  dawn"', "The ferry at dawn"),
        ('alt="" title="Decoration"', None),  # an empty alt: decoration, said so on purpose
        ("", None),
    ],
)
def test_the_cards_describe_the_lead_picture_as_the_page_names_it(img: str, alt: str | None) -> None:
    src = "https://news.example.gov.uk/images/sea-wall.jpg"
    release = make_release(body_html=f'<p><img src="{src}" {img}></p>', image=src)
    page = release_page(PageRenderer(SITE), release, feeds=MAIN_FEEDS, stylesheet_url=CSS).data.decode()
    tags: dict[str, list[str]] = {}
    for el in lxml_html.document_fromstring(page).xpath("//head/meta[@property or @name]"):
        tags.setdefault(el.get("property") or el.get("name"), []).append(el.get("content"))
    if alt is None:
        assert "og:image:alt" not in tags and "twitter:image:alt" not in tags
    else:
        assert tags["og:image:alt"] == tags["twitter:image:alt"] == [alt]


# --- 3. the publication's name in the news sitemap ----------------------------------------------------------------


def news_names(out: Path) -> list[str | None]:
    return [e.text for e in etree.fromstring((out / NEWS_SITEMAP_PATH).read_bytes()).iter(f"{NEWS}name")]


def test_the_news_sitemap_names_the_publication_as_publisher_center_does(make_site, make_app_for, tmp_path) -> None:
    s: Site = make_site()
    s.drop("fresh", "Ferry timetable restored", ["Iran"], "2026-11-28T09:00:00Z")
    s.ingest()
    s.publish()
    assert news_names(s.out) == [s.settings.site.title]  # (by default, the site's title)
    (tmp_path / "feeds.toml").write_text(with_site_keys('publication_name = "Test Office & Co"'), encoding="utf-8")
    settings = load_settings(tmp_path / "feeds.toml", environ={})
    assert settings.site.publication_name == settings.site.news_name == "Test Office & Co"
    renamed = test_publish_site.Site(settings, make_app_for(settings), s.clock)  # (the same database and out/)
    report = renamed.publish()
    assert report.written == [NEWS_SITEMAP_PATH], "only the news sitemap names the publication"
    assert news_names(s.out) == ["Test Office & Co"]
    assert b"<news:name>Test Office &amp; Co</news:name>" in (s.out / NEWS_SITEMAP_PATH).read_bytes()
    said = CliRunner().invoke(cli, ["--config", str(tmp_path / "feeds.toml"), "check-config"]).output
    assert "  news      publication 'Test Office & Co' in sitemap-news.xml, as in Publisher Center" in said


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ('""', "must not be empty"),
        ('" Test Office"', "spaces before or after it"),
        ('"Test\\nOffice"', "one line"),
        ('"Test\\u0007Office"', "control characters"),
        ("3", "must be a string"),
    ],
)
def test_a_publication_name_google_could_never_match_is_refused_naming_its_line(
    tmp_path: Path, value: str, fragment: str
) -> None:
    (tmp_path / "inbox").mkdir()
    config = tmp_path / "feeds.toml"
    config.write_text(with_site_keys(f"publication_name = {value}"), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(config, environ={})
    line = config.read_text().splitlines().index(f"publication_name = {value}") + 1
    assert info.value.key == "site.publication_name" and info.value.line == line and fragment in info.value.message
    result = CliRunner().invoke(cli, ["--config", str(config), "check-config"])
    assert result.exit_code != 0
    assert result.output.startswith(f"error: {config}:{line}: site.publication_name: ")


# --- 4. /favicon.ico ----------------------------------------------------------------------------------------------


def _serve_site(make_settings, make_app_for, serve, icon: str | None) -> tuple[str, Path]:
    extra = "" if icon is None else f'icon = "{icon}"'
    settings = make_settings()
    if icon is not None:
        config = settings.paths.out.parent / "feeds.toml"
        config.write_text(with_site_keys(extra), encoding="utf-8")
        settings = load_settings(config, environ={})
    app = make_app_for(settings)
    settings.paths.out.mkdir(parents=True, exist_ok=True)
    return serve(make_web_app(app)), settings.paths.out


@pytest.mark.parametrize(
    ("icon", "status", "location"),
    [
        (None, 204, None),  # no icon at all: "no content", which no browser console or log reports as an error
        ("mark.png", 302, "https://press.example.org/mark.png"),  # a PNG: browsers and readers follow the redirect
        ("https://cdn.example.net/office.ico", 302, "https://cdn.example.net/office.ico"),
        ("favicon.ico", 204, None),  # the icon is this very address, its file not in out/: no redirect loop
    ],
)
def test_favicon_ico_is_never_a_404(make_settings, make_app_for, serve, icon, status, location) -> None:
    base, out = _serve_site(make_settings, make_app_for, serve, icon)
    for method in ("GET", "HEAD"):
        r = requests.request(method, f"{base}/favicon.ico", allow_redirects=False, timeout=10)
        assert r.status_code == status and r.headers.get("Location") == location and r.content == b""
        assert r.headers["Cache-Control"] == "public, max-age=86400"
        assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert requests.get(f"{base}/favicon.png", timeout=10).status_code == 404  # (only /favicon.ico is asked for)
    assert not (out / "favicon.ico").exists(), "feeds writes no icon of its own"


def test_an_office_s_own_favicon_in_out_is_served_and_kept_by_a_publish(make_site, make_app_for, serve) -> None:
    s: Site = make_site()
    s.publish()
    icon = b"\x00\x00\x01\x00" + b"\x00" * 60  # (an .ico's header, enough for a browser to tell it)
    (s.out / "favicon.ico").write_bytes(icon)
    s.publish()
    assert (s.out / "favicon.ico").read_bytes() == icon, "a publish leaves a file it did not write"
    base = serve(make_web_app(s.app))
    r = requests.get(f"{base}/favicon.ico", timeout=10)
    assert r.status_code == 200 and r.content == icon and r.headers["Content-Type"] == "image/x-icon"


# --- 5. the browser view of an RSS feed ---------------------------------------------------------------------------


def test_the_browser_view_of_rss_labels_an_item_in_another_language(make_site) -> None:
    """An RSS item in another language than the channel's names it in `dc:language`; feed.xsl's page labels its
    title with it, and lays it out in its direction, as it does an Atom entry's `xml:lang`."""
    s: Site = make_site()
    s.drop("cy", "Amserlen fferi", [], "2026-11-28T08:00:00Z", language="cy")
    s.drop("ar", "جدول العبارات", [], "2026-11-28T07:00:00Z", language="ar")
    s.ingest()
    s.publish()
    xslt = etree.XSLT(etree.parse(str(s.out / "static/feed.xsl")))
    page = xslt(etree.parse(str(s.out / "rss.xml"))).getroot()
    titles = {a.text: (a.get("lang"), a.get("dir")) for a in page.iter("a") if a.get("class") == "entry-title"}
    assert titles["Amserlen fferi"] == ("cy", "ltr")
    assert titles["جدول العبارات"] == ("ar", "rtl")
    english = [t for t in titles if t not in ("Amserlen fferi", "جدول العبارات")]
    assert english and all(titles[t] == (None, "auto") for t in english)
    assert b"RSS names no" not in (s.out / "static/feed.xsl").read_bytes()
    assert BASE_URL in (s.out / "rss.xml").read_text()
