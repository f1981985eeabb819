"""The watch pipeline: poll due feeds politely, store their items once, and record what matches.

    run_watch(app):  store.claim_due(now, limit) | rules and releases new to the watch (`retro`)
        | fetch (thread pool: I/O-bound; a window at a time, so the bodies held stay few; at most `watch.per_host`
          at once from one host; due feeds still waiting for their host after `host_wait` left for the next
          round) | a body read before?
          (its digest) then nothing to parse
        | parse + match_item (CPU-bound: worker processes for many feeds)
        | store.upsert_items | the matches of new and changed items | store.add_matches
        | schedule.next_check_at | store.record_check

With many feeds, each body is parsed and its items matched in a worker process (they hold the GIL for long);
the workers compile the run's matchers once, from the same `MatcherSpec` as this process, so their matches are
exactly the ones this process would find. A worker is told the stored content hash of its feed's items and
matches only new and changed ones; with few feeds, both happen here, with the same result.

One broken feed never stops the others: its error lands on its row (`last_error`, `failures`) and its next
check backs off; polling never stops for good except on `410 Gone`, which disables the feed with a reason.
A permanent redirect (301/308) moves the stored URL only after it was seen on 3 consecutive checks.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from feeds.app import worker_id
from feeds.config import clamp_interval
from feeds.errors import FeedParseError, FetchError
from feeds.fetch import Fetched, FetchFailed, FetchResult, NotModified, Validators
from feeds.logs import one_line
from feeds.model import REDIRECTS_BEFORE_MOVE, Match, ParsedFeed, Rule, WatchedFeed, WatchItem
from feeds.watch.feedurls import canonical_feed_url
from feeds.watch.hostslots import HostSlots
from feeds.watch.leases import Leases
from feeds.watch.matching import Matchers, compile_spec, delay_of, match_item, matcher_spec
from feeds.watch.parsejobs import Parsed, body_digest, parse_job, parse_pool, parsed_answer, same_body
from feeds.watch.related import CORPUS_DAYS, is_own_url
from feeds.watch.retro import (
    apply_changed_settings,
    apply_new_releases,
    apply_new_rules,
    releases_in_window,
    releases_pending,
    settings_pending,
)
from feeds.watch.schedule import next_check_at
from feeds.watch.turns import fetched_in_turn, first_ready, host_of, host_wait, take_ready

if TYPE_CHECKING:
    from feeds.app import App

log = logging.getLogger("feeds.watch")


@dataclass
class FeedOutcome:
    feed_id: int
    url: str
    status: str
    """`200`, `304`, an HTTP status, `error`, `parse-error` or `gone`."""
    new_items: int = 0
    changed_items: int = 0
    new_matches: int = 0
    removed_matches: int = 0
    """Matches of its changed items that matching no longer makes, deleted."""
    error: str | None = None
    warning: str | None = None
    """Read, but with problems (a truncated or malformed body, items left out): what the feed's row records."""
    unchanged: bool = False
    """A 200 answer with the same bytes as the last body read into items: not parsed again."""


