"""Text a watched feed wrote with a bidi override left open (U+202A-U+202E) cannot reverse our own words after
it, in the match feeds, a release page's coverage list or an alert email."""

from __future__ import annotations

import json
from datetime import UTC, datetime

RLO, PDF, FSI, PDI = "\u202e", "\u202c", "\u2068", "\u2069"


def test_a_bidi_override_a_watched_feed_leaves_open_does_not_reverse_our_words(make_settings, make_app_for, tmp_path):
    # A feed titled "World <RLO>Desk" (an override never closed) made browsers and readers show the rest of the
    # entry's summary, our own "Keyword match for rule…", right to left: a feed could make it read as it liked.
    from lxml import etree, html

    from feeds.ingest import ingest_paths
    from feeds.model import Match, MatchedTerm, WatchItem
    from feeds.publish import run_publish

    app = make_app_for(make_settings())
    src = tmp_path / "visit.json"
    src.write_text(json.dumps({"title": "Minister visits Kyiv", "body": "Talks.", "published": "2026-11-27T10:00Z"}))
    ingest_paths(app, [src])
    release = app.store.release("minister-visits-kyiv")
    now = app.clock()
    feed = app.store.add_feed(
        "https://news.example.com/rss", title=f"World {RLO}Desk", tags=(), interval=1800, origin="cli", now=now
    )
    app.store.add_rule("kyiv", "kyiv", origin="cli", now=now)
    watched = WatchItem(
        key="a",
        title=f"Kyiv {RLO}talks",
        link="https://news.example.com/a",
        guid="a",
        summary="Kyiv.",
        content_text="x",
        author="",
        published=datetime(2026, 11, 28, 9, 0, tzinfo=UTC),
        updated=None,
        tags=(),
        content_hash="a",
    )
    ((item_id, _, _),) = app.store.upsert_items(feed.id, [watched], now)
    term = (MatchedTerm("kyiv", "title", 0, 4),)
    app.store.add_matches(
        [
            (item_id, Match("keyword", "kyiv", "a", feed.id, term, 1.0, "matched rule 'kyiv': kyiv (title)"), None),
            (item_id, Match("related", release.id, "a", feed.id, term, 0.5, f"related: Kyiv {RLO}(title)"), 82800.0),
        ],
        now,
    )
    run_publish(app)
    out = app.settings.paths.out
    atom = etree.parse(str(out / "matches" / "atom.xml")).getroot()
    texts = [t for t in atom.itertext() if RLO in t]
    assert texts
    for text in texts:
        assert _overrides_closed(text), repr(text)
    page = html.parse(str(out / "releases" / release.slug / "index.html")).getroot()
    (line,) = page.xpath("//section[@class='coverage']//li")
    assert _overrides_closed(line.text_content()), repr(line.text_content())


def _overrides_closed(text: str) -> bool:
    """Whether every embedding or override (U+202A-U+202E) in `text` ends before the text does: closed by a PDF,
    or by the PDI of an isolate it is inside (UAX #9, X6a)."""
    open_overrides: list[int] = [0]  # per isolate level: how many overrides are open
    for c in text:
        if "\u202a" <= c <= "\u202e":
            open_overrides[-1] += 1
        elif c == PDF and open_overrides[-1]:
            open_overrides[-1] -= 1
        elif c in "\u2066\u2067" + FSI:
            open_overrides.append(0)
        elif c == PDI and len(open_overrides) > 1:
            open_overrides.pop()
    return open_overrides == [0]


def test_an_alert_email_is_not_reordered_by_a_watched_feeds_bidi_override():
    from zoneinfo import ZoneInfo

    from lxml import html

    from feeds.alerts.render import email_html
    from tests.alerts_helpers import entry, stored_match

    m = stored_match(7, title=f"Sanctions {RLO}widen", feed_title=f"World {RLO}News")
    page = html.fromstring(email_html([entry(m)], alert_name="desk", frequency="daily", tz=ZoneInfo("Europe/London")))
    (line,) = page.xpath("//li")
    assert _overrides_closed(line.text_content()), repr(line.text_content())
