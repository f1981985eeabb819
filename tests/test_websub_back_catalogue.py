"""WebSub pings after bringing in a back catalogue (README "Bringing in past releases", **No flood**).

Twelve years of past releases fill hundreds of RFC 5005 archive documents at once. An archive document that did
not exist before has no subscriber at any hub (no one could subscribe to an address that was not there), so its
first publication pings nothing: a hub told of a thousand new archives at once answers 429, and the back-off that
follows holds the pings of the current feeds, the ones readers poll. An archive document that changes later (an
archived release corrected or taken down) is pinged as any changed feed is.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from feeds.cli import cli
from tests.test_websub import BASE, Hub

PAST = [
    {
        "source_key": f"old-{n}",
        "title": f"Past release number {n} about the harbour",
        "published": f"2019-0{n}-10T09:00:00Z",
        "body": f"Release {n} of the old site.",
    }
    for n in range(1, 8)
]


@pytest.fixture
def hub(httpserver) -> Hub:
    h = Hub()
    httpserver.expect_request("/hub", method="POST").respond_with_handler(h)
    return h


def test_new_archive_documents_ping_no_hub_and_a_changed_one_does(make_settings, hub, httpserver, tmp_path):
    settings = make_settings(f'\n[publish]\nentries = 2\nhub = "{httpserver.url_for("/hub")}"\n')
    export = tmp_path / "old-site-export" / "2019"
    export.mkdir(parents=True)
    (export / "releases.json").write_text(json.dumps(PAST), encoding="utf-8")
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["--config", str(settings.path), *args])
        assert result.exit_code == 0, result.output
        return result.stdout

    run("ingest", str(export.parent))
    first = json.loads(run("publish", "--json"))
    archives = [p for p in first["written"] if p.startswith("archive/") and p.endswith(("atom.xml", "feed.json"))]
    assert "archive/1/atom.xml" in archives and "archive/2/rss.xml" in first["written"], (
        "the back catalogue is archived"
    )
    assert not [url for url in hub.pings if "/archive/" in url], "no new archive document is pinged"
    assert BASE + "atom.xml" in hub.pings and BASE + "rss.xml" in hub.pings, "the current feeds are"
    assert first["hub_pings"]["sent"] == len(hub.pings)

    # The oldest release, in archive/1/, is corrected: that archive document changed, and its subscribers hear of it.
    hub.pings.clear()
    PAST[0] |= {"title": "Past release number 1 about the harbour wall", "updated": "2019-02-01T09:00:00Z"}
    (export / "releases.json").write_text(json.dumps(PAST), encoding="utf-8")
    run("ingest", str(export.parent))
    second = json.loads(run("publish", "--json"))
    assert "archive/1/atom.xml" in second["written"]
    assert BASE + "archive/1/atom.xml" in hub.pings and BASE + "archive/1/feed.json" in hub.pings
