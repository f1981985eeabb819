"""A press officer's corrections end to end on a real SQLite deployment: `feeds matches dismiss`, `restore` and
`add`, and what each does to the published feeds and pages."""

from __future__ import annotations

import json

import feedparser
from lxml import html

from tests.alerts_helpers import watch_item
from tests.cli_watch_helpers import RSS, run

FOOTBALL = "https://news.example.com/iran-football"
TALKS = "https://news.example.com/iran-talks"


def _seed(config, tmp_path):
    """Two releases; a football story stored as related to both, a story on the talks as a pickup of the first.
    Returns (talks release, other release)."""
    from feeds.app import make_app
    from feeds.config import load_settings
    from feeds.model import Match

    releases = tmp_path / "releases.json"
    releases.write_text(
        json.dumps(
            [
                {"title": "Iran nuclear talks resume", "body": "Talks in Vienna.", "source_key": "talks"},
                {"title": "Sport diplomacy week", "body": "Football and diplomacy.", "source_key": "sport"},
            ]
        )
    )
    assert run(config, "ingest", str(releases)).exit_code == 0
    app = make_app(load_settings(config, environ={}))
    try:
        now = app.clock()
        feed = app.store.add_feed(
            "https://news.example.com/rss", title="Desk", tags=(), interval=1800, origin="cli", now=now
        )
        stored = app.store.upsert_items(
            feed.id,
            [
                watch_item("football", "Iran beat Qatar in Doha", link=FOOTBALL + "?utm_source=rss"),
                watch_item("talks", "Vienna talks on Iran resume", link=TALKS),
            ],
            now,
        )
        football, talks = (row[0] for row in stored)
        by_title = {r.title: r for r in app.store.releases()}
        iran, sport = by_title["Iran nuclear talks resume"], by_title["Sport diplomacy week"]
        app.store.add_matches(
            [
                (football, Match("related", iran.id, "football", feed.id, (), 0.4, f"related to {iran.title!r}"), 60.0),
                (
                    football,
                    Match("related", sport.id, "football", feed.id, (), 0.5, f"related to {sport.title!r}"),
                    60.0,
                ),
                (talks, Match("pickup", iran.id, "talks", feed.id, (), 0.9, f"pickup of {iran.title!r}"), 60.0),
            ],
            now,
        )
        return iran, sport
    finally:
        app.close()


def _links(config, path):
    body = (config.parent / "out" / path / "atom.xml").read_bytes()
    return sorted(e.link for e in feedparser.parse(body).entries)


def _page_links(config, slug):
    page = html.parse(str(config.parent / "out" / "releases" / slug / "index.html")).getroot()
    return sorted(page.xpath("//section[@class='coverage']/ul/li/a/@href"))


