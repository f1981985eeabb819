"""A subscriber key in a paid feed's item links (`?api_key=`, `token=`) never reaches what the site publishes (the
match feeds, a release page's coverage list), and `watch discover` never prints one; the ids of match entries
published before stay as they were."""

from __future__ import annotations

import hashlib
import json

from feeds.model import Match
from feeds.publish import run_publish
from feeds.urls import public_link
from tests.cli_watch_helpers import RSS, run
from tests.test_publish_coverage import app_with_release, item, parse

KEYED = "https://news.example.com/story/1?api_key=SECRET1"
TOKENED = "https://news.example.com/story/2?id=7&access_token=SECRET2&page=2#top"


def test_a_public_link_loses_its_secret_parameters_and_keeps_the_rest():
    assert public_link(KEYED) == "https://news.example.com/story/1"
    assert public_link(TOKENED) == "https://news.example.com/story/2?id=7&page=2#top"
    assert public_link("https://news.example.com/a?Token=x&API_KEY=y") == "https://news.example.com/a"
    assert public_link("https://user:pw@news.example.com/a?q=1") == "https://news.example.com/a?q=1"
    plain = "https://news.example.com/a?id=1&lang=en#frag"
    assert public_link(plain) is plain, "a link without a secret is given back as it is"
    assert public_link("https://news.example.com/a#token=x") == "https://news.example.com/a#token=x"


def test_a_parameter_is_secret_by_its_whole_name_not_by_a_word_inside_it():
    """`keyword=`, `monkey=` or `tokens=` name no secret: a search feed's query is kept in the links published and
    shown as written; `api_key`, `apiKey`, `access_token`, `client_secret`, `passkey` or `key` do."""
    from feeds.urls import without_secrets

    kept = "https://news.example.com/search?keyword=iran&monkey=1&tokens=3&keys=a"
    assert public_link(kept) is kept and without_secrets(kept) == kept
    secret = "https://news.example.com/a?apiKey=1&access_token=2&client_secret=3&passkey=4&key=5&id=6"
    assert public_link(secret) == "https://news.example.com/a?id=6"
    shown = "https://news.example.com/a?apiKey=***&access_token=***&client_secret=***&passkey=***&key=***&id=6"
    assert without_secrets(secret) == shown


def keyed_site(make_settings, make_app_for, tmp_path):
    app, release = app_with_release(make_settings, make_app_for, tmp_path)
    now = app.clock()
    feed = app.store.add_feed(
        "https://news.example.com/rss?api_key=FEEDKEY", title="Paid Desk", tags=(), interval=1800, origin="cli", now=now
    )
    app.store.add_rule("kyiv", "kyiv", origin="cli", now=now)
    rows = app.store.upsert_items(
        feed.id, [item("a", "Minister in Kyiv", KEYED), item("b", "Quote picked up", TOKENED)], now
    )
    ids = {it.key: i for i, it, _ in rows}
    app.store.add_matches(
        [
            (ids["a"], Match("keyword", "kyiv", "a", feed.id, (), 1.0, "matched rule 'kyiv'"), None),
            (ids["b"], Match("pickup", release.id, "b", feed.id, (), 0.1, "quotes the release"), None),
        ],
        now,
    )
    return app, release


