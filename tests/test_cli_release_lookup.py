"""`feeds releases show/withdraw/restore` find a release the way a press officer names it: its slug or id as
`releases list` prints them, but also its page's address pasted from the browser, the slug in another case or
with a space copied along; an unknown name suggests the slugs it is close to."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from feeds.cli import cli


def run(config: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def ingest_one(config: Path) -> None:
    (config.parent / "inbox" / "ferry.txt").write_text("Ferry fares frozen\n\nFares stay as they are in 2027.\n")
    assert run(config, "ingest").exit_code == 0


def test_show_takes_the_release_page_address(config):
    """Ingest UX review: pasting the permalink from the browser said 'no release with id or slug …'."""
    ingest_one(config)
    for given in (
        "https://press.example.org/releases/ferry-fares-frozen/",
        "https://press.example.org/releases/ferry-fares-frozen",
        "https://press.example.org/releases/ferry-fares-frozen/index.html",
        "http://press.example.org/releases/ferry-fares-frozen/",
        "releases/ferry-fares-frozen/",
        "/releases/ferry-fares-frozen/",
        "Ferry-Fares-Frozen",
        " ferry-fares-frozen\n",
    ):
        r = run(config, "releases", "show", given, "--json")
        assert r.exit_code == 0, (given, r.output)
        assert json.loads(r.output)["slug"] == "ferry-fares-frozen"


def test_withdraw_and_restore_take_the_address_too(config):
    ingest_one(config)
    r = run(config, "releases", "withdraw", "https://press.example.org/releases/ferry-fares-frozen/", "--note", "Old.")
    assert r.exit_code == 0 and "withdrawn ferry-fares-frozen" in r.output
    r = run(config, "releases", "restore", "Ferry-Fares-Frozen")
    assert r.exit_code == 0 and "restored ferry-fares-frozen" in r.output


def test_an_unknown_slug_suggests_a_close_one(config):
    ingest_one(config)
    r = run(config, "releases", "show", "ferry-fare-frozen")
    assert r.exit_code == 1
    assert "no release with id or slug 'ferry-fare-frozen'" in r.output
    assert "did you mean 'ferry-fares-frozen'?" in r.output
    r = run(config, "releases", "show", "https://elsewhere.example/releases/ferry-fares-frozen/")
    assert r.exit_code == 1 and "no release with id or slug" in r.output  # another site's page is not ours
    r = run(config, "releases", "show", "nothing-like-it-at-all")
    assert r.exit_code == 1 and "did you mean" not in r.output


def test_withdraw_and_restore_take_the_source_key_a_client_system_knows(config):
    """A CMS knows its own keys, not our ids or slugs: `--source-key` names the release as `POST
    /api/releases/withdraw` does; an unknown key is an error naming it, and running it twice changes nothing."""
    release = {"title": "Ferry fares frozen", "body": "Fares stay.", "source_key": "cms-4711"}
    (config.parent / "inbox" / "ferry.json").write_text(json.dumps(release))
    assert run(config, "ingest").exit_code == 0
    r = run(config, "releases", "withdraw", "--source-key", "cms-4711", "--note", "Issued in error.", "--json")
    assert r.exit_code == 0, r.output
    done = json.loads(r.output)
    assert done["changed"] is True and done["release"]["slug"] == "ferry-fares-frozen"
    assert done["release"]["withdrawn_note"] == "Issued in error."
    again = run(config, "releases", "withdraw", "--source-key", " cms-4711 ", "--note", "Issued in error.")
    assert again.exit_code == 0 and "was withdrawn already" in again.output
    assert "restored ferry-fares-frozen" in run(config, "releases", "restore", "--source-key", "cms-4711").output
    assert (
        "withdrawn ferry-fares-frozen"
        in run(config, "releases", "withdraw", "--source-key", "cms-4711", "--note", "x").output
    )
    assert "restored" in run(config, "releases", "withdraw", "--source-key", "cms-4711", "--undo").output

    unknown = CliRunner().invoke(
        cli, ["--config", str(config), "releases", "withdraw", "--source-key", "cms-9", "--note", "x"]
    )
    assert unknown.exit_code != 0 and "no release has source_key 'cms-9'" in unknown.output
    for args in (["ferry-fares-frozen", "--source-key", "cms-4711"], []):
        both = CliRunner().invoke(cli, ["--config", str(config), "releases", "withdraw", *args, "--note", "x"])
        assert both.exit_code == 2 and "ID_OR_SLUG or by --source-key KEY" in both.output
