"""IndexNow pings: tell Bing (and the other search engines taking part) which pages a publish changed.

    after a publish:  changed_pages(written + removed, base_url) | IndexNowQueue.add
    on a tick:        IndexNowQueue.send(app): POST {host, key, keyLocation, urlList} (≤ 10,000 URLs) | back-off

IndexNow (indexnow.org) is a JSON POST of the changed URLs of one host to a shared endpoint, which hands them on to
every engine taking part (Bing, Yandex, Seznam, Naver, Yep); Google does not take part. The site proves it owns the
URLs with a key published as `out/<key>.txt` (`key_file`): public by design, so nothing private reaches `out/`.
The key is `publish.indexnow_key`, else one derived from `site.base_url`, so every daemon sharing `out/` uses
the same one. Off unless `publish.indexnow = true`.

Politeness: the HTML pages a publish wrote (or removed: a taken-down release's notice tells the engines it is gone)
are pinged, batched into one request per round (never one per page) and never a feed, sitemap or style sheet. A
publish that changed more than `MAX_CHANGED` pages is a re-render (a new version of feeds, a changed template or
setting) or a first publish, not news: it pings nothing, and the sitemap carries it. A failure (no answer, 403 with
the key file not yet served, 429, 5xx) holds every pending URL, backing off from 30 s to an hour (longer only as a
Retry-After asks); 400 and 422 (the request or its URLs refused) drop the batch with a warning, as sending it again
would meet the same answer. Pending URLs live in memory only, as WebSub pings do.

What this module must not do: run inside the publish (the daemon sends from its own job, so a slow or dead
endpoint never delays out/), follow a redirect, or speak HTTP other than through `feeds.outbound.post_once`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

from feeds.clock import rfc3339
from feeds.config import Settings
from feeds.outbound import Outage, OwnSession, SendReport, post_once, shown_url
from feeds.publish.spec import RenderedFile
from feeds.watch.schedule import MAX_RETRY_AFTER, backoff

if TYPE_CHECKING:
    from feeds.app import App

log = logging.getLogger("feeds.publish.indexnow")

MAX_URLS = 10_000
"""URLs in one request, the protocol's limit."""
MAX_CHANGED = 1_000
"""Pages one publish may change and still be pinged: more is a re-render or a first publish (see above)."""
RETRY = timedelta(seconds=30)
MAX_WAIT = timedelta(hours=1)
DROPPED = frozenset({"400", "422"})
"""Answers about the request itself (malformed; URLs not of the host or not matching the key): not retried."""


def indexnow_key(settings: Settings) -> str:
    """`publish.indexnow_key`, else 32 hex digits derived from `site.base_url` (stable across daemons)."""
    configured = settings.publish.indexnow_key
    return configured or hashlib.sha256(f"feeds indexnow {settings.site.base_url}".encode()).hexdigest()[:32]


def key_file(settings: Settings) -> RenderedFile:
    """`<key>.txt` at the root of out/, holding the key: how the engines check that the pings are the site's."""
    key = indexnow_key(settings)
    return RenderedFile(path=f"{key}.txt", data=key.encode())


def changed_pages(paths: Iterable[str], base_url: str) -> list[str]:
    """The absolute URLs of the HTML pages among `paths` (relative to out/; a folder's `index.html` by the folder's
    URL, as the pages' canonical links give it), sorted, once each; never the 404 page. Empty when there are more
    than `MAX_CHANGED` (a re-render: not news)."""
    urls = sorted(
        {
            base_url + path.removesuffix("index.html")
            for path in paths
            if path.endswith(".html") and path != "404.html" and (path == "index.html" or path.endswith("/index.html"))
        }
    )
    if len(urls) > MAX_CHANGED:
        log.info("IndexNow: %d pages changed at once (a re-render or a first publish): not pinged", len(urls))
        return []
    return urls


