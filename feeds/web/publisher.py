"""`feeds serve` without the daemon: a push to the API is published shortly after, as the daemon does.

Pushes that arrive close together are published once: the first schedules a publish `delay` seconds later, the
others find it scheduled. A push during a publish schedules one more, so nothing pushed is left unpublished.

What this module must not do: publish in the request's thread (the client would wait for the whole site), or
let a failed publish reach the web server (it is logged; the next push tries again).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feeds.app import App

log = logging.getLogger("feeds.web")


class PublishSoon:
    """Callable given to the web app as `on_change`."""

    def __init__(self, app: App, *, delay: float = 1.0):
        self.app = app
        self.delay = delay
        self._lock = threading.Lock()
        self._publishing = threading.Lock()
        self._timer: threading.Timer | None = None
        self._closed = False

    def __call__(self) -> None:
        with self._lock:
            if self._closed or self._timer is not None:
                return
            self._timer = threading.Timer(self.delay, self._run)
            self._timer.daemon = True
            self._timer.start()

    def _run(self) -> None:
        with self._lock:
            self._timer = None  # a push from now on schedules another publish
        from feeds.publish import run_publish

        with self._publishing:  # one at a time
            try:
                # The daemons' publish lock: a daemon's publish or a `feeds publish` from a shell writing into out/
                # at the same moment would interleave with this one. Held: tried again shortly, as a daemon does.
                with self.app.store.exclusive("publish") as mine:
                    if not mine:
                        self._again()
                        return
                    report = run_publish(self.app)
                log.info("published after a push: %d changed", len(report.changed))
            except Exception:  # the server keeps serving; the next push publishes again
                log.exception("publishing after a push failed")

    def _again(self) -> None:
        """Another process holds the publish lock: publish once it is done (stopping, leave it to that one, which
        may have begun before the push: the next publish, by anyone, includes it)."""
        holder = self.app.store.lock_holder("publish") or "another process"
        with self._lock:
            closed = self._closed
        if closed:
            log.warning(
                "not published after a push at the stop: %s is publishing (the next publish includes it)", holder
            )
            return
        log.debug("publish after a push: %s is publishing; trying again shortly", holder)
        self()

    def wait(self) -> None:
        """Until no publish is scheduled or running (tests, and `close`)."""
        while True:
            with self._lock:
                timer = self._timer
            if timer is None:
                break
            timer.join()
        with self._publishing:
            pass

    def close(self) -> None:
        """Publish what is scheduled now rather than drop it, then accept no more."""
        with self._lock:
            self._closed = True
            timer, self._timer = self._timer, None
        if timer is not None:  # scheduled, perhaps started: cancel it and publish here (at worst once more)
            timer.cancel()
            self._run()
        self.wait()
