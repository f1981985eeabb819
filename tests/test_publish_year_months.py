"""A year with more releases than one page should list (a back catalogue of 3,000 a year) is listed by month:
`years/<year>/` names its months, each linking `years/<year>/<mm>/`, which lists that month's releases; a year
with fewer keeps one page. Every release stays reachable from the site's pages, and the sitemap has the month
pages. (At full scale: 40,000 releases of 2014-2026 made year pages of 1.9 MB and 3,300 cards each.)
"""

from __future__ import annotations

import re

import pytest
from lxml import etree

from feeds.publish import yearmonths
from tests.test_publish_site import make_site  # noqa: F401  (a fixture)

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def site(make_site, monkeypatch):  # noqa: F811
    monkeypatch.setattr(yearmonths, "MONTH_PAGES_FROM", 5)
    site = make_site(seed=False)
    for n in range(7):  # 2021: seven releases in three months, past the (lowered) threshold
        site.drop(f"old{n}", f"Coastal path notice {n}", ["Harbours"], f"2021-{n % 3 * 4 + 1:02d}-1{n}T10:00:00Z")
    for n in range(2):  # 2022: two, one page as before
        site.drop(f"new{n}", f"Pier notice {n}", ["Harbours"], f"2022-03-0{n + 1}T10:00:00Z")
    site.ingest()
    site.publish()
    return site


def links(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


def test_a_large_year_lists_its_months_and_each_month_its_releases(site) -> None:
    year = (site.out / "years/2021/index.html").read_text("utf-8")
    assert "releases/coastal-path-notice" not in year, "the year page lists months, not 3,000 releases"
    assert [h for h in links(year) if re.fullmatch(r"\d\d/", h)] == ["09/", "05/", "01/"], "newest first"
    assert "September 2021" in year and "(2)" in year and "January 2021" in year and "(3)" in year
    may = (site.out / "years/2021/05/index.html").read_text("utf-8")
    assert "<h1>Releases of May 2021</h1>" in may
    assert sorted(re.findall(r"releases/(coastal-path-notice-\d)/", may)) == [
        "coastal-path-notice-1",
        "coastal-path-notice-4",
    ]
    assert 'href="../../../releases/coastal-path-notice-1/"' in may, "links one folder deeper"
    assert 'href="../../../static/site.css?v=' in may
    assert '<link rel="canonical" href="https://press.example.org/years/2021/05/">' in may
    assert 'aria-current="page">May 2021' in may and 'href="../09/"' in may, "the other months"
    assert 'href="../../../years/2022/"' in may and 'href="../../../years/2021/"' in may, "the years, its own too"
    shown = set()
    for month in ("01", "05", "09"):
        shown |= set(
            re.findall(
                r"releases/(coastal-path-notice-\d)/", (site.out / f"years/2021/{month}/index.html").read_text("utf-8")
            )
        )
    assert len(shown) == 7, "every release of the year is on one of its month pages"


def test_a_small_year_keeps_one_page_and_the_sitemap_has_the_months(site) -> None:
    small = (site.out / "years/2022/index.html").read_text("utf-8")
    assert small.count("releases/pier-notice-") == 2 and not (site.out / "years/2022/03").exists()
    locs = [e.text for e in etree.parse(str(site.out / "sitemap.xml")).iter(f"{SITEMAP}loc")]
    base = "https://press.example.org/years/"
    assert {base + "2021/01/", base + "2021/05/", base + "2021/09/", base + "2021/", base + "2022/"} <= set(locs)
    assert base + "2022/03/" not in locs
    assert site.publish().changed == [], "a publish with nothing new writes nothing"
