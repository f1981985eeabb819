"""One article reaching several watched feeds (a paper's "World" and "UK" feeds, tracking parameters, AMP and
redirect-wrapper addresses): one entry per article wherever matches are published, listed or counted, under the
clean address, the stored item keeping what the feed said."""

from __future__ import annotations

import json
from datetime import timedelta

import feedparser
import pytest
from lxml import html

from feeds.articles import article_key, article_link
from feeds.ingest import ingest_paths
from feeds.publish import run_publish
from feeds.publish.coverage import EntryIds

ALLOW = '\n[http]\nallow = ["127.0.0.1", "localhost", "::1"]\n'
STORY = "https://www.paper.example/world/2026/nov/30/johnson-lavrov-moscow"


@pytest.mark.parametrize(
    "given",
    [
        STORY,
        STORY + "?utm_source=rss&utm_medium=feed",
        STORY + "?at_medium=RSS&at_campaign=KARANGA",
        STORY + "?CMP=share_btn_tw",
        STORY + "/?ref=rss",
        STORY.replace("https:", "http:") + "/",
        "https://paper.example/world/2026/nov/30/johnson-lavrov-moscow#comments",
        STORY + "/amp/",
        STORY + "?amp",
        STORY + "?outputType=amp",
        "https://www.google.com/amp/s/www.paper.example/world/2026/nov/30/johnson-lavrov-moscow/amp",
        "https://www-paper-example.cdn.ampproject.org/c/s/www.paper.example/world/2026/nov/30/johnson-lavrov-moscow",
        "https://news.google.com/rss/articles/CBMi?url=" + STORY.replace(":", "%3A").replace("/", "%2F") + "&oc=5",
        "https://feedproxy.google.com/~r/paper/world/~3/xyz/?url=" + STORY + "%3Futm_source%3Dfeedburner",
        "https://feeds.feedburner.com/~ff/paper?url=" + STORY,
    ],
)
def test_every_copy_of_an_article_has_its_key(given):
    assert article_key(given) == article_key(STORY)


@pytest.mark.parametrize(
    "given",
    [
        STORY + "?page=2",
        STORY + "?ref=42",
        STORY + "-update",
        "https://www.paper.example/uk/2026/nov/30/johnson-lavrov-moscow",
        "https://other.example/world/2026/nov/30/johnson-lavrov-moscow",
        "https://feedproxy.google.com/~r/paper/world/~3/xyz/johnson-lavrov-moscow",  # (its target is not written)
        "https://www.google.com/search?q=" + STORY,  # (a search for the address: Google redirects at /url only)
    ],
)
def test_another_page_is_another_article(given):
    assert article_key(given) != article_key(STORY)


def test_the_article_link_keeps_what_names_the_page_and_gives_a_clean_url_as_it_is():
    assert article_link(STORY + "?id=7&utm_source=rss&utm_medium=feed#top") == STORY + "?id=7#top"
    assert article_link(STORY + "/amp") == STORY
    assert article_link("https://paper.example/amp") == "https://paper.example/amp"  # (a page of its own)
    assert article_link(STORY) == STORY and article_link("not a link") == "not a link"


def rss(title: str, items: list[tuple[str, str, str]]) -> str:
    body = "".join(
        f"<item><title>{t}</title><link>{link.replace('&', '&amp;')}</link><guid isPermaLink='false'>{g}</guid>"
        f"<description>Boris Johnson will discuss North Korea and Iran with Sergei Lavrov in Moscow; both sit on "
        f"the UN Security Council.</description><pubDate>Mon, 30 Nov 2026 08:00:00 GMT</pubDate></item>"
        for g, t, link in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://www.paper.example/</link><description>d</description>{body}</channel></rss>"
    )


@pytest.fixture
def watched(make_settings, make_app_for, httpserver, corpus_releases, clock):
    return watch_copies(make_app_for(make_settings(ALLOW)), httpserver, corpus_releases, clock)


