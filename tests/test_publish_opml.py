"""feeds.publish.opml: the OPML 2.0 subscription list parsed back with lxml."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from feeds.config import Site
from feeds.publish.opml import render_opml
from feeds.publish.spec import FeedLink

GOLDEN = Path(__file__).parent / "golden" / "publish_pages"
BASE = "https://news.example.gov.uk/"
UPDATED = datetime(2017, 11, 3, 14, 0, tzinfo=UTC)
HOSTILE = '<script>alert(1)</script> "Quoted" & Co'

SITE = Site(
    title="Department for Coastal Affairs",
    base_url=BASE,
    author="Department for Coastal Affairs press office",
    language="en-GB",
    timezone="Europe/London",
    email="newsdesk@example.gov.uk",
)

FEEDS = (
    FeedLink("All releases", f"{BASE}atom.xml", "atom", "Main"),
    FeedLink("All releases", f"{BASE}rss.xml", "rss", "Main"),
    FeedLink("All releases", f"{BASE}feed.json", "json", "Main"),
    FeedLink("Flooding", f"{BASE}topics/flooding/rss.xml", "rss", "Topics", home=f"{BASE}topics/flooding/"),
    FeedLink("Flooding", f"{BASE}topics/flooding/atom.xml", "atom", "Topics", home=f"{BASE}topics/flooding/"),
    FeedLink(
        "Local government",
        f"{BASE}topics/local-government/feed.json",
        "json",
        "Topics",
        home=f"{BASE}topics/local-government/",
    ),
    FeedLink("Harbour Authority", f"{BASE}organisations/harbour-authority/atom.xml", "atom", "Organisations"),
    FeedLink("Coverage", f"{BASE}coverage/atom.xml", "atom", "Coverage"),
)


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))


def outlines(root: etree._Element) -> list[tuple[str, list[dict[str, str]]]]:
    return [(g.get("text"), [dict(o.attrib) for o in g.iterchildren("outline")]) for g in root.find("body")]


def test_opml_head() -> None:
    rendered = render_opml(SITE, FEEDS, updated=UPDATED)
    assert rendered.path == "feeds.opml"
    assert rendered.data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<opml")
    root = parse(rendered.data)
    assert (root.tag, root.get("version")) == ("opml", "2.0")
    head = root.find("head")
    assert [(e.tag, e.text) for e in head] == [
        ("title", "Department for Coastal Affairs feeds"),
        ("dateCreated", "Fri, 03 Nov 2017 14:00:00 +0000"),
        ("dateModified", "Fri, 03 Nov 2017 14:00:00 +0000"),
        ("ownerName", "Department for Coastal Affairs press office"),
        ("ownerEmail", "newsdesk@example.gov.uk"),
    ]


def test_opml_head_holds_only_elements_the_w3c_validator_knows() -> None:
    """The W3C feed validator's OPML head accepts title, dates, owner and window state; any other element (OPML
    2.0's optional <docs> included) is an "undefined element" error that fails the whole subscription list."""
    known = {"title", "dateCreated", "dateModified", "ownerName", "ownerEmail", "ownerId", "expansionState"}
    known |= {"vertScrollState", "windowTop", "windowLeft", "windowBottom", "windowRight"}
    head = parse(render_opml(SITE, FEEDS, updated=UPDATED).data).find("head")
    assert {e.tag for e in head} <= known


def test_opml_date_created_is_the_sites_first_publication_not_its_last_change() -> None:
    """A subscriber's review: dateCreated equalled dateModified, and moved with every change."""
    created = datetime(2015, 6, 1, 8, 30, tzinfo=UTC)
    head = parse(render_opml(SITE, FEEDS, updated=UPDATED, created=created).data).find("head")
    assert head.findtext("dateCreated") == "Mon, 01 Jun 2015 08:30:00 +0000"
    assert head.findtext("dateModified") == "Fri, 03 Nov 2017 14:00:00 +0000"


def test_opml_without_email_has_no_owner_email() -> None:
    root = parse(render_opml(dataclasses.replace(SITE, email=None), FEEDS, updated=UPDATED).data)
    assert root.find("head/ownerEmail") is None


def test_opml_dates_are_converted_to_utc() -> None:
    updated = datetime(2017, 11, 3, 15, 0, tzinfo=timezone(timedelta(hours=1)))
    root = parse(render_opml(SITE, FEEDS, updated=updated).data)
    assert root.findtext("head/dateModified") == "Fri, 03 Nov 2017 14:00:00 +0000"


def test_opml_refuses_a_naive_date() -> None:
    with pytest.raises(ValueError, match="naive"):
        render_opml(SITE, FEEDS, updated=datetime(2017, 11, 3, 14, 0))


