"""The matches command (`feeds matches list`) end to end against a local feed server."""

from __future__ import annotations

import json

from tests.alerts_helpers import watch_item
from tests.cli_watch_helpers import RSS, run


def test_matches_list_names_the_release_of_each_pickup(config, tmp_path):
    """Two releases may share a title, which is what a pickup's explanation quotes: the text list names each
    match's release by its slug, and a list cut by --limit says so."""
    from feeds.app import make_app
    from feeds.config import load_settings
    from feeds.model import Match

    releases = tmp_path / "twins.json"
    releases.write_text(
        json.dumps(
            [{"title": "Harbour Minister visits Oslo", "body": "First visit.", "source_key": f"k{n}"} for n in (1, 2)]
        )
    )
    assert run(config, "ingest", str(releases)).exit_code == 0
    app = make_app(load_settings(config, environ={}))
    try:
        now = app.clock()
        feed = app.store.add_feed(
            "https://news.example.com/rss", title="Desk", tags=(), interval=1800, origin="cli", now=now
        )
        (row,) = app.store.upsert_items(feed.id, [watch_item("a", "Minister in Oslo")], now)
        found = sorted(app.store.releases(), key=lambda r: r.slug)
        app.store.add_matches(
            [(row[0], Match("pickup", r.id, "a", feed.id, (), 0.5, f"pickup of {r.title!r}"), 60.0) for r in found],
            now,
        )
    finally:
        app.close()
    listed = run(config, "matches", "list", "--kind", "pickup")
    assert listed.exit_code == 0
    assert sorted(line.split()[-1] for line in listed.output.splitlines() if "  release " in line) == [
        r.slug for r in found
    ]
    assert listed.output.rstrip().endswith("2 matches")
    cut = run(config, "matches", "list", "--limit", "1")
    assert cut.output.rstrip().endswith("1 match (--limit 1: there may be more)")


def test_matches_list_refuses_filters_that_cannot_go_together_and_gives_ids(config, httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    assert run(config, "watch", "add", httpserver.url_for("/feed.xml")).exit_code == 0
    assert run(config, "keywords", "add", "lavrov", "--name", "lavrov").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    (match,) = json.loads(run(config, "matches", "list", "--json").stdout)
    assert isinstance(match["id"], int) and isinstance(match["item_id"], int) and match["feed_id"] == 1
    assert match["release_id"] is None and match["rule"] == "lavrov"
    both = run(config, "matches", "list", "--rule", "lavrov", "--release", "x")
    assert both.exit_code == 2 and "give one" in both.output
    kind = run(config, "matches", "list", "--rule", "lavrov", "--kind", "related")
    assert kind.exit_code == 2 and "--release" in kind.output
    # a release's matches are never keyword ones: `--release X --kind keyword` said "0 matches", as if none were
    keyword = run(config, "matches", "list", "--release", "x", "--kind", "keyword")
    assert keyword.exit_code == 2 and "--rule" in keyword.output


def test_matches_list_since_lists_the_matches_found_then_or_later_and_refuses_a_time_that_is_not_one(
    config, httpserver
):
    """`--since` (what a digest's "30 of them are not listed here" gives): the matches found at or after an RFC 3339
    time;
    no time at all is a usage error naming the option (a time without its offset is one in the site's time zone:
    `tests/test_cli_scripting.py`)."""
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    assert run(config, "watch", "add", httpserver.url_for("/feed.xml")).exit_code == 0
    assert run(config, "keywords", "add", "lavrov", "--name", "lavrov").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    (match,) = json.loads(run(config, "matches", "list", "--json").stdout)
    found = match["found_at"]
    assert [m["id"] for m in json.loads(run(config, "matches", "list", "--since", found, "--json").stdout)] == [
        match["id"]
    ]
    later = run(config, "matches", "list", "--rule", "lavrov", "--since", "2999-01-01T00:00:00Z")
    assert later.exit_code == 0 and "0 matches" in later.output
    for bad in ("yesterday",):
        refused = run(config, "matches", "list", "--since", bad)
        assert refused.exit_code == 2 and "--since" in refused.output and "Traceback" not in refused.output


def test_matches_list_takes_a_release_by_its_page_address_and_suggests_a_slug_for_a_typo(config, tmp_path):
    """A press officer copies the release page's address from the browser, as `releases show` takes it."""
    from feeds.app import make_app
    from feeds.config import load_settings
    from feeds.model import Match

    releases = tmp_path / "harbours.json"
    harbours = {"title": "Harbour fund for Cornwall", "body": "Newlyn first.", "source_key": "h"}
    releases.write_text(json.dumps([harbours]))
    assert run(config, "ingest", str(releases)).exit_code == 0
    app = make_app(load_settings(config, environ={}))
    try:
        now = app.clock()
        feed = app.store.add_feed(
            "https://news.example.com/rss", title="Desk", tags=(), interval=1800, origin="cli", now=now
        )
        (row,) = app.store.upsert_items(feed.id, [watch_item("a", "Newlyn harbour cash")], now)
        (r,) = app.store.releases()
        app.store.add_matches([(row[0], Match("related", r.id, "a", feed.id, (), 0.5, "related"), 60.0)], now)
        page = app.settings.site.base_url.rstrip("/") + f"/releases/{r.slug}/"
    finally:
        app.close()
    for given in (page, f"/releases/{r.slug}/", r.slug, r.id):
        listed = run(config, "matches", "list", "--release", given)
        assert listed.exit_code == 0, (given, listed.output)
        assert listed.output.rstrip().endswith("1 match"), given
    typo = run(config, "matches", "list", "--release", r.slug[:-1] + "x")
    assert typo.exit_code == 1
    assert f"did you mean {r.slug!r}?" in typo.output


def test_by_rule_names_a_few_feeds_a_line_and_counts_the_rest(config, httpserver):
    """A rule whose articles 650 feeds carried was one line of 30,000 characters in `matches list --by rule`: the
    text names the first feeds and counts the others; `--json` and `--csv` still name every one."""
    httpserver.expect_request("/rss").respond_with_data(RSS, content_type="application/rss+xml")
    for n in range(8):
        url = httpserver.url_for(f"/rss?f={n}")
        assert run(config, "watch", "add", "--no-check", url, "--title", f"F{n}").exit_code == 0
    assert run(config, "keywords", "add", "lavrov").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    text = run(config, "matches", "list", "--by", "rule")
    assert text.exit_code == 0, text.output
    assert text.output.splitlines()[0] == "lavrov  1 article in F0, F1, F2, F3, F4 and 3 more feeds (--json names all)"
    (summary,) = json.loads(run(config, "matches", "list", "--by", "rule", "--json").stdout)
    assert summary["feeds"] == [f"F{n}" for n in range(8)]
