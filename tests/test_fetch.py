"""feeds.fetch: the polite HTTP client against a real server on 127.0.0.1, and its pure helpers table-driven."""

from __future__ import annotations

import contextlib
import gzip
import ipaddress
import logging
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from feeds.clock import FixedClock, http_date, utc_now
from feeds.config import HttpSettings
from feeds.errors import BlockedAddressError, FetchError, HTTPStatusError
from feeds.fetch import (
    AddressGuard,
    AllowList,
    Fetched,
    FetchFailed,
    FetchResult,
    HttpClient,
    Lookups,
    NotModified,
    PinnedAdapter,
    Resolver,
    Validators,
    blocked_reason,
    freshness,
    make_session,
    parse_retry_after,
)
from tests.localtls import https_server

UA = "feeds-test/0.1 (+https://press.example/)"
LOCAL = ("127.0.0.1",)


def settings(**overrides: Any) -> HttpSettings:
    values: dict[str, Any] = {
        "user_agent": UA,
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "max_bytes": 1 << 20,
        "allow": LOCAL,
    }
    values.update(overrides)
    return HttpSettings(**values)


def fake_resolver(table: dict[str, list[str]]) -> Resolver:
    """getaddrinfo-shaped lookup in `table`; any other name is an unknown host (no real DNS in tests)."""

    def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in table[host]
        ]

    return resolve


def no_dns(host: str, port: int) -> list[tuple[Any, ...]]:
    raise AssertionError(f"{host} should not need a DNS lookup")