def watch_copies(app, httpserver, corpus_releases, clock, *, feeds=("/world.xml", "/uk.xml", "/google.xml")):
    """The model release, a rule, and three feeds of one paper carrying the same story under four addresses (a
    re-post under a new guid too), plus our own release page reached through a Google News wrapper; `feeds` are
    watched, polled and published."""
    from feeds.watch.manage import add_feed, add_rule

    if not app.store.rules():
        ingest_paths(app, [corpus_releases / "foreign-secretary-to-visit-moscow.txt"])
        add_rule(app, "lavrov", name="lavrov")
    release = app.store.release("foreign-secretary-to-visit-moscow")
    title = "Johnson to meet Sergei Lavrov in Moscow"
    ours = "https://news.google.com/rss/articles/CBMi?url=https%3A%2F%2Fpress.example.org%2Freleases%2Fx%2F"
    bodies = {
        "/world.xml": rss("Paper: World", [("w1", title, STORY + "?utm_source=rss&utm_medium=world")]),
        "/uk.xml": rss(
            "Paper: UK",
            [
                ("u1", title, STORY.replace("https:", "http:") + "/?at_medium=RSS&at_campaign=KARANGA"),
                ("u2", title + " (updated)", STORY + "?CMP=rss"),  # re-posted under a new guid, both listed
            ],
        ),
        "/google.xml": rss(
            "Google News",
            [
                ("g1", title, "https://news.google.com/rss/articles/CBMi?url=" + STORY + "&oc=5"),
                ("g2", "Lavrov press release", ours),
            ],
        ),
    }
    for path in feeds:
        httpserver.expect_request(path).respond_with_data(bodies[path], content_type="application/rss+xml")
        add_feed(app, httpserver.url_for(path))
    clock.advance(timedelta(hours=2))
    from feeds.watch.poll import run_watch

    run_watch(app)
    run_publish(app)
    return app, release


def entries(app, path):
    d = feedparser.parse((app.settings.paths.out / path / "atom.xml").read_bytes())
    assert not d.bozo, d.get("bozo_exception")
    return d.entries


def test_an_article_in_three_feeds_is_one_entry_naming_them_under_its_clean_link(watched):
    app, release = watched
    stored = sorted(m.item.item.link for m in app.store.matches() if m.kind == "keyword")
    assert len(stored) == 4 and any("utm_source" in s for s in stored)  # the items keep what the feeds said
    assert not any("press.example.org" in s for s in stored), "our own page, even through a wrapper, is no match"
    for path in ("matches", "matches/rules/lavrov", f"coverage/{release.slug}"):
        (entry,) = entries(app, path)
        assert entry.link == STORY, path
        assert "Paper: World" in entry.summary and "Paper: UK" in entry.summary and "Google News" in entry.summary
    page = html.parse(str(app.settings.paths.out / "releases" / release.slug / "index.html")).getroot()
    (line,) = page.xpath("//section[@class='coverage']/ul/li")
    assert line.xpath("a/@href") == [STORY]
    (sources,) = line.xpath("span[@class='source']/text()")
    assert sorted(sources.split(", ")) == ["Google News", "Paper: UK", "Paper: World"]


def test_entries_published_before_keep_their_ids_when_copies_become_one(watched):
    """An entry first published for one copy keeps that id; the other copies' entries leave the feed."""
    from feeds.publish.coverage import plan_matches

    app, release = watched
    matches = [m for m in app.store.matches() if m.kind == "keyword"]
    first = min(matches, key=lambda m: (m.found_at, m.id))
    ref = first.item.item.link
    ids = EntryIds(known={("rule:lavrov", ref): "tag:old,2026-11-01:match/kept"})
    planned = plan_matches(matches, {release.id: release}, {"lavrov": first.found_at}, app.settings, ids)
    (entry,) = next(s for s in planned.specs if s.key == "rule:lavrov").entries
    assert entry.id == "tag:old,2026-11-01:match/kept"
    assert {e for f, e in ids.minted if f == "rule:lavrov"} == {m.item.item.link for m in matches} - {ref}
    again = EntryIds(known=ids.minted)  # the copy first published for pruned: the others know the id
    rest = [m for m in matches if m is not first]
    planned = plan_matches(rest, {release.id: release}, {"lavrov": first.found_at}, app.settings, again)
    (entry,) = next(s for s in planned.specs if s.key == "rule:lavrov").entries
    assert entry.id == "tag:old,2026-11-01:match/kept" and not again.minted


