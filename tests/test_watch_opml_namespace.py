"""`watch export` writes our own outline attributes in a namespace of ours, as OPML 2.0 requires of attributes it
does not describe (in no namespace, the W3C feed validator called each an error); `watch import` reads them so,
reads the un-namespaced ones of files exported before, and still reads sloppy OPML from elsewhere."""

from __future__ import annotations

from lxml import etree

from feeds.watch.manage import add_feed, edit_feed, export_opml, import_opml, read_opml
from feeds.watch.opmlattributes import (
    EARLIER_NAMES,
    FEEDS_NAMESPACE,
    INTERVAL_ATTRIBUTE,
    OWN_TITLE_ATTRIBUTE,
    PAUSED_ATTRIBUTE,
    PAUSED_REASON_ATTRIBUTE,
)

OPML_ATTRIBUTES = {
    "text", "type", "isComment", "isBreakpoint", "created", "category", "description", "htmlUrl", "language",
    "title", "version", "xmlUrl", "url",
}  # fmt: skip
"""The outline attributes OPML 2.0 describes (http://opml.org/spec2.opml): any other must be in a namespace."""

GONE = "410 Gone on 2026-11-28: the publisher removed this feed"


def _watching(app) -> None:
    """Feeds with every field an export carries: a given title, a title of the feed's own, an interval of its own,
    nested folders (Europe/UK) and a second folder, a pause by hand, a 410's pause with its reason."""
    add_feed(app, "https://a.example.com/rss", title="World desk", tags=["Europe", "UK"], interval=7200)
    own = app.store.add_feed(
        "https://b.example.com/rss", title="The Herald", tags=["Europe"], interval=1800.0, origin="cli",
        now=app.clock(), own_title=True,
    )  # fmt: skip
    assert own.title_given is False
    add_feed(app, "https://c.example.com/rss", tags=["Europe", "UK", "Favourites"], interval=600)
    add_feed(app, "https://d.example.com/rss", title="Paused", tags=["Favourites"])
    edit_feed(app, "https://d.example.com/rss", enabled=False)
    gone = add_feed(app, "https://e.example.com/rss")
    app.store.pause_gone(gone.id, GONE)


def _fields(app) -> list[tuple]:
    return [
        (f.url, f.title, f.title_given, f.tags, f.interval, f.enabled, f.disabled_reason, f.last_status)
        for f in app.store.feeds()
    ]


def test_the_export_declares_our_namespace_once_and_writes_no_attribute_of_ours_outside_it(app):
    _watching(app)
    data = export_opml(app)
    assert data.count(b"xmlns") == 1, "declared once, on the root"
    root = etree.fromstring(data)
    assert root.nsmap == {"feeds": FEEDS_NAMESPACE}
    assert data.splitlines()[1] == f'<opml xmlns:feeds="{FEEDS_NAMESPACE}" version="2.0">'.encode()
    outlines = list(root.iter("outline"))
    feeds = [o for o in outlines if o.get("xmlUrl")]
    assert feeds and all(o.get("title") for o in feeds), "a feed's outline has a title (its URL when it has none)"
    for outline in outlines:
        for name in outline.attrib:
            qname = etree.QName(name)
            assert qname.namespace == FEEDS_NAMESPACE or (qname.namespace is None and name in OPML_ATTRIBUTES), name
    earlier = {n.lower() for n in EARLIER_NAMES.values()}
    assert not [n for o in outlines for n in o.attrib if str(n).lower() in earlier or str(n).startswith("feeds")]
    by_url = {o.get("xmlUrl"): o for o in outlines if o.get("xmlUrl")}
    assert {url: o.get(INTERVAL_ATTRIBUTE) for url, o in by_url.items()} == {
        "https://a.example.com/rss": "7200",
        "https://b.example.com/rss": "1800",
        "https://c.example.com/rss": "600",
        "https://d.example.com/rss": "1800",
        "https://e.example.com/rss": "1800",
    }
    assert [u for u, o in by_url.items() if o.get(OWN_TITLE_ATTRIBUTE) == "true"] == ["https://b.example.com/rss"]
    assert {u: o.get(PAUSED_ATTRIBUTE) for u, o in by_url.items() if o.get(PAUSED_ATTRIBUTE)} == {
        "https://d.example.com/rss": "true",
        "https://e.example.com/rss": "true",
    }
    assert {u: o.get(PAUSED_REASON_ATTRIBUTE) for u, o in by_url.items() if o.get(PAUSED_REASON_ATTRIBUTE)} == {
        "https://e.example.com/rss": GONE
    }
    assert b' feeds:interval="7200"' in data and b' feeds:pausedReason="' in data


