"""Right-to-left text from a watched feed (an Arabic rule, its words, a feed's title, an item's title and summary) is
published so that it cannot reorder our own words around it: in the match feeds' plain text between FIRST STRONG
ISOLATE and POP DIRECTIONAL ISOLATE (U+2068, U+2069), in their HTML and on a release page in an element of its own
direction (`dir="auto"`). Without it, "Keyword match for rule 'موسكو': موسكو ×2" showed the rule's name and the word
found as one right-to-left run, in the wrong order, and the quoted summary's full stop at its start.

A deployment whose feeds hold no right-to-left text publishes exactly what it did (no entry changes)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from lxml import etree, html

FSI, PDI = "\u2068", "\u2069"
ATOM = "{http://www.w3.org/2005/Atom}"


def _publish(make_settings, make_app_for, tmp_path, *, feed_title, rule, title, summary):
    from feeds.ingest import ingest_paths
    from feeds.model import Match, MatchedTerm, WatchItem
    from feeds.publish import run_publish

    app = make_app_for(make_settings())
    src = tmp_path / "visit.json"
    src.write_text(
        json.dumps({"title": "Foreign Secretary to visit Moscow", "body": "Talks.", "published": "2026-11-27T10:00Z"})
    )
    ingest_paths(app, [src])
    release = app.store.release("foreign-secretary-to-visit-moscow")
    now = app.clock()
    feed = app.store.add_feed(
        "https://akhbar.example/rss", title=feed_title, tags=(), interval=1800, origin="cli", now=now
    )
    app.store.add_rule(rule, rule, origin="cli", now=now)
    watched = WatchItem(
        key="a",
        title=title,
        link="https://akhbar.example/a",
        guid="a",
        summary=summary,
        content_text=summary,
        author="",
        published=datetime(2026, 11, 28, 9, 0, tzinfo=UTC),
        updated=None,
        tags=(),
        content_hash="a",
        language="ar" if rule == "موسكو" else None,
    )
    ((item_id, _, _),) = app.store.upsert_items(feed.id, [watched], now)
    end = title.find(rule) + len(rule)
    term = (MatchedTerm(rule, "title", title.find(rule), end),)
    why = f"matched rule '{rule}': {rule} (title)"
    related = f"related to '{release.title}': Moscow 0.50 (title); score 0.50"
    app.store.add_matches(
        [
            (item_id, Match("keyword", rule, "a", feed.id, term, 1.0, why), None),
            (item_id, Match("related", release.id, "a", feed.id, term, 0.5, related), 82800.0),
        ],
        now,
    )
    run_publish(app)
    return app.settings.paths.out, release


ARABIC = {"feed_title": "الأخبار: العالم", "rule": "موسكو", "title": "وزير الخارجية البريطاني يزور موسكو"}
"""An Arabic feed's title, a rule in Arabic and an item's Arabic title (Moscow, the British Foreign Secretary)."""


def test_arabic_rule_words_and_feed_title_are_isolated_in_the_match_feeds(make_settings, make_app_for, tmp_path):
    out, _ = _publish(
        make_settings,
        make_app_for,
        tmp_path,
        **ARABIC,
        summary="يلتقي بوريس جونسون نظيره الروسي في موسكو.",
    )
    feeds = sorted((out / "matches" / "rules").iterdir())
    assert len(feeds) == 1
    atom = etree.parse(str(feeds[0] / "atom.xml")).getroot()
    entry = atom.find(f"{ATOM}entry")
    summary = entry.findtext(f"{ATOM}summary")
    assert f"From {FSI}الأخبار: العالم{PDI}." in summary, summary
    assert f"Keyword match for rule '{FSI}موسكو{PDI}': {FSI}موسكو{PDI} (title)." in summary, summary
    content = html.fragment_fromstring(entry.findtext(f"{ATOM}content"), create_parent="div")
    (quote,) = content.xpath("//blockquote")
    assert quote.get("dir") == "auto"
    (item,) = [li.text_content() for li in content.xpath("//li")]
    assert f"Keyword match for rule '{FSI}موسكو{PDI}': {FSI}موسكو{PDI} (title)." in item


def test_a_release_pages_coverage_line_gives_an_arabic_title_and_source_their_own_direction(
    make_settings, make_app_for, tmp_path
):
    out, release = _publish(
        make_settings,
        make_app_for,
        tmp_path,
        **ARABIC,
        summary="x",
    )
    page = html.parse(str(out / "releases" / release.slug / "index.html")).getroot()
    (line,) = page.xpath("//section[@class='coverage']//li")
    (link,) = line.xpath(".//a")
    (source,) = line.xpath(".//span[@class='source']")
    assert link.get("dir") == "auto"
    assert link.get("lang") == "ar", "the item's language, as its feed gives it (migration 37)"
    assert source.text_content() == f"{FSI}الأخبار: العالم{PDI}"
    (why,) = line.xpath(".//span[@class='why']")
    assert f"related to '{FSI}" not in why.text_content(), "the release's English title is as it was"


def test_left_to_right_text_is_published_as_before(make_settings, make_app_for, tmp_path):
    out, release = _publish(
        make_settings,
        make_app_for,
        tmp_path,
        feed_title="World Desk",
        rule="moscow",
        title="Johnson to visit moscow",
        summary="Talks in Moscow.",
    )
    text = (out / "matches" / "atom.xml").read_text(encoding="utf-8")
    assert FSI not in text and PDI not in text and 'dir="auto"' not in text and "dir=&quot;auto" not in text
    assert "Keyword match for rule &#x27;moscow&#x27;: moscow (title)." in text or "rule 'moscow': moscow" in text
    page = (out / "releases" / release.slug / "index.html").read_text(encoding="utf-8")
    assert 'dir="auto"' not in page and 'rel="external nofollow" lang=' not in page
