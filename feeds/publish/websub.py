"""WebSub publisher pings: tell the configured hub which feed documents a publish changed.

    after a publish:  changed_topics(report.written, base_url) | PingQueue.add
    on a tick:        PingQueue.send(app): POST hub.mode=publish&hub.url=<topic> per due topic | retry with back-off

A failure of the hub itself (no answer, a 5xx, 429, a redirect, an auth refusal) or a Retry-After holds every
pending ping to that hub, not just the one that met it: the hub backs off as one, with one log line per failed
attempt, and no ping is dropped for it (the hub being down is no fault of a topic; the queue holds one entry per
topic, so it cannot grow without bound). Only a refusal of the topic itself (400, 422) counts against that topic.

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
from typing import TYPE_CHECKING, ClassVar

import requests

from feeds.clock import rfc3339
from feeds.outbound import Outage, OwnSession, SendReport, post_once, shown_url
from feeds.publish.spec import FEED_FILES
from feeds.watch.schedule import MAX_RETRY_AFTER, backoff, next_check_at

if TYPE_CHECKING:
    from feeds.app import App

log = logging.getLogger("feeds.publish.websub")

FEED_DOCUMENTS = tuple(FEED_FILES.values())
"""File names of feed documents (`atom.xml`, `rss.xml`, `feed.json`): the only files that are WebSub topics."""

RETRY = timedelta(seconds=30)
"""The first retry's wait; later ones double (jittered, `feeds.watch.schedule.backoff`)."""
MAX_ATTEMPTS = 8
"""Refusals of a topic (400, 422) after which its ping is dropped. A hub that is down drops nothing."""
MAX_HUB_WAIT = timedelta(hours=1)
"""The longest back-off after the hub failed (a Retry-After may ask for longer): a hub back up is heard of soon."""
TOPIC_REFUSALS = frozenset({"400", "422"})
"""Answers about the topic rather than the hub (bad or unreachable `hub.url`): the others are still sent."""


ARCHIVES = "archive/"
"""Where the main feed's RFC 5005 archive documents are (`archive/<n>/atom.xml`)."""


def changed_topics(written: Iterable[str], base_url: str, *, new: Iterable[str] = ()) -> list[str]:
    """The absolute topic URLs of the feed documents among `written` (paths relative to out/), sorted, once each:
    their self links, as subscribers subscribed to them (`base_url` is in URI form, as the config gives it).

    An RFC 5005 archive document among `new` (written where there was no file before) is left out: no one can
    have subscribed to an address that was not there, and a back catalogue brought in makes hundreds at once
    (40,000 releases: 800 archives, 2,400 documents), whose pings would make a hub answer 429 and hold the
    current feeds' pings behind its back-off. An archive document that changes later is pinged as any feed."""
    first = {path for path in new if path.startswith(ARCHIVES)}
    return sorted(
        {base_url + path for path in written if path.rsplit("/", 1)[-1] in FEED_DOCUMENTS and path not in first}
    )