def test_counts_and_the_matches_list_count_articles(watched, tmp_path):
    """`keywords list --counts`, `feeds status` and `matches list` said 4 for one article in three feeds."""
    from feeds.status import gather
    from tests.cli_watch_helpers import run

    app, release = watched
    assert app.store.match_counts("keyword")["lavrov"][0] == 1
    assert app.store.match_counts("related")[release.id][0] == 1
    assert gather(app).matches_24h == {"keyword": 1, "related": 1, "pickup": 0}
    assert app.store.article_counts(app.clock() - timedelta(hours=24)) == {"keyword": 1, "related": 1}
    config = tmp_path / "feeds.toml"
    counts = json.loads(run(config, "keywords", "list", "--counts", "--json").stdout)
    assert [r["matches"] for r in counts] == [1]
    listed = run(config, "matches", "list", "--rule", "lavrov")
    assert listed.exit_code == 0
    (heading,) = [line for line in listed.output.splitlines() if line.startswith("keyword")]
    assert sorted(heading.rpartition("  (")[2].rstrip(")").split(", ")) == ["Google News", "Paper: UK", "Paper: World"]
    assert f"         {STORY}" in listed.output.splitlines()
    assert listed.output.rstrip().endswith("4 matches of 1 article")
    rows = json.loads(run(config, "matches", "list", "--rule", "lavrov", "--json").stdout)
    assert len(rows) == 4 and {r["article_link"] for r in rows} >= {STORY}  # one object per stored match
    assert len({r["article"] for r in rows}) == 1 and any("utm_source" in r["link"] for r in rows)


def test_an_article_in_three_feeds_is_alerted_once_however_the_copies_arrive(
    make_settings, make_app_for, httpserver, corpus_releases, clock
):
    """A webhook got one POST per copy: the same story in the World feed, then in the UK and Google News feeds."""
    from feeds.alerts import run_alerts

    posts: list[dict] = []

    def receive(request):
        from werkzeug.wrappers import Response

        posts.append(json.loads(request.get_data()))
        return Response("ok")

    httpserver.expect_request("/hook", method="POST").respond_with_handler(receive)
    hook = f'[alerts]\n[[alerts.webhooks]]\nname = "desk"\nurl = "{httpserver.url_for("/hook")}"\nsecret = "s"\n'
    app = make_app_for(make_settings(ALLOW + hook + 'rules = ["lavrov"]\ncoverage = true\n'))
    watch_copies(app, httpserver, corpus_releases, clock, feeds=("/world.xml",))
    assert run_alerts(app).sent == 2
    assert sorted(p["kind"] for p in posts) == ["keyword", "related"]
    watch_copies(app, httpserver, corpus_releases, clock, feeds=("/uk.xml", "/google.xml"))
    assert len([m for m in app.store.matches() if m.kind == "keyword"]) == 4
    assert run_alerts(app).queued == 0 and len(posts) == 2
    clock.advance(timedelta(days=1))
    assert run_alerts(app).queued == 0 and len(posts) == 2


def test_an_item_without_a_link_is_its_guid_s_article_when_that_is_a_web_address():
    from feeds.articles import item_article

    assert item_article(1, "k1", None, STORY + "?utm_source=rss") == item_article(2, "k2", STORY, None)
    assert item_article(1, "12345", None, "12345") != item_article(2, "12345", None, "12345")


def test_our_pages_behind_a_wrapper_or_with_tracking_parameters_are_ours():
    from feeds.watch.ownsite import is_own_url, url_key

    page = "https://press.example.org/releases/x/"
    wrapped = "https://www.google.com/url?q=" + page.replace(":", "%3A").replace("/", "%2F") + "&sa=U"
    assert is_own_url(wrapped, ("press.example.org",)) and not is_own_url(STORY, ("press.example.org",))
    assert url_key(page + "?utm_source=rss") == url_key(wrapped) == url_key(page)
