"""Match feeds: all matches, one per rule, one coverage feed per release, and coverage on release pages."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from lxml import etree, html

from feeds.ingest import ingest_paths
from feeds.model import Match, MatchedTerm, WatchItem
from feeds.publish import run_publish
from feeds.store import schema

ATOM = "{http://www.w3.org/2005/Atom}"


def item(key: str, title: str, link: str | None, published: datetime | None = None) -> WatchItem:
    return WatchItem(
        key=key,
        title=title,
        link=link,
        guid=key,
        summary=f"Summary of {title}",
        content_text="x",
        author="",
        published=published or datetime(2026, 11, 28, 9, 0, tzinfo=UTC),
        updated=None,
        tags=(),
        content_hash=key,
    )


def app_with_release(make_settings, make_app_for, tmp_path, language=None):
    """An App holding one release, "Minister visits Kyiv", and that release (on a site in `language`)."""
    settings = make_settings()
    if language:
        settings = replace(settings, site=replace(settings.site, language=language))
    app = make_app_for(settings)
    src = tmp_path / "visit.json"
    src.write_text(json.dumps({"title": "Minister visits Kyiv", "body": "Talks.", "published": "2026-11-27T10:00Z"}))
    ingest_paths(app, [src])
    return app, app.store.release("minister-visits-kyiv")


@pytest.fixture
def site(make_settings, make_app_for, tmp_path):
    return with_coverage(*app_with_release(make_settings, make_app_for, tmp_path))


def with_coverage(app, release):
    """`app`, with a watched feed, a rule and matches of it and of `release`, and `release`."""
    now = app.clock()
    feed = app.store.add_feed(
        "https://news.example.com/rss", title="World Desk", tags=(), interval=1800, origin="cli", now=now
    )
    app.store.add_rule("kyiv", "kyiv", origin="cli", now=now)
    rows = app.store.upsert_items(
        feed.id,
        [
            item("a", "Minister in Kyiv <script>x</script>", "https://news.example.com/a"),
            item("b", "Quote picked up", "https://news.example.com/b"),
            item("c", "No link item", None),
        ],
        now,
    )
    ids = {it.key: i for i, it, _ in rows}
    term = (MatchedTerm("kyiv", "title", 12, 16),)
    app.store.add_matches(
        [
            (ids["a"], Match("keyword", "kyiv", "a", feed.id, term, 1.0, "matched rule 'kyiv': kyiv (title)"), None),
            (ids["a"], Match("related", release.id, "a", feed.id, term, 0.5, "related: Kyiv (title)"), 82800.0),
            (ids["b"], Match("pickup", release.id, "b", feed.id, (), 0.1, "quotes the release"), 3600.0),
            (ids["c"], Match("keyword", "kyiv", "c", feed.id, (), 1.0, "matched rule 'kyiv'"), None),
        ],
        now,
    )
    return app, release


def parse(path):
    d = feedparser.parse(path.read_bytes())
    assert not d.bozo, d.get("bozo_exception")
    return d


def test_match_feeds_are_published(site):
    app, release = site
    run_publish(app)
    out = app.settings.paths.out
    everything = parse(out / "matches" / "atom.xml")
    assert sorted(e.title for e in everything.entries) == [
        "Minister in Kyiv <script>x</script>",
        "No link item",
        "Quote picked up",
    ]
    assert all(e.id.startswith("tag:press.example.org,2026-11-28:item/") for e in everything.entries)
    (a,) = [e for e in everything.entries if e.get("link", "").endswith("/a")]
    assert "rule 'kyiv'" in a.summary and "Minister visits Kyiv" in a.summary, "one entry, both reasons"
    rule = parse(out / "matches" / "rules" / "kyiv" / "atom.xml")
    assert sorted(e.title for e in rule.entries) == ["Minister in Kyiv <script>x</script>", "No link item"]
    assert all(e.id.startswith("tag:press.example.org,2026-11-28:match/") for e in rule.entries)
    assert all("Keyword match for rule 'kyiv'" in e.summary for e in rule.entries)
    assert not any("matched rule" in e.summary for e in rule.entries), "the rule is named once"
    coverage = parse(out / "coverage" / release.slug / "atom.xml")
    assert {e.link for e in coverage.entries} == {"https://news.example.com/a", "https://news.example.com/b"}
    assert coverage.feed.link == release.permalink
    assert json.loads((out / "matches" / "feed.json").read_bytes())["items"]
    assert b"<script" not in (out / "matches" / "rss.xml").read_bytes()


def test_a_match_whose_item_has_no_web_address_is_an_entry_without_a_link(site):
    """Atom allows an entry without an alternate link when it has content; RSS and JSON Feed make the link
    optional. Leaving the match out made the feeds disagree with `feeds matches list` and the release page."""
    app, _ = site
    run_publish(app)
    rule = app.settings.paths.out / "matches" / "rules" / "kyiv"
    atom = etree.parse(str(rule / "atom.xml")).getroot()
    (entry,) = [e for e in atom.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}title") == "No link item"]
    assert entry.find(f"{ATOM}link") is None
    assert entry.find(f"{ATOM}content") is not None and "From World Desk" in entry.findtext(f"{ATOM}summary")
    channel = etree.parse(str(rule / "rss.xml")).getroot().find("channel")
    (item,) = [i for i in channel.iter("item") if i.findtext("title") == "No link item"]
    assert item.find("link") is None and item.findtext("description")
    (doc,) = [i for i in json.loads((rule / "feed.json").read_bytes())["items"] if i["title"] == "No link item"]
    assert "url" not in doc and doc["content_html"]


def test_match_feeds_list_what_one_poll_found_newest_item_first_and_never_date_an_item_ahead(
    make_settings, make_app_for, tmp_path
):
    """Items found in one poll share the time they were found: the newer item comes first (it was ordered by a
    hash). An item dated 2099 is dated when it was seen: it would otherwise head every feed until then."""
    app, _ = app_with_release(make_settings, make_app_for, tmp_path)
    now = app.clock()
    feed = app.store.add_feed(
        "https://news.example.com/rss", title="Desk", tags=(), interval=1800, origin="cli", now=now
    )
    app.store.add_rule("kyiv", "kyiv", origin="cli", now=now)
    dates = {
        "old": datetime(2017, 5, 1, tzinfo=UTC),
        "new": now - timedelta(hours=1),
        "ahead": datetime(2099, 11, 28, tzinfo=UTC),
    }
    rows = app.store.upsert_items(
        feed.id,
        [item(k, f"Kyiv story {k}", f"https://news.example.com/{k}", published=d) for k, d in dates.items()],
        now,
    )
    (ahead_id,) = [i for i, it, _ in rows if it.key == "ahead"]
    (stored_ahead,) = app.store.stored_items(ids=[ahead_id])
    assert stored_ahead.published == now
    changed = replace(
        item("ahead", "Kyiv story ahead", "https://news.example.com/ahead", dates["ahead"]), content_hash="v2"
    )
    app.store.upsert_items(feed.id, [changed], now + timedelta(minutes=10))  # a change does not move its date
    assert app.store.stored_items(ids=[ahead_id])[0].published == now
    app.store.add_matches(
        [(i, Match("keyword", "kyiv", it.key, feed.id, (), 1.0, "matched rule 'kyiv'"), None) for i, it, _ in rows], now
    )
    run_publish(app)
    atom = etree.parse(str(app.settings.paths.out / "matches" / "rules" / "kyiv" / "atom.xml")).getroot()
    assert [e.findtext(f"{ATOM}title") for e in atom.iter(f"{ATOM}entry")] == [
        "Kyiv story ahead",
        "Kyiv story new",
        "Kyiv story old",
    ]
    assert [m.item.item.title for m in app.store.matches(subject="kyiv")] == [
        e.findtext(f"{ATOM}title") for e in atom.iter(f"{ATOM}entry")
    ], "`feeds matches list` lists them as the feed does"
    assert atom.findtext(f"{ATOM}updated").startswith(f"{now:%Y-%m-%d}")
    assert "2099" not in (app.settings.paths.out / "matches" / "rules" / "kyiv" / "rss.xml").read_text()


def test_release_page_lists_its_coverage_and_links_the_coverage_feed(site):
    app, release = site
    run_publish(app)
    page = html.parse(str(app.settings.paths.out / "releases" / release.slug / "index.html")).getroot()
    text = page.text_content()
    assert "Quote picked up" in text and "World Desk" in text
    hrefs = {a.get("href") for a in page.iter("a", "link")}
    assert f"https://press.example.org/coverage/{release.slug}/atom.xml" in hrefs
    assert "https://news.example.com/b" in hrefs


def test_match_entry_ids_never_change(site):
    app, _ = site
    run_publish(app)
    before = [e.id for e in parse(app.settings.paths.out / "matches" / "atom.xml").entries]
    app.clock.advance(timedelta(days=3))
    run_publish(app)
    assert [e.id for e in parse(app.settings.paths.out / "matches" / "atom.xml").entries] == before
    assert run_publish(app).changed == []


def test_an_entry_keeps_its_id_in_every_feed_when_a_stronger_match_is_found_later(site):
    """Review 2: the all-matches entry was dated by the item's strongest match, so a pickup found a day after a
    keyword match (retro matching a release ingested later) gave the article a new id, and every reader showed it
    again as unread. Day 1 a keyword match, day 2 related coverage, day 3 a pickup: each found later and each
    stronger in some feed, and no published id moves."""
    app, release = site
    (feed,) = app.store.feeds()
    ((d, _, _),) = app.store.upsert_items(
        feed.id, [item("d", "Kyiv talks go on", "https://news.example.com/d")], app.clock()
    )
    out = app.settings.paths.out
    paths = {
        "matches": out / "matches" / "atom.xml",
        "rule": out / "matches" / "rules" / "kyiv" / "atom.xml",
        "coverage": out / "coverage" / release.slug / "atom.xml",
    }

    def ids() -> dict[str, list[str]]:
        run_publish(app)
        return {
            name: [e.id for e in parse(path).entries if e.get("link") == "https://news.example.com/d"]
            for name, path in paths.items()
        }

    found = [
        Match("keyword", "kyiv", "d", feed.id, (), 1.0, "matched rule 'kyiv': kyiv (title)"),
        Match("related", release.id, "d", feed.id, (), 0.5, "related: Kyiv (title)"),
        Match("pickup", release.id, "d", feed.id, (), 0.2, "quotes the release"),
    ]
    seen: list[dict[str, list[str]]] = []
    for match in found:
        app.store.add_matches([(d, match, None)], app.clock())
        seen.append(ids())
        app.clock.advance(timedelta(days=1))
    first, second, third = seen
    assert first["matches"] and first["rule"] and not first["coverage"]
    assert second["coverage"], "the related match brings the article into the release's coverage feed"
    assert first["matches"] == second["matches"] == third["matches"], "the all-matches entry keeps its id"
    assert first["rule"] == second["rule"] == third["rule"]
    assert second["coverage"] == third["coverage"]
    assert all(len(v) == 1 for v in third.values()), "one entry per feed"


def test_an_entry_keeps_its_id_when_the_match_that_dated_it_is_deleted(site):
    """A closing note's find: an all-matches entry is dated by its item's first match, and a coverage entry named
    by it, so deleting that match (a rule removed, a release edited so that it no longer relates) gave the
    article a new id while it stayed listed, and every reader showed it again as new. Ids are now kept as first
    published; so is a per-rule entry's when its rule's match is deleted and made again later."""
    app, release = site
    (feed,) = app.store.feeds()
    ((e, _, _),) = app.store.upsert_items(
        feed.id, [item("e", "Kyiv talks resume", "https://news.example.com/e")], app.clock()
    )
    out = app.settings.paths.out
    everything, coverage = out / "matches" / "atom.xml", out / "coverage" / release.slug / "atom.xml"

    def entry_id(path) -> str | None:
        run_publish(app)
        return next((x.id for x in parse(path).entries if x.get("link") == "https://news.example.com/e"), None)

    app.store.add_matches(
        [(e, Match("keyword", "kyiv", "e", feed.id, (), 1.0, "matched rule 'kyiv'"), None)], app.clock()
    )
    app.store.add_matches(
        [(e, Match("related", release.id, "e", feed.id, (), 0.5, "related: Kyiv (title)"), 60.0)], app.clock()
    )
    first_all, first_coverage = entry_id(everything), entry_id(coverage)
    assert first_all and ",2026-11-28:" in first_all
    app.clock.advance(timedelta(days=2))
    app.store.add_matches([(e, Match("pickup", release.id, "e", feed.id, (), 0.2, "quotes it"), 60.0)], app.clock())
    assert entry_id(everything) == first_all and entry_id(coverage) == first_coverage

    def delete(kind: str) -> None:
        with app.store.transaction() as tx:
            tx.conn.execute(schema.matches.delete().where(schema.matches.c.kind == kind, schema.matches.c.item_id == e))

    delete("keyword")  # the rule's matches go (`feeds keywords remove` deletes the rule's matches)
    delete("related")  # the release no longer relates
    assert entry_id(everything) == first_all, "the all-matches entry keeps the id readers have"
    assert entry_id(coverage) == first_coverage, "so does the coverage entry, now the pickup's"

    rule = out / "matches" / "rules" / "kyiv" / "atom.xml"
    app.store.add_matches(
        [(e, Match("keyword", "kyiv", "e", feed.id, (), 1.0, "matched rule 'kyiv'"), None)], app.clock()
    )
    assert entry_id(rule) is not None
    assert entry_id(rule).split(":")[1] == "press.example.org,2026-11-28", "as first published, on the first day"


def test_a_dry_run_records_no_entry_id_and_pruned_items_take_theirs_away(site):
    app, _ = site
    run_publish(app, dry_run=True)
    keys = {"https://news.example.com/a", "https://news.example.com/b"}
    assert app.store.entry_ids(keys) == {}
    run_publish(app)
    kept = app.store.entry_ids(keys)
    coverage = "coverage:minister-visits-kyiv"
    assert set(kept) == {(f, e) for f in ("matches", coverage) for e in keys} | {("rule:kyiv", min(keys))}
    with app.store.transaction() as tx:  # the item "b" loses its match, then goes when items are pruned
        tx.conn.execute(schema.matches.delete().where(schema.matches.c.kind == "pickup"))
    assert app.store.prune_items(app.clock() + timedelta(days=365)) == 1
    assert {entry for _, entry in app.store.entry_ids(keys)} == {"https://news.example.com/a"}


def test_no_match_feeds_without_watching(make_settings, make_app_for):
    app = make_app_for(make_settings())
    run_publish(app)
    assert not (app.settings.paths.out / "matches").exists()


def test_a_rule_without_matches_has_a_feed_dated_when_the_rule_was_last_changed(site):
    """Not an invented date: Atom's `updated` is the last significant change, here the rule's own."""
    app, _ = site
    app.clock.advance(timedelta(days=2))
    app.store.add_rule("ferries", "ferry OR ferries", origin="cli", now=app.clock())
    run_publish(app)
    feed = parse(app.settings.paths.out / "matches" / "rules" / "ferries" / "atom.xml")
    assert feed.entries == [] and feed.feed.updated == app.clock().isoformat().replace("+00:00", "Z")
    rss = parse(app.settings.paths.out / "matches" / "rules" / "ferries" / "rss.xml")
    assert rss.feed.updated_parsed[:3] == app.clock().timetuple()[:3]


def test_rules_stored_with_names_that_share_a_slug_still_get_a_feed_each(site):
    """(Such names are refused now; a database from before may hold them, the newer without its keys: see
    migration 12.) Publishing settles: nothing changes on the next run, and neither feed overwrites the other."""
    app, _ = site
    with app.store.engine.begin() as conn:
        now = app.clock()
        conn.execute(
            schema.rules.insert().values(name="kyiv*", query="kyiv*", origin="cli", created_at=now, updated_at=now)
        )
    first = run_publish(app)
    rules = app.settings.paths.out / "matches" / "rules"
    folders = sorted(p.name for p in rules.iterdir())
    assert len(folders) == 2 and folders[0] == "kyiv" and folders[1].startswith("kyiv-")
    assert len([p for p in first.changed if p.startswith("matches/rules/")]) == 6
    assert run_publish(app).changed == []


def test_the_release_page_lists_an_article_once_dated_by_the_article(make_settings, make_app_for, tmp_path):
    """Found in two feeds, and as a pickup and related: one line naming both sources and both kinds."""
    app, release = app_with_release(make_settings, make_app_for, tmp_path)
    now = app.clock()
    ids = []
    for n, name in enumerate(("World Desk", "Wire Copy")):
        feed = app.store.add_feed(
            f"https://news{n}.example.com/rss", title=name, tags=(), interval=1800, origin="cli", now=now
        )
        (row,) = app.store.upsert_items(feed.id, [item(f"a{n}", "Minister in Kyiv", "https://news.example.com/a")], now)
        ids.append((row[0], feed.id))
    app.store.add_matches(
        [
            (ids[0][0], Match("pickup", release.id, "a0", ids[0][1], (), 0.1, "quotes the release"), 60.0),
            (ids[1][0], Match("related", release.id, "a1", ids[1][1], (), 0.5, "related: Kyiv"), 60.0),
        ],
        now,
    )
    run_publish(app)
    page = html.parse(str(app.settings.paths.out / "releases" / release.slug / "index.html")).getroot()
    (line,) = page.xpath("//section[@class='coverage']//li")
    text = " ".join(line.text_content().split())
    assert "World Desk, Wire Copy" in text and "Verbatim pickup, Related coverage" in text
    assert "quotes the release" in text
    assert "28 November 2026" in text  # the article's own date (item() dates it 28 Nov, 09:00 UTC)


def test_a_coverage_feed_lists_an_article_once_under_the_id_of_its_first_match(site):
    """Watch review: a coverage feed had one entry per match, so an article found both as a pickup and as related
    (or in two feeds) was listed twice; the release page already listed it once. The entry keeps the id it was
    first published under."""
    app, release = site
    now = app.clock()
    feed = app.store.feeds()[0]
    run_publish(app)
    path = app.settings.paths.out / "coverage" / release.slug / "atom.xml"
    (first,) = [e for e in parse(path).entries if e.link == "https://news.example.com/b"]
    (b,) = [i for i in app.store.stored_items() if i.item.key == "b"]
    later = now + timedelta(hours=1)
    app.store.add_matches(
        [(b.id, Match("related", release.id, "b", feed.id, (), 0.6, "related to 'x': Kyiv (title)"), 3600.0)], later
    )
    run_publish(app)
    entries = [e for e in parse(path).entries if e.link == "https://news.example.com/b"]
    assert [e.id for e in entries] == [first.id], "one entry, the id readers already have"
    assert "Verbatim pickup of 'Minister visits Kyiv'" in entries[0].summary and "Related to" in entries[0].summary


def test_an_article_in_two_feeds_names_both_leads_with_its_pickup_and_lists_each_rule_once(site):
    """Watch review: in the all-matches feed, an article carried by a wire and a paper was credited to the wire,
    quoting its copy, though the verbatim quote was in the paper's; and each rule was listed twice."""
    app, _ = site
    now = app.clock()
    (desk,) = app.store.feeds()
    wire = app.store.add_feed(
        "https://wire.example.com/rss", title="Global Wire", tags=(), interval=1800, origin="cli", now=now
    )
    rows = app.store.upsert_items(wire.id, [item("w", "Quote picked up (wire)", "https://news.example.com/b")], now)
    (b,) = [i for i in app.store.stored_items() if i.item.key == "b"]
    app.store.add_matches(
        [
            (rows[0][0], Match("keyword", "kyiv", "w", wire.id, (), 1.0, "matched rule 'kyiv': kyiv (title)"), None),
            (b.id, Match("keyword", "kyiv", "b", desk.id, (), 1.0, "matched rule 'kyiv': kyiv (summary)"), None),
        ],
        now - timedelta(minutes=5),
    )
    run_publish(app)
    entries = parse(app.settings.paths.out / "matches" / "atom.xml").entries
    (entry,) = [e for e in entries if e.link == "https://news.example.com/b"]
    assert entry.summary.startswith("From World Desk, Global Wire. Verbatim pickup of 'Minister visits Kyiv'")
    assert entry.summary.count("Keyword match for rule 'kyiv'") == 1
    assert entry.content[0].value.count("<li>") == 2, "one line per reason in the entry's content"


