"""The reverse proxy in front of the web server (`feeds serve`, the daemon's): whose forwarded headers are believed.

`[web] trusted_proxy` names the one peer whose `X-Forwarded-For`/`-Proto` (or `Forwarded`) headers give the
client's address and the URL scheme; waitress's own middleware reads them (`trusted_proxy_count`,
`trusted_proxy_headers`) and drops those headers from anyone else, so no part of the app can read a forged one.

In front of that, `IgnoredForwarding` says once in the log, per address, that such headers came from a peer
that is not the configured proxy: a proxy left unconfigured, or one connecting from another address than the
one named (a container's bridge address, `::1` for `127.0.0.1`), made every client the proxy without a word,
and the operator learnt it from the push API's 429s or a log naming 127.0.0.1 for every sender.

What this module must not do: read the forwarded headers' values (waitress does), or log once per request.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from waitress.proxy_headers import proxy_headers_middleware

if TYPE_CHECKING:
    from feeds.config.settings import WebSettings

log = logging.getLogger("feeds.web.proxy")

WSGIApp = Callable[[dict[str, Any], Any], Iterable[bytes]]

FORWARDED = {
    "HTTP_FORWARDED": "Forwarded",
    "HTTP_X_FORWARDED_FOR": "X-Forwarded-For",
    "HTTP_X_FORWARDED_HOST": "X-Forwarded-Host",
    "HTTP_X_FORWARDED_PROTO": "X-Forwarded-Proto",
    "HTTP_X_FORWARDED_PORT": "X-Forwarded-Port",
}
"""The headers a proxy forwards (as WSGI names them → as the log names them)."""

PEERS_NAMED = 10
"""The most addresses a process names as sending forwarded headers it ignored: a misconfigured proxy is one of
the first; clients on the internet sending them anyway are not worth more lines."""


def any_peer_trusted(web: WebSettings) -> str | None:
    """The warning when `web.trusted_proxy = "*"` on an address others can reach (`feeds check-config`, and the
    server as it starts): then anyone can say who they are. None when not."""
    if web.trusted_proxy != "*" or loopback(web.host):
        return None
    return (
        f'web.trusted_proxy = "*" while serving on {web.host}: anyone who reaches that address can set'
        " X-Forwarded-For, past web.status_from and the push API's per-client limit; name the proxy's"
        " address, or serve on 127.0.0.1"
    )


def loopback(host: str) -> bool:
    """Whether `web.host` is reached only from this machine (`localhost`, 127.0.0.0/8, ::1)."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may be reached from anywhere
        return False


def behind_proxy(app: WSGIApp, web: WebSettings) -> tuple[WSGIApp, dict[str, Any]]:
    """`app` wrapped to take the configured proxy's headers (and drop anyone else's), and the options that keep
    waitress from doing it a second time (it would otherwise wrap the app itself)."""
    if (warning := any_peer_trusted(web)) is not None:
        log.warning("%s", warning)
    believed = proxy_headers_middleware(
        app,
        trusted_proxy=web.trusted_proxy,
        trusted_proxy_count=web.trusted_proxy_count,
        trusted_proxy_headers=set(web.trusted_proxy_headers),
        clear_untrusted=True,
    )
    return IgnoredForwarding(believed, trusted_proxy=web.trusted_proxy), {"clear_untrusted_proxy_headers": False}


class IgnoredForwarding:
    """A WSGI middleware that logs, once per peer address (at most `PEERS_NAMED`), forwarded headers it is
    about to see ignored, with the setting that would make them believed."""

    def __init__(self, app: WSGIApp, *, trusted_proxy: str | None):
        self.app = app
        self.trusted_proxy = trusted_proxy
        self._named: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        peer = str(environ.get("REMOTE_ADDR") or "")
        if self.trusted_proxy != "*" and peer != self.trusted_proxy:
            forwarded = [name for key, name in FORWARDED.items() if key in environ]
            if forwarded:
                self._say(peer, forwarded)
        return self.app(environ, start_response)

    def _say(self, peer: str, forwarded: list[str]) -> None:
        with self._lock:
            if peer in self._named or len(self._named) >= PEERS_NAMED:
                return
            self._named.add(peer)
            last = len(self._named) == PEERS_NAMED
        why = (
            "web.trusted_proxy is not set"
            if self.trusted_proxy is None
            else f"it is not web.trusted_proxy ({self.trusted_proxy})"
        )
        log.warning(
            "forwarded headers (%s) from %s ignored: %s; if %s is your reverse proxy, set web.trusted_proxy = %s"
            " (until then every client behind it is seen as %s: in the log, the push API's limit, web.status_from)%s",
            ", ".join(forwarded),
            peer,
            why,
            "it" if self.trusted_proxy is not None else peer,
            f'"{peer}"',
            peer,
            f"; said once per address, and no more addresses are named after these {PEERS_NAMED}" if last else "",
        )