def request_body(settings: Settings, urls: Iterable[str]) -> bytes:
    """The JSON IndexNow asks for: the host, the key, where the key file is (under a base path, which limits
    the URLs the key stands for to that path) and the URLs."""
    key = indexnow_key(settings)
    body = {
        "host": urlsplit(settings.site.base_url).hostname or "",
        "key": key,
        "keyLocation": f"{settings.site.base_url}{key}.txt",
        "urlList": list(urls),
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class IndexNowReport(SendReport):
    SENT: ClassVar[str] = "{n} URLs sent to IndexNow"


class IndexNowQueue:
    """The daemon's URLs waiting to be sent, in the order they came (a URL changed twice is sent once).

    Thread-safe: the publish job adds while the IndexNow job sends; the lock is never held during a request."""

    def __init__(self, *, retry: timedelta = RETRY, max_urls: int = MAX_URLS) -> None:
        self.retry = retry
        self.max_urls = max_urls
        self._pending: dict[str, None] = {}
        self._lock = threading.Lock()
        self._sending = threading.Lock()
        self._failures = 0
        self._held_until: datetime | None = None
        self._outage = Outage()
        self._own = OwnSession()

    @property
    def held_until(self) -> datetime | None:
        return self._held_until

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)

    def pending(self) -> list[str]:
        with self._lock:
            return list(self._pending)

    def add(self, urls: Iterable[str]) -> int:
        with self._lock:
            before = len(self._pending)
            self._pending.update(dict.fromkeys(urls))
            return len(self._pending) - before

    def clock_stepped(self, step: timedelta) -> None:
        """The wall clock stepped by `step`: a hold keeps the wait it had."""
        with self._lock:
            if self._held_until is not None:
                self._held_until += step

    def send(self, app: App, *, once: bool = False) -> IndexNowReport:
        """Send the pending URLs in batches of `max_urls`, unless held; a failure ends the round and holds them
        all. `once` (a process that exits after it: `feeds publish`, `run --once`): a failure drops them, as the
        next change pings again."""
        with self._sending:
            return self._send(app, once=once)

    def _send(self, app: App, *, once: bool) -> IndexNowReport:
        settings = app.settings
        if not settings.publish.indexnow:
            with self._lock:
                self._pending.clear()  # (switched off at a reload: nobody to tell)
            self._failures, self._held_until = 0, None
            self._outage.ended()
            return IndexNowReport()
        now = app.clock()
        if self._held_until is not None and now < self._held_until:
            return IndexNowReport(pending=len(self), held=self._held(settings.publish.indexnow_endpoint))
        endpoint = settings.publish.indexnow_endpoint
        http = settings.http
        session = app.session or self._own.get()
        sent = failed = dropped = 0
        while batch := self.pending()[: self.max_urls]:
            result = post_once(
                session,
                endpoint,
                data=request_body(settings, batch),
                headers={"User-Agent": http.user_agent, "Content-Type": "application/json; charset=utf-8"},
                timeout=(http.connect_timeout, http.read_timeout),
                now=now,
            )
            if result.ok or result.status in DROPPED or once:
                self._forget(batch)
            if result.ok:
                sent += len(batch)
                self._failures, self._held_until = 0, None
                self._outage.ended()
                continue
            failed += len(batch)
            if result.status in DROPPED or once:
                dropped += len(batch)
                log.warning(
                    "IndexNow at %s refused %d URLs (not sent again): %s",
                    shown_url(endpoint),
                    len(batch),
                    result.error,
                    extra={"url": shown_url(endpoint)},
                )
                if result.status in DROPPED:
                    continue
                break
            self._hold(endpoint, result.error, result.retry_after, now)
            break
        return IndexNowReport(sent=sent, failed=failed, dropped=dropped, pending=len(self), held=self._held(endpoint))

    def _held(self, endpoint: str) -> str | None:
        return self._outage.held(f"IndexNow at {shown_url(endpoint)}")

    def _forget(self, urls: list[str]) -> None:
        with self._lock:
            for url in urls:
                self._pending.pop(url, None)

    def _hold(self, endpoint: str, error: str | None, retry_after: datetime | None, now: datetime) -> None:
        self._failures += 1
        self._outage.failed(now, error)
        until = now + min(backoff(self.retry, self._failures, endpoint), MAX_WAIT)
        if retry_after is not None:
            until = max(until, min(retry_after, now + MAX_RETRY_AFTER))
        self._held_until = until
        log.warning(
            "IndexNow at %s failed (attempt %d): holding %d URLs until %s: %s",
            shown_url(endpoint),
            self._failures,
            len(self),
            rfc3339(until),
            error,
            extra={"url": shown_url(endpoint)},
        )

    def close(self) -> None:
        self._own.close()


def indexnow_once(app: App, changed: Iterable[str]) -> IndexNowReport:
    """For a one-shot `feeds publish`: one round for the pages among `changed` (paths in out/), no retry. Nothing
    is sent unless `publish.indexnow` is on."""
    if not app.settings.publish.indexnow:
        return IndexNowReport()
    queue = IndexNowQueue()
    try:
        if not queue.add(changed_pages(changed, app.settings.site.base_url)):
            return IndexNowReport()
        return queue.send(app, once=True)
    finally:
        queue.close()
