"""The site's `sitemap.xml` (sitemaps.org protocol 0.9) and `robots.txt`, which names it and the news sitemap.

    SitemapUrl (loc, lastmod) … ──split_sitemap──► parts ──render_sitemap──► sitemap.xml
                                                                  (or a sitemap index + sitemaps/sitemap-N.xml)
    base_url ──render_robots──► robots.txt

A sitemap lists the site's public HTML pages, each by its absolute URL: the index, every topic page that lists
releases, every year page and every release page (with its `updated` as `<lastmod>`, and its language versions as
`<xhtml:link rel="alternate" hreflang>`, the same set as the page's own `<link rel="alternate" hreflang>`). The
planner decides which pages those are (never a release withdrawn before its publication or still under embargo;
never a page asking not to be indexed); this module only writes them. One file holds at most 50,000 URLs and 50 MB
(the protocol's limits); past either, `sitemap.xml` becomes a sitemap index of `sitemaps/sitemap-1.xml`… . The files
are known before anything is rendered (`split_sitemap`, `sitemap_paths`), so an incremental publish skips an
unchanged sitemap as it skips a page; the bytes are a function of the URLs alone (their order kept, no generation
time), so an unchanged site keeps its ETags.

What this module must not do: read the clock, the store or `out/`; decide which pages are public (`plan.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from feeds.clock import ensure_utc, rfc3339
from feeds.publish.spec import RenderedFile

SITEMAP_PATH = "sitemap.xml"
ROBOTS_PATH = "robots.txt"
NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NAMESPACE = "http://www.w3.org/1999/xhtml"
MAX_URLS = 50_000
MAX_BYTES = 50 * 1024 * 1024
"""The protocol's limits on one sitemap file: 50,000 URLs, 52,428,800 bytes uncompressed."""

_URLSET = f'<urlset xmlns="{NAMESPACE}" xmlns:xhtml="{XHTML_NAMESPACE}">\n'
_HEAD = f'<?xml version="1.0" encoding="UTF-8"?>\n{_URLSET}'.encode()
_TAIL = b"</urlset>\n"


@dataclass(frozen=True, slots=True)
class SitemapUrl:
    loc: str
    """The page's absolute URL, in URI form (as its `<link rel="canonical">`)."""
    lastmod: datetime | None = None
    alternates: tuple[tuple[str, str], ...] = ()
    """(hreflang, absolute URL) of each language version of the page, itself and `x-default` included, as the
    page's own `<link rel="alternate" hreflang>` has them (Google reads either; they must agree); () for none."""


_URL_OVERHEAD = len("<url><loc></loc><lastmod>2026-01-01T00:00:00Z</lastmod></url>\n")
_QUOTE = {'"': "&quot;"}
_ALTERNATE_OVERHEAD = len('<xhtml:link rel="alternate" hreflang="" href=""/>')


def url_element(url: SitemapUrl) -> bytes:
    """One page's `<url>` element, as a line of the sitemap."""
    lastmod = f"<lastmod>{rfc3339(url.lastmod)}</lastmod>" if url.lastmod is not None else ""
    alternates = "".join(
        f'<xhtml:link rel="alternate" hreflang="{escape(lang, _QUOTE)}" href="{escape(href, _QUOTE)}"/>'
        for lang, href in url.alternates
    )
    return f"<url><loc>{escape(url.loc)}</loc>{lastmod}{alternates}</url>\n".encode()


def _bound(url: SitemapUrl) -> int:
    """At least the bytes `url_element(url)` takes: 5 per character of a URL (an `&` escaped is 5; a URL in URI
    form has only ASCII) or of a language tag (ASCII too; 6 allows a quote)."""
    return (
        _URL_OVERHEAD
        + 5 * len(url.loc)
        + sum(_ALTERNATE_OVERHEAD + 6 * (len(lang) + len(href)) for lang, href in url.alternates)
    )


def split_sitemap(
    urls: Sequence[SitemapUrl], *, max_urls: int = MAX_URLS, max_bytes: int = MAX_BYTES
) -> tuple[tuple[SitemapUrl, ...], ...]:
    """`urls` in order, cut into the files of a sitemap: at most `max_urls` each, and at most `max_bytes` bytes by
    a bound taken without rendering (5 bytes per character of a URL, as an `&` escaped; a URL in URI form takes 1
    or 5), so that the planner knows the files of a sitemap it renders only when something changed."""
    room = max_bytes - len(_HEAD) - len(_TAIL)
    parts: list[tuple[SitemapUrl, ...]] = []
    start, size = 0, 0
    for i, url in enumerate(urls):
        bound = _bound(url)
        if i > start and (i - start >= max_urls or size + bound > room):
            parts.append(tuple(urls[start:i]))
            start, size = i, 0
        size += bound
    parts.append(tuple(urls[start:]))
    return tuple(parts)


def sitemap_paths(parts: Sequence[Sequence[SitemapUrl]]) -> tuple[str, ...]:
    """The files `render_sitemap(parts, …)` writes: `sitemap.xml`, and one `sitemaps/sitemap-N.xml` per part
    when there are several."""
    return (SITEMAP_PATH, *(f"sitemaps/sitemap-{n}.xml" for n in range(1, len(parts) + 1) if len(parts) > 1))


def render_sitemap(
    parts: Sequence[Sequence[SitemapUrl]],
    base_url: str,
    *,
    others: Sequence[str] = (),
    element: Callable[[SitemapUrl], bytes] = url_element,
) -> tuple[RenderedFile, ...]:
    """`sitemap.xml` listing the URLs of the one part in the order given; for several parts (`split_sitemap`), a
    sitemap index of `sitemaps/sitemap-N.xml` (each with the newest `lastmod` of its URLs) instead, which also
    lists the site's `others` sitemaps (paths, without a `lastmod`: the news sitemap, which robots.txt names in
    any case). `base_url` ends with `/`. `element`: `url_element`, or what gives the same bytes from a memo
    (`PlanMemo.elements`)."""
    files = [_HEAD + b"".join(map(element, part)) + _TAIL for part in parts]
    paths = sitemap_paths(parts)
    if len(files) == 1:
        return (RenderedFile(path=SITEMAP_PATH, data=files[0]),)
    index = [f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{NAMESPACE}">\n']
    for path, part in zip(paths[1:], parts, strict=True):
        dates = [ensure_utc(url.lastmod) for url in part if url.lastmod is not None]
        lastmod = f"<lastmod>{rfc3339(max(dates))}</lastmod>" if dates else ""
        index.append(f"<sitemap><loc>{escape(base_url + path)}</loc>{lastmod}</sitemap>\n")
    index += [f"<sitemap><loc>{escape(base_url + path)}</loc></sitemap>\n" for path in others]
    index.append("</sitemapindex>\n")
    rendered = (RenderedFile(path=path, data=data) for path, data in zip(paths[1:], files, strict=True))
    return (RenderedFile(path=SITEMAP_PATH, data="".join(index).encode()), *rendered)


def render_robots(base_url: str, others: Sequence[str] = ()) -> RenderedFile:
    """`robots.txt` (RFC 9309): every crawler may read every page, and the absolute URLs of the sitemap and the
    site's `others` (the news sitemap). The private state is never in `out/`, so there is nothing to disallow; the
    404 page says `noindex` itself."""
    sitemaps = "".join(f"Sitemap: {base_url}{path}\n" for path in (SITEMAP_PATH, *others))
    return RenderedFile(path=ROBOTS_PATH, data=f"User-agent: *\nDisallow:\n\n{sitemaps}".encode())