def test_a_reason_drops_the_explanations_own_opening_whatever_the_name_holds(site):
    """A rule named with an apostrophe, a release title with a colon: the explanation's own "matched rule '…'" or
    "related to '…'" is left out whole, not cut at the first quote or colon inside the name."""
    from feeds.publish.explain import reason
    from feeds.publish.i18n import messages_for

    app, release = site
    words = messages_for(app.settings.site)
    (kyiv,) = [m for m in app.store.matches() if m.kind == "related"]
    titled = replace(kyiv, why="related to 'UK: talks resume': Iran (title); score 0.50")
    assert reason(titled, {release.id: "UK: talks resume"}, words) == (
        "Related to 'UK: talks resume': Iran (title); score 0.50."
    )
    (rule,) = [m for m in app.store.matches() if m.kind == "keyword" and m.item.item.key == "a"]
    named = replace(rule, subject="Minister's visit", why="matched rule 'Minister's visit': kyiv (title)")
    assert reason(named, {}, words) == "Keyword match for rule 'Minister's visit': kyiv (title)."


@pytest.fixture
def one_release(make_settings, make_app_for, tmp_path):
    return app_with_release(make_settings, make_app_for, tmp_path)


def test_stored_texts_xml_forbids_are_left_out_and_never_fail_the_publish(one_release):
    """An item stored from a JSON Feed before its author was cleaned, or a feed titled on the command line, may
    hold control characters: lxml refuses them, and one such string failed the whole site's publish."""
    app, release = one_release
    now = app.clock()
    feed = app.store.add_feed(
        "https://news.example.com/j.json", title="Desk \x07 Wire", tags=(), interval=1800, origin="cli", now=now
    )
    app.store.add_rule("kyiv", "kyiv", origin="cli", now=now)
    bad = replace(item("j", "Kyiv \x01 talks\ufffe", "https://news.example.com/j"), author="Ann \x0b Lee")
    bad = replace(bad, summary="Talks \x1b in Kyiv.")
    ((item_id, _, _),) = app.store.upsert_items(feed.id, [bad], now)
    term = (MatchedTerm("kyiv", "title", 0, 4),)
    app.store.add_matches(
        [
            (item_id, Match("keyword", "kyiv", "j", feed.id, term, 1.0, "matched rule 'kyiv': kyiv (title)"), None),
            (item_id, Match("related", release.id, "j", feed.id, term, 0.5, "related: Kyiv (title)"), 3600.0),
        ],
        now,
    )
    run_publish(app)
    out = app.settings.paths.out
    for doc in (out / "matches" / "atom.xml", out / "coverage" / release.slug / "rss.xml"):
        (entry,) = parse(doc).entries
        assert (entry.title, entry.author) == ("Kyiv talks", "Ann Lee")
        assert "From Desk Wire." in entry.summary and "\x1b" not in entry.content[0].value
    page = html.fromstring((out / "releases" / release.slug / "index.html").read_bytes())
    assert page.xpath("normalize-space(//section[@class='coverage']//*[@class='source'])") == "Desk Wire"


