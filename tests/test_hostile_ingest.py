"""Hostile or mistaken release files through the real entry point (`unit_from_file`): each is read, or refused
with an error naming the file and field, without hanging the daemon.

(Timings were measured in ad-hoc scripts; these tests check results at sizes where the old code took minutes.)"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feeds.ingest.units import unit_from_file

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("opener", ["[", "![", "[^", "^[", "![[", "[[a|"])
def test_a_markdown_body_of_brackets_that_never_close_is_read(make_settings, tmp_path, opener) -> None:
    """200 KB of `[` in one Markdown paragraph (a mistaken export) took minutes: every `[` was tried as a link's
    text by markdown-it, and every `[[` as a wikilink by our editor-marks pattern, each scan running to the end of
    the paragraph or line. A `[` with no `]` after it opens nothing; a wikilink's target holds no `[`."""
    path = tmp_path / "brackets.md"
    path.write_text("---\ntitle: Brackets\n---\nSee " + opener * 100_000 + "\n", encoding="utf-8")
    unit = unit_from_file(path, source="inbox", settings=make_settings(), now=NOW)
    assert unit.error is None, unit.error
    (release,) = unit.releases
    assert release.body_html.count("[") == opener.count("[") * 100_000
