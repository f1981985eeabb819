"""The pure normalisation stage: `RawRelease` → `Release`.

`normalise_release` is the entry point the ingest orchestrator calls; the submodules are its parts and are
public too: `dates` (reading dates), `datelines` (the date opening lines state), `sanitise` (untrusted HTML
reduced to what we publish), `markdown` (Markdown rendered and sanitised), `htmltext` (the text of HTML),
`plaintext` (plain-text releases to HTML: paragraphs, lists, `said:` quotations), `body` (a body in any format to
sanitised HTML and its text), `opening` (the opening lines: a repeated title, a label, a date), `summary` (given or
made), `text` (low-level helpers: XML-safe characters, white space, paragraphs, labels), `autolink`, `ids` (slugs,
`tag:` ids, permalinks, identities) and `topics`.

What this package must not do: any I/O. It imports neither the store, nor the network, nor the clock.
"""

from __future__ import annotations

from feeds.normalise.release import normalise_release

__all__ = ["normalise_release"]
