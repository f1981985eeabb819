"""Shared by the tests of `feeds.normalise.sanitise`, `.markdown` and `.htmltext` (`tests/test_normalise_sanitise.py`,
`test_normalise_markdown.py`, `test_normalise_htmltext.py`): a release's link to resolve against, and the markup of
the corpus feeds' items."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.normalise.htmltext import untrusted_html_to_text

BASE = "https://www.example.gov.uk/government/news/ministers-meet"


def corpus_item_markups(corpus_feeds: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The markup of every summary and content of the real feeds' items (1,900: WordPress, newspapers, agencies),
    as the watcher reads it."""
    import feeds.watch.feeditems as feeditems
    import feeds.watch.parse as parse

    seen: list[str] = []

    def recording(markup: str) -> str:
        seen.append(markup)
        return untrusted_html_to_text(markup)

    monkeypatch.setattr(feeditems, "untrusted_html_to_text", recording)
    for path in sorted(corpus_feeds.iterdir()):
        if path.name != "MANIFEST.tsv":
            parse.parse_feed(path.read_bytes(), url=f"https://feeds.example.org/{path.name}")
    monkeypatch.undo()
    assert len(seen) > 1000
    return seen
