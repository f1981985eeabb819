"""Feed discovery and the is-it-a-feed check: what a URL is when fetched once (`fetch_check`), the refusal of
a URL that is no feed (`check_is_feed`, for `watch add`), and the feeds a web page names (`discover`, for
`watch discover`).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from feeds.errors import ExistsError, FeedParseError, FetchError, NotFoundError
from feeds.fetch import Fetched
from feeds.urls import without_secrets
from feeds.watch.feedlinks import find_feed_links
from feeds.watch.feedurls import canonical_feed_url, check_feed_url
from feeds.watch.matching import own_domains
from feeds.watch.ownsite import is_own_url
from feeds.watch.parse import parse_feed

if TYPE_CHECKING:
    from feeds.app import App

COMMON_FEED_PATHS = ("/feed", "/feed/", "/rss", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml", "/feed.json")


def check_is_feed(app: App, url: str) -> None:
    """Fetch `url` once, as a poll would (`fetch_check`), and raise unless it is a feed that can be read:
    FetchError when it cannot be fetched now, FeedParseError when it is not a feed, naming the feeds of the page
    it is (found as `watch discover` finds them) and the command that watches one. A page is refused even when it
    names a single feed: that feed is often another one than meant (the site's comments, or all of it for a
    section), and a script that asked for one URL must not find another watched. An address that moved permanently
    (301/308) to a feed watched already is refused too (ExistsError). `--no-check` adds it as it is."""
    checked = fetch_check(app, url)
    if checked.verdict == UNREACHABLE:
        raise FetchError(
            f"could not fetch it to see that it is a feed ({checked.why}): not added (`--no-check` adds it unchecked)",
            url=without_secrets(url),
        )
    if checked.verdict == NOT_A_FEED:
        raise FeedParseError(f"{checked.why}: not added (`--no-check` adds it unchecked)", url=without_secrets(url))
    if checked.verdict == WEB_PAGE:
        found = marked_watched(app, checked.named)
        lines = ["a web page, not a feed: not added. The feeds it names:", *named_feed_lines(found, "  ")]
        hint = watch_hint(url, found)
        raise FeedParseError("\n".join([*lines, hint] if hint else lines), url=without_secrets(url))
    if checked.moved_to is not None:  # (watched twice otherwise, until polls saw the move three times)
        try:
            there = app.store.feed(checked.moved_to)
        except NotFoundError:
            return
        raise ExistsError(
            f"already watching #{there.id} {without_secrets(there.url)}: {without_secrets(url)} has moved there "
            "permanently"
        )


FEED, WEB_PAGE, NOT_A_FEED, UNREACHABLE = "feed", "web page", "not a feed", "unreachable"
"""`FeedCheck.verdict`s."""


@dataclass(frozen=True, slots=True)
class FeedCheck:
    """What fetching a URL once to see that it is a feed found (`fetch_check`)."""

    url: str
    verdict: str
    """FEED; WEB_PAGE (`named` holds the feeds it names); NOT_A_FEED (and no feed found from it); UNREACHABLE."""
    why: str = ""
    """Why it could not be fetched (UNREACHABLE), or why it is no feed (NOT_A_FEED, WEB_PAGE); printed as it is, so a
    secret in a URL it names is masked (`without_secrets`)."""
    named: tuple[Discovered, ...] = ()
    moved_to: str | None = None
    """Where a feed's address redirects permanently (301/308), as a watched feed's URL is spelt."""


def fetch_check(app: App, url: str) -> FeedCheck:
    """Fetch `url` once, as a poll would (the shared client: its refusal of private addresses, its size cap and
    timeouts, the Accept header of a poll, no redirect to our own site followed), and say what it is; a web page's
    feeds are fetched too, as `watch discover` finds them. Touches no store (their `watched` is unset), so that
    several may run at once on threads (`watch import --check`)."""
    mine = own_domains(app.settings)

    def ours(target: str) -> str | None:  # (as a poll refuses it: our own feed is never watched)
        return "it is our own site" if is_own_url(target, mine) else None

    result = app.http.get(url, refuse_redirect=ours)
    if not isinstance(result, Fetched):
        reason = getattr(result, "error", result)
        why = str(reason.message if isinstance(reason, FetchError) else reason)
        return FeedCheck(url, UNREACHABLE, without_secrets(why))  # (`why` is printed: a redirect's token masked)
    try:
        parse_feed(result.body, url=result.url, content_type=result.content_type, encoding=result.encoding)
        moved = result.permanent_redirect
        return FeedCheck(url, FEED, moved_to=canonical_feed_url(moved) if moved else None)
    except FeedParseError as e:
        why = without_secrets(e.message)
    found = _feeds_named_by(app, result)
    if not found:
        why = f"not a feed ({why}), and no feed found from it (no <link rel=alternate>, none at the common paths)"
        return FeedCheck(url, NOT_A_FEED, why)
    return FeedCheck(url, WEB_PAGE, why, tuple(found))


def marked_watched(app: App, found: Sequence[Discovered]) -> list[Discovered]:
    """`found` with the id each is watched under already, if it is."""
    watched = {f.url: f.id for f in app.store.feeds()}
    return [replace(d, watched=watched.get(canonical_feed_url(d.url))) for d in found]


def named_feed_lines(found: Sequence[Discovered], indent: str) -> list[str]:
    """A line for each feed a web page names: its URL and title, and why it is not one to watch, if it is not."""
    lines = []
    for d in found:
        mark = d.refused or d.problem
        note = f"  ({mark})" if mark else f"  (watched already, #{d.watched})" if d.watched is not None else ""
        lines.append(f"{indent}{without_secrets(d.url)}  {d.title}{note}".rstrip())
    return lines


def watch_hint(page: str, found: Sequence[Discovered]) -> str | None:
    """The command that watches the first usable feed of those `page` names, None when none is: `feeds watch add
    URL`, unless that URL holds a secret (`?token=`), which is printed masked like every URL here (a masked URL
    added would be fetched without its key): then `feeds watch discover --add PAGE`, which adds the feeds as found,
    the key kept and never printed. Quoted for a shell (`&`, `?` mean much to one)."""
    usable = [d for d in found if d.usable]
    if not usable:
        return None
    if without_secrets(usable[0].url) == usable[0].url:
        return f"watch one with: feeds watch add {shlex.quote(usable[0].url)}"
    return (
        f"watch them with: feeds watch discover --add {shlex.quote(without_secrets(page))} (a URL's key is shown "
        "as ***; --add watches each URL as found, key and all)"
    )


@dataclass(frozen=True, slots=True)
class Discovered:
    url: str
    title: str
    kind: str
    how: str
    """`the URL is a feed`, `<link rel=alternate>` or `common path`."""
    refused: str | None = None
    """Why polling it would be refused (a page linking to an internal address): not to be watched."""
    problem: str | None = None
    """Why a linked feed is not one to watch as it stands: it could not be fetched, or is no feed."""
    watched: int | None = None
    """The id under which it is watched already."""

    @property
    def usable(self) -> bool:
        return self.refused is None and self.problem is None and self.watched is None


def discover(app: App, url: str) -> list[Discovered]:
    """The feed(s) of a web page: the URL itself if it is a feed, its `<link rel="alternate">` feeds (each
    fetched, so that a link to nothing is not offered), else the common paths (`/feed`, `/rss.xml`, …) that answer
    with a feed; each marked when it is watched already."""
    watched = {f.url: f.id for f in app.store.feeds()}

    def known(found: Discovered) -> Discovered:
        return replace(found, watched=watched.get(canonical_feed_url(found.url)))

    url = check_feed_url(app, url)
    result = app.http.get(url, accept="text/html,application/xhtml+xml,application/atom+xml,application/rss+xml,*/*")
    if not isinstance(result, Fetched):
        why = without_secrets(str(getattr(result, "error", result)))
        raise FetchError(f"could not fetch the page: {why}", url=without_secrets(url))
    try:
        parsed = parse_feed(result.body, url=result.url, content_type=result.content_type, encoding=result.encoding)
        return [known(Discovered(result.url, parsed.title, parsed.kind, "the URL is a feed"))]
    except FeedParseError:
        pass
    return [known(d) for d in _feeds_named_by(app, result)]


LINKED_FEEDS_CHECKED = 50
"""Feeds a page links to that are fetched to see whether they are feeds, at most: a news site names a few dozen
(one per section); a hostile page naming thousands would otherwise have each fetched, one after the other."""


def _feeds_named_by(app: App, result: Fetched) -> list[Discovered]:
    """The feeds of a fetched web page: those it links to (each fetched), else those at the common paths of its
    site (`discover`, and `check_is_feed` for a page given to `watch add`)."""
    mine = own_domains(app.settings)
    named = find_feed_links(result.body, result.url)
    unchecked = f"not checked: the page names {len(named):,} feeds, the first {LINKED_FEEDS_CHECKED} are"
    links = [
        _linked_feed(app, Discovered(u, t, k, "<link rel=alternate>", refused=_refusal(app, u, mine)))
        if i < LINKED_FEEDS_CHECKED
        else Discovered(u, t, k, "<link rel=alternate>", problem=unchecked)
        for i, (u, t, k) in enumerate(named)
    ]
    if links:
        return links
    found: list[Discovered] = []
    for path in COMMON_FEED_PATHS:
        candidate = urljoin(result.url, path)
        r = app.http.get(candidate)
        if isinstance(r, Fetched):
            try:
                parsed = parse_feed(r.body, url=r.url, content_type=r.content_type, encoding=r.encoding)
            except FeedParseError:
                continue
            if all(d.url != r.url for d in found):
                found.append(Discovered(r.url, parsed.title, parsed.kind, "common path"))
    return found


def _refusal(app: App, url: str, mine: frozenset[str]) -> str | None:
    """Why a linked feed is not to be watched before it is fetched: our own site's (a page that links to our
    feed: `watch add` refuses it, and fetching it only told of a DNS error or showed it as a feed), or an
    address the HTTP client refuses."""
    if is_own_url(url, mine):
        return "this is our own site: its items would match our own releases"
    return app.http.refusal(url)


def _linked_feed(app: App, found: Discovered) -> Discovered:
    """A `<link rel=alternate>` feed as fetching it finds it: its own title when the link gave none, or why it is
    not one to watch (a page may link to a feed long gone, or to one that is no feed)."""
    if found.refused is not None:
        return found
    result = app.http.get(found.url)
    if not isinstance(result, Fetched):
        return replace(found, problem=f"could not fetch it: {without_secrets(str(getattr(result, 'error', result)))}")
    try:
        parsed = parse_feed(result.body, url=result.url, content_type=result.content_type, encoding=result.encoding)
    except FeedParseError as e:
        return replace(found, problem=f"not a feed: {without_secrets(e.message)}")
    return replace(found, title=found.title or parsed.title, kind=parsed.kind)
