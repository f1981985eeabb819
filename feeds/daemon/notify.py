"""systemd's service notification protocol, for a unit with `Type=notify`: the daemon says when it is ready (its
web server bound, its jobs scheduled, its folders watched), when a SIGHUP's reload starts and ends, and when it
stops. `systemctl start` then returns once the daemon serves (a unit ordered `After=feeds.service` starts only
then), not as soon as the process exists; with `Type=notify-reload` (systemd 253 and on, which sends the SIGHUP
itself) `systemctl reload` returns once the reload is done. A datagram to the socket systemd names in
`NOTIFY_SOCKET` (an abstract one when it starts with `@`); without it (any other way of running the daemon)
nothing is sent. A socket that refuses is not the daemon's failure: it is said at debug level only.
"""

from __future__ import annotations

import logging
import os
import socket
import time

log = logging.getLogger("feeds.daemon")


def notify(*states: str) -> bool:
    """Send `states` (`READY=1`, `STATUS=…`) to systemd; whether they were sent."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall("\n".join(states).encode())
    except OSError as e:
        log.debug("cannot notify systemd at %s: %s", os.environ.get("NOTIFY_SOCKET"), e)
        return False
    return True


def reloading() -> list[str]:
    """What a reload's start says: `RELOADING=1` with the monotonic time systemd asks of it (systemd 253 and on)."""
    return ["RELOADING=1", f"MONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}"]
