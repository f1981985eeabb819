"""`folder.scan`'s paths are the folder's entries as `Path(entry.path)` would give them (it joins each name to the
folder's Path instead: a third of the cost of parsing the whole path again)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def _by_stem(names: list[str]) -> list[str]:
    """The order `scan` has always given (a key for each name)."""
    return sorted(names, key=lambda name: (os.path.splitext(name)[0], name))


@pytest.mark.parametrize(
    "names",
    [
        [f"r{i:06d}.json" for i in (5, 0, 12, 3, 999_999)],  # (the plain order: no key built)
        ["ferry.txt", "ferry (1).txt", "ferry - Copy.txt", "ferryboat.txt", "ferry", "ferry.a"],
        ["a.txt", "a.b.txt", "a.z", "a.b", "ab.txt", "a"],
        ["x.txt", "x", "images/x.jpg", "images/y.png", "img.d/a.png", "img/a.png", "x/y", "x.y/z"],
        [".x", "a", ".a.b", "b.c", "images/.x", "images/a"],
        ["a\\b.txt", "a.b\\c", "a.txt", "A.txt", "Ø.txt", "z", "é.json", "e.json", "~x", "_x.txt"],
        [],
    ],
)
def test_scan_order_is_by_stem_then_name(names):
    assert folder.in_scan_order(list(names)) == _by_stem(names)


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.text(alphabet=" !(),-._/0129AZaz~é\\\u00a0", min_size=1, max_size=8), unique=True, max_size=12))
def test_scan_order_by_stem_table(names):
    """The plain order is taken only when it is the stems' order: against the key for each name."""
    assert folder.in_scan_order(list(names)) == _by_stem(names)


def test_scan_of_plain_names_keeps_the_order_and_paths(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "images").mkdir(parents=True)
    names = [f"r{i:06d}.json" for i in range(0, 300, 7)] + ["r000001", "r000001.json.bak", "r00000.md"]
    for name in names:
        (inbox / name).write_text("{}", encoding="utf-8")
    (inbox / "images" / "r000001.png").write_bytes(b"\x89PNG")
    names.append(os.path.join("images", "r000001.png"))
    assert folder.scan(inbox) == [inbox / name for name in _by_stem(names)]


def test_recursive_scan_keeps_the_order_and_paths(tmp_path):
    named = tmp_path / "archive"
    for where in ("2025", "2025/may", "2024.old", "a b"):
        (named / where).mkdir(parents=True)
    names = ["x.txt", "2025/x.txt", "2025/may/y.txt", "2024.old/z.txt", "a b/c.txt", "2025 (1).txt", ".hidden.txt"]
    for name in names:
        (named / name).write_text("x", encoding="utf-8")
    found = folder.scan(named, recursive=True)
    expected = _by_stem([n for n in names if not n.startswith(".")])
    assert found == [Path(os.path.join(named, *n.split("/"))) for n in expected]
    assert [p.parts for p in found] == [(named / n).parts for n in expected]
