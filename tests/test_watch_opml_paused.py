"""A paused feed carried through `watch export` and `watch import` into a fresh database, as an analyst moving
3,000 feeds to a new server does: one a `410 Gone` paused stays paused there, with its reason, and is still the
`gone` that `feeds status` and `watch remove --cause gone` find (it came back enabled, fetched again by every
poll until the publisher's 410 paused it once more); one paused by hand stays paused by hand."""

from __future__ import annotations

import json
import shutil

from lxml import etree

from feeds.watch.opmlattributes import PAUSED_ATTRIBUTE, PAUSED_REASON_ATTRIBUTE
from tests.cli_watch_helpers import RSS, run


def _fresh(config, tmp_path):
    """The same config in another folder: an empty database."""
    (tmp_path / "moved" / "inbox").mkdir(parents=True)
    moved = tmp_path / "moved" / "feeds.toml"
    shutil.copy(config, moved)
    return moved


def test_a_feed_a_410_paused_stays_paused_with_its_reason_after_export_and_import(config, httpserver, tmp_path):
    httpserver.expect_request("/gone.xml").respond_with_data("", status=410)
    httpserver.expect_request("/ok.xml").respond_with_data(RSS, content_type="application/rss+xml")
    gone, ok, hand = (httpserver.url_for(p) for p in ("/gone.xml", "/ok.xml", "/hand.xml"))
    for url in (gone, ok, hand):
        assert run(config, "watch", "add", "--no-check", url).exit_code == 0
    assert run(config, "watch", "edit", hand, "--disable").exit_code == 0
    run(config, "watch", "poll")
    before = {f["url"]: f for f in json.loads(run(config, "watch", "list", "--json").stdout)}
    reason = before[gone]["health"]["disabled_reason"]
    assert reason.startswith("410 Gone on ")
    out = tmp_path / "export.opml"
    assert run(config, "watch", "export", "-o", str(out)).exit_code == 0
    outlines = {o.get("xmlUrl"): o for o in etree.parse(str(out)).iter("outline")}
    assert outlines[gone].get(PAUSED_ATTRIBUTE) == "true" and outlines[gone].get(PAUSED_REASON_ATTRIBUTE) == reason
    assert outlines[hand].get(PAUSED_ATTRIBUTE) == "true" and outlines[hand].get(PAUSED_REASON_ATTRIBUTE) is None
    assert outlines[ok].get(PAUSED_ATTRIBUTE) is None

    moved = _fresh(config, tmp_path)
    assert run(moved, "watch", "import", str(out)).exit_code == 0
    after = {f["url"]: f for f in json.loads(run(moved, "watch", "list", "--json").stdout)}
    assert after[gone]["enabled"] is False and after[gone]["health"]["disabled_reason"] == reason
    assert after[hand]["enabled"] is False and after[hand]["health"]["disabled_reason"] == "disabled by hand"
    assert after[ok]["enabled"] is True
    assert [f["url"] for f in json.loads(run(moved, "watch", "list", "--cause", "gone", "--json").stdout)] == [gone]
    polled = json.loads(run(moved, "watch", "poll", "--json").stdout)
    assert [f["url"] for f in polled["feeds"]] == [ok], "the gone feed is not fetched again"
    # and exported again from there, it says the same
    again = tmp_path / "again.opml"
    assert run(moved, "watch", "export", "-o", str(again)).exit_code == 0
    outlines = {o.get("xmlUrl"): o for o in etree.parse(str(again)).iter("outline")}
    assert outlines[gone].get(PAUSED_REASON_ATTRIBUTE) == reason


def test_a_paused_reason_from_the_file_is_one_line_and_only_a_410_s_is_taken(config, tmp_path):
    """The file may come from anywhere: a reason that is not a 410's is a pause by hand (a reason such as
    "removed from the config file" would refuse `watch edit --enable`), and one of many lines or pages is cut.
    (Written as exports before the namespace wrote them, `feedsPaused`: those files are still read.)"""
    subs = tmp_path / "subs.opml"
    long = "410 Gone on 2026-11-28:\nthe publisher\tremoved this feed " + "x" * 2000
    subs.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body>'
        '<outline type="rss" text="A" xmlUrl="https://a.example/rss" feedsPaused="true"'
        ' feedsPausedReason="removed from the config file"/>'
        f'<outline type="rss" text="B" xmlUrl="https://b.example/rss" feedsPaused="true" feedsPausedReason="{long}"/>'
        '<outline type="rss" text="C" xmlUrl="https://c.example/rss" feedsPausedReason="410 Gone on 2026-11-28"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    assert run(config, "watch", "import", str(subs)).exit_code == 0
    a, b, c = json.loads(run(config, "watch", "list", "--json").stdout)
    assert a["health"]["disabled_reason"] == "disabled by hand"
    assert b["enabled"] is False and b["health"]["disabled_reason"].startswith("410 Gone on 2026-11-28: the publisher")
    assert "\n" not in b["health"]["disabled_reason"] and len(b["health"]["disabled_reason"]) <= 300
    assert c["enabled"] is True, "a reason without feedsPaused pauses nothing"
    assert run(config, "watch", "edit", "https://a.example/rss", "--enable").exit_code == 0
