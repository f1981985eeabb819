"""The record of a press officer's dismissals (`feeds matches dismiss`), kept apart from the items they were made on.

A dismissal is a judgement on an article for a rule or a release, and the item row it was made on can go: a
watched feed removed (`feeds watch remove`) takes its items and their matches with it. So each dismissal is also a
row of `dismissals`: its rule's name or release's id, and the article as the item gave it (link, guid, key, its
feed's address), with the item's title and feed's name to show while no item is stored, and when, why and by whom.
A match stored later for the same rule or release and article (the feed added again, the article coming through
another feed, another kind of match) is dismissed as it is stored, from this record (`dismiss_like_siblings`):
one indexed lookup by subject, made only by a poll that stores matches, as the lookup of dismissed matches was.

The article is `feeds.articles.item_article`'s, worked out whenever a record is read (so a wrapper or tracking
parameter recognised by a later version applies to records kept before, as to items), with one difference: an
item with no web address of its own is known by its feed's address and its key rather than its feed's id, which a
feed removed and added again does not keep (`kept_article`).

Written only inside a transaction that holds off match writers (`hold_off_match_writers`: dismissing, restoring,
adding by hand), or by one that takes a release down for good, or adopts a rule's dismissals; read by the poll
after its INSERT of matches, so the lock that orders a dismissal and a poll's copy orders this record too.

What this module must not do: decide what matches, find which match a person named (`feeds.watch.curate`), or
prune a record (nothing but a restore or a takedown removes one: retention never does).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from feeds.articles import item_article
from feeds.errors import NotFoundError
from feeds.store.schema import dismissals as D
from feeds.store.schema import items as I
from feeds.store.schema import matches as M
from feeds.store.schema import watched_feeds as WF
from feeds.store.tx import writing


def side(kind: str) -> str:
    """What a match is of: a keyword rule's (`rule`) or a release's (`release`: related, pickup, manual)."""
    return "rule" if kind == "keyword" else "release"


def kept_article(feed_url: str, key: str, link: str | None, guid: str | None) -> str:
    """The article an item is a copy of, as a dismissal record keeps it: `item_article`'s (`url:` and the article's
    key, the same in any feed), or for an item with no web address, its key in the feed at `feed_url` (a feed
    removed and added again is a new row with a new id, but the same address and the same items)."""
    found = item_article(0, key, link, guid)
    return found if found.startswith("url:") else f"item:{feed_url}\n{key}"


@dataclass(frozen=True, slots=True)
class Dismissal:
    """A dismissal as recorded: of a rule (`side` `rule`, `subject` its name) or a release (`release`, its id),
    made on the match of `kind` of the item `title` (`link`) that the feed `feed_title` (`feed_url`) carried."""

    side: str
    subject: str
    kind: str
    feed_url: str
    feed_title: str
    key: str
    link: str | None
    guid: str | None
    title: str
    dismissed_at: datetime
    dismiss_reason: str | None
    curated_by: str | None

    @property
    def article(self) -> str:
        return kept_article(self.feed_url, self.key, self.link, self.guid)

    @property
    def of(self) -> tuple[str, str, str]:
        """What it dismisses: (side, subject, article)."""
        return self.side, self.subject, self.article


_COLUMNS: tuple[Any, ...] = (D.c.side, D.c.subject, D.c.kind, D.c.feed_url, D.c.feed_title, D.c.item_key, D.c.link)
_COLUMNS += (D.c.guid, D.c.title, D.c.dismissed_at, D.c.dismiss_reason, D.c.curated_by)


def _dismissal(r: Any) -> Dismissal:
    return Dismissal(
        r.side, r.subject, r.kind, r.feed_url, r.feed_title, r.item_key, r.link, r.guid, r.title, r.dismissed_at,
        r.dismiss_reason, r.curated_by,
    )  # fmt: skip


_OF_SUBJECTS = (
    sa.select(*_COLUMNS, D.c.id).where(D.c.subject.in_(sa.bindparam("subjects", expanding=True))).order_by(D.c.id)
)
"""Built once, the subjects an expanding parameter: it runs for every polled feed that stores matches, and built
per call SQLAlchemy coerced each subject into a literal and derived a cache key for it."""


def dismissals_of(conn: sa.Connection, subjects: Iterable[str]) -> dict[tuple[str, str, str], Dismissal]:
    """The recorded dismissals of `subjects` (rules' names, releases' ids), by what they dismiss (the earliest of
    several for one article): one query on the index of their subjects."""
    found: dict[tuple[str, str, str], Dismissal] = {}
    for r in conn.execute(_OF_SUBJECTS, {"subjects": list(set(subjects))}):
        d = _dismissal(r)
        found.setdefault(d.of, d)
    return found


_ITEM_COLUMNS: tuple[Any, ...] = (M.c.id, M.c.kind, M.c.subject, I.c.key, I.c.link, I.c.guid, I.c.title)
_ITEM_COLUMNS += (WF.c.url.label("feed_url"), WF.c.title.label("feed_title"))


def match_rows(conn: sa.Connection, ids: Sequence[int]) -> list[Any]:
    """The matches `ids` with what a record keeps of their items and feeds (`feed_url`, `feed_title`)."""
    q = sa.select(*_ITEM_COLUMNS).join(I, I.c.id == M.c.item_id).join(WF, WF.c.id == I.c.feed_id)
    return [r for start in range(0, len(ids), 500) for r in conn.execute(q.where(M.c.id.in_(ids[start : start + 500])))]


def of_row(r: Any) -> tuple[str, str, str]:
    """What a row of `match_rows` is a match of: (side, subject, article as records keep it)."""
    return side(r.kind), r.subject, kept_article(r.feed_url, r.key, r.link, r.guid)


def forget_in(conn: sa.Connection, wanted: set[tuple[str, str, str]]) -> int:
    """Delete the records of what `wanted` names ((side, subject, article)); returns how many went."""
    if not wanted:
        return 0
    q = sa.select(*_COLUMNS, D.c.id).where(D.c.subject.in_({s for _, s, _ in wanted}))
    gone = [r.id for r in conn.execute(q) if _dismissal(r).of in wanted]
    for start in range(0, len(gone), 500):
        conn.execute(D.delete().where(D.c.id.in_(gone[start : start + 500])))
    return len(gone)


def record_in(conn: sa.Connection, ids: Sequence[int], now: datetime, *, by: str | None, reason: str | None) -> None:
    """Record the dismissal of the matches `ids` just dismissed (the one named first): one record per rule or
    release and article, from its first match, replacing one kept for it before."""
    first: dict[tuple[str, str, str], Any] = {}
    order = {match_id: n for n, match_id in enumerate(ids)}
    for r in sorted(match_rows(conn, ids), key=lambda r: order[r.id]):
        first.setdefault(of_row(r), r)
    forget_in(conn, set(first))
    rows = [
        {
            "side": side(r.kind),
            "subject": r.subject,
            "kind": r.kind,
            "feed_url": r.feed_url,
            "feed_title": r.feed_title,
            "item_key": r.key,
            "link": r.link,
            "guid": r.guid,
            "title": r.title,
            "dismissed_at": now,
            "dismiss_reason": reason,
            "curated_by": by,
        }
        for r in first.values()
    ]
    if rows:
        conn.execute(D.insert(), rows)


def rename_rule_in(conn: sa.Connection, name: str, others: Sequence[str]) -> None:
    """Rule `name`, just added, takes the records kept under `others` (the same name but for case or spelling)."""
    conn.execute(D.update().where(D.c.side == "rule", D.c.subject.in_(list(others))).values(subject=name))


def kept_rule_names(conn: sa.Connection) -> list[str]:
    """The rules' names dismissals are recorded under (rules of now and of before)."""
    q = sa.select(D.c.subject).where(D.c.side == "rule").distinct()
    return [str(s) for s in conn.execute(q).scalars()]


