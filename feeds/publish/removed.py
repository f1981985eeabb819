"""The notice a release taken down (`feeds releases remove`, `feeds.ingest.takedown`) leaves where its page was.

Web servers that serve `out/` as plain files (nginx, a CDN) serve it as a page (`200`) unless told to answer its
address `410 Gone` (README, "Releases"); `feeds serve` knows it by its first bytes (`REMOVED_MARK`) and answers
`410 Gone` with it. It names nothing of the release: no title, no date.

What this module must not do: take any text of the release (it has none left to give).
"""

from __future__ import annotations

from html import escape

__all__ = ["REMOVED_MARK", "removed_page"]

REMOVED_MARK = b"<!-- feeds: removed -->"
"""How a taken-down release's notice page begins: `feeds serve` answers such a file `410 Gone`."""


def removed_page(language: str, stylesheet: str) -> bytes:
    """The notice written in place of a taken-down release's page, for web servers that serve `out/` as files
    (`feeds serve` answers it `410 Gone`): no title, no date, nothing of the release; not to be indexed."""
    return (
        REMOVED_MARK.decode()
        + "\n<!DOCTYPE html>\n"
        + f'<html lang="{escape(language)}">\n<head>\n<meta charset="utf-8">\n'
        + '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        + '<meta name="robots" content="noindex">\n'
        + "<title>Removed</title>\n"
        + f'<link rel="stylesheet" href="{escape(stylesheet)}">\n</head>\n<body>\n<main>\n'
        + "<h1>Removed</h1>\n<p>This page has been removed.</p>\n"
        + '<p><a href="../../">Home</a></p>\n</main>\n</body>\n</html>\n'
    ).encode()
