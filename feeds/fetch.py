"""The one polite HTTP client: everything `feeds` fetches from the outside goes through `HttpClient.get`.

Politeness rules, and the RFCs behind them:

- Say who we are (`User-Agent` from settings) and ask for compressed bodies (`Accept-Encoding: gzip, deflate`).
- Conditional GET: send back the `ETag` as `If-None-Match` and `Last-Modified` as `If-Modified-Since`
  (RFC 9110 §13.1.1, §13.1.3); a 304 costs the server no body and us no parsing. Validators are returned only
  from a 2xx response, so the caller never stores the validators of an error page.
- Respect `Retry-After` on 429 and 503 (RFC 9110 §10.2.3, RFC 6585 §4), as delay-seconds or an HTTP-date, and
  `Cache-Control: max-age` / `Expires` (RFC 9111 §4.2, §5.2) as a lower bound for the next check, capped so a
  misconfigured server cannot silence a feed for long. 410 Gone (RFC 9110 §15.5.11) is reported as `gone`, and
  a chain made only of 301/308 (RFC 9110 §15.4.2, §15.4.9) as `permanent_redirect`, for the caller to act on.
- Bounded work: connect/read timeouts, the connect timeout covering the DNS lookup, the connect and the TLS
  handshake together (`getaddrinfo` takes no timeout, and a dead DNS server held a fetch for the resolver's own
  retries: lookups run on a few capped threads, `Lookups`, and are waited for only so long), a wall-clock deadline
  for the whole body (a server trickling a byte a second is cut off), a size cap counted on *decoded* bytes while
  streaming (a gzip bomb stops at the cap), at most 10 redirects, loops refused, and none followed once the
  headers' deadline has passed since the first request (each hop has its own: ten slow hops would otherwise hold a
  fetch ten times as long).
- SSRF guard: every hop's host is resolved and refused if any address is private, loopback, link-local,
  multicast, reserved, unspecified, carrier-grade NAT or a v6 wrapper around one of those, unless the host
  name, the address or a range containing it is in `HttpSettings.allow`. The default session's adapter then
  connects to the address it vetted (keeping the name for `Host`, SNI and the certificate check), so a DNS
  answer that changes between check and connect (DNS rebinding) cannot slip through. A caller-injected session
  without `PinnedAdapter` is still checked per hop but not pinned: that is the one time-of-check/time-of-use gap
  (and its own second lookup of the name, in urllib3, is not bounded by the connect timeout).
  Proxies are not used (a proxy would resolve names itself, defeating the guard), nor cookies (they would be
  state kept for a site across fetches).

What this module must not do: raise for network or HTTP problems (`get` returns a `FetchResult`), parse feeds
or JSON, read the wall clock except through the injected `Clock` (the body deadline uses `time.monotonic`,
which measures durations, not dates), or keep per-feed state.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import http.client
import http.cookiejar
import ipaddress
import itertools
import logging
import os
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.util.ssl_match_hostname import CertificateError

from feeds.clock import Clock, utc_now
from feeds.config import HttpSettings
from feeds.errors import BlockedAddressError, FetchError, HTTPStatusError
from feeds.logs import one_line

log = logging.getLogger("feeds.fetch")

FEED_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, application/feed+json;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.5, */*;q=0.1"
)
JSON_ACCEPT = "application/json, */*;q=0.1"
MAX_REDIRECTS = 10
FRESHNESS_CAP = timedelta(hours=24)
RETRY_AFTER_CAP = timedelta(days=7)
_CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})

Resolver = Callable[[str, int], Iterable[tuple[Any, ...]]]
"""`socket.getaddrinfo`-shaped: (host, port) → tuples whose last item is a sockaddr starting with the address."""
T = TypeVar("T")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


# --- results -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Fetched:
    url: str
    """Final URL, after redirects."""
    requested_url: str
    status: int
    body: bytes
    """Decoded (gunzipped) bytes, at most `HttpSettings.max_bytes`."""
    sha256: str
    """Of `body`, in hex: how a caller recognises a body it has read before (servers without validators)."""
    content_type: str | None
    """Media type without parameters, lower-case (`application/atom+xml`)."""
    encoding: str | None
    """The `charset` parameter of Content-Type, if any."""
    validators: Validators
    fetched_at: datetime
    fresh_until: datetime | None
    """Do not check again before this (Cache-Control / Expires, capped at 24 h); None: no lower bound."""
    permanent_redirect: str | None
    """The final URL if every hop was 301/308, else None."""
    headers: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class NotModified:
    url: str
    requested_url: str
    fetched_at: datetime
    fresh_until: datetime | None
    permanent_redirect: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchFailed:
    url: str
    """Where it failed (the last hop reached)."""
    requested_url: str
    error: FetchError
    status: int | None = None
    """The HTTP status when the server answered; None for network, guard and size failures."""
    retry_after: datetime | None = None
    """From Retry-After on 429/503, capped at fetched_at + 7 days."""
    gone: bool = False
    """410 Gone: the resource was removed on purpose."""
    fetched_at: datetime
    permanent_redirect: str | None = None
    """Set only when the (failing) final answer came from the end of an all-301/308 chain."""


FetchResult = Fetched | NotModified | FetchFailed


# --- the SSRF guard ----------------------------------------------------------------------------------------

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")  # RFC 6598 shared address space
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix: the IPv4 address is the last 32 bits
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")  # RFC 4291 §2.5.5.2 IPv4-mapped: the IPv4 address is the last 32 bits
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215 local-use: a site's own translator, never public


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a v6 address stands for (IPv4-mapped, 6to4, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def blocked_reason(address: IPAddress) -> str | None:
    """Why `address` must not be contacted (e.g. "loopback"), or None for a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = blocked_reason(embedded)
            return None if inner is None else f"{inner} (IPv4 {embedded} inside an IPv6 address)"
    checks = (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("carrier-grade NAT", address in _CGNAT),
        ("local-use NAT64", address in _LOCAL_NAT64),
        ("site-local", isinstance(address, ipaddress.IPv6Address) and address.is_site_local),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("not globally routable", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def parse_address(host: str) -> IPAddress | None:
    """`host` as an IP address if it is a literal in any form a resolver accepts (`2130706433`, `0x7f.0.0.1`)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        # inet_aton is what getaddrinfo uses for numeric IPv4 (decimal, octal, hex, 1–4 parts).
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class AllowList:
    """`HttpSettings.allow` parsed once: host names, and addresses/CIDR ranges as networks."""

    hosts: frozenset[str]
    networks: tuple[IPNetwork, ...]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in entries:
            text = entry.strip().strip("[]")
            try:
                network = ipaddress.ip_network(text, strict=False)
            except ValueError:
                hosts.add(text.lower().rstrip("."))
                continue
            networks.append(network)
            if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(_MAPPED):
                # `::ffff:10.0.0.5` is 10.0.0.5, whichever way the resolver (or the client) gives it
                mapped = ipaddress.IPv4Address(int(network.network_address) & 0xFFFFFFFF)
                networks.append(ipaddress.IPv4Network((mapped, network.prefixlen - 96)))
        return cls(frozenset(hosts), tuple(networks))

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def allows_address(self, address: IPAddress, *, client: bool = False) -> bool:
        """Whether `address` is in the list: itself, or the IPv4 address it stands for. A `client` address (who
        is asking us, not whom we contact) stands only for its IPv4-mapped form: a 6to4 or NAT64 source address
        naming 127.0.0.1 is not this machine."""
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address):
            inner = address.ipv4_mapped if client else _embedded_ipv4(address)
            if inner is not None:
                candidates.append(inner)
        return any(a.version == n.version and a in n for a in candidates for n in self.networks)


LOOKUP_THREADS = 32
"""Threads at most, per process, looking names up in the DNS (`Lookups`): twice the default `watch.workers`."""


class LookupTimedOut(Exception):
    """What `Lookups.run` raises when it gave up: `started` says whether the lookup ever began (all the threads
    may be waiting for a DNS server that hangs)."""

    def __init__(self, started: bool):
        super().__init__("started" if started else "not started")
        self.started = started


class _Lookup:
    """One lookup handed to a lookup thread: its answer or its exception, and when it is done."""

    def __init__(self, lookup: Callable[[], Any], slots: threading.BoundedSemaphore):
        self.lookup, self.slots = lookup, slots
        self.done = threading.Event()
        self.answer: Any = None
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            self.answer = self.lookup()
        except Exception as e:  # (handed back to the thread waiting for it)
            self.error = e
        finally:
            self.slots.release()
            self.done.set()


class Lookups:
    """Runs DNS lookups on at most `threads` threads, so that the fetch waiting for one can give up at a deadline.

    `socket.getaddrinfo` takes no timeout: a dead or slow DNS server holds it for as long as the system
    resolver's own retries (5 s a try, two tries per server, again for each search domain: often 10-30 s, more).
    A lookup given up on still runs to its end on its thread, and keeps that thread until then; the threads are
    capped, so a resolver that hangs for every lookup costs `threads` threads, not one per fetch. When all of
    them are taken, the next lookup waits for one to come free, until its own deadline, and then fails without
    having started (no queue of lookups grows behind a dead resolver). Threads are started as needed, kept idle
    for the next lookups (a thread per lookup would cost more than the lookup most of the time), and are daemon
    threads: a lookup still waiting on the resolver does not hold up the end of the process. Shareable between
    threads; a forked child starts afresh (the threads were not forked with it)."""

    def __init__(self, threads: int = LOOKUP_THREADS):
        self.threads = threads
        self._pid = 0
        self._start()

    def _start(self) -> None:
        self._pid = os.getpid()
        self._slots = threading.BoundedSemaphore(self.threads)  # lookups running or about to: one per thread
        self._idle = threading.Semaphore(0)  # threads waiting for a lookup
        self._queue: queue.SimpleQueue[_Lookup] = queue.SimpleQueue()
        self._started = 0
        self._lock = threading.Lock()

    def run(self, lookup: Callable[[], T], within: float) -> T:
        """`lookup()`'s answer (or its exception), or `LookupTimedOut` once `within` seconds have passed."""
        if self._pid != os.getpid():
            self._start()
        deadline = time.monotonic() + within
        if not self._slots.acquire(timeout=within):
            raise LookupTimedOut(started=False)
        job = _Lookup(lookup, self._slots)
        if not self._idle.acquire(blocking=False):
            with self._lock:
                if self._started < self.threads:
                    self._started += 1
                    name = f"fetch-dns-{self._started}"
                    threading.Thread(target=self._work, name=name, daemon=True).start()
        self._queue.put(job)  # (a slot taken means a thread free to take it: each one holding a slot is one)
        if not job.done.wait(max(deadline - time.monotonic(), 0.0)):
            raise LookupTimedOut(started=True)
        if job.error is not None:
            raise job.error
        answer: T = job.answer
        return answer

    def _work(self) -> None:
        while True:
            self._queue.get().run()
            self._idle.release()


LOOKUPS = Lookups()
"""The process's lookup threads: `AddressGuard`'s unless given its own, and `feeds.outbound`'s."""


class AddressGuard:
    """Decides, per URL, which address may be contacted: resolve, refuse private targets, pick one to pin.

    A name is looked up on `lookups`' threads and waited for at most `lookup_timeout` seconds (or the `within`
    given to `vet`): the fetch's connect timeout, which covers the lookup and the connect together."""

    def __init__(
        self,
        allow: Iterable[str],
        resolver: Resolver | None = None,
        *,
        lookup_timeout: float = 10.0,
        lookups: Lookups | None = None,
    ):
        self.allow = AllowList.parse(allow)
        self.resolver: Resolver = resolver or socket.getaddrinfo
        self.lookup_timeout = lookup_timeout
        self.lookups = lookups if lookups is not None else LOOKUPS

    def vet(self, url: str, *, within: float | None = None) -> str:
        """The vetted address to connect to for `url`; raises BlockedAddressError or FetchError (DNS). A name's
        lookup is given `within` seconds (`lookup_timeout` if None)."""
        parts = urlsplit(url)
        host = parts.hostname
        if not host:
            raise FetchError("the URL has no host name", url=url)
        literal = parse_address(host)
        if literal is not None:
            addresses = [literal]
        else:
            seconds = self.lookup_timeout if within is None else within
            addresses = self._resolve(url, host, _port(parts.scheme, parts.port), seconds)
        if not self.allow.allows_host(host):
            for address in addresses:
                reason = blocked_reason(address)
                if reason is not None and not self.allow.allows_address(address):
                    raise BlockedAddressError(
                        f"refused to contact {host} ({address}): {reason} address "
                        "(if this is intended, add it to [http] allow in the config, or to FEEDS_FETCH_ALLOW)",
                        url=url,
                        address=str(address),
                    )
        # Pin the resolver's first answer: getaddrinfo already orders by RFC 6724 (e.g. no IPv6 first on a host
        # without an IPv6 route). Unlike urllib3 we do not fall back to the next address if that one fails.
        return str(addresses[0])

    def _resolve(self, url: str, host: str, port: int, within: float) -> list[IPAddress]:
        try:
            infos = self.lookups.run(lambda: list(self.resolver(host, port)), within)
        except LookupTimedOut as e:
            message = f"DNS lookup of {host} took longer than {within:g} s"
            if not e.started:
                message += (
                    f" (it could not start: all {self.lookups.threads} lookup threads are still waiting for the DNS "
                    "server to answer earlier lookups)"
                )
            raise FetchError(message, url=url) from None
        except (OSError, UnicodeError) as e:
            raise FetchError(f"could not find the server {host} (DNS lookup failed: {e})", url=url) from e
        found: list[IPAddress] = []
        for info in infos:
            address = ipaddress.ip_address(str(info[-1][0]).split("%")[0])
            if address not in found:
                found.append(address)
        if not found:
            raise FetchError(f"could not find the server {host} (DNS returned no address)", url=url)
        return found


def _port(scheme: str, port: int | None) -> int:
    return port if port is not None else (443 if scheme == "https" else 80)


_LEAST_CONNECT = 0.01
"""Seconds the connect is given at least, when the lookup took (nearly) all of the connect timeout: urllib3
refuses a timeout of 0, and a connection kept alive from an earlier request needs no connect at all."""


def _vet_within(guard: AddressGuard, url: str, timeout: Any) -> tuple[str, Any]:
    """`guard.vet(url)` within the connect timeout of `timeout` (as requests takes it: `(connect, read)` or one
    number for both), and `timeout` with the connect timeout reduced by the time the lookup took: the lookup and
    the connect share it, so `HttpSettings.longest_fetch` holds. Another kind of timeout (a urllib3 `Timeout`,
    None) is returned as it is, and the lookup given the guard's own `lookup_timeout`."""
    if isinstance(timeout, tuple) and len(timeout) == 2 and isinstance(timeout[0], int | float):
        connect, read = timeout
    elif isinstance(timeout, int | float) and not isinstance(timeout, bool):
        connect, read = timeout, timeout
    else:
        return guard.vet(url), timeout
    started = time.monotonic()
    address = guard.vet(url, within=connect)
    return address, (max(connect - (time.monotonic() - started), _LEAST_CONNECT), read)


class HandshakeTooSlow(OSError):
    """The TLS handshake did not finish within the connect timeout (urllib3 would call it a read timeout)."""


class HeadersTooSlow(OSError):
    """The server did not finish its status line and headers within the deadline (it trickled them)."""

    def __init__(self, seconds: float):
        super().__init__(f"no complete answer within {seconds:g} s")
        self.seconds = seconds


class _Alarms:
    """Actions to run at deadlines, all from one thread: a `threading.Timer` per request would start a thread
    for every fetch (0.1 s of a 1,000-feed 304 pass, which takes 1.5 s). Cancelled alarms are dropped lazily."""

    def __init__(self) -> None:
        self._heap: list[list[Any]] = []  # [deadline, sequence, action or None when cancelled]
        self._wake = threading.Condition()
        self._sequence = itertools.count()
        self._owner = 0  # the pid whose thread serves the heap (a forked child starts its own)

    def set(self, seconds: float, action: Callable[[], None]) -> list[Any]:
        alarm = [time.monotonic() + seconds, next(self._sequence), action]
        with self._wake:
            if self._owner != os.getpid():
                self._owner = os.getpid()
                threading.Thread(target=self._run, name="fetch-deadlines", daemon=True).start()
            heapq.heappush(self._heap, alarm)
            self._wake.notify()
        return alarm

    @staticmethod
    def cancel(alarm: list[Any]) -> None:
        alarm[2] = None

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._heap and self._heap[0][2] is None:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wake.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                action = heapq.heappop(self._heap)[2]
            if action is not None:
                try:
                    action()
                except Exception:  # (this thread serves every deadline of the process: it must outlive any one)
                    log.exception("a fetch deadline's action failed")


_ALARMS = _Alarms()


class _Cutoff:
    """Shuts `sock` down once `seconds` have passed, unless `finish` came first or `ours()` says the socket is no
    longer this read's (back in the pool, maybe reused): a read blocked on it then returns at once, and `late`
    says why. For reads whose own timeout restarts with every byte, which a server trickling bytes never lets end.
    A context manager: leaving it finishes."""

    def __init__(self, sock: socket.socket, seconds: float, ours: Callable[[], bool] = lambda: True):
        self.late = threading.Event()
        self._sock, self._ours, self._done, self._lock = sock, ours, False, threading.Lock()
        self._alarm = _ALARMS.set(seconds, self._cut)

    def _cut(self) -> None:
        with self._lock:
            if self._done or not self._ours():
                return
            self.late.set()
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)  # the blocked read returns at once

    def finish(self) -> None:
        with self._lock:
            self._done = True
        _ALARMS.cancel(self._alarm)

    def __enter__(self) -> _Cutoff:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()


_SOCKET = "feeds_socket"
"""The attribute of a response, from a `PinnedAdapter` connection, naming the socket its body is read from."""


def _with_header_deadline(connection: type[Any], seconds: float) -> type[Any]:
    """`connection` (a urllib3 connection class) whose wait for the status line and headers ends after `seconds`
    in all. The read timeout restarts with every byte, so without this a server sending one byte every few
    seconds would hold a fetch thread (and the poll waiting on it) for ever; the body has its own deadline."""

    class Deadlined(connection):  # type: ignore[misc]
        def _new_conn(self) -> socket.socket:
            # urllib3 gives the TCP connect and then the TLS handshake the connect timeout each (Python's ssl
            # takes the socket's timeout as the whole handshake's): the handshake gets what the connect left,
            # so looking the name up, connecting and the handshake take the connect timeout in all.
            started = time.monotonic()
            sock: socket.socket = super()._new_conn()
            if isinstance(self.timeout, int | float):
                sock.settimeout(max(self.timeout - (time.monotonic() - started), _LEAST_CONNECT))
            return sock

        def connect(self) -> None:
            try:
                super().connect()
            except TimeoutError as e:  # (the TCP connect's own timeout is urllib3's ConnectTimeoutError, not this)
                raise HandshakeTooSlow("the TLS handshake did not finish in time") from e

        def getresponse(self, *args: Any, **kwargs: Any) -> Any:
            sock = self.sock
            # (finished as soon as the answer came in time: this socket may be back in the pool then)
            with _Cutoff(sock, seconds) as cutoff:
                try:
                    response = super().getresponse(*args, **kwargs)
                except Exception as e:
                    if cutoff.late.is_set():
                        raise HeadersTooSlow(seconds) from e
                    raise
            if cutoff.late.is_set():  # cut off mid-headers, which the parser may take for a complete (empty) answer
                response.close()
                raise HeadersTooSlow(seconds)
            setattr(response, _SOCKET, sock)  # for the body's deadline, after the connection let go of it
            return response

    Deadlined.__name__ = f"Deadlined{connection.__name__}"
    return Deadlined


class PinnedAdapter(HTTPAdapter):
    """An HTTPAdapter that vets each request's host and connects to the vetted address.

    The pool is keyed by that address; `Host`, SNI (`server_hostname`) and certificate matching
    (`assert_hostname`) keep the original name, so TLS and virtual hosting behave as without pinning.
    Its connections wait at most `header_deadline` seconds in all for an answer's status line and headers.
    The name is looked up once per request, in `send`, within the request's connect timeout, and the connect is
    given what the lookup left of it (and the TLS handshake what the connect left); urllib3 then connects to the
    address, which needs no second lookup.
    """

    def __init__(self, guard: AddressGuard, *, header_deadline: float = 60.0, **kwargs: Any):
        self.guard = guard
        self.header_deadline = header_deadline
        self._vetted = threading.local()  # (url, address) from `send` for `get_connection_with_tls_context`
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        classes = {}
        for scheme, pool in self.poolmanager.pool_classes_by_scheme.items():
            connection = _with_header_deadline(pool.ConnectionCls, self.header_deadline)
            deadlined = type(f"Deadlined{pool.__name__}", (pool,), {"ConnectionCls": connection})
            classes[scheme] = deadlined
        self.poolmanager.pool_classes_by_scheme = classes

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        url = str(request.url)
        address, timeout = _vet_within(self.guard, url, timeout)
        self._vetted.pending = (url, address)
        # The connection goes to an IP address, so name the virtual host explicitly (RFC 9110 §7.2). Only for
        # this send: requests' own redirect handling copies the request, and a stale Host must not follow it.
        named = "Host" not in request.headers
        if named:
            request.headers["Host"] = urlsplit(url).netloc.rpartition("@")[2]
        try:
            return super().send(request, stream=stream, timeout=timeout, **kwargs)
        finally:
            self._vetted.pending = None
            if named:
                del request.headers["Host"]

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: Any,
        proxies: Mapping[str, str] | None = None,
        cert: Any = None,
    ) -> Any:
        if proxies and requests.utils.select_proxy(str(request.url), proxies):
            raise FetchError("proxies are not supported by the pinned adapter", url=str(request.url))
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        pending = getattr(self._vetted, "pending", None)
        url = str(request.url)
        address = pending[1] if pending is not None and pending[0] == url else self.guard.vet(url)
        name = host_params["host"]
        if host_params["scheme"] == "https" and parse_address(name) is None:
            # urllib3 accepts these pool keys; the requests stubs' TypedDict does not list them.
            pool_kwargs["server_hostname"] = name  # type: ignore[typeddict-unknown-key]
            pool_kwargs["assert_hostname"] = name  # type: ignore[typeddict-unknown-key]
        host_params["host"] = address
        return self.poolmanager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)


