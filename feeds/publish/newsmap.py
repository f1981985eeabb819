"""The Google News sitemap, `sitemap-news.xml`: the releases of the last two days, for Google News.

    releases, now ──news_releases──► the newest public releases of the last 2 days (≤ 1,000)
                  ──render_news_sitemap──► sitemap-news.xml (sitemaps.org 0.9 + the sitemap-news 0.9 namespace)

Google News reads a news sitemap far more often than a site's sitemap, and asks it to list only the articles
published in the last two days, at most 1,000 per file, each with its publication (the name it knows the site by,
and the article's language as an ISO 639 code, `zh-cn` and `zh-tw` standing for Chinese), its first publication
date (W3C format) and its title. Older articles may leave it: they stay in the index and in `sitemap.xml`.

Unlike every other file, what this one lists depends on the time of the publish: a release ages out of it two days
after its publication though nothing about it changed. The planner therefore fingerprints the releases chosen (not
the clock), so that the publish at which one ages out (or an embargo lifts) writes the file again, and one with the
same choice writes nothing. Same choice, same bytes: no generation time is written.

What this module must not do: read the clock (`now` is given), the store or `out/`; list a release that is not
public (the planner gives only public ones; a withdrawn one is left out here: it is no longer news to push).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

from feeds.clock import ensure_utc, rfc3339
from feeds.model import Release
from feeds.publish.sitemap import NAMESPACE
from feeds.publish.spec import RenderedFile

NEWS_SITEMAP_PATH = "sitemap-news.xml"
NEWS_NAMESPACE = "http://www.google.com/schemas/sitemap-news/0.9"
NEWS_WINDOW = timedelta(days=2)
"""Google News: "only include URLs for articles that were created in the last two days"."""
NEWS_LIMIT = 1_000
"""Google News: at most 1,000 `<url>` elements in a news sitemap (the newest are kept: a press office publishing
more than 500 releases a day would need a news sitemap index)."""

_TRADITIONAL = ("tw", "hk", "mo", "hant")


def news_language(tag: str) -> str:
    """`tag` (BCP 47) as Google News wants a language: its ISO 639 primary subtag in lower case (`en-GB` → `en`),
    but Chinese as `zh-tw` when written in Traditional characters (the `Hant` script, or Taiwan, Hong Kong or
    Macao without a script named) and `zh-cn` otherwise (Simplified, the likeliest script of a bare `zh`)."""
    subtags = [s.lower() for s in tag.replace("_", "-").split("-") if s]
    if not subtags:
        return "und"
    if subtags[0] != "zh":
        return subtags[0]
    script = next((s for s in subtags[1:] if len(s) == 4), None)
    if script is not None:
        return "zh-tw" if script == "hant" else "zh-cn"
    return "zh-tw" if any(s in _TRADITIONAL for s in subtags[1:]) else "zh-cn"


def news_releases(releases: Sequence[Release], now: datetime) -> tuple[Release, ...]:
    """The releases the news sitemap lists at `now`: published in the two days up to `now` (a release published
    exactly two days ago has aged out; one dated ahead is not out yet), not withdrawn, newest first (then by id), at
    most `NEWS_LIMIT`."""
    since = ensure_utc(now) - NEWS_WINDOW
    fresh = [
        r
        for r in releases
        if since < ensure_utc(r.published) <= ensure_utc(now) and r.withdrawn_at is None and r.removed_at is None
    ]
    fresh.sort(key=lambda r: (ensure_utc(r.published), r.id), reverse=True)
    return tuple(fresh[:NEWS_LIMIT])


def news_ages_out_at(chosen: Sequence[Release]) -> datetime | None:
    """When the first of `chosen` leaves the news sitemap (its publication plus two days): the site must be
    published again then for the file to stay true. None when it lists nothing."""
    return min((ensure_utc(r.published) + NEWS_WINDOW for r in chosen), default=None)


def render_news_sitemap(chosen: Sequence[Release], name: str, site_language: str) -> RenderedFile:
    """`sitemap-news.xml` listing `chosen` (`news_releases`) in that order, each with the publication `name` and
    its language (`site_language` for a release naming none), its publication date in UTC and its title. Empty (a
    `urlset` with no `url`), not missing, when nothing is news: robots.txt names it, and Google takes an empty one
    as it is."""
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{NAMESPACE}" xmlns:news="{NEWS_NAMESPACE}">\n'
    publication = escape(name)
    parts = [head]
    for r in chosen:
        parts.append(
            f"<url><loc>{escape(r.permalink)}</loc><news:news><news:publication><news:name>{publication}</news:name>"
            f"<news:language>{escape(news_language(r.language or site_language))}</news:language></news:publication>"
            f"<news:publication_date>{rfc3339(r.published)}</news:publication_date>"
            f"<news:title>{escape(r.title)}</news:title></news:news></url>\n"
        )
    parts.append("</urlset>\n")
    return RenderedFile(path=NEWS_SITEMAP_PATH, data="".join(parts).encode())
