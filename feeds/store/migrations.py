"""The ordered, recorded migrations, and `migrate()`, which applies those a database lacks.

A migration is appended, never edited once released: version N's tables are what version N created plus what
later versions altered (the tables as they are now: `feeds.store.schema`). `migrate()` applies the missing ones in
order, each in its own transaction together with its record in `schema_migrations`; a database newer than this
code is an error rather than a guess. On PostgreSQL the run holds an advisory lock so several machines may migrate
at once. A migration that rewrites stored values uses its own frozen copy of the logic (`feeds.store.frozen`).

What this module must not do: change an applied migration (its number, name, order or what it does: a database
migrated by an older version must stay up to date), or call a live function whose later change would change what
an old migration does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from feeds.errors import MigrationError
from feeds.store.alerts import alert_deliveries, alert_destinations
from feeds.store.frozen import dns_host_18, escaped_url_part_20, rule_keys_12, watch_item_hash_13, without_email_32
from feeds.store.schema import (
    dismissals,
    entry_ids,
    host_slots,
    idempotency,
    ingested_files,
    items,
    matches,
    pictures,
    publish_outcome,
    published_feeds,
    related_applied,
    release_pictures,
    releases,
    rules,
    schema_migrations,
    source_state,
    watch_settings,
    watched_feeds,
    workers,
)


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection], None]


def _create(*tables: sa.Table) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        for t in tables:
            t.create(conn)

    return run


def _steps(*steps: Callable[[Connection], None]) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        for step in steps:
            step(conn)

    return run


def _add_column(table: sa.Table, name: str) -> Callable[[Connection], None]:
    """Add `table.c[name]` to a table an older migration created without it. A table created from the current
    definition (a new database, where the earlier migration made it) has it already, and is left alone."""

    def run(conn: Connection) -> None:
        if name in {c["name"] for c in sa.inspect(conn).get_columns(table.name)}:
            return
        column = table.c[name]
        kind = column.type.compile(dialect=conn.dialect)
        conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}")

    return run


def _add_index(table: sa.Table, name: str) -> Callable[[Connection], None]:
    """Create the index `name` of `table` on a table an older migration created without it (a new database has
    it already)."""

    def run(conn: Connection) -> None:
        if name in {i["name"] for i in sa.inspect(conn).get_indexes(table.name)}:
            return
        (index,) = (i for i in table.indexes if i.name == name)
        index.create(conn)

    return run


def _fill_rule_keys(conn: Connection) -> None:
    """Give each rule of an older database its `folded` name and `slug`, oldest rule first; a rule that shares
    one with an older rule (two added at the same moment, before the database held them apart) keeps NULL there,
    and the older one keeps the feed folder and the name. The keys are this migration's own frozen copy of
    `feeds.normalise.ids.rule_keys` (`feeds.store.frozen`), so a later change to the live one does not change what
    it does."""
    folded_taken: set[str] = set()
    slugs_taken: set[str] = set()
    for (name,) in conn.execute(sa.select(rules.c.name).order_by(rules.c.created_at, rules.c.name)).all():
        folded, slug = rule_keys_12(name)
        values = {}
        if folded not in folded_taken:
            values["folded"] = folded
        if slug not in slugs_taken:
            values["slug"] = slug
        folded_taken.add(folded)
        slugs_taken.add(slug)
        if values:
            conn.execute(rules.update().where(rules.c.name == name).values(**values))


def _drop_column(table: str, name: str) -> Callable[[Connection], None]:
    """Drop a column an older migration created (a new database, made from the current definition, has none)."""

    def run(conn: Connection) -> None:
        if name in {c["name"] for c in sa.inspect(conn).get_columns(table)}:
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {name}")

    return run


def _rehash_items(conn: Connection) -> None:
    """Each stored item's content hash as `feeds.watch.parse` now computes it (from its text, not its HTML), made
    from the stored columns, so the next check finds the unchanged items unchanged: otherwise every item would
    count as changed once, and every coverage entry would show a new update time. (An item whose date or update
    time lay ahead when it was stored kept the time it was seen instead: it counts as changed once.) The hash is
    this migration's own frozen copy of `feeds.normalise.ids.watch_item_hash` (`feeds.store.frozen`), so a later
    change to the live one does not change what it does (such a change brings a migration of its own)."""
    cols = items.c
    page = (
        sa.select(cols.id, cols.title, cols.link, cols.summary, cols.content_text, cols.author)
        .add_columns(cols.published, cols.updated, cols.dated_by_source)
        .order_by(cols.id)
        .limit(2000)
    )
    update = items.update().where(cols.id == sa.bindparam("item_id")).values(content_hash=sa.bindparam("h"))
    last = 0
    while rows := conn.execute(page.where(cols.id > last)).all():
        hashes = [
            {"item_id": r[0], "h": watch_item_hash_13(*r[1:6], *((r[6], r[7]) if r[8] else (None, None)))} for r in rows
        ]
        conn.execute(update, hashes)
        last = rows[-1][0]


def _keep_warnings(conn: Connection) -> None:
    """Migration 15: a feed whose row says its last body was read with problems keeps saying so in the new column
    (the text after `feeds.watch.check.PROBLEMS`, written alike by every version before)."""
    problems = "parsed with problems: "
    wf = watched_feeds.c
    rows = conn.execute(sa.select(wf.id, wf.last_error).where(wf.last_error.startswith(problems, autoescape=True)))
    for feed_id, error in rows.all():
        conn.execute(watched_feeds.update().where(wf.id == feed_id).values(parse_warning=error[len(problems) :]))


def _given_titles(conn: Connection) -> None:
    """Migration 30: a feed with a title has it as given (see the migration's note), one without follows its own;
    every row gets a value (a column added by ALTER TABLE has no default for the rows there)."""
    wf = watched_feeds.c
    conn.execute(watched_feeds.update().values(title_given=wf.title != ""))


def _hold_withdrawals(conn: Connection) -> None:
    """Migration 21: every release withdrawn already counts as withdrawn by hand. Which of them a press officer
    withdrew (`feeds releases withdraw`) and which their source did cannot be told apart afterwards, and a
    withdrawal made for a legal reason must not be undone by a stale copy: one the source withdrew and later
    publishes again stays withdrawn, with a warning naming `feeds releases restore`, rather than the reverse."""
    conn.execute(releases.update().where(releases.c.withdrawn_at.is_not(None)).values(withdrawn_by_hand=True))


def _note_every_withdrawal(conn: Connection) -> None:
    """Migration 22: a release stored withdrawn without a note (`withdrawn_at` alone) gets the plain notice a new
    one gets (`feeds.normalise.release.DEFAULT_WITHDRAWN_NOTE`), so that its readers are told what it means too.
    (Its content hash is left as it is: the same copy sent again is still unchanged.) The text is written out here,
    as it was when this migration was made: a migration does what it did, whatever the notice becomes later."""
    r = releases.c
    none = sa.or_(r.withdrawn_note.is_(None), r.withdrawn_note == "")
    conn.execute(
        releases.update()
        .where(r.withdrawn_at.is_not(None), none)
        .values(withdrawn_note="It should no longer be relied on.")
    )


def _dns_feed_hosts(conn: Connection) -> None:
    """Migration 18: a feed whose URL names an international host (`https://bücher.example/rss`) is stored under
    the `xn--` form of it, as `feeds.watch.feedurls.canonical_feed_url` now spells it, so that either spelling finds
    it. A feed watched under the other form already keeps its URL: the two rows are one feed, and which to keep
    (with its items and matches) is for a person to say. The spelling is this migration's own frozen copy
    (`feeds.store.frozen`), so a later change to the live one does not change what it does."""
    wf = watched_feeds.c
    rows = conn.execute(sa.select(wf.id, wf.url)).all()
    taken = {url for _, url in rows}
    for feed_id, url in rows:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host.isascii():
            continue
        try:
            netloc = parts.netloc.replace(host, dns_host_18(host), 1)
        except ValueError:
            continue
        moved = urlunsplit(parts._replace(netloc=netloc))
        if moved not in taken:
            conn.execute(watched_feeds.update().where(wf.id == feed_id).values(url=moved))
            taken.add(moved)


def _escape_feed_urls(conn: Connection) -> None:
    """Migration 20: a feed whose URL holds a space, a character other than ASCII or another that requests
    escapes before sending it (`https://example.org/news feed.xml`) is stored in the escaped form requests sends
    (`…/news%20feed.xml`), as `feeds.watch.feedurls.canonical_feed_url` now spells it: a lookup by URL, the
    config's import and an OPML import all look for that form, and would otherwise add the feed a second time
    (the config's, retiring the row that holds its items). A feed watched under the escaped form already keeps
    its URL, as in migration 18: the two rows are one feed, and which to keep is for a person to say. The
    escaping is this migration's own frozen copy (`feeds.store.frozen`), as in migration 18."""
    wf = watched_feeds.c
    rows = conn.execute(sa.select(wf.id, wf.url)).all()
    taken = {url for _, url in rows}
    for feed_id, url in rows:
        parts = urlsplit(url)
        try:
            path, query = escaped_url_part_20(parts.path), escaped_url_part_20(parts.query)
            moved = urlunsplit(parts._replace(path=path, query=query))
        except ValueError:
            continue
        if moved != url and moved not in taken:
            conn.execute(watched_feeds.update().where(wf.id == feed_id).values(url=moved))
            taken.add(moved)


def _authors_by_name(conn: Connection) -> None:
    """Migration 32: the email addresses stored with watched items' authors (RSS 2.0's `<author>` is one) taken
    out, the names kept, as `feeds.watch.feeditems` now stores them: they were republished in the coverage feeds
    and sent in alerts. The content hash stays (it is made from the author as the feed gives it), so the next
    check finds these items unchanged. The cleaning is this migration's frozen copy (`feeds.store.frozen`)."""
    cols = items.c
    rows = conn.execute(sa.select(cols.id, cols.author).where(cols.author.contains("@", autoescape=True))).all()
    changed = [{"item_id": i, "a": without_email_32(a)} for i, a in rows if without_email_32(a) != a]
    if changed:
        update = items.update().where(cols.id == sa.bindparam("item_id")).values(author=sa.bindparam("a"))
        conn.execute(update, changed)


def _keep_went_public(conn: Connection) -> None:
    """Keep the place in the archives' order of every release shown already, exactly as the order read it before
    (so no archive changes on upgrade): when it went public (first stored, or its embargo lifted: published after
    its first storing) and its publication time. Shown already: public since it was stored, or public at the last
    publish that ended well (`publish_outcome`) or by the last ingest (public then, so by now); not one withdrawn
    before its publication (never public). The rest went public after all of these, and are kept by the first
    publish that shows them, in the same place. The rule is written out here, not the store's live one."""
    r = releases
    last = conn.execute(
        sa.select(publish_outcome.c.succeeded_at).where(publish_outcome.c.job == "publish")
    ).scalar_one_or_none()
    ingested = conn.execute(sa.select(sa.func.max(r.c.last_ingested))).scalar_one()
    shown = r.c.published <= r.c.first_ingested
    for at in (last, ingested):
        if at is not None:
            shown = sa.or_(shown, r.c.published <= at)
    public = sa.or_(r.c.withdrawn_at.is_(None), r.c.withdrawn_at >= r.c.published)
    went_public = sa.case((r.c.published > r.c.first_ingested, r.c.published), else_=r.c.first_ingested)
    conn.execute(
        r.update()
        .where(shown, public, r.c.went_public.is_(None))
        .values(went_public=went_public, dated_when_public=r.c.published)
    )


def _carry_dismissals(conn: Connection) -> None:
    """Record every dismissed match of an older database as a dismissal of its own (migration 38): its rule or
    release, its kind, its item's link, guid, key and title and its feed's address and title as they are stored,
    when, why and by whom. Each copy dismissed with another is recorded too (the same article twice is one
    judgement: `feeds.store.dismissals` reads them as one). Plain SQL, no live logic: what makes two of them the
    same article is worked out whenever they are read, as for items."""
    m, i, f = matches, items, watched_feeds
    side = sa.case((m.c.kind == "keyword", sa.literal("rule")), else_=sa.literal("release"))
    found = (
        sa.select(side, m.c.subject, m.c.kind, f.c.url, f.c.title, i.c.key, i.c.link, i.c.guid, i.c.title)
        .add_columns(m.c.dismissed_at, m.c.dismiss_reason, m.c.curated_by)
        .join(i, i.c.id == m.c.item_id)
        .join(f, f.c.id == i.c.feed_id)
        .where(m.c.dismissed_at.is_not(None))
        .order_by(m.c.id)
    )
    names = ["side", "subject", "kind", "feed_url", "feed_title", "item_key", "link", "guid", "title"]
    names += ["dismissed_at", "dismiss_reason", "curated_by"]
    conn.execute(dismissals.insert().from_select(names, found))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "releases", _create(releases, idempotency, ingested_files, source_state)),
    Migration(2, "watch", _create(watched_feeds, rules, items, matches)),
    Migration(3, "alerts", _create(alert_destinations, alert_deliveries)),
    Migration(4, "workers", _create(workers)),
    Migration(5, "watched feed body digest", _add_column(watched_feeds, "body_digest")),
    Migration(6, "related applied", _create(related_applied)),
    Migration(
        7,
        "items still in their feed",
        _steps(_add_column(items, "in_body_at"), _add_column(watched_feeds, "body_read_at")),
    ),
    Migration(8, "items by content", _add_index(items, "ix_items_feed_hash")),
    Migration(9, "ingested files by bytes", _add_index(ingested_files, "ix_ingested_files_bytes")),
    Migration(10, "when an item last changed", _add_column(items, "changed_at")),
    Migration(11, "what a source's document was read with", _add_column(source_state, "read_with")),
    Migration(
        12,
        "rule names unique but for case, one feed folder per rule",
        _steps(
            _add_column(rules, "folded"),
            _add_column(rules, "slug"),
            _fill_rule_keys,
            _add_index(rules, "ux_rules_folded"),
            _add_index(rules, "ux_rules_slug"),
        ),
    ),
    Migration(13, "items as text only", _steps(_rehash_items, _drop_column("items", "content_html"))),
    # Not filled from `updated` for the releases stored already: which of those were the source's and which a time
    # we set cannot be told apart, and a guess would keep ignoring the edits this column exists for. Until a
    # release's next version is stored, an edit is never taken for an older copy (a genuinely stale copy could
    # then stand in for the newer version until that is read again); a withdrawal is still held against copies
    # dated no later than it (`reconcile`).
    Migration(14, "the source's own update time of a release", _add_column(releases, "source_updated")),
    Migration(
        15, "a feed's parse warning kept apart", _steps(_add_column(watched_feeds, "parse_warning"), _keep_warnings)
    ),
    Migration(16, "ingested files by bytes from any source", _add_index(ingested_files, "ix_ingested_files_sha256")),
    Migration(17, "match-feed entry ids as first published", _create(entry_ids)),
    Migration(18, "international feed hosts in their xn-- form", _dns_feed_hosts),
    Migration(19, "feeds as published: the highest updated, a topic's name", _create(published_feeds)),
    Migration(20, "feed URLs escaped as requests sends them", _escape_feed_urls),
    Migration(
        21,
        "withdrawals made by hand held against their source",
        _steps(_add_column(releases, "withdrawn_by_hand"), _hold_withdrawals),
    ),
    Migration(22, "a plain notice for every withdrawal stored without a note", _note_every_withdrawal),
    Migration(
        23,
        "when the log last said a remote source still lists a release withdrawn by hand",
        _add_column(source_state, "held_told"),
    ),
    Migration(
        24,
        "the related settings stored coverage was found with",
        _steps(_create(watch_settings), _add_column(matches, "quiet")),
    ),
    Migration(
        25,
        "alert destinations that refuse everything, backed off",
        _steps(
            _add_column(alert_destinations, "refused_status"),
            _add_column(alert_destinations, "refused_since"),
            _add_column(alert_destinations, "refusals"),
            _add_column(alert_destinations, "probe_at"),
        ),
    ),
    Migration(26, "requests under way per host, shared by every daemon", _create(host_slots)),
    Migration(27, "the last publish and its failures, shared by every machine", _create(publish_outcome)),
    Migration(28, "the other language version a release translates", _add_column(releases, "translation_of")),
    Migration(
        29,
        "each recipient's answer on an email delivery the server took for some of them",
        _add_column(alert_deliveries, "recipients"),
    ),
    # A title stored already is taken as given (a title the feed named itself by cannot be told apart from one
    # typed): never overridden; `feeds watch edit --title ''` hands it back to the feed. A config feed without
    # one is set right at the next import of the config.
    Migration(
        30,
        "watched feeds: whether the title was given, and since when a feed is failing",
        _steps(_add_column(watched_feeds, "title_given"), _add_column(watched_feeds, "failing_since"), _given_titles),
    ),
    # A release shown keeps its place in the order archives are cut in: worked out from `published` at every read,
    # a public release re-dated later by its source moved, and archives said to be complete changed.
    Migration(
        31,
        "each shown release's place in the archives' order, kept",
        _steps(_add_column(releases, "went_public"), _add_column(releases, "dated_when_public"), _keep_went_public),
    ),
    # Personal data we have no use for: a journalist's name is attribution, their address is not ours to keep.
    Migration(32, "watched items' authors kept by name, without email addresses", _authors_by_name),
    # A legal takedown erases a release's text and keeps a tombstone in its row (`feeds.ingest.takedown`).
    Migration(
        33,
        "releases taken down for a legal reason: when and why",
        _steps(
            _add_column(releases, "removed_at"),
            _add_column(releases, "removed_reason"),
            _add_index(releases, "ix_releases_removed_at"),
        ),
    ),
    # Pictures dropped with a release are published by whichever machine publishes: their bytes live here.
    Migration(34, "pictures dropped with their releases", _create(pictures)),
    # A corrected release dropped without the photograph sent with its first version keeps showing it.
    Migration(35, "the picture each release showed under each name", _create(release_pictures)),
    # A press officer dismisses a wrong match (kept, never found again) or adds coverage the matcher missed.
    Migration(
        36,
        "matches dismissed, restored or added by hand: when, by whom, why",
        _steps(
            _add_column(matches, "dismissed_at"),
            _add_column(matches, "dismiss_reason"),
            _add_column(matches, "curated_by"),
            _add_column(matches, "curated_at"),
            _add_index(matches, "ix_matches_dismissed_at"),
            _add_index(matches, "ix_matches_curated_at"),
        ),
    ),
    # The language a watched feed gives, kept with its items: published with their words (`lang`), listed in JSON.
    # Items stored before have none until their text changes.
    Migration(37, "watched items' language, as their feed gives it", _add_column(items, "language")),
    # A dismissal outlives the item it was made on: a watched feed removed and added again (or the article coming
    # through another feed later) meets it. Every dismissed match of an older database is carried over as it is.
    Migration(
        38, "dismissals kept apart from the items they were made on", _steps(_create(dismissals), _carry_dismissals)
    ),
)
"""Append only. Each entry's `apply` runs inside a transaction together with its record."""

