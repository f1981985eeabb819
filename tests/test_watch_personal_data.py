"""Watched items' authors: a journalist's name is kept and republished beside their article (attribution), the email
address their feed gives with it is not stored, matched, republished in our match and coverage feeds and pages, or
sent in an alert (UK GDPR data minimisation). RSS 2.0's `<author>` is an address, `dc:creator` and Atom's
`<email>` often carry one. Items stored before keep their content hash: an unchanged item is not "changed"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from feeds.alerts.render import webhook_body
from feeds.alerts.select import AlertEntry
from feeds.model import Match, MatchedTerm
from feeds.normalise.ids import watch_item_hash
from feeds.normalise.people import without_email
from feeds.publish import run_publish
from feeds.store import frozen
from feeds.store import migrations as migrations_mod
from feeds.store import schema as schema_mod
from feeds.watch.parse import parse_feed
from tests.test_publish_coverage import app_with_release

RSS = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>World Desk</title>
<link>https://news.example.com/</link><description>d</description>
<item><title>Minister in Kyiv</title><link>https://news.example.com/a</link><guid>a</guid>
<author>jane.doe@example.com (Jane Doe)</author><description>Talks in Kyiv.</description></item>
<item><title>Kyiv talks go on</title><link>https://news.example.com/b</link><guid>b</guid>
<dc:creator>John Smith &lt;john.smith@example.com&gt;</dc:creator><description>More talks.</description></item>
<item><title>Kyiv, a letter</title><link>https://news.example.com/c</link><guid>c</guid>
<author>desk@example.com</author><description>A letter.</description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Wire</title><id>urn:x</id>
<updated>2026-11-28T09:00:00Z</updated><entry><title>Kyiv</title><id>urn:a</id><updated>2026-11-28T09:00:00Z</updated>
<link href="https://news.example.com/atom-a"/><author><name>Ann Lee</name><email>ann.lee@example.com</email>
<uri>https://news.example.com/ann</uri></author></entry></feed>"""

JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Blog",
        "items": [
            {
                "id": "j1",
                "url": "https://news.example.com/j1",
                "title": "Kyiv",
                "content_text": "Talks.",
                "authors": [{"name": "Bo Chan <bo@example.com>", "url": "https://news.example.com/bo"}],
            }
        ],
    }
).encode()

ADDRESSES = ("jane.doe@example.com", "john.smith@example.com", "desk@example.com", "ann.lee@example.com")


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("jane.doe@example.com (Jane Doe)", "Jane Doe"),  # RSS 2.0 <author>
        ("Jane Doe <jane@example.com>", "Jane Doe"),  # dc:creator
        ("Jane Doe (jane@example.com)", "Jane Doe"),  # feedparser's Atom name and email
        ("Jane Doe &lt;jane@example.com&gt;", "Jane Doe"),
        ("jane@example.com", ""),  # no name given: none made up from the address
        ("a@x.org (A), b@x.org (B)", "A, B"),
        ("A (a@x.org); B (b@x.org)", "A, B"),
        ("Jane Doe, mailto:jane@example.com", "Jane Doe"),
        ("Jane Doe (Reuters) <jane@example.com>", "Jane Doe (Reuters)"),
        ("Jane Doe (Reuters)", "Jane Doe (Reuters)"),
        ("@janedoe", "@janedoe"),  # a handle is no address
        ("", ""),
    ],
)
def test_an_author_keeps_the_name_and_loses_the_address(given, kept):
    assert without_email(given) == kept
    assert frozen.without_email_32(given) == kept, "the migration's copy agrees with the live function today"


def test_parsed_items_keep_their_authors_names_without_their_addresses():
    rss = parse_feed(RSS, url="https://news.example.com/rss")
    assert [it.author for it in rss.items] == ["Jane Doe", "John Smith", ""]
    (atom,) = parse_feed(ATOM, url="https://news.example.com/atom").items
    assert atom.author == "Ann Lee"
    (js,) = parse_feed(JSON_FEED, url="https://news.example.com/feed.json").items
    assert js.author == "Bo Chan"


def test_an_item_stored_with_its_address_keeps_its_content_hash():
    """The hash is made from the author as the feed gives it, as before: an item stored by an earlier version (and
    cleaned by migration 32) is found unchanged on the next poll, not updated and re-dated in the coverage feeds."""
    (a, *_) = parse_feed(RSS, url="https://news.example.com/rss").items
    raw = "jane.doe@example.com (Jane Doe)"
    assert a.content_hash == watch_item_hash(a.title, a.link, a.summary, a.content_text, raw, a.published, a.updated)


