"""The keywords commands (`feeds keywords add`, `edit`, `list`, `remove`, `test`) end to end against a local feed
server."""

from __future__ import annotations

import json

import pytest

from tests.alerts_helpers import watch_item
from tests.cli_watch_helpers import RSS, run


def test_rule_names_that_would_share_a_feed_are_refused(config):
    assert run(config, "keywords", "add", "drone*").exit_code == 0
    refused = run(config, "keywords", "add", "sanctions", "--name", "Drone")
    assert refused.exit_code == 1
    assert "'drone*' publishes its matches at matches/rules/drone/" in refused.output and "--name" in refused.output
    assert [r["name"] for r in json.loads(run(config, "keywords", "list", "--json").stdout)] == ["drone*"]
    config.write_text(
        config.read_text() + '\n[[watch.keywords]]\nname = "Iran talks"\nquery = "iran"\n'
        '[[watch.keywords]]\nname = "iran-talks"\nquery = "iran talks"\n'
    )
    clash = run(config, "keywords", "list")
    assert clash.exit_code == 1 and "watch.keywords[1].name" in clash.output
    assert "would share the feed matches/rules/iran-talks/" in clash.output


def test_a_rule_from_the_config_is_removed_in_the_config_not_from_the_cli(config):
    config.write_text(config.read_text() + '\n[[watch.keywords]]\nname = "fisheries"\nquery = "fish*"\n')
    refused = run(config, "keywords", "remove", "fisheries")
    assert refused.exit_code == 1
    line = config.read_text().splitlines().index("[[watch.keywords]]") + 1
    assert f"error: {config}:{line}: watch.keywords[0]: rule 'fisheries' is defined here" in refused.output
    assert "fisheries" in run(config, "keywords", "list").output
    taken = run(config, "keywords", "add", "cod", "--name", "fisheries")  # not "remove it first", refused above
    assert taken.exit_code == 1
    assert f"error: {config}:{line}: watch.keywords[0]: rule 'fisheries' is defined here: change its query" in (
        taken.output
    )
    assert run(config, "keywords", "add", "quota", "--name", "quota").exit_code == 0
    assert "removed rule 'quota' (it had no matches)" in run(config, "keywords", "remove", "quota").output


def test_keywords_remove_says_how_many_matches_went_with_the_rule(config, httpserver):
    """Watch review: `feeds keywords remove` said only "removed rule 'x'", not that its matches (its feed's
    entries) went with it."""
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    assert run(config, "watch", "add", httpserver.url_for("/feed.xml")).exit_code == 0
    assert run(config, "keywords", "add", "lavrov OR bakery", "--name", "desk").exit_code == 0
    assert run(config, "keywords", "add", "lavrov", "--name", "one").exit_code == 0
    assert json.loads(run(config, "watch", "poll", "--json").stdout)["new_matches"] == 3
    removed = run(config, "keywords", "remove", "DESK")
    assert removed.exit_code == 0 and "removed rule 'desk' and its 2 matches" in removed.output, removed.output
    assert "removed rule 'one' and its 1 match\n" in run(config, "keywords", "remove", "one").output
    assert run(config, "matches", "list", "--json").stdout.strip() == "[]"


def test_keywords_edit_changes_a_rules_query_keeping_the_matches_it_still_makes(config, httpserver):
    """A press officer narrows a rule that found too much: the matches the new query no longer makes go at the
    next poll, the ones it still makes keep their ids, and items stored already are searched with it."""
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    url = httpserver.url_for("/feed.xml")
    assert run(config, "watch", "add", url).exit_code == 0
    assert run(config, "keywords", "add", "lavrov OR bakery", "--name", "watch").exit_code == 0
    assert json.loads(run(config, "watch", "poll", "--json").stdout)["new_matches"] == 2
    before = {m["title"]: m for m in json.loads(run(config, "matches", "list", "--rule", "watch", "--json").stdout)}
    edited = run(config, "keywords", "edit", "WATCH", "lavrov OR bread")  # named as any command names a rule
    assert edited.exit_code == 0, edited.output
    assert "changed rule 'watch': lavrov OR bread (was: lavrov OR bakery)" in edited.output
    assert json.loads(run(config, "keywords", "list", "--json").stdout) == [
        {"name": "watch", "query": "lavrov OR bread", "origin": "cli"}
    ]
    run(config, "watch", "poll", "--json")
    after = {m["title"]: m for m in json.loads(run(config, "matches", "list", "--rule", "watch", "--json").stdout)}
    assert set(after) == {"Lavrov meets ministers", "Bakery prize"}
    assert after["Lavrov meets ministers"] == before["Lavrov meets ministers"], "a match still made is kept as it was"
    assert after["Bakery prize"]["terms"][0]["term"] == "bread", "found again for the new query's reason"
    assert run(config, "keywords", "edit", "watch", "lavrov").exit_code == 0
    run(config, "watch", "poll")
    narrowed = json.loads(run(config, "matches", "list", "--rule", "watch", "--json").stdout)
    assert [m["title"] for m in narrowed] == ["Lavrov meets ministers"]
    same = run(config, "keywords", "edit", "watch", "lavrov")
    assert same.exit_code == 0 and "rule 'watch' unchanged: lavrov" in same.output
    bad = run(config, "keywords", "edit", "watch", "lavrov (syria")
    assert bad.exit_code == 1 and "never closed" in bad.output and "^" in bad.output
    missing = run(config, "keywords", "edit", "nothing", "x")
    assert missing.exit_code == 1 and "no keyword rule named 'nothing'" in missing.output
    assert json.loads(run(config, "keywords", "list", "--json").stdout)[0]["query"] == "lavrov"