LATEST = MIGRATIONS[-1].version

_PG_LOCK_KEY = 0x46454544  # "FEED": the advisory lock every `migrate` on PostgreSQL takes


def applied_versions(conn: Connection) -> set[int]:
    if not sa.inspect(conn).has_table("schema_migrations"):
        return set()
    return {row[0] for row in conn.execute(sa.select(schema_migrations.c.version))}


def _recorded(conn: Connection, version: int) -> bool:
    """Whether `version` is recorded as applied, read inside the migration's own write transaction: on SQLite (no
    advisory lock) two processes starting at once both find it missing, and the one that waited for the write
    lock finds it applied here rather than failing on the table the other made."""
    found = sa.select(schema_migrations.c.version).where(schema_migrations.c.version == version)
    return conn.execute(found).first() is not None


def migrate(engine: sa.Engine, now: datetime) -> list[Migration]:
    """Apply every missing migration in order; return those applied. Safe to run concurrently."""
    done: list[Migration] = []
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # However long another process's migration takes (or a table's lock, for an ALTER): no lock_timeout.
            conn.execute(sa.text("SET lock_timeout = 0"))
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
            conn.commit()
        try:
            with conn.begin():
                if not sa.inspect(conn).has_table("schema_migrations"):
                    schema_migrations.create(conn, checkfirst=True)
            applied = applied_versions(conn)
            conn.commit()
            newer = {v for v in applied if v > LATEST}
            if newer:
                raise MigrationError(
                    f"the database has schema version {max(newer)} but this feeds knows only up to {LATEST}: "
                    "upgrade feeds before using this database"
                )
            conn.execution_options(immediate=True)  # (SQLite: each migration takes the write lock up front)
            for m in MIGRATIONS:
                if m.version in applied:
                    continue
                try:
                    with conn.begin():
                        if _recorded(conn, m.version):
                            continue  # another process applied it while this one waited for the lock
                        m.apply(conn)
                        conn.execute(schema_migrations.insert().values(version=m.version, name=m.name, applied_at=now))
                except Exception as e:  # (a bug in a data migration too: named, rolled back, not a traceback)
                    why = str(e) if isinstance(e, sa.exc.SQLAlchemyError) else f"{type(e).__name__}: {e}"
                    raise MigrationError(f"migration {m.version} ({m.name}) failed: {why}") from e
                done.append(m)
        finally:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
                conn.execute(sa.text("RESET lock_timeout"))  # (the connection goes back to the pool)
                conn.commit()
    return done
