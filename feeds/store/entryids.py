"""The ids of match-feed entries (`entry_ids`), recorded when an entry is first published, so that it keeps its id
in every later publish, in any feed, whatever its matches become.

An entry is known by what it lists (`ENTRY_KEY`): its item's link, or `<feed id>:<key>`. The ids of entries whose
item is pruned are forgotten with it (`items.py`'s `prune_items`).

What this module must not do: mint ids or decide which entries a feed lists (`feeds.publish.coverage` does); an id
recorded stays as it is, whoever records another for the same entry (several daemons may publish).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import sqlalchemy as sa

from feeds.store.bulk import insert_ignoring_conflicts
from feeds.store.rows import chunks
from feeds.store.schema import entry_ids as EI
from feeds.store.schema import items as I
from feeds.store.tx import writing

ENTRY_KEY = sa.func.coalesce(sa.func.nullif(I.c.link, ""), sa.cast(I.c.feed_id, sa.Text) + ":" + I.c.key)
"""What a match-feed entry lists, in SQL: the item's link, or `<feed id>:<key>` (`feeds.publish.coverage`'s
`_item_ref`)."""


class EntryIdStoreMixin:
    """Mixed into `Store`; relies on its `engine`."""

    engine: sa.Engine

    def entry_ids(self, entries: Iterable[str]) -> dict[tuple[str, str], str]:
        """(feed key, entry key) → the id the entry was first published with, in any feed, for the entries listing
        these items (`ENTRY_KEY`: the item's link, or `<feed id>:<key>`). See `feeds.publish.coverage.EntryIds`."""
        found: dict[tuple[str, str], str] = {}
        with self.engine.connect() as conn:
            for chunk in chunks(sorted(set(entries)), 500):
                q = sa.select(EI.c.feed, EI.c.entry, EI.c.entry_id).where(EI.c.entry.in_(chunk))
                for feed, entry, entry_id in conn.execute(q):
                    found[feed, entry] = entry_id
        return found

    def keep_entry_ids(self, minted: Mapping[tuple[str, str], str], now: datetime) -> int:
        """Record the ids of entries published for the first time, (feed key, entry key) → id; one recorded
        already (by another daemon meanwhile) stays as it is. How many were recorded."""
        if not minted:
            return 0
        rows = [{"feed": f, "entry": e, "entry_id": i, "minted_at": now} for (f, e), i in sorted(minted.items())]
        with writing(self.engine) as conn:
            return len(conn.execute(insert_ignoring_conflicts(conn.dialect, EI).returning(EI.c.entry), rows).all())
