"""Why watched feeds fail, by cause, and what to do about each: the triage of an analyst with thousands of feeds
and hundreds failing, for whom 200 lines of errors say less than "100 moved (404): find their new address; 50
servers failing (5xx): nothing to do yet".

`cause_of(feed)` reads a failing feed's (or a 410-disabled one's) recorded status and error into one `Cause` of a
fixed table; `triage(feeds)` groups the feeds by cause, the causes someone must act on first (a feed that moved or
a name that no longer resolves loses coverage every check until fixed), then the tidying (feeds gone for good,
paused already), then those that wait (a server error, a timeout: retried with back-off, and most often over by
themselves). `feeds status`, `watch list --cause` and `watch show` show them.

What this module must not do: fetch, or judge a feed's health (`WatchedFeed.state` does): it reads the status and
error the check recorded, whose wording is `feeds.fetch.client`'s and `feeds.watch.check`'s. Nor print.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from feeds.model import WatchedFeed


@dataclass(frozen=True)
class Cause:
    key: str
    """Its name in `watch list --cause` and in JSON (`not-found`)."""
    label: str
    """What happened, short (`404 Not Found`)."""
    advice: str
    """What to do, with the command that does it."""
    act: bool
    """Whether someone must act (False: it is retried with back-off and most often passes by itself)."""


CAUSES: tuple[Cause, ...] = (
    Cause(
        "not-found",
        "404 Not Found",
        "the feed is no longer at this address (the site moved or dropped it): find its new one with `feeds watch "
        "discover` on the site's home page, watch that and `feeds watch remove` this one",
        True,
    ),
    Cause(
        "web-page",
        "a web page, not a feed",
        "the address is a page of the site, not its feed: `feeds watch discover URL` lists the feeds it names; "
        "watch one and `feeds watch remove` this one",
        True,
    ),
    Cause(
        "not-a-feed",
        "not a readable feed",
        "the answer is no feed that can be read: open the address in a browser, and `feeds watch discover` the "
        "site's home page for its feed",
        True,
    ),
    Cause(
        "dns",
        "DNS lookup failed",
        "the site's name is not found: a typo in the address, or the site is gone: check the address in a browser, "
        "then watch the right one and `feeds watch remove` this one",
        True,
    ),
    Cause(
        "refused",
        "401/403 refused",
        "the site refuses us: a paid or private feed wants its key in the address, or the site blocks robots: ask "
        "the publisher, or `feeds watch remove` it",
        True,
    ),
    Cause(
        "tls",
        "secure connection failed",
        "the site's certificate or TLS set-up is broken: the site must fix it; tell them, or `feeds watch remove` "
        "the feed if it stays so",
        True,
    ),
    Cause(
        "blocked",
        "address refused",
        "the address is private or local, which the fetcher refuses: a mistake in the address, or one to add to "
        "[http] allow",
        True,
    ),
    Cause(
        "other",
        "other errors",
        "read each feed's error with `feeds watch show`",
        True,
    ),
    Cause(
        "gone",
        "410 Gone",
        "the publisher removed the feed, paused since: `feeds watch remove` it, or all of them with `feeds watch "
        "remove --cause gone` (`feeds watch edit --enable` one that came back)",
        True,
    ),
    Cause(
        "rate-limited",
        "429 Too Many Requests",
        "the site asked us to slow down: checked again when it said; a longer `--interval` for its feeds avoids it",
        False,
    ),
    Cause(
        "server-error",
        "server error (5xx)",
        "the site's server is in trouble: retried with back-off, nothing to do unless it lasts for days",
        False,
    ),
    Cause(
        "unreachable",
        "site down or slow",
        "no answer in time, or the connection refused or cut: retried with back-off, nothing to do unless it lasts "
        "for days",
        False,
    ),
)
"""Every cause, in the order `triage` gives them: what to fix first, first."""

CAUSE_KEYS: tuple[str, ...] = tuple(c.key for c in CAUSES)
_BY_KEY = {c.key: c for c in CAUSES}


def cause_of(feed: WatchedFeed) -> Cause | None:
    """Why `feed` fails (its last check's status and error), or None when it does not: a healthy, new or resumed
    feed, or one paused by hand. A feed a `410 Gone` disabled is `gone`."""
    status, error = feed.last_status or "", (feed.last_error or "").casefold()
    if not feed.enabled:
        return _BY_KEY["gone"] if status == "410" else None
    if feed.state != "failing":
        return None
    if status == "404":
        key = "not-found"
    elif status in ("401", "403", "407", "451"):
        key = "refused"
    elif status == "429":
        key = "rate-limited"
    elif status.startswith("5") or status == "408":
        key = "server-error"
    elif status == "parse-error":
        key = "web-page" if "html page" in error else "not-a-feed"
    elif "dns lookup failed" in error:
        key = "dns"
    elif "certificate" in error or "secure connection" in error:
        key = "tls"
    elif "refused to contact" in error:
        key = "blocked"
    elif any(w in error for w in ("timed out", "connection refused", "connection reset", "closed the connection")):
        key = "unreachable"
    elif status.startswith("4"):
        key = "not-found" if status == "410" else "other"
    else:
        key = "other"
    return _BY_KEY[key]


def triage(feeds: Iterable[WatchedFeed]) -> list[tuple[Cause, list[WatchedFeed]]]:
    """The failing (and 410-disabled) feeds grouped by cause, in the order of `CAUSES` (what to fix first, first),
    each group in the order given; causes no feed has are left out. One pass over the feeds."""
    groups: dict[str, list[WatchedFeed]] = {}
    for f in feeds:
        cause = cause_of(f)
        if cause is not None:
            groups.setdefault(cause.key, []).append(f)
    return [(c, groups[c.key]) for c in CAUSES if c.key in groups]
