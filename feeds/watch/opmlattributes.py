"""Our own attributes of OPML outlines: the namespace `watch export` writes them in, their names, the names exports
before 2026-12-02 gave them (in no namespace), and reading any of those off an outline for `watch import`.

OPML 2.0 allows elements and attributes it does not describe "only if those elements are defined in a namespace",
and the W3C feed validator calls an outline attribute in no namespace that it does not know an error
(`UnexpectedAttribute`); one in a namespace it does not know it leaves alone, and says once, of the declaration on
the root, that it does not know the namespace (the warning `UnknownNamespace`: nothing we can avoid but by leaving
our attributes out). What this module must not do: read or write a file (`opml.py`, `opmlexport.py`).
"""

from __future__ import annotations

FEEDS_NAMESPACE = "urn:uuid:d57f2e60-91db-4d76-98cb-d387dec08008"
"""The namespace of our attributes. One name for ever, the same everywhere: a file exported by one installation is
read by another and by every later version, so not under the site's `base_url` (which the User-Agent names: the
two ends of an export differ). A URN, as the software has no address of its own to put it under. Never to change
without reading the old one too (`_SPELLINGS`)."""
FEEDS_PREFIX = "feeds"
"""The prefix our export declares `FEEDS_NAMESPACE` with, once, on the root (`xmlns:feeds="…"`). A reader goes by
the namespace: another prefix bound to it reads the same."""


def feeds_attribute(name: str) -> str:
    """One of our outline attributes, `name` in `FEEDS_NAMESPACE`, as lxml names it (`{namespace}name`)."""
    return f"{{{FEEDS_NAMESPACE}}}{name}"


INTERVAL_ATTRIBUTE = feeds_attribute("interval")
"""`feeds:interval`, on every feed outline of our export: the feed's own interval in seconds."""
PAUSED_ATTRIBUTE = feeds_attribute("paused")
"""`feeds:paused`: `true` on a paused feed, so it stays paused elsewhere."""
PAUSED_REASON_ATTRIBUTE = feeds_attribute("pausedReason")
"""Beside `feeds:paused`, the reason a `410 Gone` paused the feed with (`410 Gone on 2026-11-28: …`): imported, it
stays the `gone` feed it was (`watch remove --cause gone`), not fetched again; a feed paused by hand has none, and
any other reason (the file may come from anywhere) is a pause by hand."""
OWN_TITLE_ATTRIBUTE = feeds_attribute("ownTitle")
"""`feeds:ownTitle`: `true` on a title the feed named itself by, imported as its own (kept current there too)."""
EARLIER_NAMES = {
    INTERVAL_ATTRIBUTE: "feedsInterval",
    PAUSED_ATTRIBUTE: "feedsPaused",
    PAUSED_REASON_ATTRIBUTE: "feedsPausedReason",
    OWN_TITLE_ATTRIBUTE: "feedsOwnTitle",
}
"""Each attribute as exports before 2026-12-02 wrote it, in no namespace: still read, so that a file exported then
loses nothing of what it says."""


def _spellings(name: str, earlier: str) -> tuple[tuple[str, str], ...]:
    """The keys `name` may have among an outline's attributes (lower-cased, as `opml.parse_opml` reads them), in
    the order they are taken, each with how a note names it: in our namespace; with our prefix but no declaration
    of it (an outline copied out of an export without its root: the recovering parser keeps `feeds:interval` as
    the attribute's whole name); in no namespace, as exported before."""
    prefixed = f"{FEEDS_PREFIX}:{name.rpartition('}')[2]}"
    return ((name.lower(), prefixed), (prefixed.lower(), prefixed), (earlier.lower(), earlier))


_SPELLINGS = {name: _spellings(name, earlier) for name, earlier in EARLIER_NAMES.items()}


def feeds_value(attrs: dict[str, str], name: str) -> tuple[str, str]:
    """(How the file names it, its value) of our attribute `name` on an outline whose attributes are `attrs` (keys
    lower-cased), or ('', '') when it has none. An outline saying it twice, the new way and the earlier way, was
    edited by hand since it was exported: the namespaced one is taken."""
    for key, shown in _SPELLINGS[name]:
        if value := attrs.get(key):
            return shown, value
    return "", ""
