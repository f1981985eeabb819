"""Serving out/ over HTTP (WSGI): media types, validators, 304s, gzip, caching, and nothing outside out/.

- Media types per RFC 4287 (`application/atom+xml`), the RSS Board (`application/rss+xml`) and JSON Feed 1.1
  (`application/feed+json`), by file name, so `atom.xml` and `rss.xml` are told apart.
- Strong ETags from the file's bytes (RFC 9110 §8.8.3): every daemon publishing the same data serves the same
  ETag, so a reader's conditional GET is answered with 304 by any of them. `Last-Modified` from the file's
  mtime, rounded up to the second, and `If-Modified-Since` compared with the exact mtime (a cache may send the
  Date of a response instead); `If-None-Match` takes precedence over `If-Modified-Since` (RFC 9110 §13.2.2).
- If-Match / If-Unmodified-Since are checked first (412); one byte `Range` is served (206, 416; see
  `feeds.web.ranges`), after the conditions; every answer is open to every origin (`feeds.web.cors`) and OPTIONS
  is answered 204.
- gzip for text when the client accepts it (deterministic: no timestamp in the gzip header), with
  `Vary: Accept-Encoding` and a distinct ETag for the encoded representation.
- Paths: percent-decoded by the server, then refused if they contain NUL, backslashes or `..`; the resolved real
  path must lie inside out/ (a symlink pointing out is a 404). Dot-files (temporary files of an in-progress
  write, `.gitkeep`) are never served, whether named in the URL or reached through a symlink.
- HTML pages carry a Content-Security-Policy that lets them load nothing but the site's own stylesheet and
  images (no scripts, no frames, no forms, no embedding in another site's frame): release bodies are sanitised
  already, and this keeps a page harmless even if something slipped through. The search page alone may run the
  site's own script file and fetch from the site (never an inline script), and shows no release body.
- The search index's shards asked for by their version (`search/2026.json?v=…`, as the manifest names them) may
  be kept a year, as the static files are.

What this module must not do: write anything, or serve the state folder (it only knows out/).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from feeds.clock import http_date
from feeds.config.settings import WebSettings
from feeds.errors import FeedsError
from feeds.publish.removed import REMOVED_MARK
from feeds.publish.searchindex import SEARCH_FOLDER, SEARCH_PAGE, version_of
from feeds.publish.spec import content_version
from feeds.web import cors
from feeds.web.conditional import SECOND_NS, not_modified, precondition_failed
from feeds.web.ranges import UNSATISFIABLE, byte_range

StartResponse = Callable[..., Any]
Environ = dict[str, Any]

_BY_NAME = {
    "atom.xml": "application/atom+xml; charset=utf-8",
    "rss.xml": "application/rss+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
}
_BY_SUFFIX = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".xsl": "text/xsl; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}
_COMPRESSIBLE = ("text/", "application/atom+xml", "application/rss+xml", "application/feed+json", "application/xml")
_GZIP_MIN = 512


def media_type(path: Path) -> str:
    return _BY_NAME.get(path.name) or _BY_SUFFIX.get(path.suffix.lower(), "application/octet-stream")


def cache_control(rel: str, query: str = "", data: bytes = b"") -> str:
    """Short for feeds and pages (they change with every release); long for archives and static files; a year for
    the pictures dropped with releases, whose names change with their bytes, and for a static file asked for by its
    version (`site.css?v=…`, as the pages link it) when `data` is that version: new bytes come at a new address.
    (Another version, one that a server not yet published to was asked for, is kept an hour: a year of the old
    bytes under the new name would leave the visitor with them.) A shard of the search index (`search/2026.json`) is
    kept a year when asked for by the version its head says it is (`searchindex.version_of`), as the manifest
    names it; else as a page is."""
    if rel.startswith("archive/"):
        return "public, max-age=86400"
    if rel.startswith("pictures/"):  # (named by their bytes: other bytes are another name)
        return "public, max-age=31536000, immutable"
    if rel.startswith(SEARCH_FOLDER) and rel.endswith(".json"):  # (a shard says its version at its head)
        if query and query == f"v={version_of(data)}":
            return "public, max-age=31536000, immutable"
        return "public, max-age=300"
    if rel.startswith("static/") and query and query == f"v={content_version(data)}":
        return "public, max-age=31536000, immutable"
    if rel.startswith("static/"):
        return "public, max-age=3600"
    return "public, max-age=300"


_SETTLED_NS = SECOND_NS
"""How long a file must have stood unchanged before its modification time is given as `Last-Modified`."""


CACHE_BYTES = 64 << 20
"""The files read last, and their gzipped copies, are kept in memory up to this many bytes: the feeds and front
pages that clients read again and again stay there, and a crawler reading every page of the site once does not
leave the whole site in the daemon's memory (a count of 20,000 files was the only bound: 5,000 pages of 46 KB
read once held 302 MiB)."""


@dataclass(frozen=True, slots=True)
class _Entry:
    file: tuple[int, int]
    """(device, inode): a publish renames a new file into place, so another file even when its size and
    modification time are the old one's (timestamps can be as coarse as the kernel's timer tick)."""
    size: int
    mtime_ns: int
    etag: str
    data: bytes
    gz: bytes | None


class StaticSite:
    """A WSGI application serving the files of `root`."""

    def __init__(self, root: Path, *, now_ns: Callable[[], int] = time.time_ns, cache_bytes: int = CACHE_BYTES):
        """`now_ns`: the wall clock that file modification times are compared with (tests inject one);
        `cache_bytes`: how many bytes of files (and their gzipped copies) are kept in memory, those read last."""
        self.root = root.resolve()
        self._now_ns = now_ns
        self._cache: OrderedDict[Path, _Entry] = OrderedDict()  # least recently read first
        self._cache_bytes = cache_bytes
        self._cached = 0  # bytes held in `_cache`
        self._lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        """Every answer, whatever it is, open to every origin (`feeds.web.cors`): out/ is public and read-only."""

        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            return start_response(status, headers + cors.PUBLIC, *exc_info)

        return self._serve(environ, start)

    def _serve(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "OPTIONS":
            return cors.options(environ, start_response, _ALLOW, public=True)
        if method not in ("GET", "HEAD"):
            return _plain(start_response, "405 Method Not Allowed", "method not allowed\n", [("Allow", _ALLOW)])
        raw_path = _url_path(environ.get("PATH_INFO", "/") or "/")
        if raw_path is None:  # not UTF-8: no file of ours is named so
            return self._not_found(start_response, method)
        resolved = self.resolve(raw_path)
        if resolved is None:
            return self._not_found(start_response, method)
        if resolved.is_dir():
            # The folder's page, checked as any file named in the URL is (a symlink out of out/ is no page).
            page = self.resolve(raw_path.rstrip("/") + "/index.html")
            if page is None or not page.is_file():  # a folder with no page (`/topics`): nothing to redirect to
                return self._not_found(start_response, method)
            if not raw_path.endswith("/"):
                # Relative to the address asked for (RFC 9110 §10.2.2), its last segment and a slash: behind a proxy
                # serving the site under a path (/news/), an absolute path left it (`/topics/iran/`, not
                # `/news/topics/iran/`). Never the raw path: `//topics` would become `Location: //topics/`, which a
                # browser reads as the host `topics` (RFC 3986 §4.2); a quoted segment holds no `:` to read as a scheme.
                location = quote([p for p in raw_path.split("/") if p][-1]) + "/"
                if query := environ.get("QUERY_STRING", ""):  # (a link's tracking parameters, kept as they came)
                    location += "?" + quote(query, safe="&=%+;,/:@!$'()*?~-._")
                return _plain(
                    start_response, "301 Moved Permanently", "moved\n", [("Location", location)], head=method == "HEAD"
                )
            resolved = page
        elif raw_path.endswith("/"):  # `/atom.xml/`: a file is not a folder (its relative links would break)
            return self._not_found(start_response, method)
        entry = self._load(resolved)
        if entry is None:
            return self._not_found(start_response, method)
        if entry.data.startswith(REMOVED_MARK):  # a release taken down: its notice, answered as gone for good
            return self._gone(start_response, method, entry.data)
        rel = resolved.relative_to(self.root).as_posix()
        ctype = media_type(resolved)
        use_gz = entry.gz is not None and _accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", ""))
        etag = entry.etag[:-1] + '-gz"' if use_gz else entry.etag
        headers = [("Content-Type", ctype), ("ETag", etag)]
        if self._now_ns() - entry.mtime_ns >= _SETTLED_NS:
            # Only a file unchanged for a whole second gets a date: HTTP dates are whole seconds, so a date handed
            # out within the second of a change would also stand for a second change within that second, and a
            # client revalidating with If-Modified-Since alone would be told 304 for a file it has not seen.
            # The second the change ends in, rounded up: "not modified since" a date then holds to the nanosecond.
            seconds = -(-entry.mtime_ns // SECOND_NS)
            headers.append(("Last-Modified", http_date(datetime.fromtimestamp(seconds, tz=UTC))))
        query = environ.get("QUERY_STRING", "")
        headers += [("Cache-Control", cache_control(rel, query, entry.data)), ("X-Content-Type-Options", "nosniff")]
        if entry.gz is not None:
            headers.append(("Vary", "Accept-Encoding"))
        if ctype.startswith("text/html"):
            headers += _SEARCH_HEADERS if rel == SEARCH_PAGE else _HTML_HEADERS
        if precondition_failed(environ, etag, entry.mtime_ns):
            changed = "the file has changed\n"
            return _plain(start_response, "412 Precondition Failed", changed, [("ETag", etag)], head=method == "HEAD")
        if not_modified(environ, etag, entry.mtime_ns, self._now_ns()):
            start_response("304 Not Modified", headers)
            return [b""]
        body = entry.gz if use_gz and entry.gz is not None else entry.data
        if use_gz:
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Accept-Ranges", "bytes"))
        status = "200 OK"
        if method == "GET" and (asked := environ.get("HTTP_RANGE")):  # (of what is sent: the gzipped bytes if gzip)
            span = byte_range(asked, environ.get("HTTP_IF_RANGE"), etag, len(body))
            if span == UNSATISFIABLE:
                return _plain(
                    start_response,
                    "416 Range Not Satisfiable",
                    "range not satisfiable\n",
                    [("Content-Range", f"bytes */{len(body)}")],
                )
            if span is not None:
                status = "206 Partial Content"
                headers.append(("Content-Range", f"bytes {span[0]}-{span[1]}/{len(body)}"))
                body = body[span[0] : span[1] + 1]
        headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [b""] if method == "HEAD" else [body]

    def _not_found(self, start_response: StartResponse, method: str) -> list[bytes]:
        """404: the site's own page (`404.html`, with its way back to the front page) once published. Found as
        any other file is (`resolve`): a `404.html` that is a symlink out of out/ or to a dot-file is not served."""
        found = self.resolve("/404.html")
        page = self._load(found) if found is not None and found.is_file() else None
        if page is None:
            return _plain(start_response, "404 Not Found", "not found\n", head=method == "HEAD")
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(page.data))),
            ("Cache-Control", "no-cache"),
            ("X-Content-Type-Options", "nosniff"),
            *_HTML_HEADERS,
        ]
        start_response("404 Not Found", headers)
        return [b""] if method == "HEAD" else [page.data]

    def _gone(self, start_response: StartResponse, method: str, page: bytes) -> list[bytes]:
        """410: the address of a release taken down (`feeds releases remove`), with the notice the publish wrote
        there (`feeds.publish.removed`): search engines drop a 410 at once, and caches may keep it a day."""
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(page))),
            ("Cache-Control", "public, max-age=86400"),
            ("X-Content-Type-Options", "nosniff"),
            *_HTML_HEADERS,
        ]
        start_response("410 Gone", headers)
        return [b""] if method == "HEAD" else [page]

    def resolve(self, url_path: str) -> Path | None:
        """The file or folder for a URL path, or None if it is not safely inside the root."""
        if "\x00" in url_path or "\\" in url_path:
            return None
        parts = [p for p in url_path.split("/") if p]
        if any(p in (".", "..") or p.startswith(".") for p in parts):
            return None
        candidate = self.root.joinpath(*parts)
        try:
            real = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if real != self.root and self.root not in real.parents:
            return None
        if any(p.startswith(".") for p in real.relative_to(self.root).parts):  # a symlink to a dot-file
            return None
        return real

    def _load(self, path: Path) -> _Entry | None:
        # The file is opened once and both its identity and its bytes come from that open file: a publish renaming
        # a new file into place between a `stat` of the path and a read of it would otherwise pair the old file's
        # size and time with the new bytes.
        try:
            with open(path, "rb") as fh:
                st = os.fstat(fh.fileno())
                file = (st.st_dev, st.st_ino)
                with self._lock:
                    cached = self._cache.get(path)
                    if cached and (cached.file, cached.size, cached.mtime_ns) == (file, st.st_size, st.st_mtime_ns):
                        self._cache.move_to_end(path)
                        return cached
                data = fh.read()
        except OSError:
            return None
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        compressible = media_type(path).startswith(_COMPRESSIBLE) and len(data) >= _GZIP_MIN
        gz = gzip.compress(data, compresslevel=6, mtime=0) if compressible else None
        entry = _Entry(file=file, size=len(data), mtime_ns=st.st_mtime_ns, etag=etag, data=data, gz=gz)
        with self._lock:
            if (replaced := self._cache.pop(path, None)) is not None:
                self._cached -= _cost(replaced)
            if _cost(entry) <= self._cache_bytes // 4:  # (a larger file would push out most of the site)
                self._cache[path] = entry
                self._cached += _cost(entry)
            while self._cached > self._cache_bytes:
                self._cached -= _cost(self._cache.popitem(last=False)[1])
        return entry


_ALLOW = "GET, HEAD, OPTIONS"


def _cost(entry: _Entry) -> int:
    return entry.size + (len(entry.gz) if entry.gz is not None else 0)


_HTML_HEADERS = [
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; img-src https: http: data:; "
        "frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
    ),
    ("X-Frame-Options", "SAMEORIGIN"),  # what browsers without frame-ancestors understand
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
]
"""Sent with every HTML page (see the module docstring); feeds and the XSL stylesheet's output are left alone."""

