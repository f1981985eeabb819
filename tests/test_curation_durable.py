"""A dismissal is a press officer's judgement on an article for a rule or a release, and lasts as long as that
rule's name or that release does (`feeds/store/curation.py`): a rule removed and added again, a release withdrawn
and restored, find the article again as the same dismissed match, listed and restorable. Real polls of a local
feed, on a real SQLite deployment."""

from __future__ import annotations

import json

import werkzeug

from tests.cli_watch_helpers import RSS, run


def _shown(config, *args):
    return sorted(m["rule"] or m["release"] for m in json.loads(run(config, "matches", "list", *args, "--json").stdout))


def _serve(httpserver, body: str = RSS) -> str:
    httpserver.expect_request("/feed.xml").respond_with_handler(
        lambda request: werkzeug.Response(body, content_type="application/rss+xml")
    )
    return httpserver.url_for("/feed.xml")


def test_a_keyword_dismissal_survives_its_rule_removed_and_added_again(config, httpserver):
    assert run(config, "watch", "add", _serve(httpserver)).exit_code == 0
    assert run(config, "keywords", "add", "lavrov", "--name", "lavrov").exit_code == 0
    assert run(config, "keywords", "add", "geneva", "--name", "geneva").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    done = run(config, "matches", "dismiss", "https://news.example.com/a", "--rule", "lavrov", "--reason", "old")
    assert done.exit_code == 0, done.output
    assert _shown(config) == ["geneva"]

    removed = run(config, "keywords", "remove", "lavrov")
    assert removed.exit_code == 0, removed.output
    assert "no matches" in removed.output  # (its one match is dismissed: kept, not counted as removed)
    # listed while the rule is away, and not taken for a former rule's matches
    assert _shown(config, "--dismissed") == ["lavrov"]
    assert "lavrov" not in run(config, "keywords", "list").output

    assert run(config, "keywords", "add", "lavrov", "--name", "lavrov").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0  # (the rule is applied to the stored items again)
    assert run(config, "watch", "poll", "1").exit_code == 0
    assert _shown(config) == ["geneva"]
    (gone,) = json.loads(run(config, "matches", "list", "--dismissed", "--json").stdout)
    assert (gone["rule"], gone["dismiss_reason"]) == ("lavrov", "old")

    back = run(config, "matches", "restore", "https://news.example.com/a", "--rule", "lavrov")
    assert back.exit_code == 0, back.output
    assert _shown(config) == ["geneva", "lavrov"]


def test_a_release_dismissal_survives_the_release_withdrawn_and_restored(config, tmp_path, httpserver):
    """A release whose words a watched item carries: its related match is dismissed, the release withdrawn and
    restored, its coverage looked for again; the dismissal stands."""
    releases = tmp_path / "releases.json"
    releases.write_text(
        json.dumps([{"title": "Lavrov meets ministers in Geneva", "body": "Lavrov, Geneva.", "source_key": "lv"}])
    )
    assert run(config, "ingest", str(releases)).exit_code == 0
    assert run(config, "watch", "add", _serve(httpserver)).exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    (found,) = json.loads(run(config, "matches", "list", "--json").stdout)
    release = found["release"]
    assert run(config, "matches", "dismiss", str(found["id"]), "--reason", "not ours").exit_code == 0

    assert run(config, "releases", "withdraw", release, "--note", "sent in error").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    assert run(config, "releases", "restore", release).exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    # withdrawn by its source, then sent again as current: a new content hash, its coverage looked for again
    sent = {"title": "Lavrov meets ministers in Geneva", "body": "Lavrov, Geneva.", "source_key": "lv"}
    for version in ({**sent, "withdrawn_note": "sent in error"}, {**sent, "body": "Lavrov, Geneva, again."}):
        releases.write_text(json.dumps([version]))
        assert run(config, "ingest", str(releases)).exit_code == 0
        assert run(config, "watch", "poll").exit_code == 0
    assert json.loads(run(config, "matches", "list", "--json").stdout) == []
    (gone,) = json.loads(run(config, "matches", "list", "--dismissed", "--json").stdout)
    assert (gone["release"], gone["dismiss_reason"]) == (release, "not ours")
    assert run(config, "matches", "restore", str(gone["id"])).exit_code == 0
    assert [m["release"] for m in json.loads(run(config, "matches", "list", "--json").stdout)] == [release]


def test_a_match_restored_while_its_rule_is_removed_is_kept_as_a_former_rule_s(config, httpserver):
    """Restored with no rule of its name: a match of a former rule (as one deleted from the config file keeps its
    matches), listed and published until `keywords remove` takes it, or the rule comes back."""
    assert run(config, "watch", "add", _serve(httpserver)).exit_code == 0
    assert run(config, "keywords", "add", "lavrov", "--name", "lavrov").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    (found,) = json.loads(run(config, "matches", "list", "--json").stdout)
    assert run(config, "matches", "dismiss", str(found["id"])).exit_code == 0
    assert run(config, "keywords", "remove", "lavrov").exit_code == 0
    back = run(config, "matches", "restore", "https://news.example.com/a", "--rule", "lavrov")
    assert back.exit_code == 0, back.output
    assert _shown(config) == ["lavrov"] and _shown(config, "--rule", "lavrov") == ["lavrov"]
    gone = run(config, "keywords", "remove", "lavrov")
    assert gone.exit_code == 0 and "removed the 1 match(es) of the former rule 'lavrov'" in gone.output
    assert _shown(config) == [] and _shown(config, "--dismissed") == []


def test_the_rule_added_again_under_its_name_in_another_case_or_spelling_meets_its_dismissals(config, httpserver):
    """No two rules may have names that differ only by case or give the same feed folder (`rule_clash`): such a
    name is the same rule's, for the dismissals it kept as for every command that names a rule."""
    assert run(config, "watch", "add", _serve(httpserver)).exit_code == 0
    assert run(config, "keywords", "add", "lavrov", "--name", "lavrov").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    assert run(config, "matches", "dismiss", "https://news.example.com/a", "--rule", "lavrov").exit_code == 0
    assert run(config, "keywords", "remove", "lavrov").exit_code == 0
    assert _shown(config, "--dismissed", "--rule", "LAVROV") == ["lavrov"]

    assert run(config, "keywords", "add", "lavrov", "--name", "Lavrov").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    assert _shown(config) == []
    assert _shown(config, "--dismissed", "--rule", "Lavrov") == ["Lavrov"]
