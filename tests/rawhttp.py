"""Bytes sent as they are to a local server on one connection, and everything it answers until it closes: for
tests of what lies between answers (a HEAD's missing body, pipelined requests), which an HTTP client hides."""

from __future__ import annotations

import socket


def exchange(port: int, requests: bytes, *, timeout: float = 10) -> bytes:
    """Send `requests` (the last one should say `Connection: close`) to 127.0.0.1:`port`; all it answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(requests)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received