def test_a_release_s_coverage_feed_is_named_in_the_site_s_language(make_settings, make_app_for, tmp_path):
    """A coverage feed is offered on the release's public page, under the site's language's heading: its title
    and the link to it are the site's words (as what its entries say is: see the test below)."""
    app, release = with_coverage(*app_with_release(make_settings, make_app_for, tmp_path, language="fr"))
    run_publish(app)
    out = app.settings.paths.out
    page = html.parse(str(out / "releases" / release.slug / "index.html")).getroot()
    assert [" ".join(s.text_content().split()) for s in page.xpath("//span[@class='feed-title']")][-1] == (
        "Couverture de ce communiqué"
    )
    feed = parse(out / "coverage" / release.slug / "atom.xml").feed
    assert feed.title == "Couverture médiatique\u00a0: Minister visits Kyiv"
    assert feed.subtitle == "Articles liés à «\u00a0Minister visits Kyiv\u00a0» ou qui le citent."


def model_release_watched(make_settings, make_app_for, httpserver, corpus_releases, clock, language):
    """A site in `language` with the model release, a rule and a watched feed polled once: real matches of each
    kind, explained as the watch explains them (keyword and related for one item, a pickup for another)."""
    from feeds.watch.manage import add_feed
    from feeds.watch.poll import run_watch
    from tests.test_watch_poll import model_coverage

    settings = make_settings('\n[http]\nallow = ["127.0.0.1", "localhost", "::1"]\n')
    app = make_app_for(replace(settings, site=replace(settings.site, language=language)))
    ingest_paths(app, [corpus_releases / "foreign-secretary-to-visit-moscow.txt"])
    release = app.store.release("foreign-secretary-to-visit-moscow")
    app.store.add_rule("lavrov", "lavrov OR moscow", origin="cli", now=app.clock())
    httpserver.expect_request("/feed.xml").respond_with_data(model_coverage(release.body_text), content_type="text/xml")
    add_feed(app, httpserver.url_for("/feed.xml"))
    clock.advance(timedelta(hours=2))
    run_watch(app)
    assert sorted((m.item.item.key, m.kind) for m in app.store.matches()) == [
        ("pickup", "pickup"),
        ("related", "keyword"),
        ("related", "related"),
    ]
    run_publish(app)
    return app, release