def test_a_rule_from_the_config_is_edited_in_the_config_not_from_the_cli(config):
    config.write_text(config.read_text() + '\n[[watch.keywords]]\nname = "fisheries"\nquery = "fish*"\n')
    refused = run(config, "keywords", "edit", "fisheries", "cod")
    assert refused.exit_code == 1
    line = config.read_text().splitlines().index("[[watch.keywords]]") + 1
    assert f"error: {config}:{line}: watch.keywords[0]: rule 'fisheries' is defined here: change its query" in (
        refused.output
    )
    assert json.loads(run(config, "keywords", "list", "--json").stdout)[0]["query"] == "fish*"


def test_a_rule_is_named_in_any_case_or_spelling_that_gives_its_feed_folder(config):
    assert run(config, "keywords", "add", '"north korea"', "--name", "North Korea").exit_code == 0
    assert run(config, "matches", "list", "--rule", "north korea").exit_code == 0  # known: no matches yet
    assert run(config, "matches", "list", "--rule", "north-korea", "--json").stdout.strip() == "[]"
    removed = run(config, "keywords", "remove", "north korea")
    assert removed.exit_code == 0 and "removed rule 'North Korea'" in removed.output
    assert run(config, "keywords", "list", "--json").stdout.strip() == "[]"


def test_rule_names_the_same_but_for_case_in_the_config(config):
    """In the config file itself: refused at its line. Beside a rule added from the command line: that rule
    stays, the config's is not used, and the log says why. Renamed in the config, if only in case: the rule
    takes its new name."""
    base = config.read_text()
    config.write_text(base + '\n[[watch.keywords]]\nname = "Москва"\nquery = "a"\n'
                      '[[watch.keywords]]\nname = "МОСКВА"\nquery = "b"\n')  # fmt: skip
    clash = run(config, "keywords", "list")
    line = config.read_text().splitlines().index('name = "МОСКВА"') + 1
    assert clash.exit_code == 1
    assert f"{config}:{line}: watch.keywords[1].name: rule names 'Москва' and 'МОСКВА' differ only by case" in (
        clash.output
    )
    config.write_text(base)
    assert run(config, "keywords", "add", "moscow", "--name", "Москва").exit_code == 0
    config.write_text(base + '\n[[watch.keywords]]\nname = "москва"\nquery = "kremlin"\n')
    listed = run(config, "keywords", "list", "--json")
    assert "rule 'москва' in the config is not used: rule 'Москва', added from the command line, has the same " in (
        listed.stderr
    )
    assert [(r["name"], r["origin"]) for r in json.loads(listed.stdout)] == [("Москва", "cli")]
    assert run(config, "keywords", "remove", "Москва").exit_code == 0
    assert [r["name"] for r in json.loads(run(config, "keywords", "list", "--json").stdout)] == ["москва"]
    config.write_text(config.read_text().replace('"москва"', '"Москва"'))  # renamed in the config, by case
    assert [r["name"] for r in json.loads(run(config, "keywords", "list", "--json").stdout)] == ["Москва"]


def test_a_query_may_start_with_a_minus_sign(config):
    added = run(config, "keywords", "add", "-rumour sanctions", "--name", "sanctions")
    assert added.exit_code == 0 and "added rule 'sanctions': -rumour sanctions" in added.output
    tested = run(config, "keywords", "test", "-rumour", "--json")
    assert tested.exit_code == 1 and "only excludes" in tested.output


def test_our_own_site_is_left_out_of_keywords_test_and_the_config_as_by_the_watch(config, tmp_path):
    from feeds.app import make_app
    from feeds.config import load_settings
    from feeds.watch.manage import import_configured, try_query

    config.write_text(
        config.read_text() + '\n[[watch.feeds]]\nurl = "https://press.example.org/atom.xml"\n'
        '[[watch.feeds]]\nurl = "https://news.example.com/rss"\n'
    )
    app = make_app(load_settings(config, environ={}))
    try:
        assert import_configured(app)[0] == 1 and [f.url for f in app.store.feeds()] == ["https://news.example.com/rss"]
        (feed,) = app.store.feeds()
        app.store.upsert_items(
            feed.id,
            [watch_item("own", "Lavrov in Geneva", link="https://press.example.org/releases/x/"),
             watch_item("news", "Lavrov in Geneva again", link="https://news.example.com/a")],
            app.clock(),
        )  # fmt: skip
        trial = try_query(app, "lavrov", days=3650)
        assert [s.item.key for s, _ in trial.hits] == ["news"] and trial.own == 1
        (one,) = try_query(app, "lavrov", days=3650, item="https://press.example.org/releases/x/").hits
        assert one[1].matched is False and "on our own site" in one[1].reasons[-1]
    finally:
        app.close()