@dataclass
class WatchReport:
    outcomes: list[FeedOutcome] = field(default_factory=list)
    retro_matches: int = 0
    """Matches found among stored items for new or changed rules and releases."""
    retro_removed: int = 0
    """Matches that changed rules and releases no longer make, deleted."""
    given_back: int = 0
    """Claimed feeds not polled because the run was asked to stop (the daemon's SIGTERM): their leases given
    back, due as before."""
    left: dict[str, int] = field(default_factory=dict)
    """Claimed feeds not polled because they waited longer than `host_wait` for their host (`watch.per_host`),
    by host: their leases given back, due as before, for the next round, which takes them first."""

    @property
    def new_items(self) -> int:
        return sum(o.new_items for o in self.outcomes)

    @property
    def new_matches(self) -> int:
        return sum(o.new_matches for o in self.outcomes) + self.retro_matches

    @property
    def changed_items(self) -> int:
        return sum(o.changed_items for o in self.outcomes)

    @property
    def removed_matches(self) -> int:
        return sum(o.removed_matches for o in self.outcomes) + self.retro_removed

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if o.error)

    def summary(self) -> str:
        """`2 feeds checked, 0 failed, 3 new items, 1 new matches`, with `, N changed` after the items, `, N
        removed (no longer made)` after the matches, `; N feeds left for the next round, having waited too long
        for their site (news.example.com)` and `; stopped: N feeds given back unchecked` when there are any (the
        daemon's job summary, and the last line of `feeds watch poll`)."""
        checked = len(self.outcomes)
        text = f"{checked} feed{'' if checked == 1 else 's'} checked, {self.failed} failed, {self.new_items} new items"
        text += f", {self.changed_items} changed" if self.changed_items else ""
        text += f", {self.new_matches} new matches"
        text += f", {self.removed_matches} removed (no longer made)" if self.removed_matches else ""
        if self.left:
            left = sum(self.left.values())
            hosts = sorted(self.left, key=lambda h: (-self.left[h], h))
            names = ", ".join(hosts[:3]) + (f" and {len(hosts) - 3} more" if len(hosts) > 3 else "")
            site = "site" if len(hosts) == 1 else "sites"
            text += f"; {left} feed{'' if left == 1 else 's'} left for the next round, having waited too long "
            text += f"for their {site} ({names})"
        gave = self.given_back
        return text + (f"; stopped: {gave} feed{'' if gave == 1 else 's'} given back unchecked" if gave else "")


