"""The sources of articles entered by hand (`feeds matches add --title --source`) are kept as feeds of their own
that are never watched (`feeds/store/curation.py`): named by id, URL or title in a `feeds watch` command, each is
refused, saying what it is and what to do instead, and nothing changes. Real SQLite deployment."""

from __future__ import annotations

import json

import pytest

from tests.cli_watch_helpers import run


@pytest.fixture
def radio(config, tmp_path):
    """An article City Radio broadcast, entered by hand as coverage of a release: its source's feed id."""
    releases = tmp_path / "releases.json"
    releases.write_text(json.dumps([{"title": "Talks resume", "body": "Talks in Vienna.", "source_key": "t"}]))
    assert run(config, "ingest", str(releases)).exit_code == 0
    (release,) = json.loads(run(config, "releases", "list", "--json").stdout)
    added = run(config, "matches", "add", "https://radio.example/interview-7", "--release", release["slug"],
                "--title", "Minister on the talks", "--source", "City Radio", "--json")  # fmt: skip
    assert added.exit_code == 0, added.output
    return json.loads(added.stdout)["feed_id"]


@pytest.mark.parametrize(
    "command",
    [
        ("watch", "show"),
        ("watch", "remove"),
        ("watch", "edit", "--enable"),
        ("watch", "edit", "--interval", "1h"),
        ("watch", "poll"),
    ],
)
@pytest.mark.parametrize("named", ["id", "#id", "title", "url"])
def test_a_source_entered_by_hand_is_named_in_a_watch_command_and_refused(config, radio, command, named):
    reference = {"id": str(radio), "#id": f"#{radio}", "title": "City Radio", "url": "hand-entered:city radio"}[named]
    r = run(config, *command[:2], reference, *command[2:])
    assert r.exit_code == 1, r.output
    said = r.output
    assert f"#{radio} 'City Radio' is no watched feed" in said
    assert "articles entered by hand" in said and "feeds matches list --kind manual" in said
    # nothing changed: the article is still listed, its source still a feed of its own, never polled
    (m,) = json.loads(run(config, "matches", "list", "--kind", "manual", "--json").stdout)
    assert (m["feed_id"], m["feed"]) == (radio, "City Radio")
    assert json.loads(run(config, "watch", "list", "--json").stdout) == []