@pytest.fixture(scope="module")
def threaded_server() -> Iterator[HTTPServer]:
    """pytest-httpserver's server on 127.0.0.1, threaded so a deliberately slow handler delays no other test."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def server(threaded_server: HTTPServer) -> Iterator[HTTPServer]:
    threaded_server.clear()
    yield threaded_server
    threaded_server.check_assertions()


@pytest.fixture
def client(clock: FixedClock) -> Iterator[HttpClient]:
    with HttpClient(settings(), clock=clock) as c:
        yield c


def url(server: HTTPServer, path: str) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


# --- conditional GET ---------------------------------------------------------------------------------------


def test_200_then_304_with_etag(server: HTTPServer, client: HttpClient, now: datetime) -> None:
    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"', "Cache-Control": "max-age=300"})
        return Response(b"<feed/>", headers={"ETag": '"v1"', "Content-Type": "application/atom+xml; charset=UTF-8"})

    server.expect_request("/feed").respond_with_handler(handler)
    first = client.get(url(server, "/feed"))
    assert isinstance(first, Fetched)
    assert (first.status, first.body, first.content_type, first.encoding) == (
        200,
        b"<feed/>",
        "application/atom+xml",
        "UTF-8",
    )
    assert first.validators == Validators(etag='"v1"', last_modified=None)
    assert first.fetched_at == now and first.fresh_until is None and first.permanent_redirect is None
    assert ("ETag", '"v1"') in first.headers

    second = client.get(url(server, "/feed"), validators=first.validators)
    assert second == NotModified(
        url=url(server, "/feed"),
        requested_url=url(server, "/feed"),
        fetched_at=now,
        fresh_until=now + timedelta(seconds=300),
        permanent_redirect=None,
    )
    sent = [request for request, _ in server.log]
    assert "If-None-Match" not in sent[0].headers
    assert sent[1].headers["If-None-Match"] == '"v1"'
    assert sent[0].headers["User-Agent"] == UA
    assert sent[0].headers["Accept-Encoding"] == "gzip, deflate"
    assert "application/atom+xml" in sent[0].headers["Accept"]


def test_200_then_304_with_last_modified(server: HTTPServer, client: HttpClient) -> None:
    stamp = "Tue, 24 Nov 2026 08:00:00 GMT"

    def handler(request: Request) -> Response:
        if request.headers.get("If-Modified-Since") == stamp:
            return Response(status=304)
        return Response(b"[]", headers={"Last-Modified": stamp, "Content-Type": "application/json"})

    server.expect_request("/releases.json").respond_with_handler(handler)
    first = client.get(url(server, "/releases.json"))
    assert isinstance(first, Fetched)
    assert first.validators == Validators(etag=None, last_modified=stamp)
    assert isinstance(client.get(url(server, "/releases.json"), validators=first.validators), NotModified)


def test_a_304_leaves_its_connection_open_for_the_next_fetch_from_the_host(clock: FixedClock) -> None:
    """A 304 has no body: its connection goes back to the pool (as a body read to its end does), not closed with
    the unread response, so a round of 304s from one site costs it one TCP connection, not one per feed."""
    connections: list[object] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive

        def setup(self) -> None:
            super().setup()
            connections.append(self.connection)

        def do_GET(self) -> None:
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.send_header("ETag", '"v1"')
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Length", "7")
            self.end_headers()
            self.wfile.write(b"<feed/>")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with HttpClient(settings(), clock=clock) as client:
            base = f"http://127.0.0.1:{httpd.server_address[1]}"
            first = client.get(f"{base}/a")
            assert isinstance(first, Fetched)
            answers = [client.get(f"{base}/{path}", validators=first.validators) for path in ("a", "b", "c")]
            assert all(isinstance(a, NotModified) for a in answers)
            assert isinstance(client.get(f"{base}/d"), Fetched)  # (after the 304s, a body on the same connection)
        assert len(connections) == 1
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_304_with_a_body_it_should_not_have_leaves_no_junk_for_the_next_fetch(clock: FixedClock) -> None:
    """A server that sends a body with its 304 (it must not: RFC 9110 §15.4.5): the connection handed back holds
    those bytes (or the old response's buffer does: the junk came with the head), and urllib3 sees an idle
    connection with something to read as one to drop: the next fetch from the host is never read from the junk."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                accepted.append(conn)
                threading.Thread(target=answer, args=(conn,), daemon=True).start()

    def answer(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            while True:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    request += chunk
                if b"If-None-Match" in request:
                    conn.sendall(b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 5\r\n\r\njunk!')
                else:
                    conn.sendall(b'HTTP/1.1 200 OK\r\nETag: "v1"\r\nContent-Length: 7\r\n\r\n<feed/>')

    threading.Thread(target=serve, daemon=True).start()
    try:
        with HttpClient(settings(), clock=clock) as client:
            base = f"http://127.0.0.1:{listener.getsockname()[1]}"
            first = client.get(f"{base}/a")
            assert isinstance(first, Fetched)
            assert isinstance(client.get(f"{base}/b", validators=first.validators), NotModified)
            third = client.get(f"{base}/c")
            assert isinstance(third, Fetched) and third.body == b"<feed/>"
    finally:
        listener.close()
        for conn in accepted:
            conn.close()


def test_5xx_is_a_failure_without_validators(server: HTTPServer, client: HttpClient) -> None:
    server.expect_request("/feed").respond_with_data(
        "oops", status=500, headers={"ETag": '"error-page"', "Last-Modified": "Tue, 24 Nov 2026 08:00:00 GMT"}
    )
    result = client.get(url(server, "/feed"))
    assert isinstance(result, FetchFailed)
    assert result.status == 500 and not result.gone and result.retry_after is None
    assert isinstance(result.error, HTTPStatusError) and result.error.status == 500
    assert "500 INTERNAL SERVER ERROR" in str(result.error).upper()
    assert not hasattr(result, "validators")


def test_304_to_an_unconditional_request_is_a_failure(server: HTTPServer, client: HttpClient) -> None:
    server.expect_request("/feed").respond_with_data("", status=304)
    result = client.get(url(server, "/feed"))
    assert isinstance(result, FetchFailed) and result.status == 304
    assert "not conditional" in str(result.error)


# --- bodies: encoding, size cap, slow servers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "compress"), [("gzip", gzip.compress), ("deflate", zlib.compress)], ids=["gzip", "deflate"]
)
def test_compressed_body_is_decoded(server: HTTPServer, client: HttpClient, encoding: str, compress: Any) -> None:
    body = b"<rss><channel><title>Press</title></channel></rss>" * 200
    server.expect_request("/feed").respond_with_data(compress(body), headers={"Content-Encoding": encoding})
    result = client.get(url(server, "/feed"))
    assert isinstance(result, Fetched) and result.body == body


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("encoding", "compressed"),
    [
        ("gzip", gzip.compress(b"<feed>") + gzip.compress(b"</feed>")),  # two members: one body
        ("gzip", gzip.compress(b"<feed></feed>") + b"\0" * 8),  # zero padding after the member, as some servers send
        ("deflate", raw_deflate(b"<feed></feed>")),  # no zlib wrapper, as some servers send it
        ("deflate", zlib.compress(b"<feed></feed>")),
    ],
    ids=["gzip-two-members", "gzip-padded", "deflate-raw", "deflate-zlib"],
)
def test_compressed_body_in_forms_seen_in_the_wild_is_decoded_whole(
    server: HTTPServer, client: HttpClient, encoding: str, compressed: bytes
) -> None:
    server.expect_request("/feed").respond_with_data(compressed, headers={"Content-Encoding": encoding})
    result = client.get(url(server, "/feed"))
    assert isinstance(result, Fetched), result
    assert result.body == b"<feed></feed>"


def test_announced_length_over_the_cap_is_refused_unread(server: HTTPServer, clock: FixedClock) -> None:
    server.expect_request("/big").respond_with_data(b"x" * 20_000)
    with HttpClient(settings(max_bytes=10_000), clock=clock) as client:
        result = client.get(url(server, "/big"))
    assert isinstance(result, FetchFailed) and result.status is None
    assert "response larger than 9.8 KiB (the server announced 19.5 KiB)" in str(result.error)


def test_streamed_body_is_cut_at_the_cap(server: HTTPServer, clock: FixedClock) -> None:
    def stream(request: Request) -> Response:  # no Content-Length: the cap must act while reading
        return Response((b"y" * 65536 for _ in range(64)), content_type="application/rss+xml")

    server.expect_request("/endless").respond_with_handler(stream)
    with HttpClient(settings(max_bytes=256 * 1024), clock=clock) as client:
        result = client.get(url(server, "/endless"))
    assert isinstance(result, FetchFailed)
    assert str(result.error).endswith("response larger than 256 KiB")


@cache
def gzip_bomb(decoded_mib: int) -> bytes:
    squeezer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip framing
    zeros = bytes(1 << 20)
    return b"".join([*(squeezer.compress(zeros) for _ in range(decoded_mib)), squeezer.flush()])


def test_gzip_bomb_stops_at_the_cap_without_inflating(server: HTTPServer, clock: FixedClock) -> None:
    bomb = gzip_bomb(128)
    assert len(bomb) < 256 * 1024
    server.expect_request("/bomb").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    with HttpClient(settings(max_bytes=1 << 20), clock=clock) as client:
        tracemalloc.start()
        try:
            result = client.get(url(server, "/bomb"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert isinstance(result, FetchFailed)
    assert str(result.error).endswith("response larger than 1 MiB")
    # Inflating it all would take 128 MiB; the in-process server alone accounts for ~10 MiB of the peak.
    assert peak < 32 << 20, f"inflating used {peak} bytes"


def test_server_slow_to_answer_times_out(server: HTTPServer, clock: FixedClock) -> None:
    def slow(request: Request) -> Response:
        time.sleep(0.4)  # the server sleeps, the test does not
        return Response(b"late")

    server.expect_request("/slow").respond_with_handler(slow)
    with HttpClient(settings(read_timeout=0.1), clock=clock) as client:
        result = client.get(url(server, "/slow"))
    assert isinstance(result, FetchFailed) and result.status is None
    assert str(result.error).endswith("timed out after 0.1 s waiting for 127.0.0.1 to answer")


def test_body_trickling_in_is_cut_at_the_deadline(server: HTTPServer, clock: FixedClock) -> None:
    def trickle(request: Request) -> Response:
        def drip() -> Iterator[bytes]:
            for _ in range(40):  # each byte arrives well within the read timeout, the whole never does
                yield b"."
                time.sleep(0.05)

        return Response(drip())

    server.expect_request("/trickle").respond_with_handler(trickle)
    with HttpClient(settings(read_timeout=0.15), clock=clock) as client:
        started = time.monotonic()
        result = client.get(url(server, "/trickle"))
        elapsed = time.monotonic() - started
    assert isinstance(result, FetchFailed)
    assert str(result.error).endswith("timed out after 0.3 s reading the body")
    assert elapsed < 1.0


def fetch_from_raw_server(
    answer: Callable[[socket.socket, threading.Event], None],
    clock: FixedClock,
    *,
    read_timeout: float | None = None,
    connect_timeout: float | None = None,
    scheme: str = "http",
) -> tuple[FetchResult, float]:
    """Fetch from a server on 127.0.0.1 whose one answer `answer(conn, stop)` writes byte by byte as it likes (a
    malformed or trickled answer no HTTP server library would send), then closes: (the result, seconds taken).
    `stop` is set once the client is done, or after 5 s (were the client to hang, the server gives up: the test
    fails), and a write to a client that went away is no error."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn, contextlib.suppress(OSError):
            conn.recv(65536)
            answer(conn, stop)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    watchdog = threading.Timer(5.0, stop.set)
    watchdog.start()
    try:
        given = {"read_timeout": read_timeout, "connect_timeout": connect_timeout}
        timeouts = settings(**{k: v for k, v in given.items() if v is not None})
        with HttpClient(timeouts, clock=clock) as client:
            started = time.monotonic()
            result = client.get(f"{scheme}://127.0.0.1:{listener.getsockname()[1]}/feed")
            return result, time.monotonic() - started
    finally:
        stop.set()
        watchdog.cancel()
        listener.close()
        thread.join(5)


@pytest.mark.parametrize("part", ["status line", "headers"])
def test_an_answer_whose_head_trickles_in_is_cut_at_the_deadline(clock: FixedClock, part: str) -> None:
    """The read timeout restarts with every byte: a server sending its status line or headers a byte at a time
    would otherwise hold a fetch thread, and the poll waiting for it, for ever."""

    def answer(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n" if part == "headers" else b"")
        for byte in b"X-Slow: yes yes yes yes yes yes yes yes\r\n" * 5:
            if stop.wait(0.05):  # each byte well within the read timeout, the whole never
                return
            conn.sendall(bytes([byte]))

    result, elapsed = fetch_from_raw_server(answer, clock, read_timeout=0.15)
    assert isinstance(result, FetchFailed), result
    assert str(result.error).endswith("timed out after 0.3 s waiting for 127.0.0.1 to finish the headers of its answer")
    assert elapsed < 2.0


def test_a_tls_handshake_that_trickles_in_fails_at_the_connect_timeout_in_words_that_say_so(clock: FixedClock) -> None:
    """The handshake is cut at the connect timeout (Python's ssl gives it the socket's timeout in all), but urllib3
    reported it as a read timeout: "timed out after 30 s waiting for the server to answer", naming the wrong
    timeout, after the connect timeout of 10 s."""

    def answer(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"\x16\x03\x03\x40\x00")  # a TLS record header: 16 KiB of handshake follow
        while not stop.wait(0.05):
            conn.sendall(b"\x02")

    result, elapsed = fetch_from_raw_server(answer, clock, connect_timeout=0.3, scheme="https")
    assert isinstance(result, FetchFailed), result
    assert str(result.error).endswith(
        "timed out after 0.3 s connecting to 127.0.0.1 (the secure connection was not set up in time)"
    )
    assert elapsed < 2.0


def test_the_tls_handshake_gets_what_the_tcp_connect_left_of_the_connect_timeout(
    clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """urllib3 gives the TCP connect and then the handshake the connect timeout each: the connect took up to twice
    it, beyond `HttpSettings.longest_fetch`. A slow TCP connect (0.3 s) is simulated; the handshake is recorded."""
    import urllib3.connection
    import urllib3.util.connection

    real_connect = urllib3.util.connection.create_connection
    handshake_timeouts: list[float | None] = []

    def slow_connect(*args: Any, **kwargs: Any) -> socket.socket:
        time.sleep(0.3)
        return real_connect(*args, **kwargs)

    def handshake(sock: socket.socket, *args: Any, **kwargs: Any) -> Any:
        handshake_timeouts.append(sock.gettimeout())
        raise TimeoutError("The handshake operation timed out")

    monkeypatch.setattr(urllib3.util.connection, "create_connection", slow_connect)
    monkeypatch.setattr(urllib3.connection, "_ssl_wrap_socket_and_match_hostname", handshake)
    with (
        socket.create_server(("127.0.0.1", 0)) as listener,
        HttpClient(settings(connect_timeout=1.0), clock=clock) as c,
    ):
        result = c.get(f"https://127.0.0.1:{listener.getsockname()[1]}/feed")
    assert isinstance(result, FetchFailed) and "timed out after 1 s connecting to 127.0.0.1" in str(result.error)
    [timeout] = handshake_timeouts
    assert timeout is not None and 0.0 < timeout <= 0.7


@pytest.mark.parametrize(
    ("encoding", "start", "drip"),
    [
        # a gzip header announcing a file name, whose name never ends: every byte inflates to nothing
        ("gzip", b"\x1f\x8b\x08\x08\x00\x00\x00\x00\x00\x03", b"a"),
        # raw deflate made of empty stored blocks, for ever: each block inflates to nothing
        ("deflate", b"", b"\x00\x00\x00\xff\xff"),
    ],
    ids=["gzip-name", "deflate-empty-blocks"],
)
def test_a_compressed_body_that_trickles_in_and_inflates_to_nothing_is_cut_at_the_deadline(
    clock: FixedClock, encoding: str, start: bytes, drip: bytes
) -> None:
    """urllib3's read1 reads on by itself until some bytes inflate to something: the read timeout restarts with
    every packet, so a server dripping bytes that inflate to nothing held the fetch thread for ever."""

    def answer(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Encoding: {encoding}\r\nConnection: close\r\n\r\n".encode() + start)
        while not stop.wait(0.05):  # each packet well within the read timeout, the whole never
            conn.sendall(drip)

    result, elapsed = fetch_from_raw_server(answer, clock, read_timeout=0.15)
    assert isinstance(result, FetchFailed), result
    assert str(result.error).endswith("timed out after 0.3 s reading the body")
    assert elapsed < 2.0


def test_a_chunked_body_followed_by_endless_trailers_is_cut_at_the_deadline(clock: FixedClock) -> None:
    """After the last chunk, the trailer lines are read and thrown away within one read: a server streaming them
    for ever, fast enough for no read to time out, held the fetch thread until it stopped."""

    def answer(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<rss>\r\n0\r\n")
        while not stop.is_set():
            conn.sendall(b"X-Trailer: more\r\n" * 100)

    result, elapsed = fetch_from_raw_server(answer, clock, read_timeout=0.15)
    assert isinstance(result, FetchFailed), result
    assert str(result.error).endswith("timed out after 0.3 s reading the body")
    assert elapsed < 2.0


FULL_FEED = b"<feed>" + b"<entry><title>x</title></entry>" * 500 + b"</feed>"
CUT_GZIP = gzip.compress(FULL_FEED)[:-8]  # all but the trailer: most of the feed inflates, the rest never comes
CUT_DEFLATE = zlib.compress(FULL_FEED)[:-20]


def fetch_answer(raw: bytes, clock: FixedClock) -> FetchResult:
    """Fetch from a server on 127.0.0.1 that answers the one request with exactly `raw`, then closes."""
    return fetch_from_raw_server(lambda conn, _stop: conn.sendall(raw), clock)[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(150)) + b"\r\nbody",
            "127.0.0.1 sent an answer that is not valid HTTP (got more than 100 headers)",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nshort",
            "the server closed the connection after 5 of 1,000 bytes",
        ),
        # chunked bodies: a server closing mid-chunk or between chunks, or sending a chunk size that is not one
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100\r\n<feed>",
            "the server closed the connection before the end of its chunked body",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n<feed>\r\n",
            "the server closed the connection before the end of its chunked body",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n<feed>\r\n0\r\n\r\n",
            "the server sent a broken chunked body (a chunk size that is not a number)",
        ),
        # the server closed mid-body, framing by closing: only the compressed data can tell the body is cut
        (
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n" + CUT_GZIP,
            "the body was cut short: its gzip/deflate data stops before its end",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nConnection: close\r\n\r\n" + CUT_DEFLATE,
            "the body was cut short: its gzip/deflate data stops before its end",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"%x\r\n%s\r\n0\r\n\r\n" % (len(CUT_GZIP), CUT_GZIP),
            "the body was cut short: its gzip/deflate data stops before its end",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % ((1 << 20) + 1),
            "response larger than 1 MiB (the server announced 1,048,577 bytes)",
        ),
    ],
)
def test_broken_answers_are_described_in_words(clock: FixedClock, raw: bytes, expected: str) -> None:
    result = fetch_answer(raw, clock)
    assert isinstance(result, FetchFailed), result
    assert expected in str(result.error) and "HTTPException" not in str(result.error)


def test_validators_with_control_characters_or_kilobytes_of_junk_are_not_kept(clock: FixedClock) -> None:
    raw = b'HTTP/1.1 200 OK\r\nETag: "a\x01b"\r\nLast-Modified: ' + b"x" * 2000 + b"\r\nContent-Length: 2\r\n\r\nok"
    result = fetch_answer(raw, clock)
    assert isinstance(result, Fetched) and result.validators == Validators(None, None)


# --- status classification ---------------------------------------------------------------------------------


def test_429_retry_after_seconds(server: HTTPServer, client: HttpClient, now: datetime) -> None:
    server.expect_request("/feed").respond_with_data("slow down", status=429, headers={"Retry-After": "120"})
    result = client.get(url(server, "/feed"))
    assert isinstance(result, FetchFailed) and result.status == 429
    assert result.retry_after == now + timedelta(seconds=120)
    assert isinstance(result.error, HTTPStatusError) and result.error.retry_after == result.retry_after


@pytest.mark.parametrize(
    ("delay", "expected"),
    [(timedelta(hours=1), timedelta(hours=1)), (timedelta(days=30), timedelta(days=7))],
    ids=["one-hour", "capped-at-7-days"],
)
def test_503_retry_after_http_date(
    server: HTTPServer, client: HttpClient, now: datetime, delay: timedelta, expected: timedelta
) -> None:
    # (The server writes its Date by its own clock, the machine's, not the test's: so does its Retry-After.)
    server.expect_request("/feed").respond_with_data(
        "", status=503, headers={"Retry-After": http_date(utc_now() + delay)}
    )
    result = client.get(url(server, "/feed"))
    assert isinstance(result, FetchFailed) and result.status == 503
    assert result.retry_after is not None
    assert now + expected - timedelta(seconds=2) <= result.retry_after <= now + expected


def test_a_retry_after_date_is_read_against_the_servers_own_date(
    server: HTTPServer, client: HttpClient, now: datetime
) -> None:
    """Time review: Retry-After's date was compared with our clock, so a server whose clock differed from ours
    (here the test's clock is fixed in the past: the server's runs ahead of it) had the difference added to the
    wait it asked for, or, behind ours, was asked again at once."""
    wanted = timedelta(minutes=30)
    server.expect_request("/feed").respond_with_data(
        "", status=503, headers={"Retry-After": http_date(utc_now() + wanted)}
    )
    result = client.get(url(server, "/feed"))
    assert isinstance(result, FetchFailed) and result.retry_after is not None
    assert now + wanted - timedelta(seconds=2) <= result.retry_after <= now + wanted


def test_410_is_gone(server: HTTPServer, client: HttpClient) -> None:
    server.expect_request("/feed").respond_with_data("removed", status=410)
    result = client.get(url(server, "/feed"))
    assert isinstance(result, FetchFailed) and result.gone and result.status == 410


def test_404_is_a_plain_status_failure(server: HTTPServer, client: HttpClient) -> None:
    server.expect_request("/feed").respond_with_data("nope", status=404)
    result = client.get(url(server, "/feed"))
    assert isinstance(result, FetchFailed) and not result.gone and result.retry_after is None
    assert str(result.error) == f"{url(server, '/feed')}: the server answered 404 NOT FOUND"


def test_connection_refused(client: HttpClient) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nobody listens there
    result = client.get(f"http://127.0.0.1:{port}/feed")
    assert isinstance(result, FetchFailed) and result.status is None
    assert str(result.error).endswith("connection refused by 127.0.0.1")


@pytest.mark.parametrize("target", ["ftp://127.0.0.1/feed.xml", "file:///etc/passwd", "gopher://127.0.0.1/"])
def test_only_http_and_https(client: HttpClient, target: str) -> None:
    result = client.get(target)
    assert isinstance(result, FetchFailed)
    assert "only http and https URLs can be fetched" in str(result.error)


# --- redirects ---------------------------------------------------------------------------------------------


def redirect(server: HTTPServer, path: str, status: int, location: str) -> None:
    server.expect_request(path).respond_with_data("", status=status, headers={"Location": location})


@pytest.mark.parametrize(
    ("statuses", "permanent"),
    [((301,), True), ((308,), True), ((301, 308), True), ((302,), False), ((307,), False), ((301, 302), False)],
    ids=["301", "308", "301-308", "302", "307", "301-302"],
)
def test_redirect_chain(server: HTTPServer, client: HttpClient, statuses: tuple[int, ...], permanent: bool) -> None:
    for i, status in enumerate(statuses):
        redirect(server, f"/hop{i}", status, f"hop{i + 1}")  # relative Location, resolved against the hop
    server.expect_request(f"/hop{len(statuses)}").respond_with_data("<feed/>")
    result = client.get(url(server, "/hop0"))
    final = url(server, f"/hop{len(statuses)}")
    assert isinstance(result, Fetched) and result.body == b"<feed/>"
    assert (result.url, result.requested_url) == (final, url(server, "/hop0"))
    assert result.permanent_redirect == (final if permanent else None)


def test_redirect_loop(server: HTTPServer, client: HttpClient) -> None:
    redirect(server, "/a", 302, "/b")
    redirect(server, "/b", 301, "/a")
    result = client.get(url(server, "/a"))
    assert isinstance(result, FetchFailed) and "redirect loop" in str(result.error)


def test_too_many_redirects(server: HTTPServer, client: HttpClient) -> None:
    for i in range(12):
        redirect(server, f"/r{i}", 302, f"/r{i + 1}")
    result = client.get(url(server, "/r0"))
    assert isinstance(result, FetchFailed) and "too many redirects (more than 10)" in str(result.error)
    assert len(server.log) == 11


def test_a_chain_of_slow_redirects_is_cut_at_the_headers_deadline(server: HTTPServer, clock: FixedClock) -> None:
    """Each hop has its own deadline for its headers: ten hops, each answering just within it, held the fetch
    thread ten times as long as one slow answer can."""

    def slow_hop(request: Request) -> Response:
        time.sleep(0.1)  # the server sleeps, the test does not; within the read timeout and the hop's deadline
        hop = int(request.path.removeprefix("/r"))
        return Response(status=302, headers={"Location": f"/r{hop + 1}"})

    for i in range(11):
        server.expect_request(f"/r{i}").respond_with_handler(slow_hop)
    with HttpClient(settings(read_timeout=0.15), clock=clock) as client:
        result = client.get(url(server, "/r0"))
    assert isinstance(result, FetchFailed), result
    assert str(result.error).endswith("timed out after 0.3 s following redirects")
    # Cut after a few hops, not after all eleven (the server's log says how far it went; a bound on the test's
    # own wall clock failed on a busy machine).
    assert len(server.log) <= 4


def test_redirect_without_location_is_a_failure(server: HTTPServer, client: HttpClient) -> None:
    server.expect_request("/feed").respond_with_data("", status=302)
    result = client.get(url(server, "/feed"))
    assert isinstance(result, FetchFailed) and result.status == 302 and "without a Location" in str(result.error)


@pytest.mark.parametrize("location", ["http://[::1", "http://[not-an-address]/feed"])
def test_redirect_to_a_url_that_cannot_be_read_is_a_failure_not_an_exception(client: HttpClient, location: str) -> None:
    class Moved(BaseHTTPRequestHandler):  # (werkzeug, behind pytest-httpserver, answers 500 for such a header)
        def do_GET(self) -> None:
            self.send_response(301)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Moved) as raw:
        threading.Thread(target=raw.serve_forever, daemon=True).start()
        try:
            result = client.get(f"http://127.0.0.1:{raw.server_address[1]}/feed")
        finally:
            raw.shutdown()
    assert isinstance(result, FetchFailed) and result.permanent_redirect is None
    assert "redirected to an address that is not a valid URL (" in str(result.error)


@pytest.mark.parametrize(
    ("location", "address"),
    [
        ("http://10.0.0.1/feed", "10.0.0.1"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::ffff:192.168.1.1]/", "::ffff:c0a8:101"),
        ("http://internal.test/admin", "127.0.0.2"),
    ],
    ids=["rfc1918", "cloud-metadata", "mapped-v6", "name-to-loopback"],
)
def test_redirect_to_a_private_address_is_refused(
    server: HTTPServer, clock: FixedClock, location: str, address: str
) -> None:
    redirect(server, "/feed", 302, location)
    resolver = fake_resolver({"internal.test": ["127.0.0.2"]})
    with HttpClient(settings(), clock=clock, resolver=resolver) as client:
        result = client.get(url(server, "/feed"))
    assert isinstance(result, FetchFailed) and result.url == location
    assert isinstance(result.error, BlockedAddressError) and result.error.address == address
    assert "add it to [http] allow" in str(result.error)


def test_redirect_to_another_scheme_is_refused(server: HTTPServer, client: HttpClient) -> None:
    redirect(server, "/feed", 301, "file:///etc/passwd")
    result = client.get(url(server, "/feed"))
    assert isinstance(result, FetchFailed) and "only http and https" in str(result.error)


# --- the SSRF guard end to end -----------------------------------------------------------------------------


def test_loopback_is_refused_without_the_allow_list(server: HTTPServer, clock: FixedClock) -> None:
    server.expect_request("/feed").respond_with_data("<feed/>")
    with HttpClient(settings(allow=()), clock=clock) as client:
        result = client.get(url(server, "/feed"))
    assert isinstance(result, FetchFailed) and isinstance(result.error, BlockedAddressError)
    assert "loopback" in str(result.error)
    assert server.log == []


def test_connection_is_pinned_to_the_vetted_address(server: HTTPServer, clock: FixedClock) -> None:
    """`feeds.test` exists only in the injected resolver: reaching the server proves the vetted IP was used."""
    server.expect_request("/feed").respond_with_data("<feed/>")
    resolver = fake_resolver({"feeds.test": ["127.0.0.1"]})
    for allow in (("127.0.0.1",), ("feeds.test",), ("127.0.0.0/8",)):
        with HttpClient(settings(allow=allow), clock=clock, resolver=resolver) as client:
            result = client.get(f"http://feeds.test:{server.port}/feed")
        assert isinstance(result, Fetched), allow
        assert result.url == f"http://feeds.test:{server.port}/feed"
    assert {r.headers["Host"] for r, _ in server.log} == {f"feeds.test:{server.port}"}


def test_injected_session_is_still_guarded(server: HTTPServer, clock: FixedClock) -> None:
    server.expect_request("/feed").respond_with_data("<feed/>")
    with requests.Session() as session:
        refused = HttpClient(settings(allow=()), session=session, clock=clock).get(url(server, "/feed"))
        allowed = HttpClient(settings(), session=session, clock=clock).get(url(server, "/feed"))
    assert isinstance(refused, FetchFailed) and isinstance(refused.error, BlockedAddressError)
    assert isinstance(allowed, Fetched)


def test_unknown_host_is_a_dns_failure(clock: FixedClock) -> None:
    with HttpClient(settings(), clock=clock, resolver=fake_resolver({})) as client:
        result = client.get("http://nowhere.test/feed")
    assert isinstance(result, FetchFailed)
    assert "could not find the server nowhere.test" in str(result.error)


def test_cookies_a_site_sets_are_never_sent_back(server: HTTPServer, client: HttpClient) -> None:
    """The one client is shared by every feed for the life of the daemon: a cookie kept from one answer went back
    with every later request to that site (an identity it could follow across feeds), and a site adding cookies
    at every answer grew the jar without end until its own server refused our requests (431)."""

    def with_cookies(request: Request) -> Response:
        response = Response("<feed/>")
        for i in range(3):
            response.set_cookie(f"visit{len(server.log)}_{i}", "x" * 1000)
        return response

    server.expect_request("/feed").respond_with_handler(with_cookies)
    results = [client.get(url(server, "/feed")) for _ in range(3)]
    assert all(isinstance(r, Fetched) for r in results), results
    assert [r.headers.get("Cookie") for r, _ in server.log] == [None, None, None]


def test_shared_client_across_threads(server: HTTPServer, client: HttpClient) -> None:
    for i in range(16):
        server.expect_request(f"/feed{i}").respond_with_data(f"<feed>{i}</feed>")
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(client.get, [url(server, f"/feed{i}") for i in range(16)]))
    assert [r.body for r in results if isinstance(r, Fetched)] == [f"<feed>{i}</feed>".encode() for i in range(16)]


# --- DNS lookups bounded by the connect timeout --------------------------------------------------------------


class HangingResolver:
    """A resolver that does not answer until `release()` (a dead DNS server): records the names asked for."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self._answer = threading.Event()

    def __call__(self, host: str, port: int) -> list[tuple[Any, ...]]:
        self.asked.append(host)
        self._answer.wait(30)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    def release(self) -> None:
        self._answer.set()


@pytest.fixture
def hanging() -> Iterator[HangingResolver]:
    resolver = HangingResolver()
    yield resolver
    resolver.release()  # (the lookup threads it holds go back to their pool)


def test_a_resolver_that_does_not_answer_fails_the_fetch_at_the_connect_timeout(
    clock: FixedClock, hanging: HangingResolver
) -> None:
    """The system resolver's own retries (5 s a try, several tries, per search domain) held a fetch thread for
    as long as they took: no timeout of ours covered the lookup."""
    with HttpClient(settings(connect_timeout=0.3), clock=clock, resolver=hanging) as client:
        started = time.monotonic()
        result = client.get("http://slow-dns.test/feed")
        took = time.monotonic() - started
    assert isinstance(result, FetchFailed) and result.url == "http://slow-dns.test/feed"
    assert str(result.error).endswith("DNS lookup of slow-dns.test took longer than 0.3 s")
    assert hanging.asked == ["slow-dns.test"]
    assert 0.25 <= took < 2.0


def test_refusal_asks_a_resolver_that_does_not_answer_no_longer_than_the_connect_timeout(
    clock: FixedClock, hanging: HangingResolver
) -> None:
    """`refusal` (watch add, OPML import) looks the name up too: a dead resolver held it for as long."""
    with HttpClient(settings(connect_timeout=0.3), clock=clock, resolver=hanging) as client:
        started = time.monotonic()
        assert client.refusal("http://slow-dns.test/feed") is None  # (left to the fetch to report)
        assert time.monotonic() - started < 2.0


def test_a_guard_bounds_its_lookup() -> None:
    resolver = HangingResolver()
    try:
        with pytest.raises(FetchError, match=r"^http://slow\.test/: DNS lookup of slow\.test took longer than 0\.2 s$"):
            AddressGuard((), resolver=resolver, lookup_timeout=0.2).vet("http://slow.test/")
    finally:
        resolver.release()


def test_lookup_threads_are_capped_and_a_lookup_finding_them_all_busy_fails_at_its_own_deadline() -> None:
    """A resolver that hangs for every lookup must not make a thread per lookup: those waiting on it hold their
    thread until it answers, and the next lookups wait for a free one, until their own deadline."""
    resolver = HangingResolver()
    lookups = Lookups(threads=2)
    guard = AddressGuard((), resolver=resolver, lookup_timeout=0.2, lookups=lookups)
    before = set(threading.enumerate())
    try:
        for name in ("one.test", "two.test"):
            with pytest.raises(FetchError, match=rf"DNS lookup of {name} took longer than 0\.2 s$"):
                guard.vet(f"http://{name}/")
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            guard.vet("http://three.test/")
        assert time.monotonic() - started < 2.0
        assert str(caught.value).endswith(
            "DNS lookup of three.test took longer than 0.2 s (it could not start: all 2 lookup threads are "
            "still waiting for the DNS server to answer earlier lookups)"
        )
        assert resolver.asked == ["one.test", "two.test"]
        assert len(set(threading.enumerate()) - before) == 2
    finally:
        resolver.release()
    # Once the resolver answers, the threads are free again: no new ones are started.
    answering = AddressGuard((), resolver=fake_resolver({"back.test": ["93.184.216.34"]}), lookups=lookups)
    deadline = time.monotonic() + 5
    while True:
        try:
            assert answering.vet("http://back.test/") == "93.184.216.34"
            break
        except FetchError:  # (the released lookups may not have handed their threads back yet)
            assert time.monotonic() < deadline
            time.sleep(0.01)
    assert len(set(threading.enumerate()) - before) == 2


def test_lookup_errors_and_answers_come_back_from_the_lookup_thread() -> None:
    guard = AddressGuard((), resolver=fake_resolver({"news.example": ["93.184.216.34"]}), lookups=Lookups(threads=1))
    assert guard.vet("http://news.example/") == "93.184.216.34"
    with pytest.raises(FetchError, match=r"could not find the server gone\.example \(DNS lookup failed"):
        guard.vet("http://gone.example/")
    assert guard.vet("http://news.example/") == "93.184.216.34"


@pytest.mark.parametrize("pinned", [True, False], ids=["pinned", "injected-session"])
def test_the_lookup_and_the_connect_share_the_connect_timeout(
    clock: FixedClock, monkeypatch: pytest.MonkeyPatch, pinned: bool
) -> None:
    """`http.connect_timeout` bounds the lookup and the connect together, so one fetch still takes at most
    `HttpSettings.longest_fetch`: the connect is given what the lookup left of it."""
    given: list[Any] = []

    def transport(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        given.append(kwargs["timeout"])
        raise requests.exceptions.ConnectTimeout("no connect in this test")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", transport)

    def slow(host: str, port: int) -> list[tuple[Any, ...]]:
        time.sleep(0.3)
        return fake_resolver({"feeds.test": ["127.0.0.1"]})(host, port)

    http = settings(connect_timeout=1.0, read_timeout=2.0)
    session = make_session(http, slow) if pinned else requests.Session()
    with session, HttpClient(http, session=session, clock=clock, resolver=slow) as client:
        result = client.get("http://feeds.test/feed")
    assert isinstance(result, FetchFailed) and "timed out after 1 s connecting to feeds.test" in str(result.error)
    [(connect, read)] = given
    assert 0.0 < connect <= 0.7 and read == 2.0


# --- address classifier, allow list, odd literal forms (pure) ---------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("8.8.8.8", None),
        ("151.101.1.69", None),
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("10.20.30.40", "private"),
        ("172.16.0.1", "private"),
        ("192.168.0.10", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.251", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("2a00:1450:4009:81d::200e", None),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fec0::1", "site-local"),
        ("fd12:3456::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback (IPv4 127.0.0.1 inside an IPv6 address)"),
        ("::ffff:10.0.0.1", "private (IPv4 10.0.0.1 inside an IPv6 address)"),
        ("::ffff:8.8.8.8", None),
        ("2002:a9fe:a9fe::1", "link-local (IPv4 169.254.169.254 inside an IPv6 address)"),
        ("2002:808:808::1", None),
        ("64:ff9b::7f00:1", "loopback (IPv4 127.0.0.1 inside an IPv6 address)"),
        ("64:ff9b::c0a8:1", "private (IPv4 192.168.0.1 inside an IPv6 address)"),
        ("64:ff9b::808:808", None),
        ("64:ff9b:1::1", "local-use NAT64"),
    ],
)
def test_blocked_reason(address: str, reason: str | None) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize(
    "target",
    [
        "http://2130706433/",
        "http://0x7f.0.0.1/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::1]:8080/",
        "http://0.0.0.0/",
        "https://[fe80::1%25eth0]/",
    ],
)
def test_odd_literal_forms_are_interpreted_and_refused(target: str) -> None:
    with pytest.raises(BlockedAddressError):
        AddressGuard((), resolver=no_dns).vet(target)


@pytest.mark.parametrize(
    ("allow", "target", "dns", "expected"),
    [
        ((), "http://news.example/feed", ["93.184.216.34"], "93.184.216.34"),
        ((), "http://news.example/feed", ["2606:2800::1", "93.184.216.34"], "2606:2800::1"),  # resolver's order
        (("10.0.0.0/8",), "http://intranet.example/", ["10.1.2.3"], "10.1.2.3"),
        (("10.1.2.3",), "http://10.1.2.3/", [], "10.1.2.3"),
        (("127.0.0.1",), "http://[::ffff:127.0.0.1]/", [], "::ffff:7f00:1"),
        (("fd00::/8",), "http://[fd12::1]/", [], "fd12::1"),
        (("intranet.example",), "http://INTRANET.example./", ["10.9.9.9"], "10.9.9.9"),
        ((" [::1] ",), "http://[::1]/", [], "::1"),
        # an entry written IPv4-mapped names the IPv4 address (range) it maps, answered over IPv4 as well
        (("::ffff:127.0.0.1",), "http://127.0.0.1/", [], "127.0.0.1"),
        (("::ffff:10.0.0.0/104",), "http://intranet.example/", ["10.1.2.3"], "10.1.2.3"),
        (("[::ffff:a01:203]",), "http://intranet.example/", ["10.1.2.3", "::ffff:10.1.2.3"], "10.1.2.3"),
    ],
)
def test_guard_allows(allow: tuple[str, ...], target: str, dns: list[str], expected: str) -> None:
    names = ("news.example", "intranet.example", "intranet.example.")
    resolver = fake_resolver(dict.fromkeys(names, dns)) if dns else no_dns  # literals must not reach DNS
    assert AddressGuard(allow, resolver=resolver).vet(target) == expected


@pytest.mark.parametrize(
    ("allow", "dns", "address"),
    [
        ((), ["93.184.216.34", "10.0.0.1"], "10.0.0.1"),  # ANY private answer is enough to refuse
        (("10.0.0.0/16",), ["10.1.0.1"], "10.1.0.1"),
        (("other.example",), ["192.168.1.1"], "192.168.1.1"),
        (("127.0.0.1",), ["127.0.0.2"], "127.0.0.2"),
        (("::1",), ["127.0.0.1"], "127.0.0.1"),
        (("::ffff:10.0.0.0/112",), ["10.1.0.1"], "10.1.0.1"),
    ],
)
def test_guard_refuses(allow: tuple[str, ...], dns: list[str], address: str) -> None:
    guard = AddressGuard(allow, resolver=fake_resolver({"news.example": dns}))
    with pytest.raises(BlockedAddressError) as caught:
        guard.vet("https://news.example/feed")
    assert caught.value.address == address
    assert caught.value.url == "https://news.example/feed"


def test_allow_list_parsing() -> None:
    allow = AllowList.parse(["Feeds.Internal.", "10.0.0.0/8", "192.168.1.7", "[fd00::1]"])
    assert allow.hosts == frozenset({"feeds.internal"})
    assert [str(n) for n in allow.networks] == ["10.0.0.0/8", "192.168.1.7/32", "fd00::1/128"]
    assert allow.allows_host("FEEDS.internal") and not allow.allows_host("internal")


def test_dns_failure_is_a_fetch_error() -> None:
    with pytest.raises(FetchError, match=r"could not find the server gone\.example"):
        AddressGuard((), resolver=fake_resolver({})).vet("http://gone.example/")


# --- Retry-After and freshness (pure) -------------------------------------------------------------------


NOW = datetime.fromisoformat("2026-11-28T12:00:00+00:00")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", NOW + timedelta(seconds=120)),
        (" 0 ", NOW),
        ("86400000", NOW + timedelta(days=7)),
        ("9" * 40, NOW + timedelta(days=7)),
        ("Sat, 28 Nov 2026 13:00:00 GMT", NOW + timedelta(hours=1)),
        ("Saturday, 28-Nov-26 13:00:00 GMT", NOW + timedelta(hours=1)),
        ("Sat, 28 Nov 2026 14:00:00 +0100", NOW + timedelta(hours=1)),
        ("Fri, 27 Nov 2026 12:00:00 GMT", NOW),
        ("Thu, 31 Dec 2026 00:00:00 GMT", NOW + timedelta(days=7)),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        ("Sat, 28 Nov 99999999999999999999 09:41:39 GMT", None),  # overflows a datetime: unreadable, not a crash
    ],
)
def test_parse_retry_after(value: str, expected: datetime | None) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("value", "date", "expected"),
    [
        # The server's clock an hour ahead of ours (or ours stepped back): it asks for two minutes, not 62.
        ("Sat, 28 Nov 2026 13:02:00 GMT", "Sat, 28 Nov 2026 13:00:00 GMT", NOW + timedelta(minutes=2)),
        # Its clock an hour behind (or ours stepped ahead): it asks for 30 minutes, not to be asked again at once.
        ("Sat, 28 Nov 2026 11:30:00 GMT", "Sat, 28 Nov 2026 11:00:00 GMT", NOW + timedelta(minutes=30)),
        ("Sat, 28 Nov 2026 13:00:00 GMT", "Sat, 28 Nov 2026 12:00:00 GMT", NOW + timedelta(hours=1)),
        ("Sat, 28 Nov 2026 10:00:00 GMT", "Sat, 28 Nov 2026 12:00:00 GMT", NOW),  # in its past: now
        ("Sat, 28 Nov 2026 13:00:00 GMT", "not a date", NOW + timedelta(hours=1)),  # no Date to go by: our clock
        ("Sat, 28 Nov 2026 13:00:00 GMT", None, NOW + timedelta(hours=1)),
        ("120", "Sat, 28 Nov 2026 09:00:00 GMT", NOW + timedelta(seconds=120)),  # seconds need no Date
        ("Tue, 28 Nov 2028 13:00:00 GMT", "Sat, 28 Nov 2026 12:00:00 GMT", NOW + timedelta(days=7)),
    ],
)
def test_an_http_date_retry_after_is_read_against_the_responses_date(
    value: str, date: str | None, expected: datetime
) -> None:
    """Time review: Retry-After's date was compared with our clock, so a server whose clock was an hour behind ours
    (or ours stepped ahead an hour) was asked again at once instead of after the 30 minutes it asked for; RFC 9110
    §6.6.1 dates its answer with its own clock, and Expires is already read against Date the same way."""
    assert parse_retry_after(value, NOW, date=date) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"Cache-Control": "max-age=600"}, NOW + timedelta(seconds=600)),
        ({"cache-control": "public, MAX-AGE=600, must-revalidate"}, NOW + timedelta(seconds=600)),
        ({"Cache-Control": 'max-age="600"'}, NOW + timedelta(seconds=600)),
        # s-maxage is for shared caches the origin can purge (a CDN): a CDN's day must not delay our next check
        ({"Cache-Control": "max-age=600, s-maxage=60"}, NOW + timedelta(seconds=600)),
        ({"Cache-Control": "max-age=60, s-maxage=90000"}, NOW + timedelta(seconds=60)),
        ({"Cache-Control": "public, s-maxage=90000"}, None),
        ({"Cache-Control": "s-maxage=90000", "Expires": "Sat, 28 Nov 2026 13:00:00 GMT"}, NOW + timedelta(hours=1)),
        ({"Cache-Control": "max-age=600", "Age": "100"}, NOW + timedelta(seconds=500)),
        ({"Cache-Control": "max-age=600", "Age": "900"}, None),
        ({"Cache-Control": "max-age=0"}, None),
        ({"Cache-Control": "max-age=999999999"}, NOW + timedelta(hours=24)),
        ({"Cache-Control": "max-age=600, no-cache"}, None),
        ({"Cache-Control": "no-store", "Expires": "Sat, 28 Nov 2026 13:00:00 GMT"}, None),
        ({"Cache-Control": "max-age=bogus"}, None),
        ({"Expires": "Sat, 28 Nov 2026 13:00:00 GMT"}, NOW + timedelta(hours=1)),
        (
            {"Expires": "Sat, 28 Nov 2026 13:00:00 GMT", "Date": "Sat, 28 Nov 2026 12:30:00 GMT"},
            NOW + timedelta(minutes=30),
        ),
        ({"Expires": "Sat, 28 Nov 2026 13:00:00 GMT", "Cache-Control": "max-age=60"}, NOW + timedelta(seconds=60)),
        ({"Expires": "Fri, 27 Nov 2026 12:00:00 GMT"}, None),
        ({"Expires": "0"}, None),
        ({"Expires": "Mon, 01 Jan 2035 00:00:00 GMT"}, NOW + timedelta(hours=24)),
        ((("Cache-Control", "max-age=30"),), NOW + timedelta(seconds=30)),
    ],
)
def test_freshness(headers: Any, expected: datetime | None) -> None:
    assert freshness(headers, NOW) == expected


