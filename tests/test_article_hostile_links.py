"""A watched feed's item link written to mislead: what `feeds.articles` and `feeds.watch.ownsite` make of it must be
where a browser would go. A backslash before the host (`https://evil.example\\@paper.example/`), a user name that
looks like a host (`https://paper.example@evil.example/`), a percent-encoded host, wrappers nested without end."""

from __future__ import annotations

import time

import pytest

from feeds.articles import article_key, article_link
from feeds.watch.ownsite import is_own_url, url_key

STORY = "https://www.paper.example/world/2026/nov/30/johnson-lavrov-moscow"
OURS = ("=press.example.org",)


@pytest.mark.parametrize(
    "given",
    [
        "https://evil.example\\@www.paper.example/world/2026/nov/30/johnson-lavrov-moscow",
        "https://evil.example\\\\www.paper.example/world/2026/nov/30/johnson-lavrov-moscow",
        "https://news.google.com/rss?url=https://evil.example%5C@www.paper.example/world/2026/nov/30/johnson-lavrov-moscow",
        "https://evil.example\\@news.google.com/rss?url=" + STORY,
    ],
)
def test_a_backslash_ends_the_host_as_browsers_read_it(given):
    # A browser goes to evil.example: the item is no copy of the paper's story, and its link says where it leads.
    assert article_key(given) != article_key(STORY)
    assert article_key(given).startswith("//evil.example/")
    assert "\\" not in article_link(given) and article_link(given).startswith("https://evil.example/")


@pytest.mark.parametrize(
    "given",
    [
        "https://evil.example\\@press.example.org/releases/x/",
        "https://news.google.com/rss?url=https://evil.example%5C@press.example.org/releases/x/",
        "https://evil.example\\@news.google.com/rss?url=https://press.example.org/releases/x/",
    ],
)
def test_a_link_that_leads_elsewhere_is_not_our_page(given):
    assert not is_own_url(given, OURS)
    assert url_key(given) != url_key("https://press.example.org/releases/x/")


def test_a_user_name_before_the_host_is_not_published():
    given = "https://news.google.com/rss?url=https://press.example.org@evil.example/releases/x/"
    assert article_link(given) == "https://evil.example/releases/x/"
    assert article_link("https://user:secret@paper.example/story") == "https://paper.example/story"
    assert article_key(given) == article_key("https://evil.example/releases/x")
    assert not is_own_url(given, OURS)


@pytest.mark.parametrize(
    "given",
    [
        "https://%70ress.example.org/releases/x/",
        "https://PRESS%2Eexample.org/releases/x/",
        "https://news.google.com/rss?url=https://%2570ress.example.org/releases/x/",
    ],
)
def test_a_percent_encoded_host_is_the_host_it_encodes(given):
    # Browsers decode the host: it is our page, under one key with its plain spelling.
    assert is_own_url(given, OURS)
    assert url_key(given) == url_key("https://press.example.org/releases/x/")
    assert article_key(given) == article_key("https://press.example.org/releases/x/")


def test_an_international_spelling_of_a_host_is_one_key_with_its_ascii_one():
    assert article_key("https://ｐａｐｅｒ。example/story") == article_key("https://paper.example/story")


def test_a_host_that_decodes_to_what_no_host_holds_is_left_as_written():
    given = "https://press.example.org%00.evil.example/x"
    assert not is_own_url(given, OURS)
    assert article_key(given) != article_key("https://press.example.org/x")


def test_wrappers_nested_without_end_cost_little_and_fail_nothing():
    given = "https://www.google.com/url?q=" * 20_000 + "https://press.example.org/releases/x/"
    started = time.perf_counter()
    assert is_own_url(given, OURS) in (True, False)  # (no RecursionError)
    article_key(given)
    url_key(given)
    assert time.perf_counter() - started < 5


def test_a_plain_link_is_given_back_as_it_is():
    assert article_link(STORY) == STORY
    assert article_link(STORY + "?id=1") is not None
    assert article_link("mailto:press@example.org") == "mailto:press@example.org"


def test_a_feed_s_link_behind_a_backslash_is_never_listed_as_the_paper_s_article(
    make_settings, make_app_for, httpserver, corpus_releases, clock
):
    """A hostile feed's item whose link looks, to Python's `urlsplit`, like the paper's story was merged into the
    paper's entry, which could then be published under its link, leading readers to evil.example."""
    from datetime import timedelta

    import feedparser

    from feeds.ingest import ingest_paths
    from feeds.publish import run_publish
    from feeds.watch.manage import add_feed, add_rule
    from feeds.watch.poll import run_watch
    from tests.test_article_copies import ALLOW, rss

    app = make_app_for(make_settings(ALLOW))
    ingest_paths(app, [corpus_releases / "foreign-secretary-to-visit-moscow.txt"])
    add_rule(app, "lavrov", name="lavrov")
    spoof = "https://evil.example\\@www.paper.example/world/2026/nov/30/johnson-lavrov-moscow"
    bodies = {
        "/evil.xml": rss("Evil", [("e1", "Lavrov: the paper retracts its story", spoof)]),
        "/paper.xml": rss("Paper", [("p1", "Johnson to meet Sergei Lavrov in Moscow", STORY)]),
    }
    for path, body in bodies.items():
        httpserver.expect_request(path).respond_with_data(body, content_type="application/rss+xml")
        add_feed(app, httpserver.url_for(path))
    clock.advance(timedelta(hours=2))
    run_watch(app)
    run_publish(app)
    d = feedparser.parse((app.settings.paths.out / "matches/rules/lavrov/atom.xml").read_bytes())
    links = {e.link: e.title for e in d.entries}
    assert links[STORY] == "Johnson to meet Sergei Lavrov in Moscow"
    assert links["https://evil.example/@www.paper.example/world/2026/nov/30/johnson-lavrov-moscow"] == (
        "Lavrov: the paper retracts its story"
    )
    assert len(d.entries) == 2