def forget_release_in(conn: sa.Connection, release_id: str) -> None:
    """A release taken down for good takes its recorded dismissals with it."""
    conn.execute(D.delete().where(D.c.side == "release", D.c.subject == release_id))


class DismissalStoreMixin:
    """Mixed into `Store`; relies on its `engine`."""

    engine: sa.Engine

    def kept_dismissals(self, *, side: str | None = None, subject: str | None = None) -> list[Dismissal]:
        """The recorded dismissals no stored match shows (the feeds that carried the article were removed), of
        `side` and `subject` when given, the latest first: what `matches list --dismissed` adds to the dismissed
        matches. Read by a press officer's command only."""
        q = sa.select(*_COLUMNS, D.c.id).order_by(D.c.dismissed_at.desc(), D.c.id.desc())
        if side is not None:
            q = q.where(D.c.side == side)
        if subject is not None:
            q = q.where(D.c.subject == subject)
        with self.engine.connect() as conn:
            records = [_dismissal(r) for r in conn.execute(q)]
            if not records:
                return []
            stored = sa.select(*_ITEM_COLUMNS).join(I, I.c.id == M.c.item_id).join(WF, WF.c.id == I.c.feed_id)
            stored = stored.where(M.c.dismissed_at.is_not(None), M.c.subject.in_({d.subject for d in records}))
            shown = {of_row(r) for r in conn.execute(stored)}
        kept: dict[tuple[str, str, str], Dismissal] = {}
        for d in records:
            if d.of not in shown:
                kept.setdefault(d.of, d)
        return list(kept.values())

    def restore_kept(self, kind_side: str, subject: str, url: str, now: datetime, *, by: str | None) -> list[Dismissal]:
        """Undo the dismissals recorded for the article at `url` as a match of `subject` (`kind_side`: `rule` or
        `release`) that no stored match showed when it was named (its feeds removed): a copy stored from now on is
        published. Returns those undone; a `NotFoundError` when there is none. In one transaction that holds off
        match writers, as a restore: a copy a poll stored (dismissed) just before it took the lock is restored
        with it, as `restore_matches` restores copies."""
        from feeds.store.curation import hold_off_match_writers

        wanted = (kind_side, subject, item_article(0, "", url, None))
        with writing(self.engine) as conn:
            hold_off_match_writers(conn)
            found = [d for d in dismissals_of(conn, [subject]).values() if d.of == wanted]
            if not found:
                raise NotFoundError(f"no dismissal of {kind_side} {subject} is recorded for {url}")
            forget_in(conn, {wanted})
            stored = sa.select(M.c.id).where(M.c.subject == subject, M.c.dismissed_at.is_not(None))
            copies = [r.id for r in match_rows(conn, list(conn.execute(stored).scalars())) if of_row(r) == wanted]
            for start in range(0, len(copies), 500):
                conn.execute(
                    M.update()
                    .where(M.c.id.in_(copies[start : start + 500]))
                    .values(dismissed_at=None, dismiss_reason=None, curated_by=by, curated_at=now)
                )
        return found