def test_an_export_imported_elsewhere_gives_every_field_back_and_exports_the_same_bytes(
    app, make_settings, make_app_for, tmp_path
):
    """Interval, pause by hand, a 410's pause and its reason, the feed's own title, tags and folders: all come
    back in an installation whose default interval differs, and its export is the same file, byte for byte."""
    _watching(app)
    exported = tmp_path / "subs.opml"
    exported.write_bytes(export_opml(app))
    assert export_opml(app) == exported.read_bytes(), "deterministic"
    second = make_app_for(
        make_settings('[watch]\ninterval = "1h"\n', database_url=f"sqlite:///{tmp_path / 'second.db'}")
    )
    done = import_opml(second, exported)
    assert len(done.added) == 5 and not done.skipped and not done.notes
    assert sorted(_fields(second)) == sorted(_fields(app))
    # (watched in the file's order, folder by folder: exported again, the same folders in the same order)
    assert export_opml(second) == exported.read_bytes()


def test_a_file_exported_before_the_namespace_still_imports_everything_it_says(app, tmp_path):
    """Files exported by earlier versions (our attributes in no namespace) exist: nothing they say is lost."""
    old = tmp_path / "old.opml"
    old.write_text(
        """<?xml version='1.0' encoding='UTF-8'?>
<opml version="2.0">
  <head><title>Press office: watched feeds</title></head>
  <body>
    <outline text="Europe">
      <outline text="UK">
        <outline type="rss" text="World desk" xmlUrl="https://a.example.com/rss" title="World desk"
          category="Europe,UK" feedsInterval="7200"/>
      </outline>
      <outline type="rss" text="The Herald" xmlUrl="https://b.example.com/rss" title="The Herald"
        feedsOwnTitle="true" category="Europe" feedsInterval="1800"/>
    </outline>
    <outline text="Favourites">
      <outline type="rss" text="Paused" xmlUrl="https://d.example.com/rss" title="Paused" category="Favourites"
        FEEDSINTERVAL="900" feedspaused="TRUE"/>
    </outline>
    <outline type="rss" text="https://e.example.com/rss" xmlUrl="https://e.example.com/rss" feedsInterval="1800"
      feedsPaused="true" feedsPausedReason="{GONE}"/>
  </body>
</opml>""".replace("{GONE}", GONE),
        encoding="utf-8",
    )
    done = import_opml(app, old)
    assert len(done.added) == 4 and not done.skipped and not done.notes
    assert _fields(app) == [
        ("https://a.example.com/rss", "World desk", True, ("Europe", "UK"), 7200.0, True, None, None),
        ("https://b.example.com/rss", "The Herald", False, ("Europe",), 1800.0, True, None, None),
        ("https://d.example.com/rss", "Paused", True, ("Favourites",), 900.0, False, "disabled by hand", None),
        ("https://e.example.com/rss", "", False, (), 1800.0, False, GONE, "410"),
    ]


def test_our_attributes_are_ours_under_any_prefix_of_our_namespace_and_only_there(tmp_path):
    """A reader goes by the namespace, not the prefix; `feeds:` left undeclared (an outline pasted from an export
    into a file of one's own) is still read; the same names in another namespace are not ours; and an outline
    saying an attribute both ways (edited by hand since) is read the new way."""
    data = f"""<opml version="2.0" xmlns:x="{FEEDS_NAMESPACE}" xmlns:other="https://other.example/ns"><body>
    <outline text="A" xmlUrl="https://a.example.com/rss" x:interval="7200" x:paused="true" x:ownTitle="true"/>
    <outline text="B" xmlUrl="https://b.example.com/rss" feeds:interval="600" feeds:paused="true"/>
    <outline text="C" xmlUrl="https://c.example.com/rss" other:interval="60" other:paused="true"/>
    <outline text="D" xmlUrl="https://d.example.com/rss" x:interval="900" feedsInterval="3600"/>
    </body></opml>""".encode()
    read = {f.url: (f.interval, f.paused, f.own_title) for f in read_opml(data, "pasted.opml")}
    assert read == {
        "https://a.example.com/rss": (7200.0, True, True),
        "https://b.example.com/rss": (600.0, True, False),
        "https://c.example.com/rss": (None, False, False),
        "https://d.example.com/rss": (900.0, False, False),
    }


def test_a_note_about_an_interval_names_the_attribute_as_the_file_does(app, tmp_path):
    subs = tmp_path / "subs.opml"
    subs.write_text(
        f"""<opml version="2.0" xmlns:feeds="{FEEDS_NAMESPACE}"><body>
        <outline text="New" xmlUrl="https://new.example.com/rss" feeds:interval="60"/>
        <outline text="Old" xmlUrl="https://old.example.com/rss" feedsInterval="60"/>
        <outline text="Garbled" xmlUrl="https://odd.example.com/rss" feeds:interval="abc"/>
        </body></opml>""",
        encoding="utf-8",
    )
    notes = dict(import_opml(app, subs).notes)
    assert notes["https://new.example.com/rss"] == "feeds:interval out of bounds (5 min to 30 days): every 5 min"
    assert notes["https://old.example.com/rss"] == "feedsInterval out of bounds (5 min to 30 days): every 5 min"
    assert notes["https://odd.example.com/rss"].startswith("feeds:interval='abc' is not a number of seconds")
