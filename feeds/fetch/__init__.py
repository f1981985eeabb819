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

The package, by module (each imports only those listed before it):

- `results`: what a fetch returns (`Fetched`, `NotModified`, `FetchFailed`) and the `Validators` sent back;
- `headers`: caching and content headers read as data (pure: `parse_retry_after`, `freshness`, media type);
- `lookups`: DNS lookups on a few capped threads, waited for only so long (`Lookups`, `LOOKUPS`);
- `guard`: the SSRF guard (`blocked_reason`, `parse_address`, `AllowList`, `AddressGuard`);
- `deadlines`: what socket timeouts cannot bound (the header deadline, the body's cutoff, the alarms' thread);
- `adapter`: the pinned, guarded transport (`PinnedAdapter`, `make_session`);
- `client`: `HttpClient`, redirects, classification, the capped body and the errors' wording.

This `__init__` is the package's public face: it re-exports what the rest of `feeds` (and its tests) import
from `feeds.fetch`, and holds no code of its own. (To replace a name in a test, patch the module it lives in:
patching this re-export would not reach the code that uses it.)

What this package must not do: raise for network or HTTP problems (`get` returns a `FetchResult`), parse feeds
or JSON, read the wall clock except through the injected `Clock` (the body deadline uses `time.monotonic`,
which measures durations, not dates), or keep per-feed state.
"""

from __future__ import annotations

from feeds.fetch.adapter import PinnedAdapter, make_session
from feeds.fetch.client import HttpClient
from feeds.fetch.guard import AddressGuard, AllowList, Resolver, blocked_reason, parse_address
from feeds.fetch.headers import freshness, parse_retry_after
from feeds.fetch.lookups import LOOKUPS, Lookups, LookupTimedOut
from feeds.fetch.results import Fetched, FetchFailed, FetchResult, NotModified, Validators

__all__ = [
    "LOOKUPS",
    "AddressGuard",
    "AllowList",
    "FetchFailed",
    "FetchResult",
    "Fetched",
    "HttpClient",
    "LookupTimedOut",
    "Lookups",
    "NotModified",
    "PinnedAdapter",
    "Resolver",
    "Validators",
    "blocked_reason",
    "freshness",
    "make_session",
    "parse_address",
    "parse_retry_after",
]
