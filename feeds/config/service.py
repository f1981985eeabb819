"""`[web]` and `[daemon]`: the long-running processes: the server's address, API token and limits, and the
daemon's ticks, intervals and waits.

Each `read_<table>` returns its frozen settings record or raises `ConfigError` through the reader (file, key path,
line); a bad `FEEDS_API_TOKEN` is named as the environment variable, which wins over the file.

What this module must not do: bind a port or start anything; or keep its own bounds (the durations' floors and
ceilings are in `schema.py`, with every other).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from feeds.config.checks import days_kept
from feeds.config.reader import TableReader
from feeds.config.schema import DAEMON_BOUNDS, KEYS, SIZE_BOUNDS
from feeds.config.settings import STATUS_FROM, DaemonSettings, WebSettings
from feeds.errors import ConfigError

_BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
"""RFC 6750 §2.1 b64token: a client sends it after `Bearer `, and a token with a space could never be sent."""


def read_web(r: TableReader, t: dict[str, Any], environ: Mapping[str, str]) -> WebSettings:
    k = ("web",)
    r.only(t, k, KEYS["[web]"])
    port = r.get(t, (*k, "port"), int, 8080)
    if not 0 <= port <= 65535:
        r.fail((*k, "port"), f"must be a TCP port (0-65535), got {port}")
    token = environ.get("FEEDS_API_TOKEN") or r.get(t, (*k, "api_token"), str, None) or None
    problem = None
    if token is not None and len(token) < 16:
        problem = "is too short: use at least 16 random characters"
    elif token is not None and not _BEARER_TOKEN.fullmatch(token):  # what `Authorization: Bearer …` can carry
        problem = "must be one word of letters, digits and - . _ ~ + / (a bearer token, RFC 6750), without spaces"
    if problem is not None:
        if environ.get("FEEDS_API_TOKEN"):  # the variable wins over the file: name the one that is wrong
            raise ConfigError(problem, path="environment", key="FEEDS_API_TOKEN")
        r.fail((*k, "api_token"), problem)
    status_from = r.get(t, (*k, "status_from"), list, list(STATUS_FROM))
    for i, entry in enumerate(status_from):
        try:
            ipaddress.ip_network(str(entry), strict=False)
        except ValueError:
            r.fail((*k, "status_from", i), f"must be an IP address or CIDR range, got {entry!r}")
    return WebSettings(
        host=r.get(t, (*k, "host"), str, "127.0.0.1"),
        port=port,
        api_token=token,
        max_body=r.size(
            t,
            (*k, "max_body"),
            WebSettings().max_body,
            floor=SIZE_BOUNDS["web.max_body"][0],
            ceiling=SIZE_BOUNDS["web.max_body"][1],
        ),
        max_releases=r.count(t, (*k, "max_releases"), 1000),
        rate_limit=r.count(t, (*k, "rate_limit"), 60),
        status_from=tuple(str(e) for e in status_from),
        disk_free_percent=r.positive(t, (*k, "disk_free_percent"), WebSettings().disk_free_percent, ceiling=100),
        disk_free_min=r.size(
            t,
            (*k, "disk_free_min"),
            WebSettings().disk_free_min,
            floor=SIZE_BOUNDS["web.disk_free_min"][0],
            ceiling=SIZE_BOUNDS["web.disk_free_min"][1],
        ),
        **_read_proxy(r, t),
    )


_PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port")
"""The headers a trusted proxy may set (waitress's names; its `x-forwarded-by` only fills a variable nobody reads)."""


def _read_proxy(r: TableReader, t: dict[str, Any]) -> dict[str, Any]:
    """`trusted_proxy`, `trusted_proxy_count` and `trusted_proxy_headers`, checked as waitress would (which says
    only "ValueError" at the start, naming no file or line), and the address written as waitress compares it: as
    text, so `::0001` would never match the peer `::1`."""
    k = ("web",)
    proxy = r.get(t, (*k, "trusted_proxy"), str, None)
    if proxy is None:
        for name in ("trusted_proxy_count", "trusted_proxy_headers"):
            if name in t:
                r.fail((*k, name), "has no meaning without web.trusted_proxy (the address of your reverse proxy)")
        return {}
    if proxy != "*":
        try:
            proxy = str(ipaddress.ip_address(proxy.strip()))
        except ValueError:
            r.fail(
                (*k, "trusted_proxy"),
                f'must be the IP address your reverse proxy connects from (one address, not a range), or "*" '
                f"to trust any peer; got {proxy!r}",
            )
    count = r.count(t, (*k, "trusted_proxy_count"), 1)
    headers = r.get(t, (*k, "trusted_proxy_headers"), list, list(WebSettings().trusted_proxy_headers))
    for i, header in enumerate(headers):
        if not isinstance(header, str) or header.lower() not in _PROXY_HEADERS:
            r.fail((*k, "trusted_proxy_headers", i), f"must be one of {', '.join(_PROXY_HEADERS)}; got {header!r}")
    named = {h.lower() for h in headers}
    if not named:
        r.fail((*k, "trusted_proxy_headers"), "must name at least one header (x-forwarded-for, for the address)")
    if "forwarded" in named and len(named) > 1:
        r.fail(
            (*k, "trusted_proxy_headers"),
            '"forwarded" and the x-forwarded-* headers cannot both be trusted: list the one kind your proxy sets',
        )
    return {"trusted_proxy": proxy, "trusted_proxy_count": count, "trusted_proxy_headers": tuple(sorted(named))}


def read_daemon(r: TableReader, t: dict[str, Any]) -> DaemonSettings:
    k = ("daemon",)
    r.only(t, k, KEYS["[daemon]"])
    defaults = DaemonSettings()
    return DaemonSettings(
        **{
            n: r.interval(t, (*k, n), getattr(defaults, n), floor=low, ceiling=high)
            for n, (low, high) in DAEMON_BOUNDS.items()
        },
        ledger_retention_days=days_kept(r, t, (*k, "ledger_retention_days"), defaults.ledger_retention_days, {}),
        worker_memory=_worker_memory(r, t, defaults.worker_memory),
    )


def _worker_memory(r: TableReader, t: dict[str, Any], default: int) -> int:
    key = ("daemon", "worker_memory")
    if t.get("worker_memory") == 0 and not isinstance(t.get("worker_memory"), bool):
        return 0  # no limit
    low, high = SIZE_BOUNDS["daemon.worker_memory"]
    return r.size(t, key, default, floor=low, ceiling=high)
