"""The pure normalisation stage: `RawRelease` → `Release`.

`normalise_release` is the entry point the ingest orchestrator calls; the submodules are its parts and are
public too: `dates` (reading dates), `sanitise` (untrusted HTML reduced to what we publish), `markdown`
(Markdown rendered and sanitised), `htmltext` (the text of HTML), `text` (plain-text paragraphs, `said:`
quotations, summaries), `ids` (slugs, `tag:` ids, permalinks, identities) and `topics`.

What this package must not do: any I/O. It imports neither the store, nor the network, nor the clock.
"""

from __future__ import annotations

from feeds.normalise.release import normalise_release

__all__ = ["normalise_release"]
