"""Hostile input: feed URLs and redirects aimed at private, loopback, link-local, multicast and IPv6-wrapped
addresses, literally or through DNS names (an injected resolver answers for them), are refused before any
connection unless the address or name is allow-listed; a name that resolves differently the second time
(DNS rebinding) is connected to at the address that was vetted.

Safety net: every socket connection made during these tests is checked; one to anything but 127.0.0.0/8 fails
the test at once (so a guard that let something through can never send traffic off this machine).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from feeds.clock import FixedClock
from feeds.config import HttpSettings
from feeds.errors import BlockedAddressError
from feeds.fetch import Fetched, FetchFailed, HttpClient
from feeds.watch.manage import add_feed
from feeds.watch.poll import run_watch
from tests.chaos.conftest import record
from tests.chaos.feedserver import FeedServer

BLOCKED = [
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f.0.0.1",
    "0177.0.0.1",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:ffff:7f00:1]",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",
    "[fe80::1]",
    "100.64.0.1",
    "0.0.0.0",
    "[::]",
    "224.0.0.1",
    "[ff02::1]",
    "[64:ff9b::a00:1]",
    "[2002:a00:1::]",
    "[fc00::1]",
    "[fd12:3456::1]",
    "192.0.0.1",
    "198.18.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "[::ffff:169.254.169.254]",
]
NAMES = {  # DNS names and what the hostile resolver answers for them
    "metadata.attacker.test": ["169.254.169.254"],
    "intranet.attacker.test": ["10.20.30.40"],
    "home.attacker.test": ["192.168.0.10"],
    "loop.attacker.test": ["127.0.0.1"],
    "v6loop.attacker.test": ["::1"],
    "mapped.attacker.test": ["::ffff:10.0.0.1"],
    "mixed.attacker.test": ["203.0.113.10", "10.0.0.1"],  # one public answer does not launder a private one
    "scoped.attacker.test": ["fe80::1%eth0"],
}


@pytest.fixture(autouse=True)
def only_loopback_connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    attempts: list[str] = []
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else str(address)
        attempts.append(host)
        if not ipaddress.ip_address(host.split("%")[0]).is_loopback:
            raise AssertionError(f"the SSRF guard let a connection to {host} through")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    yield attempts


def resolver(host: str, port: int) -> list[tuple[Any, ...]]:
    answers = NAMES.get(host.rstrip(".").lower())
    if answers is None:
        raise socket.gaierror(socket.EAI_NONAME, "unknown name (the test resolver knows only its own names)")
    out: list[tuple[Any, ...]] = []
    for a in answers:
        family = socket.AF_INET6 if ":" in a else socket.AF_INET
        out.append((family, socket.SOCK_STREAM, 6, "", (a, port) if family == socket.AF_INET else (a, port, 0, 0)))
    return out


def client(allow: tuple[str, ...] = ()) -> HttpClient:
    settings = HttpSettings(user_agent="chaos", connect_timeout=2, read_timeout=2, max_bytes=1 << 20, allow=allow)
    return HttpClient(
        settings,
        clock=FixedClock(__import__("datetime").datetime(2026, 11, 28, tzinfo=__import__("datetime").UTC)),
        resolver=resolver,
    )


def test_private_targets_are_refused_before_connecting(only_loopback_connections: list[str]) -> None:
    http = client()
    urls = [f"http://{h}:9/feed.xml" for h in BLOCKED] + [f"http://{n}/feed.xml" for n in NAMES]
    for url in urls:
        result = http.get(url)
        assert isinstance(result, FetchFailed) and isinstance(result.error, BlockedAddressError), (url, result)
    assert only_loopback_connections == [], "a connection was attempted"
    record("SSRF targets refused", len(urls))


def test_redirects_into_private_space_are_refused(only_loopback_connections: list[str]) -> None:
    """The feed server is allow-listed (127.0.0.1); where its redirects point is not."""
    with FeedServer() as server:
        http = client(allow=("127.0.0.1",))
        targets = [
            "http://10.0.0.1/x",
            "http://[::ffff:10.0.0.1]/x",
            "http://169.254.169.254/latest/meta-data/",
            "http://metadata.attacker.test/x",
            "http://mixed.attacker.test/x",
            "http://[::1]:9/x",
            "http://localhost:9/x",
            "http://2130706434:9/x",
        ]  # 127.0.0.2: not the allowed address
        for target in targets:

            def redirect(conn: Any, req: Any, name: str, parts: list[str], target: str = target) -> bool:
                from tests.chaos.feedserver import _send

                _send(conn, 302, b"", None, [("Location", target)])
                return True

            server._mixed = redirect  # type: ignore[method-assign]
            result = http.get(server.url("mixed", "r"))
            assert isinstance(result, FetchFailed), (target, result)
            assert "refused to contact" in str(result.error) or "DNS" in str(result.error), (target, result.error)
        good = http.get(server.url("good", "ok"))
        assert isinstance(good, Fetched)
    assert set(only_loopback_connections) == {"127.0.0.1"}


def test_loopback_is_fetched_only_when_allow_listed() -> None:
    with FeedServer() as server:
        url = server.url("good", "x")
        refused = client().get(url)
        assert isinstance(refused, FetchFailed) and isinstance(refused.error, BlockedAddressError)
        assert server.requests == []
        assert isinstance(client(allow=("127.0.0.1",)).get(url), Fetched)
        by_name = url.replace("127.0.0.1", "loop.attacker.test")
        assert isinstance(client(allow=("loop.attacker.test",)).get(by_name), Fetched)
        assert isinstance(client(allow=("127.0.0.0/8",)).get(by_name), Fetched)
        assert isinstance(client(allow=("10.0.0.0/8",)).get(by_name), FetchFailed)


def test_dns_rebinding_connects_to_the_vetted_address(only_loopback_connections: list[str]) -> None:
    """First answer loopback (allow-listed), every later one private: the connection goes where the check
    looked, never where the second answer points."""
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[tuple[Any, ...]]:
        calls.append(host)
        address = "127.0.0.1" if len(calls) == 1 else "10.66.66.66"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    with FeedServer() as server:
        settings = HttpSettings(user_agent="chaos", connect_timeout=2, read_timeout=2, allow=("127.0.0.1",))
        http = HttpClient(settings, resolver=rebinding)
        result = http.get(f"http://rebind.attacker.test:{server.port}/good/x")
        assert isinstance(result, Fetched), result
        assert server.requests[0].headers.get("host") == f"rebind.attacker.test:{server.port}"
    assert set(only_loopback_connections) == {"127.0.0.1"}


def test_watched_feeds_record_the_refusal_on_their_row(make_settings, make_app_for) -> None:
    app = make_app_for(make_settings())
    feeds = []
    for host in ("127.0.0.1:9", "[::ffff:127.0.0.1]:9", "169.254.169.254", "10.1.2.3"):
        try:
            feeds.append(add_feed(app, f"http://{host}/feed.xml"))
        except Exception as e:  # refusing at the door is fine too, with our own error
            assert type(e).__module__.startswith("feeds"), e
    run_watch(app)
    for f in feeds:
        row = app.store.feed(f.id)
        assert row.failures == 1 and "refused to contact" in (row.last_error or ""), row
