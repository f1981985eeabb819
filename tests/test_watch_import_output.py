"""What a first `feeds watch import` of a big OPML file prints, as an analyst importing 3,000 feeds sees it: on a
terminal, the first 20 feeds added named and the rest counted (`… and 2,980 more added`), as a second import
counts the feeds watched already; every one named into a pipe or a file, with `-v`, and in `--json`."""

from __future__ import annotations

import json

import pytest

from tests.cli_watch_helpers import run


@pytest.fixture
def subs(tmp_path):
    outlines = "".join(f'<outline type="rss" text="Wire {i}" xmlUrl="https://wire{i}.example/rss"/>' for i in range(45))
    path = tmp_path / "subs.opml"
    path.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>Office</title></head><body>'
        f'<outline text="Wires">{outlines}</outline></body></opml>',
        encoding="utf-8",
    )
    return str(path)


@pytest.fixture
def terminal(monkeypatch):
    from feeds.cli import firstnamed

    monkeypatch.setattr(firstnamed, "on_terminal", lambda: True)


def _added(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("added ")]


def test_a_first_import_on_a_terminal_names_20_feeds_added_and_counts_the_rest(config, subs, terminal):
    done = run(config, "watch", "import", subs)
    assert done.exit_code == 0, done.output
    added = _added(done.output)
    assert len(added) == 20 and added[0] == "added    #1 https://wire0.example/rss  [Wires]"
    assert added[-1] == "added    #20 https://wire19.example/rss  [Wires]"
    assert "… and 25 more added (-v names them all; --json lists them)" in done.output
    assert done.output.splitlines()[-1] == "45 added, 0 already watched"


def test_a_first_import_names_every_feed_added_with_v_in_json_and_into_a_pipe(config, subs, tmp_path, terminal):
    everyone = run(config, "watch", "import", "-v", subs)
    assert everyone.exit_code == 0, everyone.output
    assert len(_added(everyone.output)) == 45 and "more added" not in everyone.output
    run(config, "watch", "remove", "--tagged", "Wires")
    listed = json.loads(run(config, "watch", "import", "--json", subs).stdout)
    assert len(listed["added"]) == 45


def test_a_first_import_into_a_pipe_names_every_feed_added(config, subs):
    piped = run(config, "watch", "import", subs)
    assert piped.exit_code == 0, piped.output
    assert len(_added(piped.output)) == 45 and "more added" not in piped.output
