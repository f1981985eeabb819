"""A free TCP port on 127.0.0.1, for the local servers tests start (SMTP, a closed port to be refused by)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on now (the kernel's choice): for a server about to start there, or to be refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
