"""Serving a bench's feeds from many host addresses on this machine: Linux routes all of 127.0.0.0/8 to the
loopback interface, so 127.0.0.2, 127.0.0.3, ... can each be bound without any set-up, and a watch list of many
sites can be served by one process (`watch.per_host` counts requests per host, and the daemons share it).

Shared by `bench_poll.py` and `bench_workers.py`, which import it from `bench/` (on `sys.path` when a bench runs).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import HTTPServer
from typing import TypeVar

S = TypeVar("S", bound=HTTPServer)


def host_address(i: int) -> str:
    """The address of the bench's host `i` (0, 1, ...): 127.0.0.2, 127.0.0.3, ..."""
    return f"127.0.{(i + 2) // 256}.{(i + 2) % 256}"


def serve_on_hosts(make: Callable[[tuple[str, int]], S], hosts: int, ready: Callable[[int], object]) -> None:
    """Serve on 127.0.0.1 (a free port) and on `hosts` host addresses at that same port, each server made by `make`
    from its address; call `ready` with the port, then serve until the process ends (the host servers in threads,
    127.0.0.1's here)."""
    first = make(("127.0.0.1", 0))
    port = first.server_address[1]
    for i in range(hosts):
        server = make((host_address(i), port))
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True).start()
    ready(port)
    first.serve_forever(poll_interval=0.5)
