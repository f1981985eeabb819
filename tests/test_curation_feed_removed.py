"""A dismissal outlives the watched feed it came through (`feeds/store/dismissals.py`): `watch remove` takes the
feed's items and matches, but `matches list --dismissed` still lists the dismissal, the feed added again (or the
article through another feed) finds the article as dismissed, never published, and `matches restore` undoes it
while the feed is away as once it is back. A release taken down takes its dismissals with it. Real polls of a local
feed, on a real SQLite deployment (the store contract runs on both databases: `test_store_dismissals.py`)."""

from __future__ import annotations

import json

import werkzeug

from tests.cli_watch_helpers import RSS, run

ARTICLE = "https://news.example.com/a"


def _serve(httpserver, path: str = "/feed.xml", body: str = RSS) -> str:
    httpserver.expect_request(path).respond_with_handler(
        lambda request: werkzeug.Response(body, content_type="application/rss+xml")
    )
    return httpserver.url_for(path)


def _json(config, *args):
    return json.loads(run(config, "matches", "list", *args, "--json").stdout)


def _live(config):
    return sorted(m["rule"] or m["release"] for m in _json(config))


def _dismissed_lavrov(config, httpserver) -> str:
    """A feed watched, rules `lavrov` and `geneva` (both find its first item), the lavrov match dismissed, the feed
    removed: its address."""
    feed = _serve(httpserver)
    assert run(config, "watch", "add", feed).exit_code == 0
    assert run(config, "keywords", "add", "lavrov", "--name", "lavrov").exit_code == 0
    assert run(config, "keywords", "add", "geneva", "--name", "geneva").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    done = run(config, "matches", "dismiss", ARTICLE, "--rule", "lavrov", "--reason", "old news", "--by", "Ana")
    assert done.exit_code == 0, done.output
    removed = run(config, "watch", "remove", feed)
    assert removed.exit_code == 0, removed.output
    return feed


def test_a_dismissal_is_listed_while_its_feed_is_away_and_holds_when_the_feed_is_added_again(config, httpserver):
    feed = _dismissed_lavrov(config, httpserver)
    assert _live(config) == []
    (kept,) = _json(config, "--dismissed")
    assert (kept["id"], kept["item_id"], kept["feed_id"], kept["kind"], kept["rule"]) == (
        None,
        None,
        None,
        "keyword",
        "lavrov",
    )
    assert (kept["title"], kept["link"], kept["feed"], kept["feed_url"]) == (
        "Lavrov meets ministers",
        ARTICLE,
        "Desk",
        feed,
    )
    assert (kept["dismiss_reason"], kept["curated_by"], kept["article_link"]) == ("old news", "Ana", ARTICLE)
    text = run(config, "matches", "list", "--dismissed").output
    assert "keyword of rule lavrov  Lavrov meets ministers  (Desk, no longer watched)" in text
    assert "dismissed " in text and "by Ana: old news" in text and "1 dismissed match" in text
    assert _json(config, "--dismissed", "--rule", "geneva") == []
    assert [m["rule"] for m in _json(config, "--dismissed", "--rule", "lavrov")] == ["lavrov"]

    assert run(config, "watch", "add", feed).exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    assert _live(config) == ["geneva"]  # never published: lavrov's is stored dismissed
    (back,) = _json(config, "--dismissed")
    assert isinstance(back["id"], int) and (back["rule"], back["dismiss_reason"], back["curated_by"]) == (
        "lavrov", "old news", "Ana",
    )  # fmt: skip
    assert run(config, "publish").exit_code == 0
    assert ARTICLE.encode() not in (config.parent / "out" / "matches" / "rules" / "lavrov" / "atom.xml").read_bytes()
    assert ARTICLE.encode() in (config.parent / "out" / "matches" / "rules" / "geneva" / "atom.xml").read_bytes()

    # once back, restored by its id as any dismissed match: live, and it stays so through another removal
    restored = run(config, "matches", "restore", str(back["id"]))
    assert restored.exit_code == 0, restored.output
    assert run(config, "watch", "remove", feed).exit_code == 0
    assert _json(config, "--dismissed") == []
    assert run(config, "watch", "add", feed).exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    assert _live(config) == ["geneva", "lavrov"]


def test_the_article_through_another_feed_is_dismissed_as_it_is_stored(config, httpserver):
    _dismissed_lavrov(config, httpserver)
    other = _serve(httpserver, "/other.xml", RSS.replace(ARTICLE, ARTICLE + "?utm_source=rss"))
    assert run(config, "watch", "add", other).exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    assert _live(config) == ["geneva"]
    (back,) = _json(config, "--dismissed")
    assert (back["rule"], back["link"], back["dismiss_reason"]) == ("lavrov", ARTICLE + "?utm_source=rss", "old news")


def test_restored_while_its_feed_is_away_the_article_is_live_when_it_comes_again(config, httpserver):
    feed = _dismissed_lavrov(config, httpserver)
    by_id = run(config, "matches", "restore", "1")
    assert by_id.exit_code == 1 and "no match #1" in by_id.output
    wrong = run(config, "matches", "restore", ARTICLE, "--rule", "geneva")
    assert wrong.exit_code == 1 and "no dismissed match of rule 'geneva'" in wrong.output
    done = run(config, "matches", "restore", ARTICLE + "?utm_source=rss", "--rule", "lavrov")
    assert done.exit_code == 0, done.output
    assert "restored the dismissal of keyword match" in done.output and "no watched feed holds it now" in done.output
    assert _json(config, "--dismissed") == []
    assert run(config, "watch", "add", feed).exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    assert _live(config) == ["geneva", "lavrov"]


def test_a_release_taken_down_takes_its_dismissals_with_it(config, tmp_path, httpserver):
    releases = tmp_path / "releases.json"
    releases.write_text(
        json.dumps([{"title": "Lavrov meets ministers in Geneva", "body": "Lavrov, Geneva.", "source_key": "lv"}])
    )
    assert run(config, "ingest", str(releases)).exit_code == 0
    feed = _serve(httpserver)
    assert run(config, "watch", "add", feed).exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    (found,) = _json(config)
    assert run(config, "matches", "dismiss", str(found["id"]), "--reason", "not ours").exit_code == 0
    assert run(config, "watch", "remove", feed).exit_code == 0
    (kept,) = _json(config, "--dismissed")
    assert (kept["release"], kept["kind"], kept["dismiss_reason"]) == (found["release"], "related", "not ours")
    gone = run(config, "releases", "remove", found["release"], "--reason", "legal")
    assert gone.exit_code == 0, gone.output
    assert _json(config, "--dismissed") == []
