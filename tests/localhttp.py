"""Local HTTP servers on 127.0.0.1: a threaded one for tests whose answers pytest-httpserver cannot give (several
requests in flight at once, one held open while others are answered; HTTP/1.1 keep-alive connections), and
waitress serving a WSGI app (our own `StaticSite`, the web app), as `feeds serve` does."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import waitress
from waitress import wasyncore


def send(handler: BaseHTTPRequestHandler, body: bytes, content_type: str = "application/rss+xml") -> None:
    """Answer 200 with `body`, its length given (so a keep-alive connection stays usable)."""
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@contextmanager
def threaded_server(on_get: Callable[[BaseHTTPRequestHandler], None], *, keep_alive: bool = False) -> Iterator[str]:
    """Serve GETs with `on_get(handler)`, each on its own thread, while inside; yields the base URL
    (`http://127.0.0.1:<port>`). `keep_alive`: HTTP/1.1, connections stay open in the client's pool."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

        def do_GET(self) -> None:
            on_get(self)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def wsgi_served(app: Any, *, threads: int = 2) -> Iterator[int]:
    """Serve the WSGI `app` with waitress on a free port of 127.0.0.1, in a daemon thread, while inside; yields the
    port. On the way out the worker threads stop first, letting requests in flight finish (one answering while its
    socket closed under it wrote to a closed descriptor, EBADF, now and then); then every socket is closed from
    inside the server's own loop (closing them from here races its select()), and the loop, finding nothing left
    to watch, returns."""
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server.effective_port  # type: ignore[union-attr]
    finally:
        server.task_dispatcher.shutdown(timeout=2)
        with contextlib.suppress(OSError):  # (a loop that has ended already has closed its trigger too)
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))  # type: ignore[union-attr]
        thread.join(timeout=5)
