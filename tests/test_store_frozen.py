"""The frozen copies of the logic migrations 18 and 20 apply (`feeds.store.frozen`): pinned on a table of inputs
(the tricky ones `tests/test_normalise_ids.py` and `tests/test_cli_watch.py` use on the live functions), agreeing
with the live functions today, and used by the migrations whatever the live functions become."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from feeds.normalise import ids
from feeds.store import frozen
from feeds.store import schema as schema_mod

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

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


@pytest.mark.parametrize(("host", "dns"), HOSTS)
def test_migration_18s_host_spelling_is_pinned_and_agrees_with_the_live_one_today(host: str, dns: str) -> None:
    assert frozen.dns_host_18(host) == dns
    assert ids.dns_host(host) == dns


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_migration_18_refuses_the_hosts_the_live_spelling_refuses(host: str) -> None:
    with pytest.raises(ValueError):
        frozen.dns_host_18(host)
    with pytest.raises(ValueError):
        ids.dns_host(host)


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
    for module in (ids, schema_mod):
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
        urls = [r[0] for r in conn.execute(sa.select(wf.c.url).order_by(wf.c.id))]
    assert urls == ["https://xn--bcher-kva.example/news%20feed.xml?q=%C3%BC", "https://example.org/rss"]