_SEARCH_HEADERS = [
    (
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src https: http: data:; "
        "frame-ancestors 'self'; base-uri 'none'; form-action 'self'",
    ),
    *_HTML_HEADERS[1:],
]
"""The search page's (`search/index.html`): the same, but it may run the site's own script (`static/search.js`),
fetch the index (`search/*.json`) from the site, and submit its form to itself. No inline script, anywhere."""


def _url_path(path_info: str) -> str | None:
    """The URL path as text: WSGI hands over the percent-decoded bytes as latin-1 text (PEP 3333), and browsers
    encode a non-ASCII name in UTF-8 (RFC 3986 §2.5). None for bytes that are not UTF-8; a server that decoded
    the path itself (characters latin-1 cannot hold) is taken at its word."""
    if path_info.isascii():
        return path_info
    try:
        return path_info.encode("latin-1").decode("utf-8")
    except UnicodeEncodeError:
        return path_info
    except UnicodeDecodeError:
        return None


def _accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header accepts gzip (RFC 9110 §12.5.3): as its own entry says, else as `*`
    says (`*;q=0, gzip` accepts it; `gzip;q=0, *` does not)."""
    named: bool | None = None
    anything: bool | None = None
    for part in header.split(","):
        name, *params = (p.strip() for p in part.split(";"))
        q = next((_q(p[2:]) for p in params if p.lower().startswith("q=")), 1.0)
        name = name.lower()
        if name in ("gzip", "x-gzip") and named is None:
            named = q > 0
        elif name == "*" and anything is None:
            anything = q > 0
    return named if named is not None else bool(anything)


def _q(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 1.0


def _plain(
    start_response: StartResponse,
    status: str,
    text: str,
    extra: list[tuple[str, str]] | None = None,
    *,
    head: bool = False,
) -> list[bytes]:
    """A plain-text answer; to a HEAD (`head`), its headers only: a body sent anyway (waitress sends what it is
    given) was read by a kept-alive client as the start of its next answer (RFC 9110 §9.3.2)."""
    body = text.encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    start_response(status, headers + (extra or []))
    return [b""] if head else [body]


def make_server(
    app: Callable[..., Any], host: str, port: int, *, web: WebSettings | None = None, threads: int = 8
) -> Any:
    """A waitress server (a production server; it sets TCP_NODELAY on its sockets) bound to `host`:`port`, ready
    to `run()`: the one `feeds serve` and the daemon both use, with `web`'s (the config's `[web]`) body limit
    and reverse proxy. A request body over `max_body` is refused by the push API with its JSON 413 (logged and
    counted like every refusal); waitress itself refuses, before buffering them, bodies over twice that (with a
    plain-text 413), so no client makes it hold more. FeedsError, in one line, when the address cannot be bound
    (the port is taken, the host is not an address of this machine or not an address at all)."""
    import waitress

    from feeds.web.proxy import behind_proxy

    web = web if web is not None else WebSettings()
    app, proxy = behind_proxy(app, web)
    try:
        return waitress.create_server(  # type: ignore[attr-defined]
            app,
            host=host,
            port=port,
            threads=threads,
            ident="feeds",
            max_request_body_size=2 * web.max_body + 1,
            connection_limit=CONNECTION_LIMIT,
            channel_timeout=CHANNEL_TIMEOUT,
            **proxy,
        )
    except (OSError, ValueError) as e:  # ValueError: waitress on a host it cannot read ("999.1.1.1")
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise FeedsError(f"cannot serve on {host}:{port}: {reason} (set [web] host and port, or --host/--port)") from e


CONNECTION_LIMIT = 1000
CHANNEL_TIMEOUT = 30
"""waitress's limits against clients that hold connections open (a slow-header "slowloris" attack filled the
default 100 connections and took the site down): ten times the connections, dropped after 30 s idle instead of
120 s. A public site should still sit behind a reverse proxy (README)."""