def test_a_dismissed_match_leaves_its_release_s_coverage_at_the_next_publish_and_not_the_other_release_s(
    config, tmp_path
):
    iran, sport = _seed(config, tmp_path)
    assert run(config, "publish").exit_code == 0
    assert _links(config, f"coverage/{iran.slug}") == [FOOTBALL, TALKS]
    assert _page_links(config, iran.slug) == [FOOTBALL, TALKS]

    # named by its address as the browser shows it (no tracking parameters) and the release's slug
    done = run(config, "matches", "dismiss", FOOTBALL, "--release", iran.slug, "--reason", "sport, not the talks",
               "--by", "Ana")  # fmt: skip
    assert done.exit_code == 0, done.output
    assert f"release {iran.slug}" in done.output and "Iran beat Qatar" in done.output
    assert "at the next publish" in done.output

    assert run(config, "publish").exit_code == 0
    assert _links(config, f"coverage/{iran.slug}") == [TALKS]
    assert _page_links(config, iran.slug) == [TALKS]
    assert _links(config, f"coverage/{sport.slug}") == [FOOTBALL]  # (another release's match of the same story)
    assert _page_links(config, sport.slug) == [FOOTBALL]
    assert FOOTBALL in _links(config, "matches")  # (the all-matches entry: still sport's coverage)

    # kept, with when, why and by whom; left out of the list of matches shown
    (gone,) = json.loads(run(config, "matches", "list", "--dismissed", "--json").stdout)
    assert (gone["release"], gone["dismiss_reason"], gone["curated_by"]) == (iran.id, "sport, not the talks", "Ana")
    assert gone["dismissed_at"] is not None
    text = run(config, "matches", "list", "--dismissed").output
    assert f"#{gone['id']} related of release {iran.slug}" in text and "by Ana: sport, not the talks" in text
    shown = json.loads(run(config, "matches", "list", "--release", iran.slug, "--json").stdout)
    assert [m["link"] for m in shown] == [TALKS]

    # the same bytes at every publish after it
    before = (config.parent / "out" / "coverage" / iran.slug / "atom.xml").read_bytes()
    assert run(config, "publish").exit_code == 0
    assert (config.parent / "out" / "coverage" / iran.slug / "atom.xml").read_bytes() == before

    again = run(config, "matches", "dismiss", str(gone["id"]))
    assert again.exit_code == 1 and f"match #{gone['id']} was dismissed already" in again.output

    back = run(config, "matches", "restore", f"#{gone['id']}", "--by", "Ben")
    assert back.exit_code == 0, back.output
    assert "is published again" in back.output
    assert run(config, "publish").exit_code == 0
    assert _links(config, f"coverage/{iran.slug}") == [FOOTBALL, TALKS]
    assert json.loads(run(config, "matches", "list", "--dismissed", "--json").stdout) == []
    restored = run(config, "matches", "restore", str(gone["id"]))
    assert restored.exit_code == 1 and "is not dismissed" in restored.output


def test_matches_are_named_by_id_or_by_address_with_their_release_or_rule_and_errors_say_which(config, tmp_path):
    iran, _ = _seed(config, tmp_path)
    listed = run(config, "matches", "list", "--release", iran.slug)
    assert "match #" in listed.output  # (the id `dismiss` takes, on each entry)

    missing = run(config, "matches", "dismiss", "999")
    assert missing.exit_code == 1 and "no match #999" in missing.output
    no_subject = run(config, "matches", "dismiss", FOOTBALL)
    assert no_subject.exit_code == 2 and "--release" in no_subject.output and "--rule" in no_subject.output
    both = run(config, "matches", "dismiss", FOOTBALL, "--release", iran.slug, "--rule", "x")
    assert both.exit_code == 2 and "give one" in both.output
    id_and_release = run(config, "matches", "dismiss", "3", "--release", iran.slug)
    assert id_and_release.exit_code == 2 and "match's id" in id_and_release.output
    elsewhere = run(config, "matches", "dismiss", "https://news.example.com/nothing", "--release", iran.slug)
    assert elsewhere.exit_code == 1
    assert f"no match of release {iran.slug} lists https://news.example.com/nothing" in elsewhere.output
    unknown = run(config, "matches", "dismiss", FOOTBALL, "--release", "no-such-release")
    assert unknown.exit_code == 1 and "no-such-release" in unknown.output
    not_dismissed = run(config, "matches", "restore", FOOTBALL, "--release", iran.slug)
    assert not_dismissed.exit_code == 1 and f"no dismissed match of release {iran.slug}" in not_dismissed.output
    refused = run(config, "matches", "list", "--dismissed", "--csv")
    assert refused.exit_code == 2 and "--dismissed" in refused.output

    done = json.loads(run(config, "matches", "dismiss", TALKS, "--release", iran.slug, "--json").stdout)
    assert [(m["kind"], m["link"]) for m in done] == [("pickup", TALKS)] and done[0]["dismissed_at"]


