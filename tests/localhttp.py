"""A threaded HTTP server on 127.0.0.1 for tests whose answers pytest-httpserver cannot give: several requests in
flight at once (one held open while others are answered), HTTP/1.1 keep-alive connections."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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
