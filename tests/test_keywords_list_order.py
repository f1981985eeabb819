"""`feeds keywords list`: rules in the order a reader looks a name up, case and accents aside, in every script;
the same on SQLite and PostgreSQL (whose collation would otherwise decide)."""

from __future__ import annotations

import json

from tests.cli_watch_helpers import run

NAMES = ["Москва", "berlin", "Zürich", "東京", "Ålesund", "Amsterdam", "ロシア", "aachen"]


def test_rules_are_listed_by_name_whatever_their_case_and_accents(config):
    for name in NAMES:
        assert run(config, "keywords", "add", "x", "--name", name).exit_code == 0
    listed = [r["name"] for r in json.loads(run(config, "keywords", "list", "--json").stdout)]
    assert listed == ["aachen", "Ålesund", "Amsterdam", "berlin", "Zürich", "Москва", "ロシア", "東京"]
    text = run(config, "keywords", "list").stdout.splitlines()
    assert [line.split(":")[0] for line in text] == listed