def test_coverage_added_by_hand_is_published_explained_as_such_and_can_be_dismissed(config, tmp_path):
    iran, sport = _seed(config, tmp_path)
    _store_missed_article(config)
    added = run(config, "matches", "add", "https://paper.example/envoys?utm_medium=email", "--release", iran.slug,
                "--by", "Ana", "--json")  # fmt: skip
    assert added.exit_code == 0, added.output
    match = json.loads(added.stdout)
    assert (match["kind"], match["release"], match["why"], match["curated_by"]) == (
        "manual", iran.id, "added by hand by Ana", "Ana",
    )  # fmt: skip
    assert run(config, "publish").exit_code == 0
    assert "https://paper.example/envoys" in _links(config, f"coverage/{iran.slug}")
    page = (config.parent / "out" / "releases" / iran.slug / "index.html").read_text("utf-8")
    assert "Added by hand" in page
    body = (config.parent / "out" / "coverage" / iran.slug / "atom.xml").read_text("utf-8")
    assert "Added by hand as coverage of" in body
    assert run(config, "matches", "list", "--kind", "manual", "--json").stdout.count('"manual"') == 1

    twice = run(config, "matches", "add", "https://paper.example/envoys", "--release", iran.slug)
    assert twice.exit_code == 1 and f"match #{match['id']} (manual)" in twice.output
    covered = run(config, "matches", "add", FOOTBALL, "--release", sport.slug)
    assert covered.exit_code == 1 and "already" in covered.output and "(related)" in covered.output
    nowhere = run(config, "matches", "add", "https://elsewhere.example/x", "--release", iran.slug)
    assert nowhere.exit_code == 1 and "https://elsewhere.example/x" in nowhere.output
    no_release = run(config, "matches", "add", "https://paper.example/envoys", "--release", "nope")
    assert no_release.exit_code == 1 and "nope" in no_release.output

    # dismissed (a slip of the hand) and added again: the same match comes back
    assert run(config, "matches", "dismiss", str(match["id"])).exit_code == 0
    assert run(config, "publish").exit_code == 0
    assert "https://paper.example/envoys" not in _links(config, f"coverage/{iran.slug}")
    again = json.loads(
        run(config, "matches", "add", "https://paper.example/envoys", "--release", iran.slug, "--json").stdout
    )
    assert again["id"] == match["id"] and again["dismissed_at"] is None


def test_a_keyword_match_dismissed_is_not_found_again_by_a_re_poll_a_changed_item_or_a_rule_edit(config, httpserver):
    """Real polls of a local feed: the dismissed match stays dismissed whatever matching does after it."""
    body = RSS
    httpserver.expect_request("/feed.xml").respond_with_handler(
        lambda request: __import__("werkzeug").Response(body, content_type="application/rss+xml")
    )
    assert run(config, "watch", "add", httpserver.url_for("/feed.xml")).exit_code == 0
    assert run(config, "keywords", "add", "lavrov", "--name", "lavrov").exit_code == 0
    assert run(config, "keywords", "add", "geneva", "--name", "geneva").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    found = json.loads(run(config, "matches", "list", "--json").stdout)
    assert sorted(m["rule"] for m in found) == ["geneva", "lavrov"]
    done = run(config, "matches", "dismiss", "https://news.example.com/a", "--rule", "lavrov", "--reason", "old")
    assert done.exit_code == 0, done.output

    def shown():
        return sorted(m["rule"] for m in json.loads(run(config, "matches", "list", "--json").stdout))

    assert shown() == ["geneva"]  # (the other rule's match of the same item stays)
    assert run(config, "watch", "poll", "1").exit_code == 0
    assert shown() == ["geneva"]
    # the item changes so that the rule no longer matches it (a match that would be removed), then back
    body = RSS.replace("Lavrov meets ministers", "Minister meets ministers")
    assert run(config, "watch", "poll", "1").exit_code == 0
    assert shown() == ["geneva"]
    body = RSS
    assert run(config, "watch", "poll", "1").exit_code == 0
    assert shown() == ["geneva"]
    # the rule is edited so that it no longer matches, then back (retro-matched among stored items each time)
    assert run(config, "keywords", "edit", "lavrov", "sergei").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    assert run(config, "keywords", "edit", "lavrov", "lavrov").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    assert shown() == ["geneva"]
    (gone,) = json.loads(run(config, "matches", "list", "--dismissed", "--json").stdout)
    assert (gone["rule"], gone["dismiss_reason"]) == ("lavrov", "old")


