"""`feeds.outbound.outbound_session`: webhook and hub POSTs look names up within the connect timeout, try each
address in turn, and go through the environment's proxy exactly as requests does."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pytest_httpserver import HTTPServer

from feeds.alerts import run_alerts
from feeds.fetch import Lookups
from feeds.outbound import outbound_session, post_once
from feeds.publish.websub import PingQueue
from tests.alerts_helpers import NOW, add_keyword_matches
from tests.localtls import https_server

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def no_proxy_from_outside(monkeypatch):
    """Each test starts from an environment that names no proxy (the machine running the tests may set one)."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


class Seen:
    """What a server on 127.0.0.1 was asked: one `(method, target, Host header)` per request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str | None]] = []


@contextmanager
def server() -> Iterator[tuple[int, Seen]]:
    """A receiver (or proxy: it answers any target) on 127.0.0.1 only: 204 to a POST, 403 to a CONNECT."""
    seen = Seen()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen.requests.append(("POST", self.path, self.headers.get("Host")))
            self.send_response(204)
            self.end_headers()

        def do_CONNECT(self) -> None:
            seen.requests.append(("CONNECT", self.path, self.headers.get("Host")))
            self.send_response(403)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd.server_address[1], seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def resolving(answers: dict[str, list[str]], asked: list[str] | None = None):
    """A resolver giving each name its addresses, in that order (IPv6 ones as AF_INET6), as getaddrinfo does."""

    def resolve(host: str, port: int) -> list[tuple]:
        if asked is not None:
            asked.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answers[host]
        ]

    return resolve


@pytest.fixture
def setup(db_url, make_settings, make_app_for):
    def make(url: str):
        toml = f'\n[alerts]\n[[alerts.webhooks]]\nname = "desk"\nurl = "{url}"\nrules = ["*"]\n'
        return make_app_for(make_settings("\n[http]\nconnect_timeout = 1\n" + toml, database_url=db_url))

    return make


def test_a_hung_dns_lookup_fails_the_attempt_naming_the_host_and_the_delivery_is_retried(setup, clock):
    release = threading.Event()

    def hung(host: str, port: int) -> list[tuple]:
        release.wait()  # a DNS server that never answers (released when the test ends)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    app = setup("http://hooks.hung.test/hook")
    app.session = outbound_session(hung, lookups=Lookups(threads=1))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    try:
        report = run_alerts(app)
    finally:
        release.set()
        app.session.close()
    outcome = report.outcome("webhook:desk")
    assert (outcome.sent, outcome.retrying) == (0, 1)
    assert "DNS lookup of hooks.hung.test took longer than 1 s" in outcome.errors[0]
    (delivery,) = app.store.deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("pending", 1, "error")
    assert delivery.next_attempt > clock()


def test_each_resolved_address_is_tried_in_turn_so_a_receiver_on_ipv4_alone_gets_it(setup):
    with server() as (port, seen):
        # ::1 first, where nothing listens on that port (the server is on 127.0.0.1 alone): tried, then 127.0.0.1
        app = setup(f"http://receiver.test:{port}/hook")
        asked: list[str] = []
        app.session = outbound_session(resolving({"receiver.test": ["::1", "127.0.0.1"]}, asked))
        add_keyword_matches(app.store, {"a": "EU widens sanctions"})
        report = run_alerts(app)
        app.session.close()
    assert report.outcome("webhook:desk").sent == 1
    assert seen.requests == [("POST", "/hook", f"receiver.test:{port}")]
    assert asked == ["receiver.test"]


def test_a_name_with_no_address_that_answers_fails_the_attempt_and_is_retried(setup):
    app = setup("http://receiver.test:9/hook")
    app.session = outbound_session(resolving({"receiver.test": []}))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    report = run_alerts(app)
    app.session.close()
    assert report.outcome("webhook:desk").retrying == 1
    assert "receiver.test" in report.outcome("webhook:desk").errors[0]


def test_with_http_proxy_set_the_post_goes_to_the_proxy_which_resolves_the_target(setup, monkeypatch):
    with server() as (port, seen):
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
        app = setup("http://hooks.behind-the-firewall.test/hook")  # (a name no DNS has: only the proxy knows it)
        assert app.session is None  # the alerts job's own session, as the daemon's
        add_keyword_matches(app.store, {"a": "EU widens sanctions"})
        report = run_alerts(app)
    assert report.outcome("webhook:desk").sent == 1
    assert seen.requests == [("POST", "http://hooks.behind-the-firewall.test/hook", "hooks.behind-the-firewall.test")]


def test_a_hub_ping_goes_through_the_environments_proxy_too(make_settings, make_app_for, monkeypatch):
    with server() as (port, seen):
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
        app = make_app_for(make_settings('\n[publish]\nhub = "http://hub.behind-the-firewall.test/"\n'))
        queue = PingQueue()
        queue.add(["https://news.example.org/feed.xml"], app.clock())
        try:
            report = queue.send(app)
        finally:
            queue.close()
    assert report.sent == 1
    assert seen.requests == [("POST", "http://hub.behind-the-firewall.test/", "hub.behind-the-firewall.test")]


def test_with_https_proxy_set_an_https_post_is_tunnelled_through_the_proxy(monkeypatch):
    with server() as (port, seen):
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
        asked: list[str] = []
        with outbound_session(resolving({}, asked)) as session:
            result = post_once(
                session, "https://hooks.example.test/hook", data=b"{}", headers={}, timeout=(2, 2), now=NOW
            )
    assert seen.requests and seen.requests[0][:2] == ("CONNECT", "hooks.example.test:443")
    assert not result.ok and "ProxyError" in (result.error or ""), "the proxy refused the tunnel (403)"
    assert asked == []


def test_no_proxy_sends_the_hosts_it_names_directly(setup, monkeypatch):
    with server() as (proxy_port, through_proxy), server() as (port, direct):
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy_port}")
        monkeypatch.setenv("NO_PROXY", "localhost,receiver.test")
        app = setup(f"http://receiver.test:{port}/hook")
        app.session = outbound_session(resolving({"receiver.test": ["127.0.0.1"]}))
        add_keyword_matches(app.store, {"a": "EU widens sanctions"})
        report = run_alerts(app)
        app.session.close()
    assert report.outcome("webhook:desk").sent == 1
    assert direct.requests == [("POST", "/hook", f"receiver.test:{port}")]
    assert through_proxy.requests == []


def test_an_address_literal_is_connected_to_without_a_lookup():
    asked: list[str] = []
    with server() as (port, seen), outbound_session(resolving({}, asked)) as session:
        result = post_once(session, f"http://127.0.0.1:{port}/hook", data=b"{}", headers={}, timeout=(2, 2), now=NOW)
    assert result.ok and seen.requests == [("POST", "/hook", f"127.0.0.1:{port}")]
    assert asked == []


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HTTPServer, str]]:
    """An HTTPS server on 127.0.0.1 whose self-signed certificate names only `hooks.test`."""
    with https_server(tmp_path_factory.mktemp("tls"), "hooks.test") as found:
        yield found


@pytest.mark.parametrize(
    ("name", "bundle", "error"),
    [
        ("hooks.test", True, None),
        ("other.test", True, "Hostname mismatch, certificate is not valid for 'other.test'"),
        ("hooks.test", False, "self-signed certificate"),
    ],
)
def test_tls_verifies_the_host_name_against_requests_ca_bundle_though_the_socket_goes_to_an_address(
    tls_server, monkeypatch, name, bundle, error
):
    server, cert = tls_server
    server.clear()
    server.expect_request("/hook", method="POST").respond_with_data("", status=204)
    if bundle:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert)  # as requests reads it, trust_env being on
    else:
        monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
        monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    resolver = resolving({"hooks.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    with outbound_session(resolver) as session:
        url = f"https://{name}:{server.port}/hook"
        result = post_once(session, url, data=b"{}", headers={}, timeout=(2, 2), now=NOW)
    if error is None:
        assert result.ok and result.status == "204"
        (request,) = [r for r, _ in server.log]
        assert request.headers["Host"] == f"hooks.test:{server.port}"
    else:
        assert not result.ok and "SSLError: HTTPSConnectionPool(host=" in (result.error or "")
        assert error in (result.error or "")
