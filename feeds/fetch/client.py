"""`HttpClient`, the one polite client: `get` sends a conditional GET, follows at most `MAX_REDIRECTS` redirects
(loops refused, none once the redirects' deadline has passed), classifies the answer into a `FetchResult`, and
streams the body under a size cap counted on decoded bytes and a wall-clock deadline; network trouble becomes a
`FetchFailed` whose error is a sentence a press officer understands (`_describe`).

What this module must not do: raise for network or HTTP problems (`get` returns a `FetchFailed`), parse feeds
or JSON, read the wall clock except through the injected `Clock`, keep per-feed state, or resolve and pin
addresses itself (the guard and the pinned adapter do).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from urllib3.util.ssl_match_hostname import CertificateError

from feeds.clock import Clock, utc_now
from feeds.config import HttpSettings
from feeds.errors import BlockedAddressError, FetchError, HTTPStatusError
from feeds.fetch.adapter import PinnedAdapter, make_session
from feeds.fetch.deadlines import SOCKET, Cutoff, HandshakeTooSlow, HeadersTooSlow, vet_within
from feeds.fetch.guard import AddressGuard, Resolver
from feeds.fetch.headers import freshness, media_type, parse_retry_after, validator
from feeds.fetch.results import Fetched, FetchFailed, FetchResult, NotModified, Validators
from feeds.logs import one_line

FEED_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, application/feed+json;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.5, */*;q=0.1"
)
MAX_REDIRECTS = 10
_CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})


def _size(n: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor:
            return f"{n // factor} {unit}" if n % factor == 0 else f"{n / factor:.1f} {unit}"
    return f"{n} bytes"


class HttpClient:
    """Fetches URLs politely; `get` returns a `FetchResult` and never raises for network or HTTP trouble.

    Safe to share between threads: it holds no per-request state, and the session's pool is sized for a
    ThreadPoolExecutor. Close it (or use it as a context manager) to release the session it created.
    """

    def __init__(
        self,
        settings: HttpSettings,
        *,
        session: requests.Session | None = None,
        clock: Clock = utc_now,
        resolver: Resolver | None = None,
    ):
        self.settings = settings
        self._guard = AddressGuard(settings.allow, resolver, lookup_timeout=settings.connect_timeout)
        self._owns_session = session is None
        self._session = session if session is not None else make_session(settings, resolver)
        self._clock = clock
        self.body_deadline = settings.read_timeout * 2
        self.redirects_deadline = settings.read_timeout * 2
        """Seconds from the first request after which no further redirect is followed: each hop has its own
        deadline for its headers, and without this one ten hops could hold a fetch ten times as long."""

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def refusal(self, url: str) -> str | None:
        """Why fetching `url` would be refused (a private, loopback or link-local address not allowed), without
        fetching it; None when it would be tried (a name that does not resolve is left to the fetch to report)."""
        try:
            self._guard.vet(url)
        except BlockedAddressError as e:
            return e.message
        except FetchError:
            return None
        return None

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        *,
        validators: Validators | None = None,
        accept: str = FEED_ACCEPT,
        refuse_redirect: Callable[[str], str | None] | None = None,
    ) -> FetchResult:
        """`refuse_redirect(target)`: why a redirect to `target` must not be followed (the watch's own site), or
        None; a refused redirect is a failure, and no permanent move is reported."""
        now = self._clock()
        headers = {"User-Agent": self.settings.user_agent, "Accept": accept, "Accept-Encoding": "gzip, deflate"}
        if validators is not None and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators is not None and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        current, seen = url, {url}
        statuses: list[int] = []
        started = time.monotonic()
        try:
            while True:
                response = self._send(current, headers)
                location = response.headers.get("Location")
                if response.status_code not in _REDIRECTS or not location:
                    break
                response.close()
                target = urljoin(current, location.strip())  # (`_send` has refused a Location urljoin cannot read)
                if len(statuses) >= MAX_REDIRECTS:
                    raise FetchError(f"too many redirects (more than {MAX_REDIRECTS})", url=current)
                if target in seen:
                    raise FetchError(f"redirect loop: {target} redirects back to a URL already visited", url=current)
                if time.monotonic() - started >= self.redirects_deadline:
                    raise FetchError(f"timed out after {self.redirects_deadline:g} s following redirects", url=current)
                refused = refuse_redirect(target) if refuse_redirect is not None else None
                if refused:
                    raise FetchError(f"redirected to {target}, which is not followed: {refused}", url=current)
                statuses.append(response.status_code)
                seen.add(target)
                current = target
            moved = current if statuses and all(s in _PERMANENT for s in statuses) else None
            with response:
                conditional = "If-None-Match" in headers or "If-Modified-Since" in headers
                return self._classify(response, url, current, now, moved, conditional=conditional)
        except FetchError as e:
            return FetchFailed(url=current, requested_url=url, error=e, fetched_at=now)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError) as e:
            # (ValueError: a URL the standard library cannot take apart, such as `urlsplit(url).port` out of range)
            error = FetchError(self._describe(e, current), url=current)
            error.__cause__ = e
            return FetchFailed(url=current, requested_url=url, error=error, fetched_at=now)

    def _send(self, url: str, headers: dict[str, str]) -> requests.Response:
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchError(
                f"only http and https URLs can be fetched, not {scheme or 'a URL without scheme'}", url=url
            )
        prepared = self._session.prepare_request(requests.Request("GET", url, headers=headers))
        timeout: Any = (self.settings.connect_timeout, self.settings.read_timeout)
        if not isinstance(self._session.get_adapter(url), PinnedAdapter):
            # unpinned: checked here, the TOCTOU gap the docstring names (and the session looks the name up again)
            _, timeout = vet_within(self._guard, str(prepared.url), timeout)
        try:
            return self._session.send(prepared, allow_redirects=False, stream=True, timeout=timeout, proxies={})
        except ValueError as e:
            if isinstance(e, requests.RequestException | urllib3.exceptions.HTTPError):
                raise
            # requests works out where a redirect leads even when it does not follow it, and a Location that
            # `urlparse` cannot read (`http://[::1`: a bracket left open) raises a bare ValueError there
            raise FetchError(f"redirected to an address that is not a valid URL ({e})", url=url) from e

    def _classify(
        self,
        response: requests.Response,
        requested: str,
        url: str,
        now: datetime,
        moved: str | None,
        *,
        conditional: bool,
    ) -> FetchResult:
        status = response.status_code
        fresh_until = freshness(response.headers, now)
        if status == 304 and conditional:
            _keep_alive(response)
            return NotModified(
                url=url, requested_url=requested, fetched_at=now, fresh_until=fresh_until, permanent_redirect=moved
            )
        if 200 <= status < 300:
            body = self._read_body(response, url)
            content_type, encoding = media_type(response.headers.get("Content-Type"))
            return Fetched(
                url=url,
                requested_url=requested,
                status=status,
                body=body,
                sha256=hashlib.sha256(body).hexdigest(),
                content_type=content_type,
                encoding=encoding,
                validators=Validators(
                    validator(response.headers.get("ETag")), validator(response.headers.get("Last-Modified"))
                ),
                fetched_at=now,
                fresh_until=fresh_until,
                permanent_redirect=moved,
                headers=tuple(response.headers.items()),
            )
        retry_after = None
        if status in (429, 503) and "Retry-After" in response.headers:
            retry_after = parse_retry_after(response.headers["Retry-After"], now, date=response.headers.get("Date"))
        reason = one_line(response.reason or http.client.responses.get(status, ""))  # the server's own words
        message = f"the server answered {status} {reason}".rstrip()
        if status == 304:
            message += " to a request that was not conditional"
        elif status in _REDIRECTS:
            message += " without a Location to go to"
        error = HTTPStatusError(message, url=url, status=status, retry_after=retry_after)
        return FetchFailed(
            url=url,
            requested_url=requested,
            error=error,
            status=status,
            retry_after=retry_after,
            gone=status == 410,
            fetched_at=now,
            permanent_redirect=moved,
        )

    def _read_body(self, response: requests.Response, url: str) -> bytes:
        """Stream the decoded body, stopping at the size cap and at the wall-clock deadline."""
        cap = self.settings.max_bytes
        declared = response.headers.get("Content-Length", "")
        identity = response.headers.get("Content-Encoding", "identity").strip().lower() in ("", "identity")
        if identity and declared.isdigit() and int(declared) > cap:
            announced = _size(int(declared))
            if announced == _size(cap) or announced.startswith(f"{_size(cap).split()[0]}.0 "):
                announced = f"{int(declared):,} bytes"  # just over the cap: the rounded size would read as equal
            raise FetchError(f"response larger than {_size(cap)} (the server announced {announced})", url=url)
        raw = response.raw
        # (a connection that will close hands its socket over to the response: http.client forgets it then)
        sock: socket.socket | None = getattr(raw.connection, "sock", None) or getattr(raw, SOCKET, None)
        # One read1 call may read on and on by itself: urllib3 goes back to the socket until some bytes inflate to
        # something, and bytes that inflate to nothing (a gzip file name that never ends, empty deflate blocks)
        # trickled in would keep it there for ever, the deadline `_read_capped` keeps never looked at. (Read to the
        # end, the connection is back in the pool, maybe reused: then it is no longer this read's to cut.)
        cutoff = Cutoff(sock, self.body_deadline, lambda: raw.connection is not None) if sock is not None else None
        late = cutoff.late if cutoff is not None else threading.Event()
        try:
            return self._read_capped(raw, sock, url, late)
        except FetchError:
            if late.is_set():
                raise FetchError(f"timed out after {self.body_deadline:g} s reading the body", url=url) from None
            raise
        finally:
            if cutoff is not None:
                cutoff.finish()

    def _read_capped(self, raw: Any, sock: socket.socket | None, url: str, late: threading.Event) -> bytes:
        cap = self.settings.max_bytes
        deadline = time.monotonic() + self.body_deadline
        chunks: list[bytes] = []
        total = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or late.is_set():
                raise FetchError(f"timed out after {self.body_deadline:g} s reading the body", url=url)
            # Never block past the deadline waiting for one more packet.
            if sock is not None:
                with contextlib.suppress(OSError):  # (closed already: the body was read to its end)
                    sock.settimeout(min(self.settings.read_timeout, remaining))
            try:
                chunk = raw.read1(min(_CHUNK, cap - total + 1), decode_content=True)
            except (urllib3.exceptions.ReadTimeoutError, TimeoutError) as e:
                if time.monotonic() >= deadline:
                    raise FetchError(f"timed out after {self.body_deadline:g} s reading the body", url=url) from e
                raise FetchError(
                    f"timed out after {self.settings.read_timeout:g} s waiting for more of the body", url=url
                ) from e
            except urllib3.exceptions.DecodeError as e:
                raise FetchError("the body could not be decompressed (corrupt gzip/deflate data)", url=url) from e
            except (urllib3.exceptions.HTTPError, OSError) as e:
                short = next((c for c in _chain(e) if isinstance(c, http.client.IncompleteRead)), None)
                if short is not None and isinstance(short.expected, int):
                    # urllib3 counts the bytes of the whole body; http.client hands over those of this read
                    got = short.partial if isinstance(short.partial, int) else total + len(short.partial)
                    message = f"the server closed the connection after {got:,} of {got + short.expected:,} bytes"
                    raise FetchError(message, url=url) from e
                if short is not None:  # a chunked body (http.client reads those): cut, or its framing broken
                    size = next((c for c in _chain(e) if isinstance(c, ValueError)), None)  # int(line, 16) refused it
                    if size is not None and not str(size).endswith("b''"):  # (an empty line: cut between chunks)
                        message = "the server sent a broken chunked body (a chunk size that is not a number)"
                        raise FetchError(message, url=url) from e
                    message = "the server closed the connection before the end of its chunked body"
                    raise FetchError(message, url=url) from e
                raise FetchError("the connection broke while reading the body", url=url) from e
            if late.is_set():  # cut off by the deadline: what came before the cut is not the whole body
                raise FetchError(f"timed out after {self.body_deadline:g} s reading the body", url=url)
            if not chunk:
                if not _inflated_to_the_end(raw):
                    raise FetchError("the body was cut short: its gzip/deflate data stops before its end", url=url)
                return b"".join(chunks)
            total += len(chunk)
            if total > cap:
                raise FetchError(f"response larger than {_size(cap)}", url=url)
            chunks.append(chunk)

    def _describe(self, error: BaseException, url: str) -> str:
        """A sentence a press officer understands, from a requests/urllib3/socket exception chain."""
        host = urlsplit(url).hostname or url
        chain = list(_chain(error))

        def has(kind: type[BaseException] | tuple[type[BaseException], ...]) -> bool:
            return any(isinstance(c, kind) for c in chain)

        if isinstance(error, requests.exceptions.ConnectTimeout):
            return f"timed out after {self.settings.connect_timeout:g} s connecting to {host}"
        if has(HandshakeTooSlow):
            connecting = f"timed out after {self.settings.connect_timeout:g} s connecting to {host}"
            return f"{connecting} (the secure connection was not set up in time)"
        slow = next((c for c in chain if isinstance(c, HeadersTooSlow)), None)
        if slow is not None:
            return f"timed out after {slow.seconds:g} s waiting for {host} to finish the headers of its answer"
        if isinstance(error, requests.exceptions.ReadTimeout) or has(urllib3.exceptions.ReadTimeoutError):
            return f"timed out after {self.settings.read_timeout:g} s waiting for {host} to answer"
        verify = next((c for c in chain if isinstance(c, ssl.SSLCertVerificationError)), None)
        if verify is not None:
            return f"the secure connection to {host} failed: its certificate is not trusted ({verify.verify_message})"
        if has(CertificateError):  # urllib3's own name check, used when the connection is pinned to an address
            return f"the secure connection to {host} failed: its certificate is for another name"
        if isinstance(error, requests.exceptions.SSLError) or has(ssl.SSLError):
            return f"the secure connection (TLS) to {host} failed"
        if has(ConnectionRefusedError):
            return f"connection refused by {host}"
        if has(socket.gaierror):
            return f"could not find the server {host} (DNS lookup failed)"
        if has(ConnectionResetError):
            return f"connection reset by {host}"
        if has(http.client.RemoteDisconnected):
            return f"{host} closed the connection without answering"
        if has(http.client.IncompleteRead) or has(urllib3.exceptions.IncompleteRead):
            return f"{host} closed the connection before the whole answer arrived"
        bad_head = next((c for c in chain if isinstance(c, http.client.HTTPException)), None)
        if bad_head is not None:  # too many headers, a header line too long, a garbled status line
            return f"{host} sent an answer that is not valid HTTP ({one_line(str(bad_head))[:200]})"
        if has(TimeoutError):
            return f"timed out talking to {host}"
        if isinstance(error, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
            return "not a valid URL"
        os_error = next((c for c in chain if isinstance(c, OSError) and c.strerror), None)
        if os_error is not None:
            return f"could not connect to {host}: {os_error.strerror}"
        return f"the request to {host} failed: {error}"


def _keep_alive(response: requests.Response) -> None:
    """Hand the connection of an answer without a body (a 304) back to the pool for the host's next fetch, rather
    than have `requests` close it with the unread response: a round's 304s each cost a new TCP connection (and
    the server a handshake) otherwise. Only when urllib3 knows there is nothing to read (no length left, not
    chunked): reading then takes no byte from the socket, so nothing a server sends can hold it."""
    raw = response.raw
    if getattr(raw, "chunked", True) or getattr(raw, "length_remaining", None) != 0:
        return
    with contextlib.suppress(urllib3.exceptions.HTTPError, OSError):
        raw.read()


def _inflated_to_the_end(raw: Any) -> bool:
    """Whether the compressed body of `raw` (a urllib3 response read to its end) reached the end of its gzip or
    deflate data. A server that closes the connection mid-body, when closing is what ends the body (no
    Content-Length), sends an answer that reads as complete; urllib3 inflates what came and says nothing, and
    the feed (and its validators) would be stored cut short. Only the compressed stream knows it is unfinished.

    (urllib3's decoders are read by their private names; should they change, the body is taken as whole, as
    before.)"""
    if raw.tell() == 0:  # no body at all: nothing was cut
        return True
    decoder = getattr(raw, "_decoder", None)
    for each in getattr(decoder, "_decoders", None) or [decoder]:
        if getattr(each, "_state", None) == _GZIP_SWALLOWING:  # junk after a whole member, which urllib3 ignores
            continue
        if getattr(getattr(each, "_obj", None), "eof", True) is False:
            return False
    return True


_GZIP_SWALLOWING = 2
"""urllib3's `GzipDecoderState.SWALLOW_DATA`: what follows a complete gzip member is not gzip, and is ignored."""


def _chain(error: BaseException, depth: int = 0) -> Iterator[BaseException]:
    """The exception, its causes, and exceptions wrapped in args/reason (requests and urllib3 nest them)."""
    yield error
    if depth > 8:
        return
    inner = [error.__cause__, error.__context__, getattr(error, "reason", None), *error.args]
    for item in inner:
        if isinstance(item, BaseException) and item is not error:
            yield from _chain(item, depth + 1)