def run_watch(
    app: App,
    *,
    feed_ids: Sequence[int] | None = None,
    owner: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    stop: threading.Event | None = None,
) -> WatchReport:
    """Poll the feeds that are due (or exactly `feed_ids`, whatever their schedule) once.

    Once `stop` is set (the daemon's SIGTERM), no further fetch starts: the fetches under way are stored, and the
    feeds not polled are given back at once rather than left leased, for up to `watch.lease`, by a daemon that
    is gone after its grace period (review 4 #7).

    In a round of due feeds (not `feed_ids`), a feed still waiting for its host (`watch.per_host`) `host_wait`
    after the round began is given back unfetched, due as before, and counted in `WatchReport.left`: a slow site
    with many feeds no longer makes a round, and with it every other feed's next check, wait for all of them.
    The feeds are taken in the order they fell due, so the next round asks for those first. Feeds named in
    `feed_ids` are all waited for: they may not be due, and the command that named them waits for them."""
    settings = app.settings.watch
    owner = owner or worker_id()
    now = app.clock()
    lease = timedelta(seconds=settings.lease)
    report = WatchReport()
    rules = app.store.rules()
    new_rules = [r for r in rules if r.applied_at is None or r.applied_at < r.updated_at]
    if feed_ids is not None:
        feeds = app.store.claim_feeds(feed_ids, now, owner=owner, lease=lease)
    else:
        feeds = app.store.claim_due(now, limit=settings.batch, owner=owner, lease=lease)
    if not feeds and not new_rules and not releases_pending(app, now) and not settings_pending(app):
        return report  # most ticks: nothing due, so nothing to compile either
    matchers = current_matchers(app, now, rules)
    for added, removed in (
        apply_new_rules(app, matchers, now, new_rules),
        apply_new_releases(app, matchers, now),
        apply_changed_settings(app, matchers, now),
    ):
        report.retro_matches += added
        report.retro_removed += removed
    if not feeds:
        return report
    parsers = parse_pool(app, matchers.spec) if len(feeds) >= PARALLEL_PARSE_MIN else None
    # What the feeds' items were when last stored: a worker matches only the items that are new or changed.
    known = app.store.item_hashes([f.id for f in feeds]) if parsers is not None else {}
    # Due the longest first (claim order is by id): feeds left for their host last round go first for it now.
    feeds = sorted(feeds, key=lambda f: (f.next_check is not None, f.next_check or now, f.id))
    leases = Leases(app, feeds, owner=owner, since=now, stop=stop)
    patience = host_wait(app.settings.http) if feed_ids is None else None

    def fetch(feed: WatchedFeed) -> FetchResult | None:
        return _fetch(app, feed, matchers.own_domains) if leases.fetching(feed) else None

    def host_wait_over() -> bool:
        return patience is not None and app.clock() - now >= patience

    def leave(waiting: Sequence[WatchedFeed]) -> None:
        ids = leases.leave(f.id for f in waiting)
        for f in waiting:
            if f.id in ids:
                report.left[host_of(f.url)] = report.left.get(host_of(f.url), 0) + 1
        if progress and ids:
            progress(len(ids), len(feeds))

    with ThreadPoolExecutor(max_workers=max(1, min(settings.workers, len(feeds))), thread_name_prefix="fetch") as pool:
        # In the order the answers arrive: a server that hangs until its deadline holds up no other feed.
        fetches = fetched_in_turn(
            pool,
            feeds,
            fetch,
            ahead=2 * settings.workers,
            tick=leases.keep,
            per_host=settings.per_host,
            host_wait_over=host_wait_over if patience is not None else None,
            leave=leave,
            slots=HostSlots(app, owner=owner, per_host=settings.per_host),
        )
        # Parsing and matching are CPU-bound and hold the GIL: with many feeds, bodies go to worker processes as
        # they arrive, while this thread stores the ones already done, in the order the workers finish them (a
        # look-ahead of a few bodies per CPU keeps the workers busy without waiting for the whole batch to be
        # fetched).
        lookahead = LOOKAHEAD_PER_CPU * (os.cpu_count() or 1) if parsers is not None else 0
        pending: list[tuple[WatchedFeed, FetchResult, Future[Parsed | str] | None]] = []

        def settle_ready() -> None:
            """Store the first feed whose answer is ready (waiting for one if need be) and every other one ready by
            now (up to `STORE_BATCH`), in one transaction (`Store.batch`): one commit, one fsync, for many feeds.
            Each feed's writes are a savepoint: one that fails is rolled back alone and costs that feed a failure."""
            ready = [pending.pop(first_ready([ahead for _, _, ahead in pending], tick=leases.keep))]
            ready += take_ready(pending, lambda entry: entry[2] is None or entry[2].done(), STORE_BATCH - 1)
            outcomes: list[FeedOutcome] = []
            try:
                with app.store.batch():
                    for feed, result, ahead in ready:
                        try:
                            outcome = check_feed(app, feed, result, matchers, owner=owner, parsed_in_advance=ahead)
                        except Exception as e:  # a bug or a database refusal met by one feed costs that feed a failure
                            outcome = _unexpected(app, feed, e, owner=owner)
                        outcomes.append(outcome)
            except Exception as e:  # the batch's commit failed (a full disk): each feed records its failure alone
                outcomes = [_unexpected(app, feed, e, owner=owner) for feed, _, _ in ready]
            for outcome in outcomes:
                leases.settled(outcome.feed_id)
                report.outcomes.append(outcome)
            if progress:
                progress(len(outcomes), len(feeds))

        try:
            for feed, result in fetches:
                if result is None:  # taken by another worker while this run waited: not ours to poll
                    continue
                ahead = None
                if parsers is not None and isinstance(result, Fetched) and not same_body(feed, result):
                    try:
                        job = (result.body, result.url, result.content_type, result.encoding, feed, known.get(feed.id))
                        ahead = parsers.submit(parse_job, *job)
                    except BrokenProcessPool:  # a worker died during this run: the rest is parsed here
                        parsers = None
                pending.append((feed, result, ahead))
                while len(pending) > lookahead:
                    settle_ready()
            while pending:
                settle_ready()
            report.given_back = leases.give_back() if leases.stopping else 0
        except BaseException:  # Ctrl-C on `feeds watch poll`: fetch nothing more, and give back what was not checked
            pool.shutdown(wait=False, cancel_futures=True)
            fetches.close()  # (gives back the hosts' slots it holds)
            checked = {o.feed_id for o in report.outcomes}
            with contextlib.suppress(Exception):  # (the database may be what failed: the leases then run out)
                app.store.release_feeds([f.id for f in feeds if f.id not in checked], owner=owner)
            raise
    return report


STORE_BATCH = 32
"""Feeds stored in one transaction at most (`settle_ready`): the write lock is held while they are stored, a few
milliseconds each, so other writers (a push, the CLI, another daemon) wait at most a fraction of a second."""

