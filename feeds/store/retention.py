"""Store operations of housekeeping's retention: forgetting ingested files, matches and alert deliveries.

Each of these tables is a record something relies on, so each prune deletes only what nothing can need again:

- the ledger of ingested files (`ingested_files`) recognises a file committed but not yet moved out of its drop
  folder (a crash between the two, a `processed/` not writable), so its leftover is only moved, and the same
  bytes dropped under another name ("release (1).txt"), so releases known only by their file are not published
  twice. A row goes when it is old, its name is not in its source's folder now, and it is not the first file of
  its bytes (per source) whose releases, all known only by their file, are all still stored. A file dropped
  again with the same name and bytes after that is "unchanged" by its releases' own identity and content hash.
- a match feeds the match and coverage feeds and the release pages; one goes when found before the window,
  unless a delivery of it is still to be sent (its sent or failed deliveries go with it). Its item is then
  unmatched, and goes by `prune_items` when old enough; entry ids go with their items, so what stays keeps its id.
- a sent or failed delivery is what stops its match being queued again; one goes when it is old and its match
  was found before the window the alerts job still queues from (`feeds.alerts.select.ENQUEUE_WINDOW`).

What this module must not do: decide the windows (the daemon's housekeeping reads them from the settings), or
look at the file system (the caller says which names are in which folder).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from feeds.store.alerts import alert_deliveries as AD
from feeds.store.rows import chunks
from feeds.store.schema import UTCDateTime, ingested_files
from feeds.store.schema import matches as M
from feeds.store.schema import releases as R
from feeds.store.tx import writing

LF = ingested_files


class RetentionStoreMixin:
    """Pruning of the ledger, matches and deliveries; mixed into `feeds.store.Store`, which provides `engine`."""

    engine: sa.Engine

    def prune_ingested_files(
        self,
        before: datetime,
        *,
        in_folders: Mapping[str, Collection[str]],
        unlisted: Collection[str] = (),
        page: int = 1000,
    ) -> int:
        """Forget the ledger rows of files ingested before `before` that nothing can need again (see the module
        docstring); `in_folders`: source name → the names of the files in its folder now; `unlisted`: sources
        whose folder could not be listed, all of whose rows are kept. How many went.

        Read and decided a page at a time (oldest first), each page in its own short write transaction."""
        deleted = 0
        after: tuple[datetime, str, str, str] | None = None
        order = (LF.c.ingested_at, LF.c.source, LF.c.name, LF.c.sha256)
        while True:
            q = sa.select(*order, LF.c.release_ids).where(LF.c.ingested_at < before)
            if unlisted:
                q = q.where(LF.c.source.not_in(sorted(unlisted)))
            if after is not None:
                q = q.where(sa.tuple_(*order) > sa.tuple_(sa.literal(after[0], UTCDateTime()), *after[1:]))
            with writing(self.engine) as conn:
                rows = conn.execute(q.order_by(*order).limit(page)).all()
                if not rows:
                    return deleted
                after = (rows[-1][0], rows[-1][1], rows[-1][2], rows[-1][3])
                candidates = [r for r in rows if r.name not in in_folders.get(r.source, ())]
                needed = _anchors(conn, candidates)
                gone = [(r.source, r.name, r.sha256) for r in candidates if (r.source, r.name, r.sha256) not in needed]
                for chunk in chunks(gone, 300):
                    keys = sa.tuple_(LF.c.source, LF.c.name, LF.c.sha256).in_(list(chunk))
                    deleted += int(conn.execute(LF.delete().where(keys)).rowcount or 0)
            if len(rows) < page:
                return deleted

    def prune_matches(self, before: datetime) -> int:
        """Delete the matches found before `before`, with their sent and failed deliveries, except those with a
        delivery still pending (it is sent first) and those a press officer dismissed (their record, and what
        keeps them from being found again: `feeds.store.curation`). How many matches went."""
        pending = sa.select(AD.c.id).where(AD.c.match_id == M.c.id, AD.c.status == "pending").exists()
        old = sa.select(M.c.id).where(M.c.found_at < before, ~pending, M.c.dismissed_at.is_(None))
        with writing(self.engine) as conn:
            conn.execute(AD.delete().where(AD.c.match_id.in_(old), AD.c.status != "pending"))
            gone = M.delete().where(M.c.found_at < before, ~pending, M.c.dismissed_at.is_(None))
            return int(conn.execute(gone).rowcount or 0)

    def prune_deliveries(self, before: datetime, *, found_before: datetime) -> int:
        """Delete the sent, failed and cancelled deliveries last attempted (a cancelled one: queued) before `before`
        whose match was found before `found_before` (never queued again: see the module docstring). Pending ones
        stay. How many went."""
        settled = sa.func.coalesce(AD.c.sent_at, AD.c.last_attempt, AD.c.queued_at)
        old_matches = sa.select(M.c.id).where(M.c.found_at < found_before)
        q = AD.delete().where(
            AD.c.status.in_(("sent", "failed", "cancelled")), settled < before, AD.c.match_id.in_(old_matches)
        )
        with writing(self.engine) as conn:
            return int(conn.execute(q).rowcount or 0)


def _anchors(conn: sa.Connection, rows: Collection[Any]) -> set[tuple[str, str, str]]:
    """Of `rows`, those that recognise their bytes under another name (`feeds.ingest.recognise.file_twins`): the first
    file of its bytes in its source (by time ingested, then name), whose releases are all still stored and all
    known only by their file. (Releases named by `source_key`, link or slug are the same release whatever the
    file is called: the same bytes under any name find them by that name.)"""
    first: dict[tuple[str, str], tuple[datetime, str]] = {}
    for chunk in chunks(sorted({r.sha256 for r in rows}), 500):
        q = sa.select(LF.c.source, LF.c.sha256, LF.c.ingested_at, LF.c.name).where(LF.c.sha256.in_(chunk))
        for source, sha, at, name in conn.execute(q):
            if (source, sha) not in first or (at, name) < first[source, sha]:
                first[source, sha] = (at, name)
    firsts = [r for r in rows if first.get((r.source, r.sha256)) == (r.ingested_at, r.name)]
    ids = {r: json.loads(r.release_ids) for r in firsts}
    identities: dict[str, str] = {}
    for chunk in chunks(sorted({i for found in ids.values() for i in found}), 500):
        for release_id, identity in conn.execute(sa.select(R.c.id, R.c.identity).where(R.c.id.in_(chunk))):
            identities[release_id] = identity
    return {
        (r.source, r.name, r.sha256)
        for r, found in ids.items()
        if found and all(identities.get(i, "").startswith("file:") for i in found)
    }
