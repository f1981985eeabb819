"""What publishing has put out of each feed (`published_feeds`, migration 19), kept for the publishes after it.

Two promises to subscribers rest on it: a feed's `updated` never goes back (a reader that re-reads a feed only when
that moves on took one that went back as stale), and a topic's feeds and page (an organisation's feeds), once
published, keep answering when it has no release left (an address that turns to 404 makes readers show errors
or drop it).

It also keeps how the publishes, ingests and watch polls went (`publish_outcome`, migration 27, a row per job):
when one last worked, and since when they fail, whoever ran them (a daemon, `feeds publish` or `feeds ingest` from
cron) on whichever machine, for `feeds status`.

What this module must not do: decide what a feed's `updated` or a topic's name is (that is `feeds.publish`); it
keeps what it is given, never letting a stored `updated` go back, whoever writes (several daemons may publish).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa

from feeds.model import PublishedFeed
from feeds.store.bulk import dialect_insert
from feeds.store.schema import publish_outcome as PO
from feeds.store.schema import published_feeds as PF
from feeds.store.tx import writing

RecordedJob = Literal["publish", "ingest", "poll"]
"""The runs whose outcome is kept (`publish_outcome.job`): a publish, an ingest round (every source), a watch poll
round, by a daemon's job or a command (`feeds publish`, `feeds ingest`, `feeds watch poll`)."""


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """How a job's runs went, by any process on any machine: the last that worked, and the failures since."""

    succeeded_at: datetime | None = None
    succeeded_by: str | None = None
    failing_since: datetime | None = None
    """The first run that failed after the last that worked (None: the last one worked)."""
    last_error: str | None = None
    failed_by: str | None = None


class PublishedFeedsMixin:
    engine: sa.Engine

    def published_feeds(self) -> dict[str, PublishedFeed]:
        """Every feed published so far, by key."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(PF.c.key, PF.c.updated, PF.c.name).order_by(PF.c.key)).all()
        return {key: PublishedFeed(key, updated, name) for key, updated, name in rows}

    def published_feeds_state(self) -> tuple[int, datetime | None]:
        """(how many feeds are recorded, when the newest was first published): changes whenever one is added or
        forgotten (both at once too: the one added is the newest), not when a publish moves one on. A daemon reads
        it at every watch tick, to publish once a feed is forgotten (`feeds topics forget`)."""
        q = sa.select(sa.func.count(), sa.func.max(PF.c.first_published))
        with self.engine.connect() as conn:
            count, newest = conn.execute(q).one()
        return int(count), newest

    def keep_published_feeds(self, feeds: Mapping[str, PublishedFeed], now: datetime) -> int:
        """Record what a publish put out: a feed's `updated` only ever moves forward (a lower one, from a daemon
        that read the store before another published, is ignored); its name is replaced unless the new record has
        none. How many feeds were recorded."""
        if not feeds:
            return 0
        rows = [
            {"key": f.key, "updated": f.updated, "name": f.name, "first_published": now, "changed_at": now}
            for f in sorted(feeds.values(), key=lambda f: f.key)
        ]
        with writing(self.engine) as conn:
            insert = dialect_insert(conn.dialect.name, PF)
            new = insert.excluded
            stmt = insert.on_conflict_do_update(
                index_elements=[PF.c.key],
                set_={
                    "updated": sa.case((new.updated > PF.c.updated, new.updated), else_=PF.c.updated),
                    "name": sa.func.coalesce(new.name, PF.c.name),
                    "changed_at": new.changed_at,
                },
            )
            conn.execute(stmt, rows)
        return len(rows)

    def forget_published_feed(self, key: str) -> bool:
        """Forget feed `key` (a topic or organisation feed published by mistake): the next publish no longer keeps
        it when it has no release. Whether it was recorded."""
        with writing(self.engine) as conn:
            return conn.execute(sa.delete(PF).where(PF.c.key == key)).rowcount > 0

    def outcome(self, job: RecordedJob) -> RunOutcome:
        """How `job`'s runs went (nothing recorded: none has run since it was first recorded)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(PO).where(PO.c.job == job)).first()
        if row is None:
            return RunOutcome()
        return RunOutcome(row.succeeded_at, row.succeeded_by, row.failing_since, row.last_error, row.failed_by)

    def record_outcome(self, job: RecordedJob, now: datetime, by: str, error: str | None = None) -> None:
        """A run of `job` by `by` (`host:pid`) ended at `now`: well (`error` None: no longer failing), or with
        `error` (one line): failing since the first failure after the last run that worked, whatever the latest
        one says."""
        with writing(self.engine) as conn:
            if error is None:
                values = {
                    "succeeded_at": now,
                    "succeeded_by": by,
                    "failing_since": None,
                    "last_error": None,
                    "failed_by": None,
                }
                insert = dialect_insert(conn.dialect.name, PO).values(job=job, **values)
                conn.execute(insert.on_conflict_do_update(index_elements=[PO.c.job], set_=values))
                return
            insert = dialect_insert(conn.dialect.name, PO).values(
                job=job, failing_since=now, last_error=error, failed_by=by
            )
            since = sa.func.coalesce(PO.c.failing_since, insert.excluded.failing_since)
            set_ = {"failing_since": since, "last_error": insert.excluded.last_error, "failed_by": by}
            conn.execute(insert.on_conflict_do_update(index_elements=[PO.c.job], set_=set_))
