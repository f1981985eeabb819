"""The search of the published site, as a journalist's browser gets it from a static host: `search/index.html`
linked from every page's header, `static/search.js`, and the index of the public releases in shards
(`search/shards.json` naming `search/<year>.json`, or `search/<year>-<mm>.json` for a year listed by month).

What the index holds and leaves out (never a release under embargo, withdrawn before its publication or taken
down), byte-stable output, an incremental publish that rewrites only the shards whose releases changed, the page
without the script, and what `feeds serve` sends with it. The script itself runs in Chromium:
tests/test_publish_search_browser.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from lxml import html

from feeds.ingest.takedown import remove_release
from feeds.publish.i18n import messages_for
from feeds.publish.spec import content_version
from feeds.web.static import StaticSite
from tests import test_publish_site
from tests.test_publish_site import BASE_URL, Site, assert_unchanged_again_and_from_scratch

make_site = test_publish_site.make_site  # (the fixture)

ADDRESS, TITLE, SUMMARY, DAY, ORGANISATION, TOPICS, WITHDRAWN, LANGUAGE = range(8)


def manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / "search" / "shards.json").read_bytes())


def entries(out: Path) -> list[list[Any]]:
    """Every entry of the index, in the manifest's order (newest shard first), each shard checked against the
    version the manifest names."""
    found: list[list[Any]] = []
    for file, count in manifest(out)["shards"]:
        name, _, version = file.partition("?v=")
        shard = json.loads((out / "search" / name).read_bytes())
        assert shard["format"] == 1 and shard["version"] == version and len(shard["releases"]) == count
        found += shard["releases"]
    return found


def titles(out: Path) -> list[str]:
    return [e[TITLE] for e in entries(out)]


def test_the_index_lists_every_public_release_and_nothing_else(make_site) -> None:
    s: Site = make_site()
    s.drop_never_public()
    s.drop("gone", "Statement taken down by order", [], "2026-11-08T09:00:00Z")
    s.drop("late", "Fisheries quota withdrawn", [], "2026-11-09T09:00:00Z", withdrawn_at="2026-11-10T09:00:00Z")
    s.ingest()
    remove_release(s.app, "statement-taken-down-by-order", "court order")
    s.publish()
    listed = titles(s.out)
    assert "Port strategy under embargo" not in listed
    assert "Cancelled statement on ferries" not in listed
    assert "Statement taken down by order" not in listed
    # The sitemap's rule: what it lists (a withdrawn release stays listed with its notice) is what search finds.
    sitemap = (s.out / "sitemap.xml").read_text(encoding="utf-8")
    pages = {loc for loc in re.findall(r"<loc>([^<]+)</loc>", sitemap) if "/releases/" in loc}
    assert {f"{BASE_URL}releases/{e[ADDRESS]}/" for e in entries(s.out)} == pages
    assert listed == [
        "Fisheries quota withdrawn",
        "Consular fees for next year",
        "Sanctions list updated",
        "Aid convoy reaches the border",
        "Joint statement on shipping lanes",
        "Embassy hours change over the holidays",
        "Ministers agree a grain corridor",
    ], "newest first"
    withdrawn = next(e for e in entries(s.out) if e[TITLE] == "Fisheries quota withdrawn")
    assert withdrawn[WITHDRAWN] == 1
    assert manifest(s.out)["total"] == 7


def test_an_entry_holds_what_a_result_shows(make_site) -> None:
    s: Site = make_site(seed=False)
    long = "The harbour master said " + "that the quays will be dredged again " * 12 + "this winter."
    s.drop(
        "cafe",
        "Café owners in Zürich meet <the> trade office",
        ["trade", "North Sea"],
        "2026-06-30T23:30:00Z",  # (1 July in the site's zone, Europe/London)
        organisation="Département du Commerce",
        summary=long,
        language="fr",
    )
    s.drop("trade", "Trade figures", ["Trade"], "2026-05-01T09:00:00Z")  # (names the topic as most spell it)
    s.ingest()
    s.publish()
    (entry, _) = entries(s.out)
    assert entry[ADDRESS] == "cafe-owners-in-zurich-meet-the-trade-office", "its address: releases/<slug>/"
    assert entry[TITLE] == "Café owners in Zürich meet <the> trade office"
    assert entry[SUMMARY].startswith("The harbour master said") and entry[SUMMARY].endswith("…")
    assert len(entry[SUMMARY]) <= 160 and len(entry[SUMMARY]) < len(long)
    assert entry[DAY] == "2026-07-01"
    assert entry[ORGANISATION] == "Département du Commerce"
    assert entry[TOPICS] == ["Trade", "North Sea"]
    assert entry[WITHDRAWN] == 0 and entry[LANGUAGE] == "fr"
    raw = (s.out / "search" / "2026.json").read_text(encoding="utf-8")
    assert "Zürich" in raw, "UTF-8 as is, not \\u escapes: a smaller file"
    assert "<the>" not in raw and "\\u003cthe\\u003e" in raw, "never markup, whatever a host serves it as"


def test_the_index_is_byte_stable_and_written_again_only_where_it_changed(make_site) -> None:
    s: Site = make_site()
    s.drop("old", "Harbour dues for 2025", [], "2025-03-01T09:00:00Z")
    s.ingest()
    s.publish()
    assert [f.split("?")[0] for f, _ in manifest(s.out)["shards"]] == ["2026.json", "2025.json"]
    assert_unchanged_again_and_from_scratch(s)
    # A new release of 2026: its shard and the manifest are written again, 2025's is not even rendered.
    s.drop("new", "Harbour dues frozen", [], "2026-11-20T09:00:00Z")
    s.ingest()
    written = s.publish().written
    assert "search/2026.json" in written and "search/shards.json" in written
    assert "search/2025.json" not in written and "search/index.html" not in written
    assert titles(s.out)[0] == "Harbour dues frozen"
    # An edit of a 2025 release: its shard only (and the manifest naming its new version).
    s.drop("old", "Harbour dues for 2025 revised", [], "2025-03-01T09:00:00Z")
    s.ingest()
    written = s.publish().written
    assert sorted(w for w in written if w.startswith("search/")) == ["search/2025.json", "search/shards.json"]
    assert_unchanged_again_and_from_scratch(s)


def test_a_year_listed_by_month_has_a_shard_per_month(make_site, monkeypatch: pytest.MonkeyPatch) -> None:
    """A back catalogue of thousands of releases a year: the year's shard would be as large as its one page was
    (`yearmonths`), so such a year is cut by month, as its pages are."""
    from feeds.publish import yearmonths

    monkeypatch.setattr(yearmonths, "MONTH_PAGES_FROM", 3)
    s: Site = make_site()  # (six releases, 2 to 7 November 2026)
    s.drop("oct", "October note", [], "2026-10-02T09:00:00Z")
    s.drop("old", "Harbour dues for 2025", [], "2025-03-01T09:00:00Z")
    s.ingest()
    s.publish()
    shards = [(f.split("?")[0], n) for f, n in manifest(s.out)["shards"]]
    assert shards == [("2026-11.json", 6), ("2026-10.json", 1), ("2025.json", 1)]
    assert not (s.out / "search" / "2026.json").exists()
    assert (s.out / "years" / "2026" / "11" / "index.html").is_file(), "as the year's pages are cut"


def test_every_page_links_the_search_page_and_it_works_without_the_script(make_site) -> None:
    s: Site = make_site()
    s.publish()
    out = s.out
    for page in sorted(out.rglob("*.html")):
        doc = html.parse(str(page)).getroot()
        nav = doc.xpath("//header[@class='site']/nav//a[.='Search']/@href")
        assert len(nav) == 1, page
        home = "/" if page.name == "404.html" else ""
        assert nav[0].endswith("search/") and (home or not nav[0].startswith("http")), page
    doc = html.parse(str(out / "search" / "index.html")).getroot()
    assert doc.findtext(".//h1") == "Search the releases"
    assert doc.xpath("//meta[@name='robots']/@content") == ["noindex"]
    # The one script is the site's own file, named by its version; nothing inline (the pages' policy forbids it).
    script = (out / "static" / "search.js").read_bytes()
    assert doc.xpath("//script/@src") == [f"../static/search.js?v={content_version(script)}"]
    assert [el for el in doc.iter("script") if el.text and el.text.strip()] == []
    assert not any(a.startswith("on") for el in doc.iter() for a in el.attrib)
    form = doc.get_element_by_id("search-form")
    assert form.get("hidden") is not None, "shown by the script: without it the form would do nothing"
    assert form.get("data-index") == "shards.json"
    assert doc.xpath("//label[@for='search-words']") and doc.xpath("//input[@id='search-words'][@name='q']")
    status = doc.get_element_by_id("search-status")
    assert status.get("role") == "status" and status.get("aria-live") == "polite"
    found = json.loads(status.get("data-found"))
    assert found["forms"] == ["%(num)d releases found", "%(num)d release found"]
    assert found["of"][:3] == "010" and len(found["of"]) == 200
    fallback = doc.get_element_by_id("search-needs-script")
    assert "Search needs JavaScript" in fallback.text_content()
    hrefs = set(fallback.xpath(".//a/@href"))
    assert {"../years/2026/", "../topics/iran/", "../topics/ukraine/"} <= hrefs
    assert all((out / "search" / href / "index.html").resolve().is_file() for href in hrefs)


def test_a_welsh_site_counts_its_results_in_every_welsh_plural_form(make_site) -> None:
    s: Site = make_site()
    s.app.settings = replace(s.settings, site=replace(s.settings.site, language="cy"))
    s.publish()
    doc = html.parse(str(s.out / "search" / "index.html")).getroot()
    assert doc.findtext(".//h1") == "Chwilio'r datganiadau"
    found = json.loads(doc.get_element_by_id("search-status").get("data-found"))
    # Welsh has six plural forms (0, 1, 2, 3, 6, the rest): the table gives each count the catalogue's own.
    words = messages_for(s.app.settings.site)
    for n in range(200):
        wanted = words.ngettext("%(num)d release found", "%(num)d releases found", n)
        assert found["forms"][int(found["of"][n])] == wanted, n
    assert found["forms"][int(found["of"][1])] == "%(num)d datganiad wedi'i ganfod"
    assert len({found["forms"][int(found["of"][n])] for n in (0, 1, 2)}) == 3


def test_feeds_serve_lets_the_search_page_alone_run_the_site_s_script(make_site) -> None:
    s: Site = make_site()
    s.publish()
    site = StaticSite(s.out)

    def get(path: str, query: str = "") -> tuple[str, dict[str, str]]:
        seen: dict[str, Any] = {}

        def start(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            seen.update(status=status, headers=dict(headers))

        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query}
        b"".join(site(environ, start))
        return seen["status"], seen["headers"]

    _, page = get("/search/")
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy and "unsafe-inline" not in policy
    _, index = get("/")
    assert "script-src" not in index["Content-Security-Policy"], "every other page runs nothing"
    status, script = get("/static/search.js")
    assert status == "200 OK" and script["Content-Type"] == "text/javascript; charset=utf-8"
    file, _ = manifest(s.out)["shards"][0]
    name, _, version = file.partition("?v=")
    _, shard = get(f"/search/{name}", f"v={version}")
    assert shard["Cache-Control"] == "public, max-age=31536000, immutable"
    assert shard["Content-Type"] == "application/json; charset=utf-8"
    _, stale = get(f"/search/{name}", "v=000000000000")
    assert stale["Cache-Control"] == "public, max-age=300"
    _, listing = get("/search/shards.json")
    assert listing["Cache-Control"] == "public, max-age=300", "the manifest changes with every publish"


def test_a_setting_no_entry_shows_rewrites_no_shard_and_one_it_shows_rewrites_them_all(make_site) -> None:
    """A shard's version is made of what its entries show, not of every setting: a new site description
    re-renders every page, but leaves the index's files as they were; a new base URL (an entry's address is
    relative to it) or time zone (an entry's day) gives every shard a new version."""
    s: Site = make_site()
    s.publish()
    s.app.settings = replace(s.settings, site=replace(s.settings.site, description="News from the office."))
    assert [w for w in s.publish().written if w.startswith("search/")] == []
    s.app.settings = replace(s.settings, site=replace(s.settings.site, timezone="America/New_York"))
    assert sorted(w for w in s.publish().written if w.startswith("search/")) == [
        "search/2026.json",
        "search/shards.json",
    ]