def make_session(
    settings: HttpSettings, resolver: Resolver | None = None, *, pool_maxsize: int = 32
) -> requests.Session:
    """A Session whose http/https adapter is pinned and guarded; shareable between threads."""
    session = requests.Session()
    session.trust_env = False
    # No cookies, kept or sent: the session serves every feed for the life of the daemon, so a cookie would be
    # an identity sent back to a site at every poll, and a site setting new ones at every answer would grow the
    # jar (and our requests to it) without end.
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    adapter = PinnedAdapter(
        AddressGuard(settings.allow, resolver, lookup_timeout=settings.connect_timeout),
        header_deadline=settings.read_timeout * 2,
        pool_connections=16,
        pool_maxsize=pool_maxsize,
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# --- caching headers (pure) --------------------------------------------------------------------------------


def _http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value.strip())
        # HTTP dates are always GMT (RFC 9110 §5.6.7); a zone-less parse means "-0000", i.e. UTC.
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):  # a year 99999999999999999999 overflows
        return None


def parse_retry_after(value: str, now: datetime, *, date: str | None = None) -> datetime | None:
    """Retry-After (RFC 9110 §10.2.3) as an absolute time: delay-seconds or an HTTP-date.

    An HTTP-date is on the server's clock, as is the response's `Date` (RFC 9110 §6.6.1): when that is readable,
    the wait is their difference, so a server's clock an hour behind ours (or ours stepped ahead) is not asked
    again at once (as Expires is read against Date, RFC 9111 §4.2.1). A date in the past means "now"; anything
    beyond `now` + 7 days is capped; an unreadable value is None.
    """
    text = value.strip()
    if text.isascii() and text.isdigit():
        return now + min(timedelta(seconds=_digits(text)), RETRY_AFTER_CAP)
    when = _http_date(text)
    if when is None:
        return None
    sent = _http_date(date) if date is not None else None
    wait = when - (sent or now)
    return now + min(max(wait, timedelta(0)), RETRY_AFTER_CAP)


