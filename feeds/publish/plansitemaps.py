"""Planning the sitemaps (pure): `sitemap.xml` (split into parts past the protocol's bounds), `robots.txt` that
names them, and the news sitemap, as jobs of a `Planner`.

    plan_sitemaps(plan, index, …) ──► sitemap (sitemap.xml [+ sitemaps/sitemap-N.xml]), robots, news-sitemap

The sitemap lists the pages search engines may list (the index, the topic pages with releases, the year and month
pages, every release's page) with when each last changed; each page's `<url>` element and its line in the
fingerprint are kept by the memo (`PlanMemo.sitemap_url`), and a group's last change is worked out again only
when the group changed. The news sitemap lists the releases of the last two days, which the index finds without
going through the archive (`ArchiveIndex.published_between`).

What this module must not do: read the clock, the store or the disk (`now` is an argument).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import partial
from urllib.parse import quote

from feeds.clock import ensure_utc
from feeds.config import Settings
from feeds.model import Release
from feeds.publish.archiveindex import ALL, ArchiveIndex
from feeds.publish.newsmap import NEWS_SITEMAP_PATH, NEWS_WINDOW, news_releases, render_news_sitemap
from feeds.publish.planjobs import Planner
from feeds.publish.planpages import year_months
from feeds.publish.sitefeeds import FeedGroup
from feeds.publish.sitemap import SitemapUrl, render_robots, render_sitemap, sitemap_paths, split_sitemap
from feeds.publish.translations import Translation, hreflang_alternates
from feeds.publish.yearmonths import month_path

__all__ = ["news_of", "plan_sitemaps"]


def plan_sitemaps(
    plan: Planner,
    index: ArchiveIndex,
    settings: Settings,
    *,
    groups: Sequence[FeedGroup],
    years: Sequence[int],
    recent: Sequence[Release],
    translated: Mapping[str, tuple[Translation, ...]],
    now: datetime,
) -> None:
    memo, keys = plan.memo, plan.keys
    site = settings.site
    everything = index.group(ALL)

    def lastmod(name: str, of: Sequence[Release]) -> datetime:
        return memo.derived(f"lastmod:{name}", of, lambda rs: max(r.updated for r in rs))

    # The sitemap of the pages that search engines may list (a topic page with no release says `noindex`),
    # rendered only when one of them (or its lastmod) changed.
    urls = [SitemapUrl(site.base_url, max((r.updated for r in recent), default=None))]
    for g in sorted((g for g in groups if g.key.startswith("topic:") and g.releases), key=lambda g: g.key):
        url = f"{site.base_url}topics/{quote(g.key.removeprefix('topic:'))}/"
        urls.append(SitemapUrl(url, lastmod(g.key, g.releases)))
    urls += [SitemapUrl(f"{site.base_url}years/{y}/", lastmod(f"y:{y}", index.group(f"y:{y}"))) for y in years]
    urls += [
        SitemapUrl(site.base_url + month_path(y, m), lastmod(f"m:{y}-{m:02d}", rs))
        for y in years
        for m, rs in year_months(plan, index, y).items()
    ]
    lines, lang = [f"{u.loc} {u.lastmod} {u.alternates}" for u in urls], site.language

    def page_url(r: Release) -> SitemapUrl:  # (its language versions as its page's `<link rel="alternate">`)
        versions = translated.get(r.id, ())
        return SitemapUrl(r.permalink, r.updated, hreflang_alternates(r.language or lang, r.permalink, versions, lang))

    for listed_url, line in (memo.sitemap_url(r, keys[r.id], page_url) for r in everything):
        urls.append(listed_url)
        lines.append(line)
    parts = split_sitemap(urls)
    listed = "\n".join([*lines, repr([len(p) for p in parts])])
    others = (NEWS_SITEMAP_PATH,)
    sitemap = partial(render_sitemap, parts, site.base_url, others=others, element=memo.elements())
    plan.add("sitemap", sitemap_paths(parts), listed, sitemap)
    robots = partial(render_robots, site.base_url, others)
    plan.add("robots", ["robots.txt"], (site.base_url, others), lambda: (robots(),), yields=True)
    # The news sitemap: the releases of the last two days at `now`. Its fingerprint is the releases it lists, not
    # the time, so the first publish after one ages out (or an embargo lifts) rewrites it, and no other does.
    news = news_of(index, now)
    news_inputs = (plan.tokens(news), site.news_name, site.language)
    plan.add(
        "news-sitemap",
        [NEWS_SITEMAP_PATH],
        news_inputs,
        lambda: (render_news_sitemap(news, site.news_name, site.language),),
    )


def news_of(index: ArchiveIndex, now: datetime) -> tuple[Release, ...]:
    """`news_releases` of the indexed releases at `now`, from those the index finds in its window."""
    now = ensure_utc(now)
    return news_releases(index.published_between(now - NEWS_WINDOW, now), now)
