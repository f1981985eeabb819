"""The steps of migrations that rewrite stored values (`feeds.store.migrations` lists them, in order, with the
steps that only create tables, columns and indexes).

Each is what its migration did the day it was released, and stays so: a database upgraded years later must be
changed exactly as one upgraded that day. A step that needs the logic of a live function uses its migration's own
frozen copy (`feeds.store.frozen`).

What this module must not do: change a step once its migration is released (a later migration gets a step of its
own), or call a live function whose later change would change what an old migration does.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from feeds.store.frozen import dns_host_18, escaped_url_part_20, rule_keys_12, watch_item_hash_13, without_email_32
from feeds.store.schema import (
    dismissals,
    items,
    matches,
    publish_outcome,
    releases,
    rules,
    watched_feeds,
)


def fill_rule_keys(conn: Connection) -> None:
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


def rehash_items(conn: Connection) -> None:
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


def keep_warnings(conn: Connection) -> None:
    """Migration 15: a feed whose row says its last body was read with problems keeps saying so in the new column
    (the text after `feeds.watch.check.PROBLEMS`, written alike by every version before)."""
    problems = "parsed with problems: "
    wf = watched_feeds.c
    rows = conn.execute(sa.select(wf.id, wf.last_error).where(wf.last_error.startswith(problems, autoescape=True)))
    for feed_id, error in rows.all():
        conn.execute(watched_feeds.update().where(wf.id == feed_id).values(parse_warning=error[len(problems) :]))


def given_titles(conn: Connection) -> None:
    """Migration 30: a feed with a title has it as given (see the migration's note), one without follows its own;
    every row gets a value (a column added by ALTER TABLE has no default for the rows there)."""
    wf = watched_feeds.c
    conn.execute(watched_feeds.update().values(title_given=wf.title != ""))


def hold_withdrawals(conn: Connection) -> None:
    """Migration 21: every release withdrawn already counts as withdrawn by hand. Which of them a press officer
    withdrew (`feeds releases withdraw`) and which their source did cannot be told apart afterwards, and a
    withdrawal made for a legal reason must not be undone by a stale copy: one the source withdrew and later
    publishes again stays withdrawn, with a warning naming `feeds releases restore`, rather than the reverse."""
    conn.execute(releases.update().where(releases.c.withdrawn_at.is_not(None)).values(withdrawn_by_hand=True))


def note_every_withdrawal(conn: Connection) -> None:
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


def dns_feed_hosts(conn: Connection) -> None:
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


def escape_feed_urls(conn: Connection) -> None:
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


def authors_by_name(conn: Connection) -> None:
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


def keep_went_public(conn: Connection) -> None:
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


def carry_dismissals(conn: Connection) -> None:
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
