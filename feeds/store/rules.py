"""Store operations on keyword rules, and the record of what has been applied to the stored items: the rules
(`applied_at`), the releases looked for among them (`related_applied`) and the related settings the stored
matches were made with (`watch_settings`).

A rule's name, that name but for case, and its feed folder (`rule_slug`) are each unique in the database, so two
adding the same at once cannot both succeed. Removing a rule removes its matches, but for those a press officer
dismissed (kept for the name: `feeds.store.curation`); a rule the config no longer lists keeps them, as history,
until `remove_former_rule_matches`.

What this module must not do: read or run a rule's query (`feeds.watch.query` and `feeds.watch.match` do), nor
decide what is to be applied again (`feeds.watch.retro` does; this records what it has done).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from feeds.errors import ExistsError, NotFoundError
from feeds.model import Rule
from feeds.normalise.ids import rule_clash, rule_keys, rule_slug
from feeds.store.bulk import insert_ignoring_conflicts
from feeds.store.curation import hold_off_match_writers
from feeds.store.dismissals import kept_rule_names, rename_rule_in
from feeds.store.matches import LIVE
from feeds.store.rows import chunks, record_from
from feeds.store.schema import matches as M
from feeds.store.schema import related_applied as RA
from feeds.store.schema import rules as RU
from feeds.store.schema import watch_settings as WS
from feeds.store.tx import writing


def _rule_from(row: Any) -> Rule:
    return record_from(Rule, row)


def _clash(name: str, other: str) -> str:
    """Why rule `name` cannot be added beside the stored rule `other` (see `add_rule`)."""
    if other == name:
        return f"a rule named {name!r} exists already (remove it first, or pick another --name)"
    if rule_clash(name, other) == "case":
        return f"a rule named {other!r} exists already, the same name but for case"
    return (
        f"rule {other!r} publishes its matches at matches/rules/{rule_slug(other)}/ already, and so would {name!r}: "
        "pick another --name"
    )


class RuleStoreMixin:
    """Mixed into `Store`; relies on its `engine`."""

    engine: sa.Engine

    def add_rule(self, name: str, query: str, *, origin: str, now: datetime) -> Rule:
        """Add a rule; ExistsError when one has its name, the same name but for case, or the same feed folder
        (`rule_slug`): the database holds all three unique, so two adding at once cannot both succeed."""
        folded, slug = rule_keys(name)
        with writing(self.engine) as conn:  # (ON CONFLICT DO NOTHING: see add_feed)
            added = conn.execute(
                insert_ignoring_conflicts(conn.dialect, RU)
                .values(name=name, query=query, origin=origin, created_at=now, updated_at=now, folded=folded, slug=slug)
                .returning(RU.c.name)
            ).first()
            if added is None:
                clash = sa.or_(RU.c.name == name, RU.c.folded == folded, RU.c.slug == slug)
                other = conn.execute(sa.select(RU.c.name).where(clash).order_by(RU.c.name != name)).scalar()
            else:
                _adopt_dismissals(conn, name)
        if added is None:
            raise ExistsError(_clash(name, other) if other is not None else f"rule {name!r} could not be added")
        return self.rule(name)

    def import_rule(self, name: str, query: str, *, origin: str, now: datetime) -> tuple[Rule, bool]:
        """Idempotent add for config imports: (rule, changed). A rule from the same origin takes the new query
        (and will be re-applied); a rule with that name from elsewhere is left as it is."""
        try:
            return self.add_rule(name, query, origin=origin, now=now), True
        except ExistsError:
            pass
        current = self.rule(name)
        if current.origin == origin and current.query != query:
            return self.change_rule(name, query, now=now), True
        return current, False

    def import_rules(
        self,
        *,
        add: Sequence[tuple[str, str]] = (),
        change: Sequence[tuple[str, str]] = (),
        remove: Sequence[str] = (),
        origin: str,
        now: datetime,
    ) -> int:
        """Add rules (name, query) from `origin`, give rules new queries (to be applied again, as `change_rule`'s)
        and remove rules with their matches (as `remove_rule`), in ONE transaction: a file of rules is imported
        whole or not at all. ExistsError when a rule to add clashes with one stored meanwhile, NotFoundError when
        one to change went meanwhile; nothing is written then. Returns the matches removed with the rules."""
        gone = 0
        with writing(self.engine) as conn:
            # The names dismissals are kept under, looked up once for the whole file: a rule added takes them only
            # when it clashes with one (nearly never), so `_adopt_dismissals`' queries are made for those alone.
            kept = {k for s in _dismissed_names(conn) for k in rule_keys(s)}
            for name, query in add:
                folded, slug = rule_keys(name)
                added = conn.execute(
                    insert_ignoring_conflicts(conn.dialect, RU)
                    .values(
                        name=name, query=query, origin=origin, created_at=now, updated_at=now, folded=folded, slug=slug
                    )
                    .returning(RU.c.name)
                ).first()
                if added is None:
                    clash = sa.or_(RU.c.name == name, RU.c.folded == folded, RU.c.slug == slug)
                    other = conn.execute(sa.select(RU.c.name).where(clash).order_by(RU.c.name != name)).scalar()
                    raise ExistsError(_clash(name, other) if other is not None else f"rule {name!r} could not be added")
                if not kept.isdisjoint((folded, slug)):
                    _adopt_dismissals(conn, name)
            for name, query in change:
                values = {"query": query, "updated_at": now, "applied_at": None}
                if not conn.execute(RU.update().where(RU.c.name == name).values(**values)).rowcount:
                    raise NotFoundError(f"no keyword rule named {name!r} (removed meanwhile?)")
            for name in remove:
                gone += conn.execute(M.delete().where(M.c.kind == "keyword", M.c.subject == name, LIVE)).rowcount or 0
                conn.execute(RU.delete().where(RU.c.name == name))
        return gone

    def change_rule(self, name: str, query: str, *, now: datetime) -> Rule:
        """Give rule `name` a new query, to be applied again (`feeds.watch.retro.apply_new_rules`: the matches it
        no longer makes go, the items of the retro window are searched with it). NotFoundError when there is no
        such rule."""
        with writing(self.engine) as conn:
            changed = conn.execute(
                RU.update().where(RU.c.name == name).values(query=query, updated_at=now, applied_at=None)
            ).rowcount
        if not changed:
            raise NotFoundError(f"no keyword rule named {name!r} (see `feeds keywords list`)")
        return self.rule(name)

    def rule(self, name: str) -> Rule:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(RU).where(RU.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"no keyword rule named {name!r} (see `feeds keywords list`)")
        return _rule_from(row)

    def rules(self) -> list[Rule]:
        with self.engine.connect() as conn:
            return [_rule_from(r) for r in conn.execute(sa.select(RU).order_by(RU.c.name))]

    def remove_rule(self, name: str) -> tuple[Rule, int]:
        """Delete a rule and its matches (kept, they would count for the next rule given that name): (the rule,
        how many matches went). Its dismissed matches stay (`feeds.store.curation`): a press officer's judgement
        on an article for that name, which the rule added again under it meets, listed and restorable meanwhile."""
        rule = self.rule(name)
        with writing(self.engine) as conn:
            gone = conn.execute(M.delete().where(M.c.kind == "keyword", M.c.subject == name, LIVE)).rowcount or 0
            conn.execute(RU.delete().where(RU.c.name == name))
        return rule, gone

    def remove_former_rule_matches(self, name: str) -> int:
        """Delete the keyword matches of `name` when no rule has that name (a rule deleted from the config keeps
        its matches, as history, until this); returns how many went. Its dismissed ones stay, as `remove_rule`'s."""
        with writing(self.engine) as conn:
            if conn.execute(sa.select(RU.c.name).where(RU.c.name == name)).first() is not None:
                return 0
            return conn.execute(M.delete().where(M.c.kind == "keyword", M.c.subject == name, LIVE)).rowcount or 0

    def former_rule_names(self, *, dismissed: bool = False) -> list[str]:
        """The names of former rules, sorted: the subjects of keyword matches that no rule has (a rule deleted
        from the config keeps its matches until `remove_former_rule_matches`; dismissed ones, kept for good, do not
        make one). With `dismissed`, the names of the rules gone whose dismissals are kept instead (as dismissed
        matches, or recorded only: `feeds.store.dismissals`). One query, however many matches (two with
        `dismissed`)."""
        current = sa.select(RU.c.name).where(RU.c.name == M.c.subject).exists()
        state = M.c.dismissed_at.is_not(None) if dismissed else LIVE
        q = sa.select(M.c.subject).where(M.c.kind == "keyword", ~current, state).distinct()
        with self.engine.connect() as conn:
            names = {str(name) for name in conn.execute(q).scalars()}
            if dismissed:
                rules = set(conn.execute(sa.select(RU.c.name)).scalars())
                names |= set(kept_rule_names(conn)) - rules
        return sorted(names)

    def rules_state(self) -> tuple[int, datetime | None, datetime | None]:
        """(how many rules, the last change, the last application): changes whenever a rule is added, changed,
        applied or removed (which may remove matches)."""
        q = sa.select(sa.func.count(), sa.func.max(RU.c.updated_at), sa.func.max(RU.c.applied_at))
        with self.engine.connect() as conn:
            count, changed, applied = conn.execute(q).one()
        return int(count), changed, applied

    def mark_rules_applied(self, names: Iterable[str], now: datetime) -> None:
        with writing(self.engine) as conn:
            conn.execute(RU.update().where(RU.c.name.in_(list(names))).values(applied_at=now))

    def releases_applied(self, ids: Iterable[str]) -> dict[str, str]:
        """Of these release ids, those already looked for among stored items: id → what was recorded then (the
        release's content hash and score scale, `feeds.watch.retro`)."""
        wanted = sorted(set(ids))
        found: dict[str, str] = {}
        with self.engine.connect() as conn:
            for chunk in chunks(wanted, 500):
                q = sa.select(RA.c.release_id, RA.c.content_hash).where(RA.c.release_id.in_(chunk))
                found.update((row[0], row[1]) for row in conn.execute(q))
        return found

    def mark_releases_applied(self, hashes: Mapping[str, str], now: datetime) -> None:
        """Record that these releases (id → content hash and score scale) have been looked for among stored
        items."""
        if not hashes:
            return
        rows = [{"release_id": i, "content_hash": h, "applied_at": now} for i, h in sorted(hashes.items())]
        with writing(self.engine) as conn:
            conn.execute(RA.delete().where(RA.c.release_id.in_(list(hashes))))
            # (another daemon may record the same release between these two statements: its row stands)
            conn.execute(insert_ignoring_conflicts(conn.dialect, RA), rows)

    def settings_fingerprint(self, name: str) -> str | None:
        """The fingerprint recorded of the settings called `name` (`related`: what decides related and pickup
        matches, `feeds.watch.retro`) that the stored matches were made with; None when none is recorded yet."""
        with self.engine.connect() as conn:
            found: str | None = conn.execute(sa.select(WS.c.fingerprint).where(WS.c.name == name)).scalar()
        return found

    def record_settings_fingerprint(self, name: str, fingerprint: str, now: datetime) -> None:
        """Record that the stored matches are now those the settings called `name` (`fingerprint`) make."""
        with writing(self.engine) as conn:
            conn.execute(WS.delete().where(WS.c.name == name))
            # (another daemon may record the same between these two statements: its row stands)
            row = {"name": name, "fingerprint": fingerprint, "recorded_at": now}
            conn.execute(insert_ignoring_conflicts(conn.dialect, WS), [row])


def _dismissed_names(conn: sa.Connection) -> set[str]:
    """Every name dismissed matches or recorded dismissals are kept under: those `_adopt_dismissals` looks at."""
    kept = sa.select(M.c.subject).where(M.c.kind == "keyword", M.c.dismissed_at.is_not(None)).distinct()
    return set(kept_rule_names(conn)) | {str(s) for s in conn.execute(kept).scalars()}


def _adopt_dismissals(conn: sa.Connection, name: str) -> None:
    """Rule `name`, just added, takes the dismissed matches kept under a name that is the same but for case or
    spelling (`rule_clash`: a rule of that name could not stand beside it, so it is that rule again), that it meets
    them when it finds their articles, and the dismissals recorded under it (`feeds.store.dismissals`), that a
    copy stored later meets them. Two queries when there is none (nearly always)."""
    kept = sa.select(M.c.subject).where(M.c.kind == "keyword", M.c.subject != name, M.c.dismissed_at.is_not(None))
    recorded = [s for s in kept_rule_names(conn) if s != name and rule_clash(name, s)]
    if recorded:  # (under the lock a dismissal takes: a poll storing a copy meets them under the new name)
        hold_off_match_writers(conn)
        rename_rule_in(conn, name, recorded)
    others = [s for s in conn.execute(kept.distinct()).scalars() if rule_clash(name, s)]
    if not others:
        return
    theirs = M.alias("theirs")
    taken = sa.select(theirs.c.id).where(
        theirs.c.kind == "keyword", theirs.c.subject == name, theirs.c.item_id == M.c.item_id
    )
    conn.execute(
        M.update()
        .where(M.c.kind == "keyword", M.c.subject.in_(others), M.c.dismissed_at.is_not(None), ~taken.exists())
        .values(subject=name)
    )
