"""Checking one feed: its fetch result turned into stored items and matches, and the feed's new schedule and
health, recorded on its row in the same transaction (`FeedOutcome` says what it came to).

A failure is one of the feed's: its error lands on its row (`last_error`, `failures`) and its next check backs
off; `410 Gone` disables the feed with a reason; a permanent redirect (301/308) moves the stored URL only after it
was seen on `REDIRECTS_BEFORE_MOVE` consecutive checks. A body read with problems is stored with a warning.

What this module must not do: fetch (it is handed the result), read bodies in bulk or decide where they are read
(`parsejobs`), choose which feeds are checked, or let one feed's failure escape to the round
(an unexpected one is recorded as the feed's failure).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from feeds.clock import rfc3339
from feeds.config import clamp_interval
from feeds.errors import FeedParseError, FetchError
from feeds.fetch import Fetched, FetchFailed, FetchResult, NotModified
from feeds.logs import one_line
from feeds.model import REDIRECTS_BEFORE_MOVE, Match, ParsedFeed, WatchedFeed, WatchItem
from feeds.urls import without_secrets
from feeds.watch.feeditems import join_warnings
from feeds.watch.feedurls import canonical_feed_url
from feeds.watch.matching import Matchers, delay_of, match_item
from feeds.watch.ownsite import is_own_url
from feeds.watch.parsejobs import Parsed, body_digest, parsed_answer, same_body
from feeds.watch.schedule import next_check_at
from feeds.workers import Job

if TYPE_CHECKING:
    from feeds.app import App

log = logging.getLogger("feeds.watch")


@dataclass
class FeedOutcome:
    """What checking one feed came to: a line of the round's `WatchReport`."""

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


Pending = tuple[WatchedFeed, FetchResult, Job[Parsed | str] | None]
"""A feed fetched and not yet checked: its fetch result, and its body being read in a worker (None: read here,
or nothing to read)."""


def check_batch(app: App, ready: Sequence[Pending], matchers: Matchers, *, owner: str) -> list[FeedOutcome]:
    """Check these feeds in one transaction (`Store.batch`): one commit, one fsync, for many feeds. Each feed's
    writes are a savepoint: one that fails is rolled back alone and costs that feed a failure; a commit that
    fails costs each feed of the batch a failure, recorded alone.

    The database failing (`database_failing`: its session ended, unreachable, a lock not granted in time) is no
    feed's failure: the batch is stored again once on a new connection when its session was lost (a PostgreSQL
    restart, a failover, `pg_terminate_backend`), and otherwise the error ends the round (one line in the log;
    the feeds not stored are given back, or their leases run out, and are polled again). Charged to each feed,
    it had put every feed of the batch in back-off, its items unstored, with a traceback per feed."""
    from feeds.store import database_failing, error_text, session_lost

    for attempt in (1, 2):
        outcomes: list[FeedOutcome] = []
        try:
            with app.store.batch() if _writes_more_than_once(ready) else contextlib.nullcontext():
                for feed, result, ahead in ready:
                    try:
                        outcome = check_feed(app, feed, result, matchers, owner=owner, parsed_in_advance=ahead)
                    except Exception as e:  # a bug or a database refusal met by one feed costs that feed a failure
                        if database_failing(e):  # (the batch's transaction is gone with it)
                            raise
                        outcome = _unexpected(app, feed, e, owner=owner)
                    outcomes.append(outcome)
            return outcomes
        except Exception as e:
            if not database_failing(e):  # the batch's commit failed: each feed records its failure alone
                return [_unexpected(app, feed, e, owner=owner) for feed, _, _ in ready]
            if attempt == 2 or not session_lost(e):
                raise
            log.warning(
                "the database session was lost while storing %d polled feed(s) (%s): storing them again",
                len(ready),
                one_line(error_text(e))[:200],
            )
    raise AssertionError("unreachable")  # (the second attempt returns or raises)


