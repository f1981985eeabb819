"""The watch pipeline: poll due feeds politely, store their items once, and record what matches.

    run_watch(app):  store.claim_due(now, limit) | rules and releases new to the watch (`retro`)
        | fetch (thread pool: I/O-bound; a window at a time, so the bodies held stay few; at most `watch.per_host`
          at once from one host; due feeds still waiting for their host after `host_wait` left for the next
          round: `turns`; the leases renewed meanwhile: `leases`)
        | a body read before? (its digest) then nothing to parse
        | parse + match_item (CPU-bound: worker processes for many feeds: `parsejobs`)
        | store.upsert_items | the matches of new and changed items | store.add_matches
        | schedule.next_check_at | store.record_check (`check`: a feed at a time, many to one transaction)

`run_watch` reads top to bottom as that pipeline; each stage lives in its own module beside this one, and this
one holds the orchestrator, its report (`WatchReport`) and the matchers a run compiles (`current_matchers`).
With many feeds, or any in the daemon (`feeds.workers.isolated`), each body is parsed and its items matched in a
worker process, with exactly the matches this process would find (`parsejobs`); with few feeds in a one-shot
command, both happen here, with the same result.

One broken feed never stops the others: its error lands on its row (`last_error`, `failures`) and its next
check backs off; polling never stops for good except on `410 Gone`, which disables the feed with a reason.
A permanent redirect (301/308) moves the stored URL only after it was seen on 3 consecutive checks (`check`).

What this module must not do: parse a body or store a feed's check itself (`parsejobs`, `check`), or let one
feed's failure end the round.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from feeds.app import worker_id
from feeds.articles import item_article
from feeds.errors import FetchError
from feeds.fetch import Fetched, FetchFailed, FetchResult, Validators
from feeds.model import Rule, WatchedFeed
from feeds.urls import without_secrets
from feeds.watch.check import FeedOutcome, Pending, check_batch
from feeds.watch.hostslots import HostSlots
from feeds.watch.leases import Leases
from feeds.watch.matching import Matchers, compile_spec, matcher_spec
from feeds.watch.ownsite import is_own_url
from feeds.watch.parsejobs import parse_job, parse_pool, parse_setup, same_body
from feeds.watch.profiles import CORPUS_DAYS
from feeds.watch.retro import (
    apply_changed_settings,
    apply_new_releases,
    apply_new_rules,
    releases_in_window,
    releases_pending,
    settings_pending,
)
from feeds.watch.turns import fetched_in_turn, first_ready, host_of, host_wait, take_ready, wait_until_ready
from feeds.workers import isolated, settled, submit

if TYPE_CHECKING:
    from feeds.app import App

log = logging.getLogger("feeds.watch")


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
    new_articles: int | None = None
    """The articles the new matches are of, per rule or release, as `feeds matches list` counts them (one article
    in several feeds, or under tracking parameters, is one: `feeds.articles.item_article`); None when they could
    not be told (another process stored matches meanwhile, or too many to read: `count_articles`)."""

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
        """`2 feeds checked, 0 failed, 3 new items, 1 new matches`, with `, N changed` after the items, ` of N
        articles` after the matches when they are of fewer (`new_articles`), `, N removed (no longer made)` after
        them, `; N feeds left for the next round, having waited too long
        for their site (news.example.com)` and `; stopped: N feeds given back unchecked` when there are any (the
        daemon's job summary, and the last line of `feeds watch poll`)."""
        checked = len(self.outcomes)
        text = f"{checked} feed{'' if checked == 1 else 's'} checked, {self.failed} failed, {self.new_items} new items"
        text += f", {self.changed_items} changed" if self.changed_items else ""
        text += f", {self.new_matches} new matches"
        if self.new_articles is not None and self.new_articles != self.new_matches:
            text += f" of {self.new_articles} article{'' if self.new_articles == 1 else 's'}"
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
    `feed_ids` are all waited for: they may not be due, and the command that named them waits for them.

    A round of due feeds that checked some records in the database how it went (`feeds.outcomes.record_run`, for
    `feeds status` on every machine): failed when it raised, or when every feed it checked failed (the network,
    DNS, a proxy: one site down is that feed's failure, shown with the feed)."""
    began = app.clock()
    if feed_ids is not None:
        report = _poll(app, feed_ids=feed_ids, owner=owner, progress=progress, stop=stop)
        report.new_articles = count_articles(app, report.new_matches, since=began)
        return report
    from feeds.outcomes import record_run

    try:
        report = _poll(app, feed_ids=None, owner=owner, progress=progress, stop=stop)
    except Exception as e:
        record_run(app, "poll", e)
        raise
    report.new_articles = count_articles(app, report.new_matches, since=began)
    if report.outcomes:
        every_one = report.failed == len(report.outcomes)
        record_run(app, "poll", f"every watched feed checked failed ({report.summary()})" if every_one else None)
    return report


ARTICLES_COUNTED_UP_TO = 1000
"""A round's new matches read back to count their articles at most: a daemon's rounds find a few; a first poll of
many feeds, or a rule added to a large corpus, finds more, and is not slowed to count them (its summary then gives
the matches only)."""


def count_articles(app: App, new_matches: int, *, since: datetime) -> int | None:
    """The articles of a round's `new_matches`, per rule or release (as `feeds matches list` groups them): read back
    as the matches found since the round began, when those are exactly as many (else another process stored
    some meanwhile, and which are the round's cannot be told: None)."""
    if not new_matches:
        return 0
    if new_matches > ARTICLES_COUNTED_UP_TO:
        return None
    rows = app.store.matches(since=since, limit=new_matches + 1)
    if len(rows) != new_matches:
        return None
    return len(
        {
            (m.kind, m.subject, item_article(m.item.feed_id, m.item.item.key, m.item.item.link, m.item.item.guid))
            for m in rows
        }
    )


def _poll(
    app: App,
    *,
    feed_ids: Sequence[int] | None,
    owner: str | None,
    progress: Callable[[int, int], None] | None,
    stop: threading.Event | None,
) -> WatchReport:
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
    setup = parse_setup(matchers.spec)
    parsers = parse_pool(app, matchers.spec) if len(feeds) >= PARALLEL_PARSE_MIN or isolated(app) else None
    # What the feeds' items were when last stored: a worker matches only the items that are new or changed. Read
    # when the first body goes to a worker: a round of 304s (or of bodies read before) never needs them, and read
    # every item's hash of every feed for nothing (~23,000 rows for bench_poll's 1,000 feeds).
    known: dict[int, dict[str, str]] | None = None
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
        gather = max(1, lookahead // 2)
        pending: list[Pending] = []

        def settle_ready() -> None:
            """Store the first feed whose answer is ready (waiting for one if need be) and every other one ready by
            now (up to `STORE_BATCH`), in one transaction (`check_batch`): one commit, one fsync, for many feeds.
            With workers, it waits until `gather` answers (half the look-ahead) are ready, so that it stores them
            together while the workers read the other half: this thread stores faster than they read, and taking
            each answer as it came stored nearly every feed alone, a transaction (and an fsync) each (bench_poll's
            first pass: ~950 for 1,000 feeds)."""
            waits = [ahead.future if ahead is not None else None for _, _, ahead in pending]
            ready = [pending.pop(first_ready(waits, tick=leases.keep))]
            if gather > 1:
                wait_until_ready(waits, gather, tick=leases.keep)
            ready += take_ready(pending, lambda entry: entry[2] is None or entry[2].done(), STORE_BATCH - 1)
            # (a body whose worker died is read again alone now, not while the batch's transaction is open)
            ready = [(feed, result, settled(app, ahead) if ahead else None) for feed, result, ahead in ready]
            outcomes = check_batch(app, ready, matchers, owner=owner)
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
                    # (a pool broken during this run: the rest is read alone in a worker of its own, never here)
                    if known is None:  # (leased: a feed's items change only when this run stores it, after this)
                        known = app.store.item_hashes([f.id for f in feeds])
                    job = (result.body, result.url, result.content_type, result.encoding, feed, known.get(feed.id))
                    ahead = submit(parsers, setup, parse_job, *job)
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
"""Below this many feeds in one poll, parsing in this process is cheaper than handing bodies to workers; except in
the daemon (`feeds.workers.isolated`), which parses every body in a worker, where a feed that crashes its reader
costs that feed a failure rather than the daemon its life."""


def _fetch(app: App, feed: WatchedFeed, own: frozenset[str] = frozenset()) -> FetchResult:
    def ours(target: str) -> str | None:
        return "it is our own site" if is_own_url(target, own) else None

    try:
        return app.http.get(feed.url, validators=Validators(feed.etag, feed.last_modified), refuse_redirect=ours)
    except Exception as e:  # a bug met by one hostile answer must cost that feed a failure, not the whole run
        shown = without_secrets(feed.url)
        log.exception("feed %s: unexpected error while fetching", shown, extra={"feed": feed.id, "url": shown})
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
