"""The frozen copies of the logic migrations 12, 13, 18 and 20 apply (`feeds.store.frozen`): pinned on a table of
inputs (the tricky ones `tests/test_normalise_ids.py`, `tests/test_cli_keywords.py` and `tests/test_store.py` use on
the live functions), agreeing with the live functions today, and used by the migrations whatever the live functions
become."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from feeds import urls
from feeds.normalise import ids
from feeds.store import frozen
from feeds.store import migrations as migrations_mod
from feeds.store import schema as schema_mod

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

RULE_NAMES = [  # (name, its case-folded form, its feed folder)
    ("Russia", "russia", "russia"),
    ("RUSSIA", "russia", "russia"),
    ("North Korea", "north korea", "north-korea"),
    ("Zürich, Besançon & Łódź: ties", "zürich, besançon & łódź: ties", "zurich-besancon-and-lodz-ties"),
    ("Zu\u0308rich", "zu\u0308rich", "zurich"),  # decomposed: folded as written, not normalised
    ("Straße, Ærø and Øresund", "strasse, ærø and øresund", "strasse-aero-and-oresund"),  # casefold: ß is ss
    ("Minister's visit to the UK’s coast", "minister's visit to the uk’s coast", "ministers-visit-to-the-uks-coast"),
    ("£40m for 3 harbours (2024–25)", "£40m for 3 harbours (2024–25)", "40m-for-3-harbours-2024-25"),
    ("---Already-hyphenated---", "---already-hyphenated---", "already-hyphenated"),
    ("AT&T", "at&t", "at-and-t"),
    ("a\u00a0b", "a\u00a0b", "a-b"),  # a no-break space separates words
    ("ＦＵＬＬＷＩＤＴＨ", "ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
    ("İstanbul", "i\u0307stanbul", "istanbul"),
    ("DŽungla", "džungla", "dzungla"),
    ("ΣΊΣΥΦΟΣ", "σίσυφοσ", "rule-5b04c6021d"),  # no ASCII letter: a hash of the name
    ("日本の港", "日本の港", "rule-c313246bd5"),
    ("مرحبا", "مرحبا", "rule-80eff1a750"),
    ("alpha " * 20, "alpha " * 20, "-".join(["alpha"] * 13)),  # cut at a word boundary, at most 80 characters
    ("x" * 100, "x" * 100, "x" * 80),  # one longer word is cut where it must be
]

P = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ITEMS = [  # (title, link, summary, content_text, author, published, updated), the JSON text hashed
    (("T", None, "", "", "", P, None), '["T", null, "", "", "", "2026-11-02T09:00:00+00:00", null]'),
    (("T", None, "", "", "", P, P), '["T", null, "", "", "", "2026-11-02T09:00:00+00:00", null]'),
    (  # updated before published: stored as published, so it does not count
        ("T", None, "", "", "", P, P - timedelta(days=1)),
        '["T", null, "", "", "", "2026-11-02T09:00:00+00:00", null]',
    ),
    (
        ("T", "https://x.example/a", "S", "One two", "Ann", P, P + timedelta(days=1, hours=1, minutes=30)),
        '["T", "https://x.example/a", "S", "One two", "Ann", "2026-11-02T09:00:00+00:00", "2026-11-03T10:30:00+00:00"]',
    ),
    (("T", None, "", "", "", None, P), '["T", null, "", "", "", null, null]'),  # no date of its own: no update time
    (("", "", "", "", "", None, None), '["", "", "", "", "", null, null]'),
    (
        ("T", None, "", "", "", P.replace(microsecond=123456), None),
        '["T", null, "", "", "", "2026-11-02T09:00:00.123456+00:00", null]',
    ),
    (  # other scripts and quotes as they are (UTF-8), not `\u` escapes; a backslash escaped
        ("Café “x”", "https://bücher.example/ü", "ré\\sumé", "日本", "", P, None),
        '["Café “x”", "https://bücher.example/ü", "ré\\\\sumé", "日本", "", "2026-11-02T09:00:00+00:00", null]',
    ),
]

HOSTS = [
    ("bücher.example", "xn--bcher-kva.example"),
    ("Bücher.example", "xn--bcher-kva.example"),  # UTS #46 maps case
    ("BÜCHER.example", "xn--bcher-kva.example"),
    ("straße.example", "xn--strae-oqa.example"),  # IDNA 2008: not "strasse.example"
    ("café.example", "xn--caf-dma.example"),
    ("xn--bcher-kva.example", "xn--bcher-kva.example"),  # ASCII: as it is
    ("Example.ORG", "Example.ORG"),
    ("127.0.0.1", "127.0.0.1"),
    ("", ""),
]
BAD_HOSTS = ["☃.example"]  # a symbol is no letter of a host name

PARTS = [
    ("/news feed.xml", "/news%20feed.xml"),
    ("/news%20feed.xml", "/news%20feed.xml"),  # an escape written already is kept
    ("/café/rss", "/caf%C3%A9/rss"),
    ("q=ä b&lang=fr", "q=%C3%A4%20b&lang=fr"),
    ("q=ü", "q=%C3%BC"),
    ("/a%2fb", "/a%2fb"),
    ("/100%", "/100%25"),  # a % that starts no escape
    ("/%zz", "/%25zz"),
    ('/a|b"c<d>[e]^`{}\\', "/a%7Cb%22c%3Cd%3E%5Be%5D%5E%60%7B%7D%5C"),
    ("/x;v=1/!$&'()*+,:@~=?", "/x;v=1/!$&'()*+,:@~=?"),
    ("/neuigkeiten/café", "/neuigkeiten/caf%C3%A9"),
    ("thema=bücher", "thema=b%C3%BCcher"),
    ("", ""),
]
BAD_PARTS = ["/x\udcff"]  # a lone surrogate (an undecodable argument) is no text


@pytest.mark.parametrize(("name", "folded", "slug"), RULE_NAMES)
def test_migration_12s_rule_keys_are_pinned_and_agree_with_the_live_ones_today(name: str, folded: str, slug: str):
    assert frozen.rule_keys_12(name) == (folded, slug)
    assert ids.rule_keys(name) == (folded, slug)


@pytest.mark.parametrize(("item", "hashed"), ITEMS)
def test_migration_13s_item_hash_is_pinned_and_agrees_with_the_live_one_today(item: tuple, hashed: str) -> None:
    expected = hashlib.sha256(hashed.encode()).hexdigest()
    assert frozen.watch_item_hash_13(*item) == expected
    assert ids.watch_item_hash(*item) == expected


@pytest.mark.parametrize(("host", "dns"), HOSTS)
def test_migration_18s_host_spelling_is_pinned_and_agrees_with_the_live_one_today(host: str, dns: str) -> None:
    assert frozen.dns_host_18(host) == dns
    assert urls.dns_host(host) == dns


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_migration_18_refuses_the_hosts_the_live_spelling_refuses(host: str) -> None:
    with pytest.raises(ValueError):
        frozen.dns_host_18(host)
    with pytest.raises(ValueError):
        urls.dns_host(host)


@pytest.mark.parametrize(("part", "escaped"), PARTS)
def test_migration_20s_escaping_is_pinned_and_agrees_with_the_live_one_today(part: str, escaped: str) -> None:
    assert frozen.escaped_url_part_20(part) == escaped == frozen.escaped_url_part_20(escaped)
    assert ids.escaped_url_part(part) == escaped


@pytest.mark.parametrize("part", BAD_PARTS)
def test_migration_20_refuses_the_parts_the_live_escaping_refuses(part: str) -> None:
    with pytest.raises(ValueError):
        frozen.escaped_url_part_20(part)
    with pytest.raises(ValueError):
        ids.escaped_url_part(part)


def test_migrations_18_and_20_do_what_they_did_whatever_the_live_functions_become(store, monkeypatch):
    # A later change to the live spellings (here: both made to mangle everything) must not change what an old
    # migration does to a database upgraded only now.
    for module in (urls, ids, migrations_mod):
        for name in ("dns_host", "escaped_url_part"):
            monkeypatch.setattr(module, name, lambda text: "changed-later", raising=False)
    wf = schema_mod.watched_feeds
    with store.engine.begin() as conn:
        for url in ("https://bücher.example/news feed.xml?q=ü", "https://example.org/rss"):
            conn.execute(
                wf.insert().values(
                    url=url, title="", tags="[]", interval_s=1800, enabled=True, origin="cli", added_at=NOW
                )
            )  # fmt: skip
        conn.execute(schema_mod.schema_migrations.delete().where(schema_mod.schema_migrations.c.version.in_([18, 20])))
    assert [m.version for m in store.migrate(NOW)] == [18, 20]
    with store.engine.begin() as conn:
        stored = [r[0] for r in conn.execute(sa.select(wf.c.url).order_by(wf.c.id))]
    assert stored == ["https://xn--bcher-kva.example/news%20feed.xml?q=%C3%BC", "https://example.org/rss"]


def test_migration_12_does_what_it_did_whatever_the_live_rule_keys_become(store, monkeypatch):
    # The database as migration 11 left it: rules without their keys. A later change to how rule names fold or
    # become feed folders (here: every name mangled alike) must not change the keys an upgrade gives them now.
    rules = schema_mod.rules
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ux_rules_folded")
        conn.exec_driver_sql("DROP INDEX ux_rules_slug")
        conn.exec_driver_sql("ALTER TABLE rules DROP COLUMN folded")
        conn.exec_driver_sql("ALTER TABLE rules DROP COLUMN slug")
        conn.execute(schema_mod.schema_migrations.delete().where(schema_mod.schema_migrations.c.version == 12))
        for n, (name, _, _) in enumerate(RULE_NAMES[2:]):  # (one spelling of "Russia": a clash keeps NULL keys)
            at = NOW - timedelta(hours=n)
            conn.execute(rules.insert().values(name=name, query="q", origin="cli", created_at=at, updated_at=at))
    for module in (ids, migrations_mod):
        monkeypatch.setattr(module, "rule_keys", lambda name: ("changed-later", "changed-later"), raising=False)
    monkeypatch.setattr(ids, "rule_slug", lambda name: "changed-later")
    monkeypatch.setattr(ids, "slugify", lambda text, max_length=80: "changed-later")
    assert [m.version for m in store.migrate(NOW)] == [12]
    with store.engine.connect() as conn:
        keys = {r.name: (r.folded, r.slug) for r in conn.execute(sa.select(rules))}
    assert keys == {name: (folded, slug) for name, folded, slug in RULE_NAMES[2:]}


def test_migration_13_does_what_it_did_whatever_the_live_item_hash_becomes(store, monkeypatch):
    # The database as migration 12 left it: items with their HTML and a hash that covered it. A later change to
    # the live item hash (here: one that hashes everything alike) must not change what an upgrade stores now.
    from feeds.watch.parse import parse_feed

    doc = (
        b"<?xml version='1.0'?><rss version='2.0' xmlns:atom='http://www.w3.org/2005/Atom'><channel><title>T</title>"
        b"<item><guid>a</guid><title>Only a pubDate \xc3\xa9</title><pubDate>Mon, 02 Nov 2026 09:00:00 GMT</pubDate>"
        b"<description>&lt;p&gt;One &lt;b&gt;two&lt;/b&gt;&lt;/p&gt;</description></item>"
        b"<item><guid>b</guid><title>Published and updated</title><pubDate>Mon, 02 Nov 2026 09:00:00 GMT</pubDate>"
        b"<atom:updated>2026-11-03T10:30:00Z</atom:updated><link>https://desk.example.net/b</link></item>"
        b"<item><guid>c</guid><title>Only updated</title><atom:updated>2026-11-03T10:30:00Z</atom:updated></item>"
        b"<item><guid>d</guid><title>No date</title><author>a@example.org (Ann)</author></item>"
        b"<item><guid>e</guid><title>Updated before published</title><pubDate>Mon, 02 Nov 2026 09:00:00 GMT</pubDate>"
        b"<atom:updated>2026-11-01T10:30:00Z</atom:updated></item>"
        b"</channel></rss>"
    )
    items = parse_feed(doc, url="https://desk.example.net/feed.xml").items
    feed = store.add_feed("https://desk.example.net/feed.xml", title="D", tags=(), interval=1800, origin="cli", now=NOW)
    store.upsert_items(feed.id, items, NOW)
    cols = schema_mod.items.c
    with store.engine.connect() as conn:
        today = conn.execute(sa.select(cols.key, cols.content_hash).order_by(cols.id)).all()
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE items ADD COLUMN content_html TEXT NOT NULL DEFAULT '<p>old</p>'")
        conn.exec_driver_sql("UPDATE items SET content_hash = 'hash of the html'")
        conn.exec_driver_sql("UPDATE items SET author = 'a@example.org (Ann)' WHERE author = 'Ann'")  # (as then)
        conn.execute(schema_mod.schema_migrations.delete().where(schema_mod.schema_migrations.c.version == 13))
    for module in (ids, migrations_mod):
        monkeypatch.setattr(module, "watch_item_hash", lambda *item: "changed-later", raising=False)
    assert [m.version for m in store.migrate(NOW)] == [13]
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(cols.key, cols.content_hash).order_by(cols.id)).all() == today
    assert len({h for _, h in today}) == len(items) == 5
