"""The out/ checks the chaos tests and the load bench rely on must themselves catch what they claim to."""

from __future__ import annotations

import json
from pathlib import Path

from tests.chaos.outcheck import listing_problems


def _write(out: Path, rel: str, ids: list[str]) -> None:
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"items": [{"id": i} for i in ids]}), encoding="utf-8")


def test_a_release_in_an_archive_and_in_the_current_document_is_allowed(tmp_path: Path) -> None:
    _write(tmp_path, "archive/1/feed.json", ["a", "b"])
    _write(tmp_path, "feed.json", ["c", "b"])  # b: archived, and still among the newest
    assert listing_problems(tmp_path, ["a", "b", "c"]) == []


def test_every_way_of_listing_wrongly_is_named(tmp_path: Path) -> None:
    _write(tmp_path, "archive/1/feed.json", ["a", "b"])
    _write(tmp_path, "archive/2/feed.json", ["b", "x"])
    _write(tmp_path, "feed.json", ["c", "c"])
    assert listing_problems(tmp_path, ["a", "b", "c", "d"]) == [
        "archive/1/feed.json, archive/2/feed.json: b is archived more than once",
        "feed.json: lists c more than once",
        "archive/2/feed.json: lists x, which is not a stored release",
        "feed.json and its archives: d is listed nowhere",
    ]
