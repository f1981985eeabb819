"""`feeds matches list --release` names a release as the other commands do (the coverage side of the terms review)."""

from __future__ import annotations

import json

from tests.alerts_helpers import watch_item
from tests.cli_watch_helpers import run


def test_matches_list_takes_a_release_by_its_page_address_and_suggests_a_slug_for_a_typo(config, tmp_path):
    """A press officer copies the release page's address from the browser, as `releases show` takes it."""
    from feeds.app import make_app
    from feeds.config import load_settings
    from feeds.model import Match

    releases = tmp_path / "harbours.json"
    harbours = {"title": "Harbour fund for Cornwall", "body": "Newlyn first.", "source_key": "h"}
    releases.write_text(json.dumps([harbours]))
    assert run(config, "ingest", str(releases)).exit_code == 0
    app = make_app(load_settings(config, environ={}))
    try:
        now = app.clock()
        feed = app.store.add_feed(
            "https://news.example.com/rss", title="Desk", tags=(), interval=1800, origin="cli", now=now
        )
        (row,) = app.store.upsert_items(feed.id, [watch_item("a", "Newlyn harbour cash")], now)
        (r,) = app.store.releases()
        app.store.add_matches([(row[0], Match("related", r.id, "a", feed.id, (), 0.5, "related"), 60.0)], now)
        page = app.settings.site.base_url.rstrip("/") + f"/releases/{r.slug}/"
    finally:
        app.close()
    for given in (page, f"/releases/{r.slug}/", r.slug, r.id):
        listed = run(config, "matches", "list", "--release", given)
        assert listed.exit_code == 0, (given, listed.output)
        assert listed.output.rstrip().endswith("1 match"), given
    typo = run(config, "matches", "list", "--release", r.slug[:-1] + "x")
    assert typo.exit_code == 1
    assert f"did you mean {r.slug!r}?" in typo.output