LOOKAHEAD_PER_CPU = 4
"""Fetched bodies handed to the workers ahead of the feed being stored, per CPU: enough that a worker finds the
next body waiting while others parse a large feed and this thread stores. With `fetched_in_turn`'s window, this
bounds the bodies held at once (each at most the fetch size cap), however large the batch."""

PARALLEL_PARSE_MIN = 16
"""Below this many feeds in one poll, parsing in this process is cheaper than handing bodies to workers."""


def _fetch(app: App, feed: WatchedFeed, own: frozenset[str] = frozenset()) -> FetchResult:
    def ours(target: str) -> str | None:
        return "it is our own site" if is_own_url(target, own) else None

    try:
        return app.http.get(feed.url, validators=Validators(feed.etag, feed.last_modified), refuse_redirect=ours)
    except Exception as e:  # a bug met by one hostile answer must cost that feed a failure, not the whole run
        log.exception("feed %s: unexpected error while fetching", feed.url, extra={"feed": feed.id, "url": feed.url})
        error = FetchError(f"unexpected error while fetching: {type(e).__name__}", url=feed.url)
        return FetchFailed(url=feed.url, requested_url=feed.url, error=error, fetched_at=app.clock())


_SPEC_KEY = "watch.matcher_spec"
"""`App.extras` key of the last spec `current_matchers` worked out, with what it was worked out from."""


def current_matchers(app: App, now: datetime, rules: Sequence[Rule]) -> Matchers:
    """The rules and the releases of the related window, compiled; the releases' terms are weighed, and their
    boilerplate found, among the releases of the last `CORPUS_DAYS` (releases come from the App's cache).

    Profiling that corpus takes a while (about a second for a thousand releases), and most runs find the same
    rules and releases as the last: the spec is kept in the App while they stay the same (equal rules, settings
    and releases, in the window and in the corpus), and the worker pool with it."""
    window = releases_in_window(app, now)
    days = max(CORPUS_DAYS, app.settings.watch.related.window_days)
    corpus = [r for r in app.releases.current(app.store, now) if now - timedelta(days=days) <= r.published <= now]
    key = (tuple((r.name, r.query) for r in rules), app.settings, tuple(window), tuple(corpus))
    kept = app.extras.get(_SPEC_KEY)
    if isinstance(kept, tuple) and kept[0] == key:
        spec = kept[1]
    else:
        spec = matcher_spec(rules, window, app.settings, now, corpus=corpus)
        app.extras[_SPEC_KEY] = (key, spec)
    return compile_spec(spec, window)