def coverage_lines(app, release):
    page = html.parse(str(app.settings.paths.out / "releases" / release.slug / "index.html")).getroot()
    return [words(s) for s in page.xpath("//section[@class='coverage']//span[@class='why']")]


def words(element) -> str:
    """An element's text, its lines and indentation one space (a no-break space kept)."""
    return re.sub(r"[ \t\n]+", " ", element.text_content()).strip()


def summaries(path):
    return {e.title: (e.summary, [t.label for t in e.tags]) for e in parse(path).entries}


NB = "\u00a0"
FR_RELATED = (
    f"Lavrov 0,06, Moscow 0,09 (titre), Boris Johnson 0,07, North Korea 0,07, Iran 0,06, UN Security Council 0,09"
    f" (résumé){NB}; score 0,44"
)
FR_PICKUP = (
    f"68 mots du résumé (“Russia is a fellow permanent member of the … issues and more, face-to-face”){NB}; score 0,18"
)


def test_a_french_site_explains_its_matches_in_french(make_settings, make_app_for, httpserver, corpus_releases, clock):
    """Why an item matched (the rule and its terms, the release's names and their shares, the passage picked up,
    the score) is published on the release page's Coverage list and in the match feeds: a French site says it in
    French, with French decimals and field names; the names of the rule and release and the item's words stay as
    written. The match feeds' titles, subtitles, links and categories are French too."""
    app, release = model_release_watched(make_settings, make_app_for, httpserver, corpus_releases, clock, "fr")
    out = app.settings.paths.out
    quoted = f"«{NB}Foreign Secretary to visit Moscow{NB}»"
    assert coverage_lines(app, release) == [
        f"lié à {quoted}{NB}: {FR_RELATED}",
        f"reprise de {quoted}{NB}: {FR_PICKUP}",
    ]

    everything = parse(out / "matches" / "atom.xml").feed
    assert (everything.title, everything.subtitle) == (
        f"Test Press Office{NB}: toutes les correspondances",
        "Articles trouvés par les règles de mots-clés, et couverture de nos communiqués.",
    )
    keyword = (
        f"Correspondance par mot-clé pour la règle «{NB}lavrov{NB}»{NB}: lavrov ×2 (titre, résumé), moscow (titre)."
    )
    assert summaries(out / "matches" / "atom.xml") == {
        "Johnson to meet Sergei Lavrov in Moscow": (
            f"Source{NB}: World Desk. {keyword} Lié à {quoted}{NB}: {FR_RELATED}.",
            ["Correspondance par mot-clé", "Couverture liée"],
        ),
        "UK minister plans Russia trip": (
            f"Source{NB}: World Desk. Reprise mot pour mot de {quoted}{NB}: {FR_PICKUP}.",
            ["Reprise mot pour mot"],
        ),
    }
    rule = out / "matches" / "rules" / "lavrov" / "atom.xml"
    assert (parse(rule).feed.title, parse(rule).feed.subtitle) == (
        f"Test Press Office{NB}: correspondances de la règle «{NB}lavrov{NB}»",
        f"Articles correspondant à la règle «{NB}lavrov{NB}».",
    )
    assert summaries(rule) == {
        "Johnson to meet Sergei Lavrov in Moscow": (
            f"Source{NB}: World Desk. {keyword}",
            ["Correspondance par mot-clé"],
        )
    }
    coverage = summaries(out / "coverage" / release.slug / "rss.xml")
    assert coverage["UK minister plans Russia trip"][0] == (
        f"Source{NB}: World Desk. Reprise mot pour mot de {quoted}{NB}: {FR_PICKUP}."
    )
    index = html.parse(str(out / "index.html")).getroot()
    titles = [words(s) for s in index.xpath("//span[@class='feed-title']")]
    assert "Toutes les correspondances" in titles and f"Règle{NB}: lavrov" in titles


def test_an_english_site_publishes_the_watch_s_explanations_as_stored(
    make_settings, make_app_for, httpserver, corpus_releases, clock
):
    app, release = model_release_watched(make_settings, make_app_for, httpserver, corpus_releases, clock, "en-GB")
    stored = {m.kind: m.why for m in app.store.matches()}
    assert coverage_lines(app, release) == [stored["related"], stored["pickup"]]
    out = app.settings.paths.out
    assert summaries(out / "matches" / "rules" / "lavrov" / "atom.xml") == {
        "Johnson to meet Sergei Lavrov in Moscow": (
            "From World Desk. Keyword match for rule 'lavrov': lavrov ×2 (title, summary), moscow (title).",
            ["Keyword match"],
        )
    }
    (pickup,) = [e for e in parse(out / "matches" / "atom.xml").entries if e.title == "UK minister plans Russia trip"]
    assert pickup.summary == "From World Desk. Verbatim pickup of " + stored["pickup"].removeprefix("pickup of ") + "."