def _stored_and_matched(app: Any, related_to: str | None = None) -> None:
    """The RSS feed's items stored from a watched feed "World Desk", each matched by the rule `kyiv` (and related to
    the release `related_to`, when given)."""
    now = app.clock()
    feed = app.store.add_feed("https://news.example.com/rss", title="World Desk", tags=(), interval=1800, origin="cli",
                              now=now)  # fmt: skip
    app.store.add_rule("kyiv", "kyiv", origin="cli", now=now)
    rows = app.store.upsert_items(feed.id, parse_feed(RSS, url=feed.url).items, now)
    term = (MatchedTerm("kyiv", "title", 0, 4),)
    found: list[Any] = []
    for item_id, it, _ in rows:
        found.append((item_id, Match("keyword", "kyiv", it.key, feed.id, term, 1.0, "matched rule 'kyiv'"), None))
        if related_to is not None:
            found.append((item_id, Match("related", related_to, it.key, feed.id, term, 0.5, "related: Kyiv"), 60.0))
    app.store.add_matches(found, now)


def test_match_and_coverage_feeds_pages_and_alerts_name_the_author_and_carry_no_address(
    make_settings, make_app_for, tmp_path
):
    app, release = app_with_release(make_settings, make_app_for, tmp_path)
    _stored_and_matched(app, related_to=release.id)
    run_publish(app)
    out = app.settings.paths.out
    published = b"".join(p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file())
    for address in ADDRESSES:
        assert address.encode() not in published
    coverage = (out / "coverage" / release.slug / "atom.xml").read_text()
    assert "<name>Jane Doe</name>" in coverage and "<name>John Smith</name>" in coverage
    assert "<name>World Desk</name>" in coverage, "an author given only as an address: the feed is named instead"
    for m in app.store.matches():
        body = webhook_body(AlertEntry(m, "kyiv", None, "k"), "desk")
        assert not any(a.encode() in body for a in ADDRESSES)
    sent = [json.loads(webhook_body(AlertEntry(m, "kyiv", None, "k"), "desk")) for m in app.store.matches()]
    authors = {doc["item"]["author"] for doc in sent}
    assert authors == {"Jane Doe", "John Smith", ""}


def test_migration_32_takes_the_addresses_out_of_stored_authors_and_leaves_their_hashes(make_settings, make_app_for):
    app = make_app_for(make_settings())
    now = app.clock()
    feed = app.store.add_feed("https://news.example.com/rss", title="Desk", tags=(), interval=1800, origin="cli",
                              now=now)  # fmt: skip
    items = schema_mod.items
    ((item_id, it, _),) = app.store.upsert_items(feed.id, parse_feed(RSS, url=feed.url).items[:1], now)
    with app.store.engine.begin() as conn:  # as an earlier version stored it
        conn.execute(items.update().where(items.c.id == item_id).values(author="jane.doe@example.com (Jane Doe)"))
        conn.execute(schema_mod.schema_migrations.delete().where(schema_mod.schema_migrations.c.version == 32))
    applied = migrations_mod.migrate(app.store.engine, now)
    assert [m.version for m in applied] == [32]
    with app.store.engine.connect() as conn:
        author, content_hash = conn.execute(
            sa.select(items.c.author, items.c.content_hash).where(items.c.id == item_id)
        ).one()
    assert (author, content_hash) == ("Jane Doe", it.content_hash)


def readme_erasure_sql() -> list[str]:
    """The statements README's "Personal data" gives for erasing a person's data, in order."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    part = readme[readme.index("### Personal data") :]
    block = part[part.index("```sql\n") + 7 : part.index("```", part.index("```sql\n") + 7)]
    code = "\n".join(line for line in block.splitlines() if not line.startswith("--"))
    return [s.strip() for s in code.split(";") if s.strip()]


def test_the_readme_s_erasure_sql_takes_a_journalist_s_items_matches_and_entries_out_of_the_site(
    make_settings, make_app_for, tmp_path
):
    app, _ = app_with_release(make_settings, make_app_for, tmp_path)
    _stored_and_matched(app)
    run_publish(app)
    atom = app.settings.paths.out / "matches" / "atom.xml"
    assert "Jane Doe" in atom.read_text()
    with app.store.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        for statement in readme_erasure_sql():
            conn.exec_driver_sql(statement)
    with app.store.engine.connect() as conn:
        assert conn.execute(sa.select(schema_mod.items.c.author)).scalars().all() == ["John Smith", ""]
        assert len(conn.execute(sa.select(schema_mod.matches.c.id)).all()) == 2
        entries = set(conn.execute(sa.select(schema_mod.entry_ids.c.entry)).scalars())
    assert entries == {"https://news.example.com/b", "https://news.example.com/c"}
    run_publish(app)
    assert "Jane Doe" not in atom.read_text() and "John Smith" in atom.read_text()
