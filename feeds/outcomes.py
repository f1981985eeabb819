"""How the publish, ingest and watch poll rounds went, whoever ran them (a daemon's job, `feeds publish`, `feeds
ingest` or `feeds watch poll` from cron) on whichever machine: recorded in the database (`publish_outcome`, a row
per job) by the rounds themselves, read by `feeds status`.

What this module must not do: decide whether a round failed (its caller does), or let a database that refuses
the note hide the round's own result.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import TYPE_CHECKING

from feeds.clock import rfc3339
from feeds.logs import one_line

if TYPE_CHECKING:
    from feeds.app import App
    from feeds.store.published import RecordedJob

_LOGGER = {"publish": "feeds.publish", "ingest": "feeds.ingest", "poll": "feeds.watch"}
"""Whose log a note that could not be recorded goes to: the round's own."""

_UNRECORDED: weakref.WeakKeyDictionary[object, set[str]] = weakref.WeakKeyDictionary()
"""By store (a database opened by this process), the jobs whose last outcome it could not record: a daemon polling
every minute while the database is down says it once per outage (next to its own once-per-outage error for the
job), not every round."""
_UNRECORDED_LOCK = threading.Lock()


def record_run(app: App, job: RecordedJob, error: BaseException | str | None = None) -> None:
    """Record in the database how a run of `job` went (`error` None: it worked), whoever ran it, so that `feeds
    status` shows it on every machine; a database that refuses is logged, never raised: the run's own result (its
    error, or its work done) is what the caller must see."""
    import sqlalchemy as sa

    from feeds.app import worker_id
    from feeds.errors import StoreError
    from feeds.store import error_text

    why = None if error is None else one_line(str(error) or type(error).__name__)
    try:
        app.store.record_outcome(job, app.clock(), worker_id(), why)
    except (sa.exc.SQLAlchemyError, StoreError) as e:  # (its own words, without the SQL statement and its values)
        why = one_line(error_text(e))
        with _UNRECORDED_LOCK:
            unrecorded = _UNRECORDED.setdefault(app.store, set())
            first = job not in unrecorded
            unrecorded.add(job)
        logging.getLogger(_LOGGER[job]).log(
            logging.WARNING if first else logging.DEBUG,
            "could not record the %s's outcome in the database: %s%s",
            job,
            why,
            " (said once until it can be recorded again)" if first else "",
        )
        return
    with _UNRECORDED_LOCK:
        _UNRECORDED.get(app.store, set()).discard(job)


def last_failure(app: App, job: RecordedJob) -> tuple[str, str] | None:
    """(since when, why) `job`'s runs fail, by whoever ran them, if none has worked since."""
    outcome = app.store.outcome(job)
    if outcome.failing_since is None:
        return None
    return rfc3339(outcome.failing_since), outcome.last_error or "failed"
