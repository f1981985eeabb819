"""The watch, keywords and matches commands as a press officer with hundreds of feeds and rules uses them: finding
the failing feeds of a folder (`watch list --state/--tag/--sort/--limit`), a query tried on many stored items
(`keywords test --limit`, every match counted), and one folder's matches (`matches list --tag`)."""

from __future__ import annotations

import json

from tests.cli_watch_helpers import run


def _rss(n: int, word: str = "bread") -> str:
    items = "".join(
        f"<item><title>{word} story {i}</title><link>https://news.example.com/{i}</link>"
        f"<guid isPermaLink='false'>{i}</guid><description>about {word}</description></item>"
        for i in range(n)
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>Desk</title><link>https://news.example.com/</link><description>d</description>{items}</channel></rss>"


def _watch(config, httpserver, path: str, *args: str, body: str | None = None, status: int = 200) -> str:
    if body is not None or status != 200:
        httpserver.expect_request(path).respond_with_data(
            body or "gone", status=status, content_type="application/rss+xml"
        )
    url = httpserver.url_for(path)
    assert run(config, "watch", "add", url, "--no-check", *args).exit_code == 0
    return url


def test_keywords_test_counts_every_match_beyond_the_items_it_shows(config, httpserver):
    """Past the items shown (50 by default), matches were not counted: "50 of 42800 stored items match" for a
    query matching 30,000 of them."""
    _watch(config, httpserver, "/a.xml", body=_rss(7))
    assert run(config, "watch", "poll").exit_code == 0
    shown = run(config, "keywords", "test", "bread", "--limit", "2")
    assert shown.exit_code == 0, shown.output
    assert "7 of 7 stored items match (the newest 2 shown: --limit)" in shown.output
    assert shown.output.count("bread story") == 2
    tested = json.loads(run(config, "keywords", "test", "bread", "--limit", "3", "--json").stdout)
    assert (tested["matched"], tested["checked"], len(tested["matches"])) == (7, 7, 3)
    # The keys an item has in `matches list --json`, the same names for the same things.
    assert set(tested["matches"][0]) == {"item_id", "feed_id", "title", "link", "feed", "published", "why", "reasons"}
    assert "7 of 7 stored items match\n" in run(config, "keywords", "test", "bread").output
    assert run(config, "keywords", "test", "bread", "--limit", "0").exit_code == 2


def test_watch_list_finds_the_failing_feeds_of_a_tag_worst_first(config, httpserver):
    ok = _watch(config, httpserver, "/ok.xml", "--tag", "Europe", body=_rss(1))
    down = _watch(config, httpserver, "/down.xml", "--tag", "Europe", status=404)
    _watch(config, httpserver, "/asia-down.xml", "--tag", "Asia", status=500)
    new = _watch(config, httpserver, "/new.xml", "--tag", "europe")
    assert run(config, "watch", "poll", ok, down, httpserver.url_for("/asia-down.xml")).exit_code == 1
    assert run(config, "watch", "poll", down).exit_code == 1  # a second failure: the worst of them
    listed = run(config, "watch", "list", "--state", "failing", "--sort", "failures")
    assert listed.exit_code == 0, listed.output
    lines = [line for line in listed.output.splitlines() if line.startswith("#")]
    assert [line.split()[2] for line in lines] == [down, httpserver.url_for("/asia-down.xml")]
    assert listed.output.splitlines()[-1] == "2 of 4 feeds: 2 failing"
    europe = json.loads(run(config, "watch", "list", "--tag", "EUROPE", "--json").stdout)
    assert [f["url"] for f in europe] == [ok, down, new], "a tag in any case, as tags are one in any case"
    both = json.loads(run(config, "watch", "list", "--state", "new", "--state", "ok", "--json").stdout)
    assert {f["state"] for f in both} == {"new", "ok"}
    first = json.loads(run(config, "watch", "list", "--sort", "failures", "--limit", "1", "--json").stdout)
    assert [f["url"] for f in first] == [down]
    none = run(config, "watch", "list", "--state", "disabled", "--tag", "Asia")
    assert none.exit_code == 0 and "none of the 4 watched feeds is disabled, tagged 'Asia'" in none.output
    assert run(config, "watch", "list", "--sort", "size").exit_code == 2


def test_matches_list_of_one_tag_since_a_time_as_json(config, httpserver):
    europe = _watch(config, httpserver, "/eu.xml", "--tag", "Europe", body=_rss(3, "ferry"))
    _watch(
        config, httpserver, "/asia.xml", "--tag", "Asia", body=_rss(2, "ferry").replace("news.example", "asia.example")
    )
    assert run(config, "keywords", "add", "ferry", "--name", "ferries").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    every = json.loads(run(config, "matches", "list", "--json").stdout)
    assert len(every) == 5
    (feed,) = [f for f in json.loads(run(config, "watch", "list", "--json").stdout) if f["url"] == europe]
    tagged = json.loads(run(config, "matches", "list", "--tag", "europe", "--json").stdout)
    assert len(tagged) == 3 and {m["feed_id"] for m in tagged} == {feed["id"]}
    limited = json.loads(
        run(config, "matches", "list", "--tag", "Europe", "--rule", "ferries", "--since", "2000-01-01T00:00:00Z",
            "--limit", "2", "--json").stdout
    )  # fmt: skip
    assert limited == tagged[:2]
    assert json.loads(run(config, "matches", "list", "--tag", "Americas", "--json").stdout) == []


def test_watch_list_fits_80_columns_keeping_what_tells_feeds_apart(config, httpserver):
    """Each feed took one line of 150-250 columns (URL, title, tags) and a detail line as long: at 80 columns the
    terminal wrapped them into an unreadable block. With a width (the terminal's, or --width), the title is cut in
    its middle before the tags, the URL below it keeps its host and the end of its path, and the detail wraps."""
    long_path = "/syndication/regional-and-international/europe/uk/politics-and-current-affairs/feed-17.xml"
    title = "The Very Long Named International Newspaper of Record and Its Weekend Supplement (UK) #17"
    url = _watch(config, httpserver, long_path, "--title", title, "--tag", "Europe", "--tag", "UK", status=404)
    assert run(config, "watch", "poll", url).exit_code == 1
    fitted = run(config, "watch", "list", "--width", "80")
    assert fitted.exit_code == 0, fitted.output
    lines = fitted.output.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    assert lines[0].startswith("#1    failing  The Very Long") and lines[0].endswith("(UK) #17  [Europe, UK]")
    host = url.split("/syndication")[0]
    assert lines[1] == f"       {host}/…" + url[-(80 - 7 - len(host) - 2) :] and lines[1].endswith("/feed-17.xml")
    assert "the server answered 404 NOT FOUND" in " ".join(line.strip() for line in lines[2:])
    whole = run(config, "watch", "list").output.splitlines()  # into a pipe or a file: whole lines, as before
    assert whole[0] == f"#1    failing  {url}  {title}  [Europe, UK]"
    assert run(config, "watch", "list", "--width", "20").exit_code == 2


def test_watch_show_gives_one_feeds_settings_and_health_in_full(config, httpserver):
    """Among 300 feeds, one feed's health was a line of `watch list` to grep for; `watch show` gives it whole."""
    url = _watch(config, httpserver, "/down.xml", "--tag", "Europe", "--title", "Harbour Desk", status=500)
    assert run(config, "watch", "poll", url).exit_code == 1
    shown = run(config, "watch", "show", "harbour desk")
    assert shown.exit_code == 0, shown.output
    fields = dict(line.split(":", 1) for line in shown.output.splitlines())
    assert {k: v.strip() for k, v in fields.items() if k in ("feed", "url", "tags", "state", "items")} == {
        "feed": "#1",
        "url": url,
        "tags": "Europe",
        "state": "failing",
        "items": "0",
    }
    assert fields["last error"].strip().startswith("the server answered 500")
    assert fields["failures"].strip().startswith("1, since ")
    as_json = json.loads(run(config, "watch", "show", "#1", "--json").stdout)
    assert as_json == json.loads(run(config, "watch", "list", "--json").stdout)[0]
    missing = run(config, "watch", "show", "#9")
    assert missing.exit_code == 1 and "not watching #9" in missing.output


def test_keywords_list_counts_each_rules_matches_fewest_first(config, httpserver):
    """With 400 rules, the ones that never match (a typo, a word no one writes) and the noisy ones could only be
    found by running `matches list --rule` 400 times."""
    _watch(config, httpserver, "/a.xml", body=_rss(3, "ferry"))
    assert run(config, "keywords", "add", "ferry", "--name", "ferries").exit_code == 0
    assert run(config, "keywords", "add", "fery", "--name", "typo").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    listed = json.loads(run(config, "keywords", "list", "--counts", "--json").stdout)
    assert [(r["name"], r["matches"]) for r in listed] == [("typo", 0), ("ferries", 3)]
    assert listed[0]["last_found"] is None and listed[1]["last_found"].endswith("Z")
    text = run(config, "keywords", "list", "--counts").output.splitlines()
    assert text[0] == "typo: fery  [0 matches]" and text[1].startswith("ferries: ferry  [3 matches, last 20")
    assert "matches" not in json.loads(run(config, "keywords", "list", "--json").stdout)[0]
