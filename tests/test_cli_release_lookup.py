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
