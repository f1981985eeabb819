"""WebSub publisher pings: tell the configured hub which feed documents a publish changed.

    after a publish:  changed_topics(report.written, base_url) | PingQueue.add
    on a tick:        PingQueue.send(app): POST hub.mode=publish&hub.url=<topic> per due topic | retry with back-off

WebSub (W3C Recommendation, §6 "Publishing") says the publisher MUST inform its hub when a topic changes but
leaves the mechanism to the hub. The one every public hub understands (inherited from PubSubHubbub 0.3 §7.1) is
a form-encoded POST of `hub.mode=publish` and `hub.url=<topic URL>`, answered 2xx (usually 204). Several
`hub.url` values in one request are accepted by some hubs only, so we send one topic per request, over one
keep-alive session. The topic is the feed's rel="self" URL: the site's base URL plus the path in out/.

Pending pings live in memory only, in the daemon's `PingQueue`: a restart loses them. That is acceptable
because a ping carries no content (the hub fetches the topic itself) and the next change to a feed pings again;
subscribers may learn of a change late, never wrongly.

Not through `feeds.fetch.HttpClient`: that client is GET-only and refuses private addresses, while the hub is
a URL the operator configured on purpose (often a hub on the same network). Redirects are not followed (a POST
must not silently become a GET elsewhere).

What this module must not do: read or render feeds, or run inside the publish itself (the daemon sends from
its own job, so a slow or dead hub never delays out/).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import requests

from feeds.clock import rfc3339
from feeds.outbound import outbound_session, post_once
from feeds.publish.spec import FEED_FILES
from feeds.watch.schedule import next_check_at

if TYPE_CHECKING:
    from feeds.app import App

log = logging.getLogger("feeds.publish.websub")

FEED_DOCUMENTS = tuple(FEED_FILES.values())
"""File names of feed documents (`atom.xml`, `rss.xml`, `feed.json`): the only files that are WebSub topics."""

RETRY = timedelta(seconds=30)
"""The first retry's wait; later ones double (jittered, `feeds.watch.schedule.backoff`)."""
MAX_ATTEMPTS = 8
"""Failed attempts after which a ping is dropped (about two hours of retries at the default RETRY)."""


def changed_topics(written: Iterable[str], base_url: str) -> list[str]:
    """The absolute topic URLs of the feed documents among `written` (paths relative to out/), sorted, once each:
    their self links, as subscribers subscribed to them (`base_url` is in URI form, as the config gives it)."""
    return sorted({base_url + path for path in written if path.rsplit("/", 1)[-1] in FEED_DOCUMENTS})


@dataclass(frozen=True, slots=True)
class PingResult:
    """One ping's outcome: `status` is the HTTP status (`204`) or `error` when the hub did not answer."""

    ok: bool
    status: str
    error: str | None = None
    retry_after: datetime | None = None


def ping_hub(
    session: requests.Session,
    hub: str,
    topic: str,
    *,
    timeout: tuple[float, float],
    user_agent: str,
    now: datetime,
) -> PingResult:
    """POST one publish notification for `topic` to `hub`; any 2xx is success, anything else a failure."""
    form = {"hub.mode": "publish", "hub.url": topic}  # application/x-www-form-urlencoded
    r = post_once(session, hub, data=form, headers={"User-Agent": user_agent}, timeout=timeout, now=now)
    return PingResult(r.ok, r.status, r.error, r.retry_after)


@dataclass(frozen=True, slots=True)
class PendingPing:
    topic: str
    due: datetime
    failures: int = 0
    last_error: str | None = None
    version: int = 0
    """Bumped by every `add` of the topic, so a change made while its ping is in flight is pinged again."""


@dataclass(frozen=True, slots=True)
class PingReport:
    sent: int = 0
    failed: int = 0
    dropped: int = 0
    pending: int = 0

    def summary(self) -> str:
        """One log line, or "" when nothing was attempted (so an idle tick logs nothing)."""
        if not (self.sent or self.failed or self.dropped):
            return ""
        return f"{self.sent} hub pings sent, {self.failed} failed, {self.dropped} dropped, {self.pending} pending"


