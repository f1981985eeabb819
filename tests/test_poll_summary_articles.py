"""`feeds watch poll`'s last line counts the new matches and, when they differ, the articles they are of, as
`matches list` counts them (one article in several feeds, or under tracking parameters, is one)."""

from __future__ import annotations

import json

from tests.cli_watch_helpers import run

STORY = "https://www.paper.example/world/2026/nov/30/lavrov-talks"


def rss(title: str, items: list[tuple[str, str]]) -> str:
    body = "".join(
        f"<item><title>Lavrov in talks</title><link>{link}</link><guid isPermaLink='false'>{g}</guid>"
        "<description>Talks in Geneva.</description></item>"
        for g, link in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://www.paper.example/</link><description>d</description>{body}</channel></rss>"
    )


def serve(httpserver, config) -> None:
    bodies = {
        "/world.xml": rss("Paper: World", [("w1", STORY + "?utm_source=rss&amp;utm_medium=world")]),
        "/uk.xml": rss("Paper: UK", [("u1", STORY + "?CMP=rss"), ("u2", "https://www.paper.example/uk/other-lavrov")]),
    }
    for path, body in bodies.items():
        httpserver.expect_request(path).respond_with_data(body, content_type="application/rss+xml")
        assert run(config, "watch", "add", httpserver.url_for(path)).exit_code == 0
    assert run(config, "keywords", "add", "lavrov", "--name", "lavrov").exit_code == 0


def test_poll_says_how_many_articles_its_new_matches_are_of(config, httpserver):
    serve(httpserver, config)
    polled = run(config, "watch", "poll")
    assert polled.exit_code == 0
    last = polled.output.strip().splitlines()[-1]
    assert last.endswith("3 new items, 3 new matches of 2 articles"), last
    listed = run(config, "matches", "list")
    assert listed.output.rstrip().endswith("3 matches of 2 articles"), "the same count as `matches list`"
    again = run(config, "watch", "poll", "--json")
    assert json.loads(again.stdout)["new_matches"] == 0 and json.loads(again.stdout)["new_articles"] == 0


def test_poll_json_gives_new_articles_beside_new_matches(config, httpserver):
    serve(httpserver, config)
    report = json.loads(run(config, "watch", "poll", "--json").stdout)
    assert (report["new_matches"], report["new_articles"]) == (3, 2)