def _writes_more_than_once(ready: Sequence[Pending]) -> bool:
    """Whether checking `ready` takes more than one write transaction (`writing`), which a batch then joins into
    one. A lone feed whose body a worker read (or with no body to read: a 304, a failure, a body read before) is
    stored in one already (`record_fetched`, `record_check`): a batch would only wrap it in a savepoint, two more
    statements for each of the feeds a round stores one at a time as their workers finish (most of them), with
    the same outcome, since a savepoint that fails is rolled back alone as that transaction would be."""
    if len(ready) != 1:
        return True
    feed, result, ahead = ready[0]
    return ahead is None and isinstance(result, Fetched) and not same_body(feed, result)


def check_feed(
    app: App,
    feed: WatchedFeed,
    result: FetchResult,
    matchers: Matchers,
    *,
    owner: str,
    parsed_in_advance: Job[Parsed | str] | None = None,
) -> FeedOutcome:
    """Turn one fetch result into stored items, matches and the feed's new schedule and health."""
    now = app.clock()
    # (clamped: a row written before the ceiling existed may hold any number)
    interval = timedelta(seconds=clamp_interval(feed.interval))
    outcome = FeedOutcome(feed_id=feed.id, url=feed.url, status="error")
    shown = without_secrets(feed.url)  # as the log shows it: a token in its query masked
    extra = {"feed": feed.id, "url": shown}
    updated = replace(feed, last_checked=now)
    if not isinstance(result, FetchFailed) and result.url != feed.url and is_own_url(result.url, matchers.own_domains):
        # A feed that redirects to our own site would have our releases read as coverage of themselves (and a
        # permanent redirect would move the watched URL there): a failure, and the URL stays.
        error = FetchError(f"redirected to our own site ({result.url}): not read", url=feed.url)
        result = FetchFailed(url=result.url, requested_url=feed.url, error=error, fetched_at=result.fetched_at)
    if isinstance(result, FetchFailed):
        outcome.error = about_feed(result.error, feed.url)
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
            log.warning("feed %s is gone (410); disabled", shown, extra=extra)
        else:
            outcome.status = str(result.status) if result.status else "error"
            failures = feed.failures + 1
            updated = replace(
                updated,
                last_status=outcome.status,
                last_error=outcome.error,
                failures=failures,
                failing_since=feed.failing_since or now,
                next_check=next_check_at(
                    now, interval, key=feed.url, failures=failures, retry_after=result.retry_after
                ),
            )
            log.warning("feed %s failed (%d in a row): %s", shown, failures, outcome.error, extra=extra)
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
            answer = parsed_answer(app, result, parsed_in_advance)
        except Exception as e:  # a bug met by one hostile feed is that feed's failure (`_parse_failure`)
            outcome.status, outcome.error = "parse-error", _parse_failure(e, feed.url, shown, extra)
            failures = feed.failures + 1
            updated = replace(
                updated,
                last_status="parse-error",
                last_error=outcome.error,
                failures=failures,
                failing_since=feed.failing_since or now,
                next_check=next_check_at(now, interval, key=feed.url, failures=failures),
                body_digest=None,
            )
            app.store.record_check(_track_redirect(updated, result.permanent_redirect), owner=owner)
            return outcome
        parsed = answer.feed
        warning = join_warnings(parsed.warning, dated_ahead(parsed.items, now))
        outcome.status = str(result.status)
        # A body cut short (the server stopped writing): its validators stand for the whole document, and a 304 to
        # them would leave the rest unread until the feed changed; its digest would skip the next read of it. None
        # is kept, so the next poll asks unconditionally and reads the whole feed. (Not those of the last whole
        # read either: a 304 to them would leave this read's "no element found" standing on a feed that is whole.)
        whole = not answer.cut
        updated = replace(
            updated,
            title=feed.title if feed.title_given else parsed.title or feed.title,
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
        failing_since=None,
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
            "feed %s: %d new item(s), %d new match(es)", shown, outcome.new_items, outcome.new_matches, extra=extra
        )
    return outcome