def _lower_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {k.lower(): v for k, v in items}


def _cache_control(value: str) -> dict[str, str | None]:
    directives: dict[str, str | None] = {}
    for part in value.split(","):
        name, sep, arg = part.strip().partition("=")
        if name:
            directives.setdefault(name.strip().lower(), arg.strip().strip('"') if sep else None)
    return directives


def _seconds(value: str | None) -> int | None:
    return _digits(value) if value is not None and value.isascii() and value.isdigit() else None


def _digits(text: str) -> int:
    """ASCII digits as a number, at most 12 of them (more than 31,000 years of seconds: anything longer is capped
    anyway, and an endless string is not read), counted after any leading zeros ("0600" is 600)."""
    return int(text.lstrip("0")[:12] or "0")


def freshness(headers: Mapping[str, str] | Iterable[tuple[str, str]], now: datetime) -> datetime | None:
    """Until when a response stays fresh (RFC 9111 §4.2), capped at `now` + 24 h; None if not fresh at all.

    no-store / no-cache mean "check every time" (§5.2.2.4, §5.2.2.5). max-age is the lifetime; s-maxage is not
    ours to honour (§5.2.2.10: it is for shared caches, which the origin can purge when it publishes, as its CDN):
    a feed served with `max-age=60, s-maxage=86400` was checked once a day, its news found up to a day late.
    Without max-age, Expires minus Date (or minus `now`) is the lifetime (§4.2.1). The Age header is subtracted
    (§4.2.3).
    """
    h = _lower_headers(headers)
    cc = _cache_control(h.get("cache-control", ""))
    if "no-store" in cc or "no-cache" in cc:
        return None
    lifetime: timedelta | None = None
    seconds = _seconds(cc.get("max-age"))
    if seconds is not None:
        lifetime = timedelta(seconds=min(seconds, int(FRESHNESS_CAP.total_seconds()) + 1))
    elif "expires" in h:
        expires = _http_date(h["expires"])
        if expires is None:
            return None  # an invalid Expires (e.g. "0") means already expired (§5.3)
        lifetime = expires - (_http_date(h.get("date", "")) or now)
    if lifetime is None:
        return None
    lifetime -= timedelta(seconds=_seconds(h.get("age", "").strip()) or 0)
    if lifetime <= timedelta(0):
        return None
    return now + min(lifetime, FRESHNESS_CAP)


