"""`folder.scan`'s paths are the folder's entries as `Path(entry.path)` would give them (it joins each name to the
folder's Path instead: a third of the cost of parsing the whole path again)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from feeds.ingest import folder

NAMES = ["ferry.txt", "ferry (1).txt", "ferry - Copy.txt", "Zürich statement.json", "a.b.c.md", "x", "ú.txt"]


@pytest.mark.parametrize("spelling", ["absolute", "relative", "trailing slash", "dot"])
def test_scan_gives_the_paths_of_the_entries(tmp_path, monkeypatch, spelling):
    inbox = tmp_path / "inbox"
    (inbox / "images").mkdir(parents=True)
    for name in NAMES:
        (inbox / name).write_text("{}", encoding="utf-8")
    (inbox / "images" / "logo.png").write_bytes(b"\x89PNG")
    monkeypatch.chdir(tmp_path if spelling != "dot" else inbox)
    given = {"absolute": inbox, "relative": Path("inbox"), "trailing slash": Path("inbox/"), "dot": Path(".")}[spelling]
    found = folder.scan(given)
    expected = sorted(
        [(name, Path(os.path.join(given, name))) for name in NAMES]
        + [(os.path.join("images", "logo.png"), Path(os.path.join(given, "images", "logo.png")))],
        key=lambda item: (os.path.splitext(item[0])[0], item[0]),
    )
    assert found == [p for _, p in expected]
    assert [(str(p), p.parts, p.name) for p in found] == [(str(p), p.parts, p.name) for _, p in expected]
