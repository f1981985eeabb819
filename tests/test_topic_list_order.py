"""The order of the topic (and organisation) feeds listed on the index page and in the OPML list: by name, as a
reader looks a name up, in every script; not by the folder, which for a name in another script is a hash."""

from __future__ import annotations

import json
import re

from lxml import etree

from feeds.ingest import ingest_paths
from feeds.publish import run_publish

TOPICS = ["Zebra", "ロシア", "Apple", "روسيا", "אירן", "러시아", "رسالة", "イラン", "רוסיה", "Éclair", "가나"]
IN_ORDER = ["Apple", "Éclair", "Zebra", "אירן", "רוסיה", "رسالة", "روسيا", "イラン", "ロシア", "가나", "러시아"]
ORGS = ["Ωμέγα", "Вода", "Alpha Office", "東京都"]


def test_topic_and_organisation_feeds_are_listed_by_name(make_settings, make_app_for, tmp_path):
    app = make_app_for(make_settings())
    for i, topic in enumerate(TOPICS):
        src = tmp_path / f"r{i}.json"
        release = {
            "title": f"Release {i}",
            "body": "Text.",
            "topics": [topic],
            "organisation": ORGS[i % len(ORGS)],
            "published": f"2026-11-{10 + i:02d}T10:00Z",
        }
        src.write_text(json.dumps(release, ensure_ascii=False), "utf-8")
        ingest_paths(app, [src])
    run_publish(app)
    out = app.settings.paths.out
    index = (out / "index.html").read_text("utf-8")
    listed = re.findall(r'<span class="feed-title">([^<]*)</span>', index)
    assert [t for t in listed if t in TOPICS] == IN_ORDER
    assert [t for t in listed if t in ORGS] == ["Alpha Office", "Ωμέγα", "Вода", "東京都"]
    opml = etree.fromstring((out / "feeds.opml").read_bytes())
    titles = [o.get("text") for o in opml.iter("outline")]
    assert [t for t in titles if t in TOPICS] == IN_ORDER