def _validator(value: str | None) -> str | None:
    """An ETag or Last-Modified worth sending back: short, visible ASCII (RFC 9110 §8.8.3, §5.6.7). Anything else
    (control characters, kilobytes of junk) is not stored, so never echoed to the server in the next request."""
    if value is None or len(value) > 1024 or not value.isascii() or not value.isprintable():
        return None
    return value


def _media_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    media, *params = value.split(";")
    charset = None
    for param in params:
        name, _, arg = param.partition("=")
        if name.strip().lower() == "charset":
            charset = arg.strip().strip('"') or None
    return media.strip().lower() or None, charset


def _size(n: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor:
            return f"{n // factor} {unit}" if n % factor == 0 else f"{n / factor:.1f} {unit}"
    return f"{n} bytes"


# --- the client --------------------------------------------------------------------------------------------


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
            _, timeout = _vet_within(self._guard, str(prepared.url), timeout)
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
            return NotModified(
                url=url, requested_url=requested, fetched_at=now, fresh_until=fresh_until, permanent_redirect=moved
            )
        if 200 <= status < 300:
            body = self._read_body(response, url)
            content_type, encoding = _media_type(response.headers.get("Content-Type"))
            return Fetched(
                url=url,
                requested_url=requested,
                status=status,
                body=body,
                sha256=hashlib.sha256(body).hexdigest(),
                content_type=content_type,
                encoding=encoding,
                validators=Validators(
                    _validator(response.headers.get("ETag")), _validator(response.headers.get("Last-Modified"))
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
        sock: socket.socket | None = getattr(raw.connection, "sock", None) or getattr(raw, _SOCKET, None)
        # One read1 call may read on and on by itself: urllib3 goes back to the socket until some bytes inflate to
        # something, and bytes that inflate to nothing (a gzip file name that never ends, empty deflate blocks)
        # trickled in would keep it there for ever, the deadline `_read_capped` keeps never looked at. (Read to the
        # end, the connection is back in the pool, maybe reused: then it is no longer this read's to cut.)
        cutoff = _Cutoff(sock, self.body_deadline, lambda: raw.connection is not None) if sock is not None else None
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