def test_keywords_test_explains_one_item_that_does_not_match(config, httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    assert run(config, "watch", "add", httpserver.url_for("/feed.xml")).exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    vetoed = run(config, "keywords", "test", "lavrov -geneva", "--item", "https://news.example.com/a")
    assert vetoed.exit_code == 0 and "NO MATCH" in vetoed.output and "vetoed: excluded term geneva" in vetoed.output
    missing = json.loads(
        run(config, "keywords", "test", "lavrov moscow", "--item", "https://news.example.com/a", "--json").stdout
    )
    assert missing["matches"] == [] and missing["item"]["matched"] is False
    assert any("missing: moscow" in why for why in missing["item"]["why"])
    unknown = run(config, "keywords", "test", "lavrov", "--item", "https://news.example.com/nope")
    assert unknown.exit_code == 1 and "no stored item has the link or key" in unknown.output
    # (watch review) a link as a person copies it finds the item, as `watch` takes any spelling of a feed's URL
    spelled = run(config, "keywords", "test", "lavrov -geneva", "--item", "HTTPS://News.Example.com:443/a")
    assert spelled.exit_code == 0 and "vetoed: excluded term geneva" in spelled.output


@pytest.mark.parametrize("days", ["nan", "inf", "-3", "0", "1000000"])
def test_keywords_test_refuses_a_window_that_is_no_number_of_days(config, days):
    result = run(config, "keywords", "test", "iran", "--days", days)
    assert result.exit_code == 2 and "--days" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("   ", "empty"),
        ("", "empty"),
        ("\u200b", "invisible"),  # a zero-width space alone
        ("\u202eevil", "direction"),  # a right-to-left override: reads as another name
        ("a\nb", "line breaks"),
        ("x" * 201, "200"),
    ],
)
def test_a_rule_name_must_be_visible_text_on_one_line(config, name, why):
    result = run(config, "keywords", "add", "iran", "--name", name)
    assert result.exit_code == 1 and why in result.output
    assert json.loads(run(config, "keywords", "list", "--json").stdout) == []


def test_a_mistyped_option_is_not_taken_for_the_query(config):
    typo = run(config, "keywords", "add", "--nmae", "foo", "iran")
    assert typo.exit_code == 2 and "no such option: --nmae" in typo.output
    assert run(config, "keywords", "add", "-iran syria", "--name", "syria-not-iran").exit_code == 0


def test_a_lower_case_or_is_refused_pointing_at_it_and_saying_what_to_write(config):
    """Watch review: `iran or syria` was saved (with a note), and needed all three words ("or" included)."""
    r = run(config, "keywords", "add", "iran or syria", "--name", "gulf")
    assert r.exit_code == 1
    assert "at character 6: 'or' is not an operator unless in capitals: write OR" in r.output
    assert json.loads(run(config, "keywords", "list", "--json").stdout) == []
    tried = run(config, "keywords", "test", "iran NEAR/3 russia")
    assert tried.exit_code == 1 and "NEAR/3 is not supported (there is no proximity search)" in tried.output
    assert run(config, "keywords", "add", 'iran OR "war or peace"', "--name", "gulf2").exit_code == 0


def test_an_empty_rule_name_and_rule_names_that_differ_only_by_case_in_any_script(config):
    assert run(config, "matches", "list", "--rule", "").exit_code == 1
    assert run(config, "keywords", "add", "moscow", "--name", "Москва").exit_code == 0
    twin = run(config, "keywords", "add", "moscow", "--name", "МОСКВА")
    assert twin.exit_code == 1 and "the same name but for case" in twin.output
    assert run(config, "matches", "list", "--rule", "МОСКВА").exit_code == 0
    removed = run(config, "keywords", "remove", "москва")
    assert removed.exit_code == 0 and "removed rule 'Москва'" in removed.output


def test_a_query_typed_without_quotes_is_refused_with_the_quoted_command(config):
    """`feeds keywords add iran OR syria` (the shell splits it into three arguments) said only "Got unexpected
    extra arguments (OR syria)"; it now shows the query quoted as one argument, a phrase kept a phrase."""
    r = run(config, "keywords", "add", "iran", "OR", "syria", "--name", "gulf")
    assert r.exit_code == 2
    assert "the query is one argument: put all of it in quotes, as in 'iran OR syria'" in r.output
    phrase = run(config, "keywords", "test", "sanction*", "north korea")
    assert phrase.exit_code == 2 and """as in 'sanction* "north korea"'""" in phrase.output
    edit = run(config, "keywords", "edit", "gulf", "iran", "-rumour")
    assert edit.exit_code == 2 and "as in 'iran -rumour'" in edit.output
    assert run(config, "db", "migrate").exit_code == 0
    assert json.loads(run(config, "keywords", "list", "--json").stdout) == []