class PingQueue:
    """The daemon's pending pings, keyed by topic (a topic changed twice before its ping is pinged once).

    Thread-safe: the publish job adds while the ping job sends. The lock is never held during a request.
    """

    def __init__(self, *, retry: timedelta = RETRY, max_attempts: int = MAX_ATTEMPTS):
        self.retry = retry
        self.max_attempts = max_attempts
        self._pending: dict[str, PendingPing] = {}
        self._lock = threading.Lock()
        self._sending = threading.Lock()
        """One round at a time (the periodic tick and a triggered round may overlap): no topic is pinged twice."""
        self._version = 0
        self._session: requests.Session | None = None

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)

    def pending(self) -> list[PendingPing]:
        with self._lock:
            return sorted(self._pending.values(), key=lambda p: (p.due, p.topic))

    def add(self, topics: Iterable[str], now: datetime) -> int:
        """Queue a ping for each topic, due now; a topic already waiting keeps its back-off. Returns how many."""
        count = 0
        with self._lock:
            for topic in topics:
                self._version += 1
                old = self._pending.get(topic)
                self._pending[topic] = (
                    replace(old, version=self._version) if old else PendingPing(topic, now, version=self._version)
                )
                count += 1
        return count

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def send(self, app: App, *, once: bool = False) -> PingReport:
        """Ping the hub for every due topic, in due order; stop the round at the first failure.

        A failure usually means the hub is down or overloaded: the topics not tried stay due for the next tick,
        so one round costs at most one timeout (settings.http) and never hammers a struggling hub.

        `once` is the round of a process that exits after it (`feeds publish`, `feeds run --once`): there is no
        next tick for the untried topics, so every due topic is tried, and a failed one is dropped at once
        (counted in `failed` and `dropped`; the next change to that feed pings again).
        """
        with self._sending:
            return self._send(app, once=once)

    def _send(self, app: App, *, once: bool = False) -> PingReport:
        hub = app.settings.publish.hub
        if hub is None:
            self.clear()  # the hub was removed from the config (SIGHUP): nobody to tell
            return PingReport()
        now = app.clock()
        due = [p for p in self.pending() if p.due <= now]
        if not due:
            return PingReport(pending=len(self))
        session = app.session or self._own_session()
        http = app.settings.http
        sent = failed = dropped = 0
        for ping in due:
            result = ping_hub(
                session,
                hub,
                ping.topic,
                timeout=(http.connect_timeout, http.read_timeout),
                user_agent=http.user_agent,
                now=now,
            )
            if result.ok:
                sent += 1
                self._settle(ping, None, now)
                continue
            failed += 1
            if self._settle(ping, result, now, last=once):
                dropped += 1
            if not once:
                break
        return PingReport(sent=sent, failed=failed, dropped=dropped, pending=len(self))

    def _settle(self, ping: PendingPing, failure: PingResult | None, now: datetime, *, last: bool = False) -> bool:
        """Record a ping's outcome; True when it was dropped after too many failures (or its `last` attempt)."""
        with self._lock:
            current = self._pending.get(ping.topic)
            if current is None:
                return False
            changed_meanwhile = current.version != ping.version
            if failure is None:
                if changed_meanwhile:  # the hub may have fetched the old bytes: ping the new ones too
                    self._pending[ping.topic] = replace(current, failures=0, last_error=None, due=now)
                else:
                    del self._pending[ping.topic]
                return False
            failures = current.failures + 1
            if (last or failures >= self.max_attempts) and not changed_meanwhile:
                del self._pending[ping.topic]
                log.warning(
                    "giving up pinging the WebSub hub for %s after %d attempts: %s",
                    ping.topic,
                    failures,
                    failure.error,
                    extra={"url": ping.topic},
                )
                return True
            due = next_check_at(now, self.retry, key=ping.topic, failures=failures, retry_after=failure.retry_after)
            self._pending[ping.topic] = replace(current, failures=failures, last_error=failure.error, due=due)
            log.info(
                "WebSub hub ping for %s failed (attempt %d, next at %s): %s",
                ping.topic,
                failures,
                rfc3339(due),
                failure.error,
                extra={"url": ping.topic},
            )
            return False

    def _own_session(self) -> requests.Session:
        if self._session is None:
            self._session = outbound_session()
        return self._session

    def close(self) -> None:
        """Close the session this queue made for itself (never the App's)."""
        if self._session is not None:
            self._session.close()
            self._session = None


def ping_once(app: App, written: Iterable[str]) -> PingReport:
    """For a one-shot `feeds publish`: one round of pings for the feed documents among `written` (paths in out/),
    each tried once whatever happened to the others, no retry (a ping that fails is counted in `failed` and lost;
    the next change to that feed pings again, as after a daemon's restart). Nothing is sent without `publish.hub`."""
    queue = PingQueue()
    try:
        if not queue.add(changed_topics(written, app.settings.site.base_url), app.clock()):
            return PingReport()
        return queue.send(app, once=True)
    finally:
        queue.close()