@dataclass(frozen=True, slots=True)
class PingResult:
    """One ping's outcome: `status` is the HTTP status (`204`) or `error` when the hub did not answer."""

    ok: bool
    status: str
    error: str | None = None
    retry_after: datetime | None = None

    @property
    def hub_failed(self) -> bool:
        """Whether the failure is the hub's (every topic would meet it), not a refusal of this one topic."""
        return not self.ok and (self.retry_after is not None or self.status not in TOPIC_REFUSALS)


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
class PingReport(SendReport):
    SENT: ClassVar[str] = "{n} hub pings sent"


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
        self._own = OwnSession()
        self._hub: str | None = None
        self._hub_failures = 0
        self._held_until: datetime | None = None
        self._outage = Outage()

    @property
    def held_until(self) -> datetime | None:
        """Until when every ping to the hub waits, after the hub failed or asked for it (None: not held)."""
        return self._held_until

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

    def clock_stepped(self, step: timedelta) -> None:
        """The wall clock stepped by `step` (the daemon noticed): every ping waiting for its back-off, and the hold
        on the hub, keep the wait they had. Stepped back an hour, subscribers otherwise heard of no change for
        that hour; stepped ahead, a hub that asked for a pause was pinged at once."""
        with self._lock:
            self._pending = {topic: replace(p, due=p.due + step) for topic, p in self._pending.items()}
            if self._held_until is not None:
                self._held_until += step

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def send(self, app: App, *, once: bool = False) -> PingReport:
        """Ping the hub for every due topic, in due order, unless the hub is held; a hub failure ends the round.

        A failure of the hub (`PingResult.hub_failed`) holds every pending ping until the hub's back-off or its
        Retry-After ends: one round costs at most one timeout (settings.http), a struggling hub is not hammered,
        and the pings wait, all kept. A topic the hub refuses is retried alone, and the round goes on.

        `once` is the round of a process that exits after it (`feeds publish`, `feeds run --once`): there is no
        next tick, so a failed ping is dropped at once (counted in `failed` and `dropped`; the next change to that
        feed pings again), and a hub failure drops every topic not sent yet, in one log line.
        """
        with self._sending:
            return self._send(app, once=once)

    def _send(self, app: App, *, once: bool = False) -> PingReport:
        hub = app.settings.publish.hub
        if hub is None:
            self.clear()  # the hub was removed from the config (SIGHUP): nobody to tell
            return PingReport()
        if hub != self._hub:  # a hub of its own: what held the old one does not hold it
            self._hub, self._hub_failures, self._held_until = hub, 0, None
            self._outage.ended()
        now = app.clock()
        if self._held_until is not None and now < self._held_until:
            return PingReport(pending=len(self), held=self._held(hub))
        due = [p for p in self.pending() if p.due <= now]
        if not due:
            return PingReport(pending=len(self))
        session = app.session or self._own.get()
        http = app.settings.http
        sent = failed = dropped = 0
        for i, ping in enumerate(due):
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
                self._hub_answered(hub)
                continue
            if result.hub_failed:
                if once:
                    lost = self._drop(due[i:])
                    failed, dropped = failed + lost, dropped + lost
                    log.warning(
                        "WebSub hub %s failed; %d pings not sent (the next change to those feeds pings again): %s",
                        shown_url(hub),
                        lost,
                        result.error,
                    )
                else:
                    failed += 1
                    self._hold(hub, result, now)
                break
            failed += 1
            self._hub_answered(hub)
            if self._settle(ping, result, now, last=once):
                dropped += 1
        return PingReport(sent=sent, failed=failed, dropped=dropped, pending=len(self), held=self._held(hub))

    def _held(self, hub: str) -> str | None:
        return self._outage.held(f"WebSub hub {shown_url(hub)}")

    def _hold(self, hub: str, failure: PingResult, now: datetime) -> None:
        """Hold every ping to `hub` after it failed, for its back-off or what its Retry-After asks; one log line."""
        self._hub_failures += 1
        self._outage.failed(now, failure.error)
        wait = min(backoff(self.retry, self._hub_failures, hub), MAX_HUB_WAIT)
        until = now + wait
        if failure.retry_after is not None:
            until = max(until, min(failure.retry_after, now + MAX_RETRY_AFTER))
        self._held_until = until
        log.warning(
            "WebSub hub %s failed (attempt %d): holding %d pending pings until %s: %s%s",
            shown_url(hub),
            self._hub_failures,
            len(self),
            rfc3339(until),
            failure.error,
            " (in publish.hub)" if failure.status.startswith("3") else "",
            extra={"url": shown_url(hub)},
        )

    def _hub_answered(self, hub: str) -> None:
        """The hub answered a ping (2xx, or a refusal of the topic): it is up again, if it was not."""
        if self._hub_failures:
            log.info(
                "WebSub hub %s answers again after %d failed attempts; sending the held pings",
                shown_url(hub),
                self._hub_failures,
                extra={"url": shown_url(hub)},
            )
        self._hub_failures, self._held_until = 0, None
        self._outage.ended()

    def _drop(self, pings: list[PendingPing]) -> int:
        """Forget `pings` (a one-shot round's, the hub failing): how many were still pending."""
        with self._lock:
            return sum(1 for p in pings if self._pending.pop(p.topic, None) is not None)

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

    def close(self) -> None:
        """Close the session this queue made for itself (never the App's)."""
        self._own.close()


def ping_once(app: App, written: Iterable[str], *, new: Iterable[str] = ()) -> PingReport:
    """For a one-shot `feeds publish`: one round of pings for the feed documents among `written` (paths in out/),
    each tried once whatever happened to the others, no retry (a ping that fails is counted in `failed` and lost;
    the next change to that feed pings again, as after a daemon's restart); a new archive document among `new` is
    not pinged (`changed_topics`). Nothing is sent without `publish.hub`."""
    queue = PingQueue()
    try:
        if not queue.add(changed_topics(written, app.settings.site.base_url, new=new), app.clock()):
            return PingReport()
        return queue.send(app, once=True)
    finally:
        queue.close()