def test_an_article_no_watched_feed_brought_is_entered_by_hand_and_never_watched(config, tmp_path):
    iran, _ = _seed(config, tmp_path)
    radio = "https://radio.example/interview-7"
    added = run(config, "matches", "add", radio, "--release", iran.slug, "--title", "Minister on the talks",
                "--source", "City Radio", "--date", "2026-11-30 08:00", "--json")  # fmt: skip
    assert added.exit_code == 0, added.output
    match = json.loads(added.stdout)
    assert (match["kind"], match["feed"], match["title"], match["link"]) == (
        "manual", "City Radio", "Minister on the talks", radio,
    )  # fmt: skip
    assert match["published"].startswith("2026-11-30T08:00:00")
    assert run(config, "publish").exit_code == 0
    assert radio in _links(config, f"coverage/{iran.slug}")
    page = html.parse(str(config.parent / "out" / "releases" / iran.slug / "index.html")).getroot()
    (line,) = [li for li in page.xpath("//section[@class='coverage']/ul/li") if li.xpath("a/@href") == [radio]]
    assert line.xpath("span[@class='source']/text()") == ["City Radio"]
    # its source is no watched feed: not listed, not polled, not exported
    assert [f["title"] for f in json.loads(run(config, "watch", "list", "--json").stdout)] == ["Desk"]
    assert "hand-entered" not in run(config, "watch", "export").output

    missing = run(config, "matches", "add", "https://radio.example/other", "--release", iran.slug)
    assert missing.exit_code == 1 and "--title and --source" in missing.output
    half = run(config, "matches", "add", "https://radio.example/other", "--release", iran.slug, "--title", "T")
    assert half.exit_code == 2 and "--source" in half.output
    not_web = run(config, "matches", "add", "radio-interview", "--release", iran.slug, "--title", "T", "--source", "S")
    assert not_web.exit_code == 2 and "not an http(s) address" in not_web.output


def test_a_dismissal_is_a_change_the_daemon_publishes(config, tmp_path):
    """The daemon publishes when what it shows changed (`changes`): a dismissal stores no new match."""
    from feeds.app import make_app
    from feeds.config import load_settings
    from feeds.daemon.jobs import changes

    iran, _ = _seed(config, tmp_path)
    app = make_app(load_settings(config, environ={}))
    try:
        before = changes(app)
        assert run(config, "matches", "dismiss", TALKS, "--release", iran.slug).exit_code == 0
        assert changes(app) != before
    finally:
        app.close()


def test_title_and_source_given_for_an_article_stored_already_are_said_to_be_unused(config, tmp_path):
    """The stored copy (its title, its feed) is what is published: the press officer's words are not silently lost."""
    iran, _ = _seed(config, tmp_path)
    _store_missed_article(config)
    added = run(config, "matches", "add", "https://paper.example/envoys", "--release", iran.slug,
                "--title", "Envoys in Vienna", "--source", "The Paper", "--json")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["title"] == "Envoys meet again"
    assert "--title and --source are not used" in added.stderr and "Desk" in added.stderr


def _store_missed_article(config) -> None:
    """An article the watched feed "Desk" brought that no rule or release matched: https://paper.example/envoys."""
    from feeds.app import make_app
    from feeds.config import load_settings

    app = make_app(load_settings(config, environ={}))
    try:
        (feed,) = app.store.feeds()
        app.store.upsert_items(
            feed.id, [watch_item("missed", "Envoys meet again", link="https://paper.example/envoys")], app.clock()
        )
    finally:
        app.close()