def test_opml_groups_feeds_one_outline_per_feed_preferring_atom() -> None:
    root = parse(render_opml(SITE, FEEDS, updated=UPDATED).data)
    assert [g.get("text") for g in root.find("body")] == ["Main", "Topics", "Organisations", "Coverage"]
    assert outlines(root) == [
        (
            "Main",
            [
                {
                    "type": "rss",
                    "text": "All releases",
                    "title": "All releases",
                    "xmlUrl": f"{BASE}atom.xml",
                    "htmlUrl": BASE,
                }
            ],
        ),
        (
            "Topics",
            [
                {
                    "type": "rss",
                    "text": "Flooding",
                    "title": "Flooding",
                    "xmlUrl": f"{BASE}topics/flooding/atom.xml",
                    "htmlUrl": f"{BASE}topics/flooding/",
                },
                {
                    "type": "rss",
                    "text": "Local government",
                    "title": "Local government",
                    "xmlUrl": f"{BASE}topics/local-government/feed.json",
                    "htmlUrl": f"{BASE}topics/local-government/",
                },
            ],
        ),
        (
            "Organisations",
            [
                {
                    "type": "rss",
                    "text": "Harbour Authority",
                    "title": "Harbour Authority",
                    "xmlUrl": f"{BASE}organisations/harbour-authority/atom.xml",
                    "htmlUrl": BASE,
                }
            ],
        ),
        (
            "Coverage",
            [
                {
                    "type": "rss",
                    "text": "Coverage",
                    "title": "Coverage",
                    "xmlUrl": f"{BASE}coverage/atom.xml",
                    "htmlUrl": BASE,
                }
            ],
        ),
    ]


def test_opml_folders_are_named_by_text_alone_and_only_subscriptions_carry_feed_attributes() -> None:
    """OPML 2.0 names an outline by `text`; `title`, `xmlUrl` and `htmlUrl` belong to `type="rss"` outlines. A
    folder that had `title` too read as a subscription missing its type (the W3C validator's MissingOutlineType)."""
    root = parse(render_opml(SITE, FEEDS, updated=UPDATED).data)
    folders = list(root.find("body"))
    assert folders and all(dict(f.attrib) == {"text": f.get("text")} for f in folders)
    typed = {"title", "xmlUrl", "htmlUrl", "description", "language", "version"}
    for outline in root.iter("outline"):
        assert outline.get("type") == "rss" or not typed & set(outline.attrib), dict(outline.attrib)


def test_opml_ungrouped_feeds_get_a_named_parent() -> None:
    root = parse(render_opml(SITE, [FeedLink("All releases", f"{BASE}atom.xml", "atom")], updated=UPDATED).data)
    assert [g.get("text") for g in root.find("body")] == ["Feeds"]


def test_opml_with_no_feeds_is_still_valid() -> None:
    root = parse(render_opml(SITE, [], updated=UPDATED).data)
    assert root.find("body") is not None
    assert len(root.find("body")) == 0


def test_opml_html_url_is_the_page_the_feed_belongs_to_else_the_front_page() -> None:
    feeds = [
        FeedLink("Flooding", f"{BASE}topics/flooding/atom.xml", "atom", "Topics", home=f"{BASE}topics/flooding/"),
        FeedLink("Harbour Authority", f"{BASE}organisations/harbour-authority/atom.xml", "atom", "Organisations"),
    ]
    found = [o.get("htmlUrl") for o in parse(render_opml(SITE, feeds, updated=UPDATED).data).iter("outline")]
    assert [u for u in found if u] == [f"{BASE}topics/flooding/", BASE]


def test_opml_hostile_text_round_trips_as_text() -> None:
    feeds = [FeedLink(HOSTILE, f'{BASE}atom.xml?a=1&b="2"', "atom", HOSTILE)]
    site = dataclasses.replace(SITE, title=HOSTILE, author=HOSTILE)
    data = render_opml(site, feeds, updated=UPDATED).data
    assert b"<script" not in data
    root = parse(data)
    assert root.findtext("head/title") == f"{HOSTILE} feeds"
    assert root.findtext("head/ownerName") == HOSTILE
    group = root.find("body/outline")
    assert group.get("text") == HOSTILE
    feed = group.find("outline")
    assert (feed.get("text"), feed.get("title"), feed.get("xmlUrl")) == (HOSTILE, HOSTILE, feeds[0].url)


def test_opml_drops_characters_xml_cannot_carry() -> None:
    feeds = [FeedLink("Bell\x07 and\x00 nul", f"{BASE}atom.xml", "atom", "Main\x1b")]
    root = parse(render_opml(SITE, feeds, updated=UPDATED).data)
    assert root.find("body/outline").get("text") == "Main"
    assert root.find("body/outline/outline").get("text") == "Bell and nul"


def test_opml_non_ascii_is_utf8() -> None:
    feeds = [FeedLink("الفيضانات", f"{BASE}topics/floods-ar/atom.xml", "atom", "Topics")]
    data = render_opml(SITE, feeds, updated=UPDATED).data
    assert "الفيضانات".encode() in data
    assert parse(data).find("body/outline/outline").get("title") == "الفيضانات"


def test_opml_is_deterministic_and_matches_golden() -> None:
    data = render_opml(SITE, FEEDS, updated=UPDATED).data
    assert data == render_opml(SITE, list(FEEDS), updated=UPDATED).data
    path = GOLDEN / "feeds.opml"
    if os.environ.get("FEEDS_REGEN_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert path.exists(), f"golden file {path} missing: run with FEEDS_REGEN_GOLDEN=1"
    assert data == path.read_bytes(), "feeds.opml differs from its golden file (FEEDS_REGEN_GOLDEN=1 rewrites it)"