def test_published_item_links_carry_no_secret_and_entry_ids_stay_derived_from_the_link_as_stored(
    make_settings, make_app_for, tmp_path
):
    app, release = keyed_site(make_settings, make_app_for, tmp_path)
    run_publish(app)
    out = app.settings.paths.out
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"SECRET" not in data and b"FEEDKEY" not in data, path
    everything = parse(out / "matches" / "atom.xml")
    assert {e.link for e in everything.entries} == {
        "https://news.example.com/story/1",
        "https://news.example.com/story/2?id=7&page=2#top",
    }
    # The ids are those published before this fix: a hash of the item's link as the feed gave it, key and all.
    digest = {hashlib.sha256(link.encode()).hexdigest()[:24] for link in (KEYED, TOKENED)}
    assert {e.id.rsplit("/", 1)[1] for e in everything.entries} == digest
    rule = parse(out / "matches" / "rules" / "kyiv" / "atom.xml")
    (entry,) = rule.entries
    what = f"keyword\0kyiv\0{KEYED}".encode()
    assert entry.id.endswith("match/" + hashlib.sha256(what).hexdigest()[:24]) and entry.link == public_link(KEYED)
    items = json.loads((out / "matches" / "feed.json").read_bytes())["items"]
    assert {i["url"] for i in items} == {e.link for e in everything.entries}
    coverage = parse(out / "coverage" / release.slug / "atom.xml")
    assert [e.link for e in coverage.entries] == [public_link(TOKENED)]
    page = (out / "releases" / release.slug / "index.html").read_text(encoding="utf-8")
    assert 'href="https://news.example.com/story/2?id=7&amp;page=2#top"' in page
    kept = app.store.entry_ids([KEYED, TOKENED])
    assert {entry for _, entry in kept} == {KEYED, TOKENED}, "the ids stay kept under the link as stored"


def test_watch_discover_masks_a_secret_in_the_urls_it_prints_and_adds_them_whole(config, httpserver):
    feed = "/feed.xml?token=SECRET3"
    page = f'<html><head><link rel="alternate" type="application/rss+xml" title="Desk" href="{feed}"></head></html>'
    httpserver.expect_request("/").respond_with_data(page, content_type="text/html")
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    shown = run(config, "watch", "discover", httpserver.url_for("/"))
    assert shown.exit_code == 0 and "SECRET3" not in shown.output
    assert httpserver.url_for("/feed.xml?token=***") in shown.output
    assert "--add" in shown.output, "says how to watch it as found, since the URL shown cannot be added"
    added = run(config, "watch", "discover", "--add", httpserver.url_for("/"))
    assert added.exit_code == 0 and "SECRET3" not in added.output and "added" in added.output
    stored = run(config, "watch", "export").stdout
    assert "token=SECRET3" in stored, "the feed is watched with its key, as found"


def test_watch_add_of_a_page_lists_its_feeds_with_their_secrets_masked(config, httpserver):
    link = '<link rel="alternate" type="application/rss+xml" href="/feed.xml?api_key=SECRET4">'
    page = f"<html><head>{link}</head></html>"
    httpserver.expect_request("/").respond_with_data(page, content_type="text/html")
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    refused = run(config, "watch", "add", httpserver.url_for("/"))
    assert refused.exit_code == 1 and "SECRET4" not in refused.output
    assert "api_key=***" in refused.output and "feeds watch discover" in refused.output


def test_watch_discover_masks_a_secret_in_why_a_found_feed_cannot_be_watched(config, httpserver):
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" title="{t}" href="{u}">'
        for t, u in (("Gone", "/gone.xml?token=SECRET5"), ("Page", "/page?key=SECRET6"))
    )
    httpserver.expect_request("/").respond_with_data(f"<html><head>{links}</head></html>", content_type="text/html")
    httpserver.expect_request("/gone.xml").respond_with_data("gone", status=404)
    httpserver.expect_request("/page").respond_with_data("<html>no feed</html>", content_type="text/html")
    shown = run(config, "watch", "discover", httpserver.url_for("/"))
    assert "could not fetch it" in shown.output and "not a feed" in shown.output
    assert "SECRET5" not in shown.output and "SECRET6" not in shown.output


def test_a_public_link_loses_a_parameter_whose_value_is_an_email_address():
    """A personalised feed's links may carry its subscriber's address (`?email=jane%40example.com`, a newsletter's
    `?e=`): personal data the site must not republish, whatever the parameter is called. Other values with an `@`
    (a handle, `@janedoe`) stay."""
    assert public_link("https://news.example.com/a?id=7&email=jane%40example.com") == "https://news.example.com/a?id=7"
    assert (
        public_link("https://news.example.com/a?e=Jane.Doe@Example.co.uk&p=2#x") == "https://news.example.com/a?p=2#x"
    )
    kept = "https://news.example.com/a?author=@janedoe&id=1"
    assert public_link(kept) is kept
