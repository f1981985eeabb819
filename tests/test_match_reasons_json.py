"""Why a match matched, in `--json`: `why` is the explanation in words and `reasons` the same as a list of lines,
one shape in every command that explains a match (`matches list`, `keywords test`)."""

from __future__ import annotations

import json

from tests.cli_watch_helpers import RSS, run


def test_matches_list_and_keywords_test_give_reasons_as_a_list_beside_why(config, httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    assert run(config, "watch", "add", httpserver.url_for("/feed.xml")).exit_code == 0
    assert run(config, "keywords", "add", "lavrov", "--name", "lavrov").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    (stored,) = json.loads(run(config, "matches", "list", "--json").stdout)
    assert isinstance(stored["why"], str) and stored["why"].startswith("matched rule 'lavrov'")
    assert stored["reasons"] == [stored["why"]]
    tested = json.loads(run(config, "keywords", "test", "lavrov", "--json").stdout)
    (hit,) = tested["matches"]
    assert hit["reasons"] and all(isinstance(r, str) for r in hit["reasons"])
    assert hit["why"] == hit["reasons"]  # (the list first given under `why`, kept for the scripts that read it)
    one = json.loads(run(config, "keywords", "test", "lavrov", "--item", "https://news.example.com/a", "--json").stdout)
    assert one["item"]["reasons"] == one["item"]["why"] and one["item"]["matched"] is True