def check_feed(
    app: App,
    feed: WatchedFeed,
    result: FetchResult,
    matchers: Matchers,
    *,
    owner: str,
    parsed_in_advance: Future[Parsed | str] | None = None,
) -> FeedOutcome:
    """Turn one fetch result into stored items, matches and the feed's new schedule and health."""
    now = app.clock()
    # (clamped: a row written before the ceiling existed may hold any number)
    interval = timedelta(seconds=clamp_interval(feed.interval))
    outcome = FeedOutcome(feed_id=feed.id, url=feed.url, status="error")
    extra = {"feed": feed.id, "url": feed.url}
    updated = replace(feed, last_checked=now)
    if not isinstance(result, FetchFailed) and result.url != feed.url and is_own_url(result.url, matchers.own_domains):
        # A feed that redirects to our own site would have our releases read as coverage of themselves (and a
        # permanent redirect would move the watched URL there): a failure, and the URL stays.
        error = FetchError(f"redirected to our own site ({result.url}): not read", url=feed.url)
        result = FetchFailed(url=result.url, requested_url=feed.url, error=error, fetched_at=result.fetched_at)
    if isinstance(result, FetchFailed):
        outcome.error = str(result.error)
        if result.gone:
            outcome.status = "gone"
            updated = replace(
                updated,
                enabled=False,
                last_status="410",
                last_error=outcome.error,
                disabled_reason=f"410 Gone on {now:%Y-%m-%d}: the publisher removed this feed; "
                "if it comes back, resume it with `feeds watch edit URL --enable`",
                next_check=None,
            )
            log.warning("feed %s is gone (410); disabled", feed.url, extra=extra)
        else:
            outcome.status = str(result.status) if result.status else "error"
            failures = feed.failures + 1
            updated = replace(
                updated,
                last_status=outcome.status,
                last_error=outcome.error,
                failures=failures,
                next_check=next_check_at(
                    now, interval, key=feed.url, failures=failures, retry_after=result.retry_after
                ),
            )
            why = (outcome.error or "").removeprefix(f"{feed.url}: ")  # (fetch errors name their URL already)
            log.warning("feed %s failed (%d in a row): %s", feed.url, failures, why, extra=extra)
        updated = _track_redirect(updated, result.permanent_redirect)
        app.store.record_check(updated, owner=owner)
        return outcome
    warning = None
    parsed: ParsedFeed | None = None
    if isinstance(result, Fetched) and same_body(feed, result):
        outcome.status, outcome.unchanged = str(result.status), True
        warning = feed.parse_warning  # the body's problems are what they were when it was read
        updated = replace(updated, etag=result.validators.etag, last_modified=result.validators.last_modified)
    elif isinstance(result, Fetched):
        try:
            answer = parsed_answer(result, parsed_in_advance)
        except FeedParseError as e:
            outcome.status, outcome.error = "parse-error", str(e)
            failures = feed.failures + 1
            updated = replace(
                updated,
                last_status="parse-error",
                last_error=outcome.error,
                failures=failures,
                next_check=next_check_at(now, interval, key=feed.url, failures=failures),
                body_digest=None,
            )
            log.warning("feed %s: %s", feed.url, e, extra=extra)
            app.store.record_check(_track_redirect(updated, result.permanent_redirect), owner=owner)
            return outcome
        parsed = answer.feed
        warning = parsed.warning
        outcome.status = str(result.status)
        # A body cut short (the server stopped writing): its validators stand for the whole document, and a 304 to
        # them would leave the rest unread until the feed changed; its digest would skip the next read of it. None
        # is kept, so the next poll asks unconditionally and reads the whole feed. (Not those of the last whole
        # read either: a 304 to them would leave this read's "no element found" standing on a feed that is whole.)
        whole = not answer.cut
        updated = replace(
            updated,
            title=feed.title or parsed.title,
            etag=result.validators.etag if whole else None,
            last_modified=result.validators.last_modified if whole else None,
            body_digest=body_digest(result) if whole else None,
            body_read_at=now,
            parse_warning=warning,
        )
    else:
        assert isinstance(result, NotModified)
        outcome.status = "304"
        warning = feed.parse_warning  # the same body as before, with the same problems (a failure between or not)
    outcome.warning = warning
    updated = replace(
        updated,
        last_status=outcome.status,
        last_error=f"{PROBLEMS}{warning}" if warning else None,
        failures=0,
        next_check=next_check_at(now, interval, key=feed.url, fresh_until=result.fresh_until, spread=True),
    )
    updated = _track_redirect(updated, result.permanent_redirect)
    if parsed is None:
        app.store.record_check(updated, owner=owner)
    else:
        stored, outcome.new_matches, outcome.removed_matches = _store(
            app, matchers, feed, updated, answer, now, owner=owner
        )
        outcome.new_items = sum(1 for _, _, s in stored if s == "new")
        outcome.changed_items = len(stored) - outcome.new_items
    if outcome.new_matches:
        log.info(
            "feed %s: %d new item(s), %d new match(es)", feed.url, outcome.new_items, outcome.new_matches, extra=extra
        )
    return outcome


