"""What a watched feed is known by: its URL in the one spelling it is stored under, the checks a URL passes
before it is watched, and finding a watched feed by the id, URL or title a person gives.

Pure but for `check_feed_url`, `refuse_unpollable`, `find_feed` and `find_feeds`, which ask the App's settings,
HTTP client or store; the config's [[watch.feeds]] are checked with `feed_url_problem` too.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from feeds.errors import FetchError, NotFoundError
from feeds.model import WatchedFeed
from feeds.normalise.ids import escaped_url_part
from feeds.urls import dns_host, without_secrets
from feeds.watch.matching import own_domains
from feeds.watch.ownsite import is_own_url

if TYPE_CHECKING:
    from feeds.app import App


def canonical_feed_url(url: str) -> str:
    """The one spelling of a feed's URL under which it is stored, so that the same feed is not watched twice:
    RFC 3986 §6.2.2-6.2.3 normalisation. Scheme and host in lower case, no default port, no fragment
    (`HTTP://News.Example.com:80/rss#top` is `http://news.example.com/rss`); in the path and query, escapes of
    letters, digits and `-._~` decoded and the others in upper case (`/%77ire.xml` is `/wire.xml`), what
    requests would escape before sending it escaped (`/news feed.xml` is `/news%20feed.xml`, `/café` is
    `/caf%C3%A9`: `escaped_url_part`), and in the path, `.` and `..` segments resolved (`/./wire.xml` is
    `/wire.xml`) and an empty one is `/`. Anything else in the path and query is kept as written (servers may
    tell apart what differs there: `%2F` is not `/`). An international host name is in the form requests
    fetches (`bücher.example` is `xn--bcher-kva.example`, see `dns_host`). So the stored URL is the one requests
    sends, character for character; `readable_url` is how it is shown to people.
    The `feed:` pseudo-scheme browsers hand out is unwrapped (`unwrap_feed_scheme`)."""
    parts = urlsplit(unwrap_feed_scheme(url))
    scheme, netloc = parts.scheme.lower(), parts.netloc.lower()
    if not netloc.isascii():
        netloc = _dns_netloc(netloc)
    default = {"http": ":80", "https": ":443"}.get(scheme)
    if default and netloc.endswith(default):
        netloc = netloc.removesuffix(default)
    path = escaped_url_part(_PERCENT.sub(_normal_escape, parts.path))
    query = escaped_url_part(_PERCENT.sub(_normal_escape, parts.query))
    if scheme in ("http", "https"):
        path = without_dot_segments(path) if path.startswith("/") else path or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


def without_dot_segments(path: str) -> str:
    """An absolute `path` with its `.` and `..` segments resolved (RFC 3986 §5.2.4): `/a/./b/../c` is `/a/c`.
    Empty segments are kept (`//rss/news.xml` is a path on the same host, not the host `rss`)."""
    out: list[str] = []
    segments = path.split("/")[1:]
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == "..":
            if out:
                out.pop()
            if last:
                out.append("")
        elif segment == ".":
            if last:
                out.append("")
        else:
            out.append(segment)
    return "/" + "/".join(out)


def unwrap_feed_scheme(url: str) -> str:
    """`url` without the `feed:` pseudo-scheme some browsers and pages still give feed links (`feed://host/rss`
    is `http://host/rss`, `feed:https://host/rss` is `https://host/rss`), and without surrounding spaces."""
    url = url.strip()
    if url[:5].lower() != "feed:":
        return url
    rest = url[5:]
    return rest if rest[:7].lower() == "http://" or rest[:8].lower() == "https://" else "http:" + rest


def _dns_netloc(netloc: str) -> str:
    """`user@host:port` with its host in its `xn--` form; as it is if the host cannot be encoded (a URL that
    `feed_url_problem` refuses)."""
    userinfo, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport.rpartition(":")
    if not (colon and (port == "" or (port.isascii() and port.isdigit()))):
        host, colon, port = hostport, "", ""
    try:
        return userinfo + at + dns_host(host) + colon + port
    except ValueError:
        return netloc


_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _normal_escape(m: re.Match[str]) -> str:
    ch = chr(int(m[1], 16))
    return ch if ch in _UNRESERVED else f"%{m[1].upper()}"


_HOST = re.compile(r"(?:(?!-)[A-Za-z0-9-]{1,63}(?<!-)\.)*(?!-)[A-Za-z0-9-]{1,63}(?<!-)\.?|\[[0-9A-Fa-f:.]+\]")
"""A host name as DNS knows it (letters, digits and inner hyphens, in dot-separated labels; international
names in their `xn--` form) or an IP literal: no spaces, escapes, underscores or empty labels."""


def feed_reference(value: str) -> str:
    """What a command was given to name a watched feed, as the store looks it up: `#6` or `6` (as `watch list`
    shows ids) is the id; a URL is taken in its canonical spelling (as `watch add` stored it)."""
    value = value.strip()
    if value.startswith("#") and value[1:].isdigit():
        return value[1:]
    if "://" in value:
        try:
            return canonical_feed_url(value)
        except ValueError:
            return value
    return value


def find_feeds(app: App, values: Sequence[str]) -> list[WatchedFeed]:
    """The watched feeds several arguments name (`watch poll A B`), each as `find_feed` finds it from what
    `feed_reference` makes of it. One that names none but makes a watched feed's title with its neighbours (`watch
    poll Harbour Desk`, unquoted) is answered with the quoted title, not "not watching 'Harbour'" alone."""
    found = []
    for i, value in enumerate(values):
        try:
            found.append(find_feed(app, feed_reference(value)))
        except NotFoundError as e:
            titles = {f.title.casefold() for f in app.store.feeds() if f.title}
            spans = (" ".join(values[s:j]) for s in range(i + 1) for j in range(len(values), i, -1) if j - s > 1)
            meant = next((t for t in spans if t.casefold() in titles), None)
            if meant is None:
                raise
            raise NotFoundError(f"{e}: put a title of several words in quotes, as in {shlex.quote(meant)}") from None
    return found


def find_feed(app: App, reference: str) -> WatchedFeed:
    """The watched feed `reference` (as `feed_reference` gives it) names: by id or URL, else by its title (any
    case), when one feed alone has that title, or by its URL as shown with a secret masked (`?token=***`), when
    one feed alone shows so. NotFoundError says which feeds share the title, or which feed a URL that is not
    watched may have been meant for (the same but for http/https, `www.` or a trailing slash). The feed of the
    articles of a source entered by hand, named by its id, address or title, is refused (`not_watched`)."""
    try:
        return not_watched(app.store.feed(reference))
    except NotFoundError as e:
        feeds = app.store.feeds()
        titled = [f for f in feeds if f.title and f.title.casefold() == reference.casefold()]
        if len(titled) == 1:
            return titled[0]
        if titled:
            ids = ", ".join(f"#{f.id}" for f in titled)
            raise NotFoundError(
                f"{len(titled)} watched feeds are titled {reference!r} ({ids}): name one by its id"
            ) from None
        _refuse_hand_entered(app, reference)
        if "://" in reference:
            shown = [f for f in feeds if without_secrets(f.url) == reference]  # copied from `watch list`
            if len(shown) == 1:
                return shown[0]
            near = [f for f in feeds if loose_url(f.url) == loose_url(reference)]
            if near:
                raise NotFoundError(f"{e}; did you mean #{near[0].id} {without_secrets(near[0].url)}?") from None
        raise


def not_watched(feed: WatchedFeed) -> WatchedFeed:
    """`feed`, when it is a watched feed; a `NotFoundError` saying what it is and what to do instead when it holds
    the articles of a source entered by hand (`feeds matches add --title --source`): never polled, shown, edited
    or removed as a watched feed is (removing it would take the coverage entered with it)."""
    from feeds.store.curation import HAND_ENTERED_ORIGIN

    if feed.origin != HAND_ENTERED_ORIGIN:
        return feed
    raise NotFoundError(
        f"#{feed.id} {feed.title!r} is no watched feed: it holds the articles entered by hand from {feed.title} "
        "(`feeds matches add --title --source`), never polled; `feeds matches list --kind manual` lists them, "
        "`feeds matches dismiss` takes one away"
    )


def _refuse_hand_entered(app: App, title: str) -> None:
    """`not_watched`'s refusal when `title` is the name of a source entered by hand (its feed's address)."""
    from feeds.store.curation import HAND_ENTERED

    try:
        feed = app.store.feed(HAND_ENTERED + title.strip().casefold())
    except NotFoundError:
        return
    not_watched(feed)


def look_alike(feed: WatchedFeed, feeds: Sequence[WatchedFeed]) -> str | None:
    """What to say when another of `feeds` is at an address that differs from `feed`'s only by http/https,
    `www.` or a trailing slash: in practice the same feed (watched, polled and matched twice), though a server
    may tell them apart."""
    loose = loose_url(feed.url)
    other = next((f for f in feeds if f.id != feed.id and loose_url(f.url) == loose), None)
    return twin_note(other) if other is not None else None


def twin_note(other: WatchedFeed) -> str:
    """What to say of `other`, watched already at an address that differs only as `loose_url` leaves aside."""
    return (
        f"#{other.id} {other.url} is watched already, and differs only by http/https, www. or a trailing slash: "
        "if it is the same feed, `feeds watch remove` one of them"
    )


def loose_url(url: str) -> str:
    """`url` without what often differs between two spellings of one feed's address: the scheme, `www.`, a
    trailing slash."""
    parts = urlsplit(url)
    host = parts.netloc.removeprefix("www.")
    return urlunsplit(("", host, parts.path.rstrip("/"), parts.query, ""))


def feed_url_problem(url: str) -> str | None:
    """What makes `url` no address a feed can be watched at (not absolute http(s), a malformed host or port, a
    user name or password in it), or None. Pure: the config's [[watch.feeds]] are checked with it too."""
    try:
        url.encode("utf-8")
    except UnicodeEncodeError:  # (a lone surrogate, from an argument in no encoding: no URL can hold it)
        return "not a valid URL: it holds a character that is not text"
    try:
        parts = urlsplit(unwrap_feed_scheme(url))
        port = parts.port  # (raises for a port out of range)
    except ValueError as e:
        return f"not a valid URL: {e}"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        bare = url.strip()
        host = bare.split("/", 1)[0].rpartition(":")[0] or bare.split("/", 1)[0]
        if "://" not in bare and "/" not in bare and host.rpartition(".")[2].lower() in _FILE_SUFFIXES:
            return f"a watched feed needs an absolute http(s) URL: {bare} is a file's name; give its site too"
        if "://" not in bare and "." in host.strip(".") and _HOST.fullmatch(host):  # as address bars show it
            return f"a watched feed needs an absolute http(s) URL: did you mean https://{bare}?"
        return "a watched feed needs an absolute http(s) URL"
    host = parts.netloc.rpartition("@")[2]
    if port is not None:
        host = host.rpartition(":")[0]
    try:
        ascii_host = dns_host(host)
    except ValueError:
        ascii_host = ""
    if not _HOST.fullmatch(ascii_host) or port == 0:
        return f"not a valid URL: the host or port {parts.netloc.rpartition('@')[2]!r} is malformed"
    if parts.username is not None or parts.password is not None:
        return _CREDENTIALS
    return None


_FILE_SUFFIXES = frozenset(("xml", "rss", "atom", "rdf", "json", "opml", "html", "htm", "php", "aspx"))
"""Endings of a feed's or page's file name that are no top-level domain: `news.xml` is not the host `news.xml`."""

_CREDENTIALS = (
    "a feed URL with a user name or password is not watched: the URL is shown in lists, logs and OPML exports, "
    "and would show them too"
)


def check_feed_url(app: App, url: str) -> str:
    """The canonical form of a URL a feed may be watched at, or FetchError saying what is wrong with it."""
    url = unwrap_feed_scheme(url)
    problem = feed_url_problem(url)
    if problem is not None:
        raise FetchError(problem, url=without_userinfo(url) if problem is _CREDENTIALS else url)
    if is_own_url(url, own_domains(app.settings)):
        raise FetchError("this is our own site: its items would match our own releases", url=url)
    return canonical_feed_url(url)


def without_userinfo(url: str) -> str:
    """`url` without a user name or password, as it may be shown when it is refused for holding one."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return re.sub(r"//[^/@]*@", "//", url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def refuse_unpollable(app: App, url: str) -> None:
    """FetchError when the HTTP client would refuse to poll `url` (a private, loopback or link-local address not
    allowed), as `watch discover` marks such feeds: added, it would fail at every poll, for ever."""
    refused = app.http.refusal(url)
    if refused is not None:
        raise unpollable(url, refused)


def unpollable(url: str, refused: str) -> FetchError:
    """The error `refuse_unpollable` raises for `url`, given why the HTTP client refuses its host (`refused`)."""
    return FetchError(f"{refused}; not added: it would never be polled", url=url)
