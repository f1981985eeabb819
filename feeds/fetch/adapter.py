"""The transport: `PinnedAdapter`, a requests adapter that vets each request's host with the `AddressGuard` and
connects to the vetted address (so a DNS answer that changes between check and connect cannot slip through),
keeping the name for `Host`, SNI and the certificate check, its connections bound by the header deadline; and
`make_session`, the default session built on it (no proxies, no cookies kept or sent).

What this module must not do: follow redirects, read bodies or classify answers (the client does), use a proxy
(a proxy would resolve names itself, defeating the guard), or keep state for a site across requests.
"""

from __future__ import annotations

import http.cookiejar
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from feeds.config import HttpSettings
from feeds.errors import FetchError
from feeds.fetch.deadlines import vet_within, with_header_deadline
from feeds.fetch.guard import AddressGuard, Resolver, parse_address


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
            connection = with_header_deadline(pool.ConnectionCls, self.header_deadline)
            deadlined = type(f"Deadlined{pool.__name__}", (pool,), {"ConnectionCls": connection})
            classes[scheme] = deadlined
        self.poolmanager.pool_classes_by_scheme = classes

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        url = str(request.url)
        address, timeout = vet_within(self.guard, url, timeout)
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


HOST_POOLS = 128
"""Hosts whose connections the session keeps (urllib3's pools, one per address and port, the least recently used
dropped first). A poll has up to `2 * watch.workers` fetches under way or waiting, over as many hosts: with 16
pools, a round over many sites dropped a host's pool (and its open connections) between two of its feeds, and
made a new one (a new TCP connection, a pool of `pool_maxsize` slots) for nearly every other fetch. Each pool
holds the few connections its host was fetched over at once (`watch.per_host`), idle ones closed when it is
dropped."""


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
        pool_connections=HOST_POOLS,
        pool_maxsize=pool_maxsize,
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