def about_feed(error: FetchError | FeedParseError, url: str) -> str:
    """What went wrong with the feed at `url`, as its row (`last_error`), `watch poll` and the log show it beside
    that URL: the error without it ('the server answered 500', not 'https://x/feed: the server answered 500'). One
    about another address (a redirect's next hop) still names that, a secret in its query masked."""
    return error.message if error.url == url else without_secrets(str(error))


def _parse_failure(error: Exception, url: str, shown: str, extra: dict[str, object]) -> str:
    """What reading the feed's body came to, for its row: a FeedParseError says what is wrong with the feed (a
    warning in the log); any other exception (a KeyError, a RecursionError, a MemoryError in a reader) is a bug met
    by this body, named by its type on the row, its traceback logged once at ERROR (a worker's included)."""
    if isinstance(error, FeedParseError):
        message = about_feed(error, url)
        log.warning("feed %s: %s", shown, message, extra=extra)
        return message
    log.error("feed %s: unexpected error while reading it", shown, exc_info=error, extra=extra)
    first = (str(error).strip().splitlines() or [""])[0][:200]
    return f"unexpected error while reading this feed: {type(error).__name__}" + (f": {first}" if first else "")


def _unexpected(app: App, feed: WatchedFeed, error: Exception, *, owner: str) -> FeedOutcome:
    """Record an unexpected error while checking `feed` as one of its failures (backed off like any other), so
    that the other feeds of the run are still checked and this one is not retried at once for ever."""
    import sqlalchemy as sa

    from feeds.store import error_text

    message = f"unexpected error while storing this feed: {one_line(error_text(error))[:300]}"
    if isinstance(error, sa.exc.DBAPIError):  # the database refused (a permission, a constraint): no traceback
        log.error("feed %s: %s", without_secrets(feed.url), message, extra={"feed": feed.id})
    else:  # a bug: the traceback helps
        log.exception(
            "feed %s: unexpected error while storing what it served", without_secrets(feed.url), extra={"feed": feed.id}
        )
    now = app.clock()
    failures = feed.failures + 1
    interval = timedelta(seconds=clamp_interval(feed.interval))
    failed = replace(
        feed,
        last_checked=now,
        last_status="error",
        last_error=message,
        failures=failures,
        failing_since=feed.failing_since or now,
        next_check=next_check_at(now, interval, key=feed.url, failures=failures),
        body_digest=None,
    )
    try:
        app.store.record_check(failed, owner=owner)
    except Exception:  # the database itself is failing: the lease runs out and the feed is checked again later
        log.exception(
            "feed %s: could not record the failure either", without_secrets(feed.url), extra={"feed": feed.id}
        )
    return FeedOutcome(feed_id=feed.id, url=feed.url, status="error", error=message)


AHEAD_NOTED = timedelta(hours=1)
"""How far ahead of the check an item's date must be for the feed's row to note it (`dated_ahead`): less is a
server's clock running fast, or a post published as it was read."""


def dated_ahead(items: Sequence[WatchItem], now: datetime) -> str | None:
    """A note for the feed's row (`watch show`'s "parse warning") when items are dated ahead of the check: a CMS's
    default of 2099, a year mistyped, local time written as UTC. Each is dated when first seen (`_item_row` in
    `feeds.store.items`), which the note says, with the furthest date the feed gave, so that its editors can be
    told what to fix."""
    limit = now + AHEAD_NOTED
    ahead = [d for it in items if (d := it.published) is not None and d > limit]
    if not ahead:
        return None
    return f"{len(ahead)} item(s) dated ahead of the check (up to {rfc3339(max(ahead))}): dated when first seen"


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
        log.info(
            "feed %s moved permanently to %s (seen %d times)",
            without_secrets(feed.url),
            without_secrets(target),
            count,
            extra={"feed": feed.id},
        )
        return replace(feed, url=target, redirect_url=None, redirect_count=0, etag=None, last_modified=None)
    return replace(feed, redirect_url=target, redirect_count=count)
