"""`/favicon.ico` when out/ holds none: what browsers, feed readers and Google ask every site for.

    GET /favicon.ico ──out/favicon.ico there?──► served as any file (StaticSite)
                     └─ else ──site.icon set (and not this address)?──► 302 Found, Location: site.icon
                                 └─ else ──► 204 No Content

Every browser asks a site for `/favicon.ico` (Safari and older browsers whatever a page's `<link rel="icon">` says),
and so do NetNewsWire, Feedly and Inoreader for a feed's icon, and Google for a search result's. feeds knows the
office's mark only by its address (`site.icon`, which may be a PNG elsewhere), so it writes no `favicon.ico` into
out/ (a packaged one would put feeds' mark, or a blank, on the office's tabs): an office that has an `.ico` puts it
into out/ itself (a publish leaves a file it did not write in place), and it is served. Without one, `/favicon.ico`
is sent to `site.icon` (browsers and readers follow a redirect for an icon and read a PNG as well as an ICO; `302`,
as the setting may change), and a site with no icon at all answers `204`: "no icon", which a browser takes as
quietly as a 404 but no log or console reports as an error. Both are kept a day by caches.

What this module must not do: serve a file (StaticSite does), or answer any other path or method (OPTIONS and the
others are StaticSite's, as at every address of out/).
"""

from __future__ import annotations

from collections.abc import Iterable

from feeds.web import cors
from feeds.web.static import Environ, StartResponse

PATH = "/favicon.ico"
_CACHE = ("Cache-Control", "public, max-age=86400")


def answer_favicon(
    environ: Environ, start_response: StartResponse, *, icon: str | None, base_url: str
) -> Iterable[bytes]:
    """The answer to a GET or HEAD of `/favicon.ico` on a site whose out/ holds none: a redirect to `icon` (the
    site's `site.icon`, absolute), else `204 No Content`. An icon configured at this very address (`base_url` +
    `favicon.ico`, its file not put in out/) is no icon: a redirect there would loop."""
    if icon and icon != f"{base_url}favicon.ico":
        start_response("302 Found", [("Location", icon), ("Content-Length", "0"), _CACHE, *cors.PUBLIC])
    else:
        start_response("204 No Content", [_CACHE, *cors.PUBLIC])
    return [b""]
