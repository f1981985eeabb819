"""Deadlines no socket timeout gives: a socket's timeout restarts with every byte, so a server trickling one byte
every few seconds would hold a fetch for ever. Here: `vet_within` (the lookup and the connect share the connect
timeout), `HandshakeTooSlow` (the TLS handshake gets what the connect left), the header deadline
(`with_header_deadline`: status line and headers within so many seconds in all, else `HeadersTooSlow`), and
`Cutoff`, which shuts a socket down at a deadline so that a read blocked on it returns. Alarms are served by one
thread per process (`_Alarms`), not a timer thread per request.

What this module must not do: read the wall clock (durations are measured with `time.monotonic`), decide
what a timeout means for the caller (the client turns these into `FetchError`s), or let one failing alarm stop
the thread that serves every other.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from feeds.fetch.guard import AddressGuard

log = logging.getLogger("feeds.fetch")

_LEAST_CONNECT = 0.01
"""Seconds the connect is given at least, when the lookup took (nearly) all of the connect timeout: urllib3
refuses a timeout of 0, and a connection kept alive from an earlier request needs no connect at all."""


def vet_within(guard: AddressGuard, url: str, timeout: Any) -> tuple[str, Any]:
    """`guard.vet(url)` within the connect timeout of `timeout` (as requests takes it: `(connect, read)` or one
    number for both), and `timeout` with the connect timeout reduced by the time the lookup took: the lookup and
    the connect share it, so `HttpSettings.longest_fetch` holds. Another kind of timeout (a urllib3 `Timeout`,
    None) is returned as it is, and the lookup given the guard's own `lookup_timeout`."""
    if isinstance(timeout, tuple) and len(timeout) == 2 and isinstance(timeout[0], int | float):
        connect, read = timeout
    elif isinstance(timeout, int | float) and not isinstance(timeout, bool):
        connect, read = timeout, timeout
    else:
        return guard.vet(url), timeout
    started = time.monotonic()
    address = guard.vet(url, within=connect)
    return address, (max(connect - (time.monotonic() - started), _LEAST_CONNECT), read)


class HandshakeTooSlow(OSError):
    """The TLS handshake did not finish within the connect timeout (urllib3 would call it a read timeout)."""


class HeadersTooSlow(OSError):
    """The server did not finish its status line and headers within the deadline (it trickled them)."""

    def __init__(self, seconds: float):
        super().__init__(f"no complete answer within {seconds:g} s")
        self.seconds = seconds


class _Alarms:
    """Actions to run at deadlines, all from one thread: a `threading.Timer` per request would start a thread
    for every fetch (0.1 s of a 1,000-feed 304 pass, which takes 1.5 s). Cancelled alarms are dropped lazily.
    The thread is woken only by an alarm due before every other: fetches set alarms of the same length one after
    another, each due after those already set, and woke it (and took the GIL from the poll) for nothing."""

    def __init__(self) -> None:
        self._heap: list[list[Any]] = []  # [deadline, sequence, action or None when cancelled]
        self._wake = threading.Condition()
        self._sequence = itertools.count()
        self._owner = 0  # the pid whose thread serves the heap (a forked child starts its own)

    def set(self, seconds: float, action: Callable[[], None]) -> list[Any]:
        alarm = [time.monotonic() + seconds, next(self._sequence), action]
        with self._wake:
            if self._owner != os.getpid():
                self._owner = os.getpid()
                threading.Thread(target=self._run, name="fetch-deadlines", daemon=True).start()
            heapq.heappush(self._heap, alarm)
            if self._heap[0] is alarm:  # (else the thread wakes for an earlier deadline first, and sees this one then)
                self._wake.notify()
        return alarm

    @staticmethod
    def cancel(alarm: list[Any]) -> None:
        alarm[2] = None

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._heap and self._heap[0][2] is None:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wake.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                action = heapq.heappop(self._heap)[2]
            if action is not None:
                try:
                    action()
                except Exception:  # (this thread serves every deadline of the process: it must outlive any one)
                    log.exception("a fetch deadline's action failed")


_ALARMS = _Alarms()


class Cutoff:
    """Shuts `sock` down once `seconds` have passed, unless `finish` came first or `ours()` says the socket is no
    longer this read's (back in the pool, maybe reused): a read blocked on it then returns at once, and `late`
    says why. For reads whose own timeout restarts with every byte, which a server trickling bytes never lets end.
    A context manager: leaving it finishes."""

    def __init__(self, sock: socket.socket, seconds: float, ours: Callable[[], bool] = lambda: True):
        self.late = threading.Event()
        self._sock, self._ours, self._done, self._lock = sock, ours, False, threading.Lock()
        self._alarm = _ALARMS.set(seconds, self._cut)

    def _cut(self) -> None:
        with self._lock:
            if self._done or not self._ours():
                return
            self.late.set()
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)  # the blocked read returns at once

    def finish(self) -> None:
        with self._lock:
            self._done = True
        _ALARMS.cancel(self._alarm)

    def __enter__(self) -> Cutoff:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()


SOCKET = "feeds_socket"
"""The attribute of a response, from a `PinnedAdapter` connection, naming the socket its body is read from."""


def with_header_deadline(connection: type[Any], seconds: float) -> type[Any]:
    """`connection` (a urllib3 connection class) whose wait for the status line and headers ends after `seconds`
    in all. The read timeout restarts with every byte, so without this a server sending one byte every few
    seconds would hold a fetch thread (and the poll waiting on it) for ever; the body has its own deadline."""

    class Deadlined(connection):  # type: ignore[misc]
        def _new_conn(self) -> socket.socket:
            # urllib3 gives the TCP connect and then the TLS handshake the connect timeout each (Python's ssl
            # takes the socket's timeout as the whole handshake's): the handshake gets what the connect left,
            # so looking the name up, connecting and the handshake take the connect timeout in all.
            started = time.monotonic()
            sock: socket.socket = super()._new_conn()
            if isinstance(self.timeout, int | float):
                sock.settimeout(max(self.timeout - (time.monotonic() - started), _LEAST_CONNECT))
            return sock

        def connect(self) -> None:
            try:
                super().connect()
            except TimeoutError as e:  # (the TCP connect's own timeout is urllib3's ConnectTimeoutError, not this)
                raise HandshakeTooSlow("the TLS handshake did not finish in time") from e

        def getresponse(self, *args: Any, **kwargs: Any) -> Any:
            sock = self.sock
            # (finished as soon as the answer came in time: this socket may be back in the pool then)
            with Cutoff(sock, seconds) as cutoff:
                try:
                    response = super().getresponse(*args, **kwargs)
                except Exception as e:
                    if cutoff.late.is_set():
                        raise HeadersTooSlow(seconds) from e
                    raise
            if cutoff.late.is_set():  # cut off mid-headers, which the parser may take for a complete (empty) answer
                response.close()
                raise HeadersTooSlow(seconds)
            setattr(response, SOCKET, sock)  # for the body's deadline, after the connection let go of it
            return response

    Deadlined.__name__ = f"Deadlined{connection.__name__}"
    return Deadlined
