"""A feed server on 127.0.0.1 that misbehaves on purpose, one way per path, for the fault tests and the load bench.

Written on raw sockets (not http.server, not werkzeug) because the faults live below HTTP: a connection reset in
the middle of a body, a body that never ends, bytes that are not HTTP at all. Every behaviour is bounded: the
slowest body stops by itself after `max_seconds`, the largest after `huge_bytes`, so a client that never gives up
still cannot keep a thread for ever.

    /good/<name>        a valid RSS 2.0 feed of `items` items (ETag; 304 to a matching If-None-Match)
    /atom/<name>        the same items as Atom 1.0
    /5xx/<name>         a 500, 502, 503 or 504 (chosen from the name, so it is stable per feed)
    /reset/<name>       headers and half the declared body, then a TCP reset
    /truncated/<name>   a complete HTTP answer whose XML stops in the middle of an element
    /slow/<name>        a body that trickles one byte every `trickle` seconds and never ends on its own
    /hang/<name>        accepts, reads the request, answers nothing
    /close/<name>       closes the connection without a byte
    /garbage/<name>     bytes that are not an HTTP response
    /wrongtype/<name>   the good feed served as image/png
    /htmlpage/<name>    an HTML page served as application/rss+xml
    /huge/<name>        an endless RSS-looking body without Content-Length (stops after `huge_bytes`)
    /biglength/<name>   Content-Length of 5 GB, a few bytes sent
    /gzipbomb/<name>    a gzip body that inflates to `huge_bytes` of zeros
    /loop/<name>        302 → /loop2/<name> → 302 → /loop/<name> …
    /chain/<name>/<n>   a chain of 302s, each one to n+1 (refused after the client's redirect limit)
    /bomb/<name>        an XML feed declaring nested entities (billion laughs)
    /mixed/<name>       whichever of the above `choose(name)` picks for this request

The names of the behaviours are in `BEHAVIOURS` (good first); `FAULTS` are all but the good ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

GOOD = ("good", "atom")
FAULTS = (
    "5xx",
    "reset",
    "truncated",
    "slow",
    "hang",
    "close",
    "garbage",
    "wrongtype",
    "htmlpage",
    "huge",
    "biglength",
    "gzipbomb",
    "loop",
    "chain",
    "bomb",
)
BEHAVIOURS = GOOD + FAULTS


def item_title(name: str, i: int) -> str:
    return f"Harbour bulletin {name} number {i}"


def rss_feed(name: str, items: int) -> bytes:
    entries = "".join(
        f"<item><title>{item_title(name, i)}</title><link>https://news.example.com/{name}/{i}</link>"
        f'<guid isPermaLink="false">urn:x-chaos:{name}:{i}</guid>'
        f"<description>Tide tables and berth notices for day {i}.</description>"
        f"<pubDate>Sat, 28 Nov 2026 {i % 24:02d}:00:00 GMT</pubDate></item>"
        for i in range(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {name}</title><link>https://news.example.com/{name}/</link><description>d</description>"
        f"{entries}</channel></rss>"
    ).encode()


def atom_feed(name: str, items: int) -> bytes:
    entries = "".join(
        f"<entry><id>urn:x-chaos:{name}:{i}</id><title>{item_title(name, i)}</title>"
        f'<link href="https://news.example.com/{name}/{i}"/><updated>2026-11-28T{i % 24:02d}:00:00Z</updated>'
        f"<summary>Tide tables and berth notices for day {i}.</summary></entry>"
        for i in range(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>urn:x-chaos:{name}</id><title>Feed {name}</title><updated>2026-11-28T23:00:00Z</updated>"
        f"<author><name>Chaos</name></author>{entries}</feed>"
    ).encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY a "ha">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
 <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
]>
<rss version="2.0"><channel><title>&i;</title><link>https://x.example/</link><description>&i;</description>
<item><title>&i;</title><guid>x</guid></item></channel></rss>"""


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class FeedServer:
    """Serve the behaviours above on 127.0.0.1 in daemon threads. Use as a context manager or call start/stop."""

    items: int = 5
    trickle: float = 0.2
    max_seconds: float = 20.0
    huge_bytes: int = 64 * 1024 * 1024
    items_for: Callable[[str], int] | None = None
    """Items of the good feed `name` (default: `items` for every name)."""
    delay: float = 0.0
    """Seconds a good feed takes to answer (a slow but healthy server)."""
    choose: Callable[[str], str] | None = None
    """For `/mixed/<name>`: the behaviour to show this time (called once per request)."""
    requests: list[Request] = field(default_factory=list)
    port: int = 0
    _sock: socket.socket | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _conns: set[socket.socket] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- life cycle ---

    def start(self) -> FeedServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(256)
        sock.settimeout(0.2)
        self._sock = sock
        self.port = sock.getsockname()[1]
        accept = threading.Thread(target=self._accept_loop, name="chaos-feedserver", daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._sock is not None:
            self._sock.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:  # wake every thread blocked reading a kept-alive connection
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for t in list(self._threads):
            t.join(timeout=2)

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, behaviour: str, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{behaviour}/{name}"

    def count(self, prefix: str = "/") -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.path.startswith(prefix))

    # --- serving ---

    def _accept_loop(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            with self._lock:
                self._threads = [x for x in self._threads if x.is_alive()]
                self._threads.append(t)

    def _serve(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.settimeout(self.max_seconds)
        with self._lock:
            self._conns.add(conn)
        reader = conn.makefile("rb")
        try:
            while not self._stop.is_set():
                request = _read_request(reader)
                if request is None:
                    return
                with self._lock:
                    self.requests.append(request)
                if not self._answer(conn, request):
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self._conns.discard(conn)
            with contextlib.suppress(OSError):
                reader.close()
                conn.close()

    def _answer(self, conn: socket.socket, req: Request) -> bool:
        """Answer one request; True to keep the connection for the next one."""
        parts = req.path.split("?")[0].strip("/").split("/")
        behaviour, name = parts[0], (parts[1] if len(parts) > 1 else "x")
        handler = getattr(self, "_" + behaviour.replace("5xx", "five"), None)
        if handler is None:
            _send(conn, 404, b"no such behaviour", "text/plain")
            return True
        return bool(handler(conn, req, name, parts))

    def _good_body(self, name: str, atom: bool = False) -> bytes:
        n = self.items_for(name) if self.items_for else self.items
        return atom_feed(name, n) if atom else rss_feed(name, n)

    def _good(self, conn: socket.socket, req: Request, name: str, parts: list[str], atom: bool = False) -> bool:
        if self.delay:
            time.sleep(self.delay)
        body = self._good_body(name, atom)
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if req.headers.get("if-none-match") == etag:
            _send(conn, 304, b"", None, [("ETag", etag)])
        else:
            ctype = "application/atom+xml" if atom else "application/rss+xml"
            _send(conn, 200, body, ctype, [("ETag", etag)])
        return True

    def _atom(self, conn: socket.socket, req: Request, name: str, parts: list[str]) -> bool:
        return self._good(conn, req, name, parts, atom=True)

    def _mixed(self, conn: socket.socket, req: Request, name: str, parts: list[str]) -> bool:
        behaviour = self.choose(name) if self.choose else "good"
        handler = getattr(self, "_" + behaviour.replace("5xx", "five"))
        return bool(handler(conn, req, name, parts))

    def _five(self, conn: socket.socket, req: Request, name: str, parts: list[str]) -> bool:
        status = (500, 502, 503, 504)[int(hashlib.sha256(name.encode()).hexdigest(), 16) % 4]
        _send(conn, status, b"<html><body>down for maintenance</body></html>", "text/html")
        return True

    def _reset(self, conn: socket.socket, req: Request, name: str, parts: list[str]) -> bool:
        body = self._good_body(name)
        head = _head(200, "application/rss+xml", [("Content-Length", str(len(body)))])
        conn.sendall(head + body[: len(body) // 2])
        time.sleep(0.05)
        # SO_LINGER with a zero timeout: close() sends RST instead of FIN (a reset, not an orderly end).
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        return False

    def _truncated(self, conn: socket.socket, req: Request, name: str, parts: list[str]) -> bool:
        body = self._good_body(name)
        # Cut somewhere between 20% and 95%, differently on each request (stable for a given history).
        digest = hashlib.sha256(f"{name}:{self.count()}".encode()).digest()
        cut = body[: int(len(body) * (0.2 + 0.75 * digest[0] / 255))]
        _send(conn, 200, cut, "application/rss+xml")
        return True

    def _slow(self, conn: socket.socket, req: Request, name: str, parts: list[str]) -> bool:
        conn.sendall(_head(200, "application/rss+xml", [("Connection", "close")]))
        conn.sendall(b'<?xml version="1.0"?><rss version="2.0"><channel><title>slow</title>')
        deadline = time.monotonic() + self.max_seconds
        while time.monotonic() < deadline and not self._stop.is_set():
            conn.sendall(b" ")
            time.sleep(self.trickle)
        return False

    def _hang(self, conn: socket.socket, req: Request, name: str, parts: list[str]) -> bool:
        self._stop.wait(self.max_seconds)
        return False

    def _close(self, conn: socket.socket, req: Request, name: str, parts: list[str]) -> bool:
        return False

    def _garbage(self, conn: socket.socket, req: Request, name: str, parts: list[str]) -> bool:
        conn.sendall(b"\x00\xffNOT HTTP AT ALL\r\n\x16\x03\x01garbage garbage\r\n\r\n" * 10)
        return False

    def _wrongtype(self, conn: socket.socket, req: Request, name: str, parts: list[str]) -> bool:
        _send(conn, 200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
        return True

    def _htmlpage(self, conn: socket.socket, req: Request, name: str, parts: list[str]) -> bool:
        page = b"<!doctype html><html><head><title>Not a feed</title></head><body><p>Hello</p></body></html>"
        _send(conn, 200, page, "application/rss+xml")
        return True

    def _huge(self, conn: socket.socket, req: Request, name: str, parts: list[str]) -> bool:
        conn.sendall(_head(200, "application/rss+xml", [("Connection", "close")]))
        conn.sendall(b'<?xml version="1.0"?><rss version="2.0"><channel><title>huge</title>')
        chunk = b"<item><title>again</title></item>" * 2000
        sent = 0
        while sent < self.huge_bytes and not self._stop.is_set():
            conn.sendall(chunk)
            sent += len(chunk)
        return False

    def _biglength(self, conn: socket.socket, req: Request, name: str, parts: list[str]) -> bool:
        conn.sendall(_head(200, "application/rss+xml", [("Content-Length", str(5 * 10**9))]) + b"<rss>")
        return False

    def _gzipbomb(self, conn: socket.socket, req: Request, name: str, parts: list[str]) -> bool:
        body = _gzip_zeros(self.huge_bytes)
        extra = [("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))]
        conn.sendall(_head(200, "application/rss+xml", extra) + body)
        return True

    def _loop(self, conn: socket.socket, req: Request, name: str, parts: list[str]) -> bool:
        _send(conn, 302, b"", None, [("Location", f"/loop2/{name}")])
        return True

    def _loop2(self, conn: socket.socket, req: Request, name: str, parts: list[str]) -> bool:
        _send(conn, 302, b"", None, [("Location", f"/loop/{name}")])
        return True

    def _chain(self, conn: socket.socket, req: Request, name: str, parts: list[str]) -> bool:
        n = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0
        _send(conn, 302, b"", None, [("Location", f"/chain/{name}/{n + 1}")])
        return True

    def _bomb(self, conn: socket.socket, req: Request, name: str, parts: list[str]) -> bool:
        _send(conn, 200, BILLION_LAUGHS, "application/rss+xml")
        return True


_GZIP_CACHE: dict[int, bytes] = {}


def _gzip_zeros(size: int) -> bytes:
    if size not in _GZIP_CACHE:
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = b"\x00" * (1 << 20)
        parts = [compressor.compress(block) for _ in range(max(1, size >> 20))]
        _GZIP_CACHE[size] = b"".join(parts) + compressor.flush()
    return _GZIP_CACHE[size]


def _read_request(reader: object) -> Request | None:
    readline = reader.readline  # type: ignore[attr-defined]
    line = readline(8192)
    if not line:
        return None
    try:
        method, path, _ = line.decode("latin-1").split(" ", 2)
    except ValueError:
        return None
    headers: dict[str, str] = {}
    while True:
        h = readline(8192)
        if not h or h in (b"\r\n", b"\n"):
            break
        k, _, v = h.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    return Request(method, path, headers)


_REASONS = {200: "OK", 302: "Found", 304: "Not Modified", 404: "Not Found", 500: "Internal Server Error"}
_REASONS |= {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def _head(status: int, ctype: str | None, extra: list[tuple[str, str]] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
    if ctype:
        lines.append(f"Content-Type: {ctype}")
    lines += [f"{k}: {v}" for k, v in extra or []]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _send(conn: socket.socket, status: int, body: bytes, ctype: str | None, extra: list[tuple[str, str]] | None = None):
    headers = list(extra or [])
    headers.append(("Content-Length", str(len(body))))
    conn.sendall(_head(status, ctype, headers) + (b"" if status == 304 else body))