def _unexpected(app: App, feed: WatchedFeed, error: Exception, *, owner: str) -> FeedOutcome:
    """Record an unexpected error while checking `feed` as one of its failures (backed off like any other), so
    that the other feeds of the run are still checked and this one is not retried at once for ever."""
    import sqlalchemy as sa

    from feeds.store import error_text

    message = f"unexpected error while storing this feed: {one_line(error_text(error))[:300]}"
    if isinstance(error, sa.exc.DBAPIError):  # the database refused (a permission, a constraint): no traceback
        log.error("feed %s: %s", feed.url, message, extra={"feed": feed.id})
    else:  # a bug: the traceback helps
        log.exception("feed %s: unexpected error while storing what it served", feed.url, extra={"feed": feed.id})
    now = app.clock()
    failures = feed.failures + 1
    interval = timedelta(seconds=clamp_interval(feed.interval))
    failed = replace(
        feed,
        last_checked=now,
        last_status="error",
        last_error=message,
        failures=failures,
        next_check=next_check_at(now, interval, key=feed.url, failures=failures),
        body_digest=None,
    )
    try:
        app.store.record_check(failed, owner=owner)
    except Exception:  # the database itself is failing: the lease runs out and the feed is checked again later
        log.exception("feed %s: could not record the failure either", feed.url, extra={"feed": feed.id})
    return FeedOutcome(feed_id=feed.id, url=feed.url, status="error", error=message)


PROBLEMS = "parsed with problems: "
"""How a feed's row records that its body was read with problems (the CLI shows a poll's warning the same way)."""


def _store(
    app: App, matchers: Matchers, feed: WatchedFeed, updated: WatchedFeed, answer: Parsed, now: datetime, *, owner: str
) -> tuple[list[tuple[int, WatchItem, str]], int, int]:
    """Store the items, the matches of those new or changed, and the check: (new and changed items, new matches,
    matches deleted: a changed item's that matching no longer makes).

    Matched in a worker: all three in one transaction (unless the URL moves, which `record_check` handles).
    Parsed here: the items first, then only those the store reports new or changed are matched."""
    items = answer.feed.items
    done = {} if answer.matches is None else dict(zip((it.key for it in items), answer.matches, strict=True))

    def matches_of(item: WatchItem) -> Sequence[Match]:
        """The worker's matches, or worked out here for an item the worker was not asked about (parsed here) or
        skipped as known (changed meanwhile by another daemon)."""
        found = done.get(item.key)
        return found if found is not None else match_item(matchers, feed, item)

    def found_for(stored: Sequence[tuple[int, WatchItem, str]]) -> list[tuple[int, Match, float | None]]:
        return [
            (item_id, m, delay_of(m, item.published, now, matchers.releases))
            for item_id, item, _ in stored
            for m in matches_of(item)
        ]

    scope = matchers.scope
    if answer.matches is not None and updated.url == feed.url:
        matches = {
            it.key: [(m, delay_of(m, it.published, now, matchers.releases)) for m in found]
            for it, found in zip(items, answer.matches, strict=True)
            if found
        }
        stored, added, removed = app.store.record_fetched(updated, items, matches, now, owner=owner, scope=scope)
        late = [row for row in stored if done.get(row[1].key) is None]  # (rare: see matches_of)
        return stored, added + (app.store.add_matches(found_for(late), now) if late else 0), removed
    stored = app.store.upsert_items(feed.id, items, now)
    changed = [item_id for item_id, _, status in stored if status == "changed"]
    if scope is not None and changed:
        added, removed = app.store.rematch(found_for(stored), now, changed=changed, scope=scope)
    else:
        added, removed = app.store.add_matches(found_for(stored), now), 0
    app.store.record_check(updated, owner=owner)
    return stored, added, removed


def _track_redirect(feed: WatchedFeed, target: str | None) -> WatchedFeed:
    """Count consecutive checks that saw the same permanent redirect; move the URL on the third."""
    if target is None or target == feed.url:
        return replace(feed, redirect_url=None, redirect_count=0)
    target = canonical_feed_url(target)  # stored as `watch add` stores a URL
    if target == feed.url:
        return replace(feed, redirect_url=None, redirect_count=0)
    count = feed.redirect_count + 1 if target == feed.redirect_url else 1
    if count >= REDIRECTS_BEFORE_MOVE:
        log.info("feed %s moved permanently to %s (seen %d times)", feed.url, target, count, extra={"feed": feed.id})
        return replace(feed, url=target, redirect_url=None, redirect_count=0, etag=None, last_modified=None)
    return replace(feed, redirect_url=target, redirect_count=count)
