"""The SSRF guard: which address a URL may be fetched from. `blocked_reason` says why an address is refused
(private, loopback, link-local, multicast, reserved, unspecified, carrier-grade NAT, or a v6 wrapper around one
of those), `parse_address` reads host literals in every form a resolver accepts, `AllowList` is
`HttpSettings.allow` parsed once, and `AddressGuard.vet` resolves a URL's host (on `Lookups`' bounded threads)
and returns the one address to connect to, the one the pinned adapter then pins.

What this module must not do: open connections or send requests (it only resolves names and judges
addresses), or wait for a lookup longer than it was given.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from feeds.errors import BlockedAddressError, FetchError
from feeds.fetch.lookups import LOOKUPS, Lookups, LookupTimedOut

Resolver = Callable[[str, int], Iterable[tuple[Any, ...]]]
"""`socket.getaddrinfo`-shaped: (host, port) → tuples whose last item is a sockaddr starting with the address."""
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

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