# --- TLS through the pinned adapter ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HTTPServer, str]]:
    """An HTTPS server on 127.0.0.1 whose self-signed certificate names only `feeds.test`."""
    with https_server(tmp_path_factory.mktemp("tls"), "feeds.test") as found:
        yield found


@pytest.mark.parametrize(("name", "ok"), [("feeds.test", True), ("other.test", False)])
def test_tls_keeps_the_name_for_sni_and_certificate(
    tls_server: tuple[HTTPServer, str], clock: FixedClock, name: str, ok: bool
) -> None:
    server, cert = tls_server
    server.clear()
    server.expect_request("/feed").respond_with_data("<feed/>")
    resolver = fake_resolver({"feeds.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    session = make_session(settings(), resolver)
    session.verify = cert  # trust the test certificate only
    with session:
        result = HttpClient(settings(), session=session, clock=clock).get(f"https://{name}:{server.port}/feed")
    if ok:
        assert isinstance(result, Fetched) and result.body == b"<feed/>"
    else:
        assert isinstance(result, FetchFailed)
        assert str(result.error).endswith(
            "the secure connection to other.test failed: its certificate is for another name"
        )


def test_pinned_https_pool_is_keyed_by_address_and_keeps_the_name() -> None:
    adapter = PinnedAdapter(AddressGuard((), resolver=fake_resolver({"news.example": ["93.184.216.34"]})))
    prepared = requests.Request("GET", "https://news.example/feed").prepare()
    pool = adapter.get_connection_with_tls_context(prepared, True)
    assert pool.host == "93.184.216.34"
    assert pool.conn_kw["server_hostname"] == "news.example"
    assert pool.assert_hostname == "news.example"


def test_tls_untrusted_certificate(tls_server: tuple[HTTPServer, str], clock: FixedClock) -> None:
    server, _ = tls_server
    server.clear()
    resolver = fake_resolver({"feeds.test": ["127.0.0.1"]})
    with HttpClient(settings(), clock=clock, resolver=resolver) as client:  # system trust store only
        result = client.get(f"https://feeds.test:{server.port}/feed")
    assert isinstance(result, FetchFailed) and result.status is None
    assert "the secure connection to feeds.test failed: its certificate is not trusted" in str(result.error)
    assert server.log == []


def test_a_hostile_date_in_expires_is_an_expired_answer_not_a_crash() -> None:
    assert freshness({"Expires": "Sat, 28 Nov 99999999999999999999 09:41:39 GMT"}, NOW) is None


def test_deadline_alarms_fire_in_order_from_one_thread_and_cancelled_ones_never() -> None:
    from feeds.fetch.deadlines import _Alarms

    alarms, fired, both = _Alarms(), [], threading.Event()

    def note(name: str) -> Any:
        def action() -> None:
            fired.append((name, threading.current_thread().name))
            if len(fired) == 2:
                both.set()

        return action

    late = alarms.set(0.2, note("late"))
    cancelled = alarms.set(0.1, note("cancelled"))
    alarms.set(0.05, note("early"))
    alarms.cancel(cancelled)
    assert both.wait(10)
    assert fired == [("early", "fetch-deadlines"), ("late", "fetch-deadlines")]
    assert late[2] is not None and cancelled[2] is None


def test_an_alarm_whose_action_raises_is_logged_and_the_later_ones_still_fire(caplog) -> None:
    """One thread serves every deadline of the process: an action that raised must not end it, or no fetch would
    ever be cut at its deadline again."""
    from feeds.fetch.deadlines import _Alarms

    alarms, fired = _Alarms(), threading.Event()

    def broken() -> None:
        raise OSError("bad file descriptor")

    with caplog.at_level(logging.ERROR, logger="feeds.fetch"):
        alarms.set(0.01, broken)
        alarms.set(0.05, fired.set)
        assert fired.wait(10), "the alarm after the one that raised fired"
    assert "a fetch deadline's action failed" in caplog.text


@pytest.mark.parametrize("where", ["body", "compressed body"])
def test_a_body_trickling_in_over_tls_is_cut_at_the_deadline_in_the_same_words(
    tls_server: tuple[HTTPServer, str], clock: FixedClock, where: str
) -> None:
    """The deadline shuts the socket under the read: over TLS the read then fails in its own way, which must
    still read as the deadline, not as some other failure of the request."""
    server, cert = tls_server
    server.clear()

    def trickle(request: Request) -> Response:
        def drip() -> Iterator[bytes]:
            if where == "compressed body":
                yield b"\x1f\x8b\x08\x08\x00\x00\x00\x00\x00\x03"  # a gzip file name that never ends
            for _ in range(40):  # each piece well within the read timeout, the whole never
                yield b"a"
                time.sleep(0.05)

        headers = {"Content-Encoding": "gzip"} if where == "compressed body" else {}
        return Response(drip(), headers=headers)

    server.expect_request("/feed").respond_with_handler(trickle)
    resolver = fake_resolver({"feeds.test": ["127.0.0.1"]})
    session = make_session(settings(read_timeout=0.15), resolver)
    session.verify = cert  # trust the test certificate only
    with session:
        client = HttpClient(settings(read_timeout=0.15), session=session, clock=clock)
        started = time.monotonic()
        result = client.get(f"https://feeds.test:{server.port}/feed")
        elapsed = time.monotonic() - started
    assert isinstance(result, FetchFailed), result
    assert str(result.error).endswith("timed out after 0.3 s reading the body")
    assert elapsed < 1.5
