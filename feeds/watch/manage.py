"""Managing what is watched: feeds (CLI, config, OPML), keyword rules, feed discovery, rule tests.

The functions here are what the CLI commands call; each validates its input and names what is wrong. Feeds
and rules declared in the config are imported idempotently and remember that they came from the config
(`origin = "config"`); OPML imports remember the file (`opml:<name>`).
"""

from __future__ import annotations

import html.entities
import logging
import math
import re
import shlex
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree

from feeds.config import MAX_WATCH_INTERVAL, MIN_WATCH_INTERVAL, clamp_interval, shown_interval
from feeds.config.reader import KeyPath, _dotted, find_line
from feeds.errors import ConfigError, FeedParseError, FetchError, IngestError, NotFoundError, RuleError
from feeds.fetch import Fetched
from feeds.logs import CONFIG_NOTICES
from feeds.model import DISABLED_BY_HAND, REMOVED_FROM_CONFIG, Rule, StoredItem, WatchedFeed, WatchItem
from feeds.normalise.ids import (
    canonical_url,
    check_rule_name,
    dns_host,
    escaped_url_part,
    rule_clash,
    rule_slug,
)
from feeds.normalise.text import one_line_text
from feeds.watch.match import Explanation, compile_rules, explain
from feeds.watch.matching import match_input, own_domains
from feeds.watch.parse import find_feed_links, parse_feed
from feeds.watch.query import parse_query
from feeds.watch.related import is_own_url

if TYPE_CHECKING:
    from feeds.app import App

log = logging.getLogger("feeds.watch")
config_log = logging.getLogger(CONFIG_NOTICES)

COMMON_FEED_PATHS = ("/feed", "/feed/", "/rss", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml", "/feed.json")


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
        path = urlsplit(urljoin(f"{scheme}://{netloc}/", path)).path if path.startswith("/") else path or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


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


def find_feed(app: App, reference: str) -> WatchedFeed:
    """The watched feed `reference` (as `feed_reference` gives it) names: by id or URL, else by its title (any
    case), when one feed alone has that title. NotFoundError says which feeds share the title, or which feed a URL
    that is not watched may have been meant for (the same but for http/https, `www.` or a trailing slash)."""
    try:
        return app.store.feed(reference)
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
        if "://" in reference:
            near = [f for f in feeds if _loose_url(f.url) == _loose_url(reference)]
            if near:
                raise NotFoundError(f"{e}; did you mean #{near[0].id} {near[0].url}?") from None
        raise


def look_alike(feed: WatchedFeed, feeds: Sequence[WatchedFeed]) -> str | None:
    """What to say when another of `feeds` is at an address that differs from `feed`'s only by http/https,
    `www.` or a trailing slash: in practice the same feed (watched, polled and matched twice), though a server
    may tell them apart."""
    loose = _loose_url(feed.url)
    other = next((f for f in feeds if f.id != feed.id and _loose_url(f.url) == loose), None)
    return _twin_note(other) if other is not None else None


def _twin_note(other: WatchedFeed) -> str:
    return (
        f"#{other.id} {other.url} is watched already, and differs only by http/https, www. or a trailing slash: "
        "if it is the same feed, `feeds watch remove` one of them"
    )


def _loose_url(url: str) -> str:
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


_CREDENTIALS = (
    "a feed URL with a user name or password is not watched: the URL is shown in lists, logs and OPML exports, "
    "and would show them too"
)


def check_feed_url(app: App, url: str) -> str:
    """The canonical form of a URL a feed may be watched at, or FetchError saying what is wrong with it."""
    url = unwrap_feed_scheme(url)
    problem = feed_url_problem(url)
    if problem is not None:
        raise FetchError(problem, url=_without_userinfo(url) if problem is _CREDENTIALS else url)
    if is_own_url(url, own_domains(app.settings)):
        raise FetchError("this is our own site: its items would match our own releases", url=url)
    return canonical_feed_url(url)


def _without_userinfo(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return re.sub(r"//[^/@]*@", "//", url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def check_interval(seconds: float | None, default: float) -> float:
    value = default if seconds is None else seconds
    if value < MIN_WATCH_INTERVAL:
        raise ValueError(f"interval {value:g}s is below the 5-minute floor")
    if value > MAX_WATCH_INTERVAL:
        raise ValueError(f"interval {value / 86400:g} days is above the 30-day ceiling (remove a feed you do not want)")
    return value


def add_feed(
    app: App,
    url: str,
    *,
    title: str = "",
    tags: Sequence[str] = (),
    interval: float | None = None,
    check: bool = False,
) -> WatchedFeed:
    """Watch the feed at `url`. With `check` (what `watch add` does unless told `--no-check`), a URL not watched
    yet is first fetched once and refused unless it is a feed (`check_is_feed`): a web page is answered with the
    feeds it names, at once rather than at the first poll. Without it nothing is fetched (the library's
    default, for scripts and tests that add feeds offline)."""
    url = check_feed_url(app, url)
    tags = _checked_tags(tags)
    refuse_unpollable(app, url)
    interval = check_interval(interval, app.settings.watch.interval)
    if check and not _is_watched(app, url):  # (watched already: the store says so, without a fetch)
        check_is_feed(app, url)
    return app.store.add_feed(
        url,
        title=one_line_text(title),
        tags=tags,
        interval=interval,
        origin="cli",
        now=app.clock(),
    )


def _is_watched(app: App, url: str) -> bool:
    try:
        app.store.feed(url)
    except NotFoundError:
        return False
    return True


def check_is_feed(app: App, url: str) -> None:
    """Fetch `url` once, as a poll would (`fetch_check`), and raise unless it is a feed that can be read:
    FetchError when it cannot be fetched now, FeedParseError when it is not a feed, naming the feeds of the page
    it is (found as `watch discover` finds them) and the command that watches one. A page is refused even when it
    names a single feed: that feed is often another one than meant (the site's comments, or all of it for a
    section), and a script that asked for one URL must not find another watched. `--no-check` adds it as it is."""
    checked = fetch_check(app, url)
    if checked.verdict == UNREACHABLE:
        raise FetchError(
            f"could not fetch it to see that it is a feed ({checked.why}): not added (`--no-check` adds it unchecked)",
            url=url,
        )
    if checked.verdict == NOT_A_FEED:
        raise FeedParseError(f"{checked.why}: not added (`--no-check` adds it unchecked)", url=url)
    if checked.verdict == WEB_PAGE:
        found = marked_watched(app, checked.named)
        lines = ["a web page, not a feed: not added. The feeds it names:", *named_feed_lines(found, "  ")]
        usable = [d for d in found if d.usable]
        if usable:
            lines.append(f"watch one with: feeds watch add {shlex.quote(usable[0].url)}")
        raise FeedParseError("\n".join(lines), url=url)


FEED, WEB_PAGE, NOT_A_FEED, UNREACHABLE = "feed", "web page", "not a feed", "unreachable"
"""`FeedCheck.verdict`s."""


@dataclass(frozen=True, slots=True)
class FeedCheck:
    """What fetching a URL once to see that it is a feed found (`fetch_check`)."""

    url: str
    verdict: str
    """FEED; WEB_PAGE (`named` holds the feeds it names); NOT_A_FEED (and no feed found from it); UNREACHABLE."""
    why: str = ""
    """Why it could not be fetched (UNREACHABLE), or why it is no feed (NOT_A_FEED, WEB_PAGE)."""
    named: tuple[Discovered, ...] = ()


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
        return FeedCheck(url, UNREACHABLE, str(reason.message if isinstance(reason, FetchError) else reason))
    try:
        parse_feed(result.body, url=result.url, content_type=result.content_type, encoding=result.encoding)
        return FeedCheck(url, FEED)
    except FeedParseError as e:
        why = e.message
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
        lines.append(f"{indent}{d.url}  {d.title}{note}".rstrip())
    return lines


def refuse_unpollable(app: App, url: str) -> None:
    """FetchError when the HTTP client would refuse to poll `url` (a private, loopback or link-local address not
    allowed), as `watch discover` marks such feeds: added, it would fail at every poll, for ever."""
    refused = app.http.refusal(url)
    if refused is not None:
        raise FetchError(f"{refused}; not added: it would never be polled", url=url)


def add_rule(app: App, query: str, *, name: str | None = None) -> Rule:
    parse_query(query)  # raises RuleError pointing at the character
    name = check_rule_name(query if name is None else name)
    # A rule that shares the name but for case, or the feed folder, is refused by the store (the database holds
    # both unique); the same name defined in the config file is refused here, pointing at the line to edit.
    configured = [i for i, k in enumerate(app.settings.watch.keywords) if k.name == name]
    if configured and any(r.name == name and r.origin == "config" for r in app.store.rules()):
        raise _in_config(  # ("remove it first", the store's answer, is refused too)
            app,
            ("watch", "keywords", configured[0]),
            f"rule {name!r} is defined here: change its query in the config file, or pick another --name",
        )
    return app.store.add_rule(name, query, origin="cli", now=app.clock())


def change_rule(app: App, name: str, query: str) -> tuple[Rule, Rule]:
    """Give a rule made from the CLI a new query: (the rule before, the rule now; the same when the query is
    unchanged). One imported from the config file is changed there: refused, naming the file and the key.
    `name` as `rule_name` resolves it."""
    parse_query(query)  # raises RuleError pointing at the character
    before = app.store.rule(rule_name(app, name))
    configured = [i for i, k in enumerate(app.settings.watch.keywords) if k.name == before.name]
    if configured and before.origin == "config":
        raise _in_config(
            app,
            ("watch", "keywords", configured[0]),
            f"rule {before.name!r} is defined here: change its query in the config file",
        )
    if before.query == query:
        return before, before
    return before, app.store.change_rule(before.name, query, now=app.clock())


def rule_name(app: App, name: str) -> str:
    """The stored name of the rule a person means by `name`: that name, else the one rule the same but for case
    (in any script: `москва` for `Москва`) or whose feed folder would be the same (`rule_slug`: case, accents and
    punctuation aside), since no two rules may share either; `name` as given when no rule matches (a former
    rule's kept matches are still found under it)."""
    rules = [r.name for r in app.store.rules()]
    if name in rules:
        return name
    return next((r for r in rules if rule_clash(name, r)), name)


def remove_rule(app: App, name: str) -> Rule:
    """Delete a rule made from the CLI, and its matches. One imported from the config file would come back with
    the next command: refused, naming the file and the key to edit. `name` as `rule_name` resolves it."""
    name = rule_name(app, name)
    configured = [i for i, k in enumerate(app.settings.watch.keywords) if k.name == name]
    try:
        imported = app.store.rule(name).origin == "config"
    except NotFoundError:
        imported = True  # not imported yet: the next command will
    if configured and imported:
        raise _in_config(
            app,
            ("watch", "keywords", configured[0]),
            f"rule {name!r} is defined here: remove it from the config file (it would be imported again by the "
            "next command)",
        )
    return app.store.remove_rule(name)


def remove_feed(app: App, reference: str) -> tuple[WatchedFeed, int, int]:
    """Stop watching a feed: (the feed, items deleted, matches deleted). One the config file lists would come
    back with the next command: refused, naming the file and the key to edit. `reference` as `find_feed` takes
    it."""
    feed = find_feed(app, reference)
    key = _config_key(app, feed)
    if key is not None:
        raise _in_config(
            app,
            key,
            f"{feed.url} is listed here: remove it from the config file (it would be watched again by the next "
            "command)",
        )
    return app.store.remove_feed(feed.id)


def edit_feed(
    app: App,
    reference: str,
    *,
    title: str | None = None,
    tags: Sequence[str] | None = None,
    interval: float | None = None,
    enabled: bool | None = None,
) -> WatchedFeed:
    """Change a watched feed in place (None: unchanged), keeping its items, matches and health.

    The title, tags and interval of a feed the config file lists are set there (a change here would be undone by
    the next command): refused, naming the file and the key. A feed from an OPML file that is edited becomes one
    added by hand, so a later import of that file leaves it as it is now. Enabling a feed (one disabled by hand,
    or by a `410 Gone`) makes it due at once with its failures forgotten; one that was dropped from the config
    file is enabled by putting it back there. `reference` as `find_feed` takes it."""
    feed = find_feed(app, reference)
    key = _config_key(app, feed)
    settings_changed = title is not None or tags is not None or interval is not None
    if settings_changed and key is not None:
        raise _in_config(app, key, f"{feed.url} is listed here: change its title, tags or interval in the config file")
    if enabled and feed.disabled_reason == REMOVED_FROM_CONFIG:
        raise ConfigError(
            f"{feed.url} was removed from the config file: put it back there to watch it again (or `feeds watch "
            "remove` it)",
            path=str(app.settings.path),
        )
    if tags is not None:
        tags = _checked_tags(tags)
    return app.store.edit_feed(
        feed.id,
        title=one_line_text(title) if title is not None else None,
        tags=tags,
        interval=check_interval(interval, feed.interval) if interval is not None else None,
        enabled=enabled,
        origin="cli" if settings_changed and feed.origin.startswith("opml:") else None,
    )


def _config_key(app: App, feed: WatchedFeed) -> KeyPath | None:
    """`watch.feeds[N]`, the config key that declares `feed`, when the feed is the config's."""
    if feed.origin != "config":
        return None
    listed = [i for i, f in enumerate(app.settings.watch.feeds) if canonical_feed_url(f.url) == feed.url]
    return ("watch", "feeds", listed[0]) if listed else None


def _in_config(app: App, key: KeyPath, message: str) -> ConfigError:
    """A refusal pointing at what to edit in the config file: its file, key path and (when found) line."""
    path = app.settings.path
    try:
        line = find_line(path.read_text(encoding="utf-8").splitlines(), key)
    except (OSError, UnicodeDecodeError):
        line = None  # (the file changed or went since it was read: the key still says where)
    return ConfigError(message, path=str(path), key=_dotted(key), line=line)


def _checked_tags(tags: Sequence[str]) -> tuple[str, ...]:
    if any("," in t for t in tags):
        raise ValueError("a tag must not contain a comma (OPML exports separate tags with commas): give --tag twice")
    return _labels(tags)


def _labels(tags: Sequence[str]) -> tuple[str, ...]:
    """Tags as stored and published: each one line, without the characters XML forbids (a control character
    typed into `--tag` or carried by an OPML file would stop every publish of the match feeds), once each, case
    aside (`World` and `world` are one tag, spelt as first given: `feed:` scopes match tags without case)."""
    kept: dict[str, str] = {}
    for t in tags:
        if (label := one_line_text(t)) and label.casefold() not in kept:
            kept[label.casefold()] = label
    return tuple(kept.values())


def import_configured(app: App) -> tuple[int, int]:
    """Import the config's [[watch.feeds]] and [[watch.keywords]] (idempotent). Returns (feeds added, rules changed)."""
    now = app.clock()
    w = app.settings.watch
    feeds_added = 0
    mine = own_domains(app.settings)
    origins = {f.url: f.origin for f in app.store.feeds()} if w.feeds else {}
    for f in w.feeds:
        if is_own_url(f.url, mine):  # as `watch add` refuses it: our own feeds are never watched
            config_log.warning(
                "not watching %s from the config: it is on our own site (site.base_url, watch.own_domains)", f.url
            )
            continue
        url = canonical_feed_url(f.url)
        before = origins.get(url)
        _, created = app.store.import_feed(
            url,
            title=one_line_text(f.title),
            tags=_labels(f.tags),
            interval=f.interval or w.interval,
            origin="config",
            now=now,
            adopt=True,
        )
        feeds_added += created
        if before not in (None, "config"):  # watched already another way: from now on, as the config says
            config_log.warning(
                "%s (watched already, added from %s) now takes its title, tags and interval from the config "
                "file, which lists it; its items and matches are kept",
                url,
                "the command line" if before == "cli" else before,
                extra={"url": url},
            )
    names = [k.name for k in w.keywords]
    rules_changed = 0
    # What the config no longer declares stops: its rules are deleted (first, so that a rule renamed in the config,
    # if only in case, takes its name and feed folder over), its feeds disabled (matches and items kept).
    rules_gone, feeds_gone = app.store.retire_configured((canonical_feed_url(f.url) for f in w.feeds), names)
    # The names but for case and feed folders other rules hold: those added from the command line (the config's
    # own clashes are refused when it is read).
    held = [r.name for r in app.store.rules()]
    for k in w.keywords:
        found = next(((o, kind) for o in held if o != k.name and (kind := rule_clash(k.name, o))), None)
        if found is not None:
            other, kind = found
            clash = (
                "has the same name but for case"
                if kind == "case"
                else f"publishes at matches/rules/{rule_slug(k.name)}/ already"
            )
            config_log.warning(
                "rule %r in the config is not used: rule %r, added from the command line, %s (rename one of them)",
                k.name,
                other,
                clash,
                extra={"rule": k.name},
            )
            continue
        rule, changed = app.store.import_rule(k.name, k.query, origin="config", now=now)
        rules_changed += changed
        if rule.origin != "config" and rule.query != k.query:
            config_log.warning(
                "rule %r in the config is not used: a rule of that name was added from the command line with the "
                "query %r (remove that one with `feeds keywords remove %s`, or rename one of them)",
                k.name,
                rule.query,
                k.name,
                extra={"rule": k.name},
            )
    for name in rules_gone:
        gone = "it is no longer in the config file (its past matches are kept: `feeds keywords remove` deletes them)"
        config_log.warning("removed rule %r: %s", name, gone, extra={"rule": name})
    for url in feeds_gone:
        config_log.warning(
            "stopped watching %s: it is no longer in the config file (its items are kept)", url, extra={"url": url}
        )
    return feeds_added, rules_changed + len(rules_gone)


# --- OPML --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    url: str
    title: str
    tags: tuple[str, ...]
    interval: float | None = None
    """Seconds between checks, from our own export's `feedsInterval` attribute (other OPML has none)."""
    problem: str | None = None
    """Why the outline's URL cannot be watched as it stands (not http(s)), or its interval was not usable."""
    page: bool = False
    """The outline names a web page only (`htmlUrl`, no `xmlUrl`): `url` is the page, not a feed."""
    paused: bool = False
    """Our own export's `feedsPaused="true"`: the feed was disabled by hand where it was exported from."""


@dataclass(frozen=True, slots=True)
class OpmlImport:
    """What `import_opml` did with each outline of the file."""

    added: list[WatchedFeed]
    known: list[WatchedFeed]
    """Watched already (the file was imported before, or the feed added another way)."""
    skipped: list[tuple[str, str]]
    """(URL, why): outlines not watched."""
    notes: list[tuple[str, str]]
    """(URL, what was changed): watched, but not quite as the file said (an interval out of bounds)."""
    refused: list[OpmlRefusal] = field(default_factory=list)
    """Outlines that `--check` found were no feed, or could not fetch: not watched."""


@dataclass(frozen=True, slots=True)
class OpmlRefusal:
    """An outline of an OPML file not watched because fetching it (`watch import --check`) found no feed there:
    `check.verdict` says what it found, with the feeds a web page names (each marked when watched already)."""

    url: str
    title: str
    check: FeedCheck


_BARE_AMPERSAND = re.compile(rb"&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);)")

_NAMED_REFERENCE = re.compile(rb"&([A-Za-z][A-Za-z0-9]*);")
_XML_NAMED = frozenset((b"amp", b"lt", b"gt", b"quot", b"apos"))


def _xml_reference(m: re.Match[bytes]) -> bytes:
    """A named reference as XML reads it: XML's own five as they are, HTML's as numeric references."""
    if m[1] in _XML_NAMED:
        return m[0]
    chars = html.entities.html5.get(m[1].decode("ascii") + ";")
    return b"&amp;" + m[0][1:] if chars is None else "".join(f"&#{ord(c)};" for c in chars).encode("ascii")


def _xml_references(data: bytes) -> bytes:
    """`data` with every named reference as `_xml_reference` writes it, a piece at a time: one substitution over
    a whole file holding a million references (the entity attacks of tests/chaos) held a million pieces at once,
    129 MiB for a 3 MB file. A piece ends before an "&", so no reference is ever cut in two."""
    pieces: list[bytes] = []
    start = 0
    while start < len(data):
        end = data.find(b"&", start + _PIECE)
        end = len(data) if end < 0 else end
        pieces.append(_NAMED_REFERENCE.sub(_xml_reference, data[start:end]))
        start = end
    return b"".join(pieces)


_PIECE = 64 * 1024


_DECLARED_ENCODING = re.compile(rb"(?:\xef\xbb\xbf)?\s*<\?xml[^>]*encoding\s*=", re.IGNORECASE)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


INTERVAL_ATTRIBUTE = "feedsInterval"
"""The outline attribute our export writes a feed's own interval in (OPML 2.0 allows any attribute)."""
PAUSED_ATTRIBUTE = "feedsPaused"
"""The outline attribute our export marks a feed disabled by hand with (`true`), so it stays paused elsewhere."""


def read_opml(data: bytes, origin: str) -> list[OpmlFeed]:
    """Feeds of an OPML file; nested outlines and `category` attributes become tags. Tolerant of sloppy OPML
    (recovering parser, any case of attribute names, `url` instead of `xmlUrl`), never loading entities."""
    return parse_opml(data, origin)[0]


def parse_opml(data: bytes, origin: str) -> tuple[list[OpmlFeed], str | None]:
    """`read_opml`, and where the parser had to recover from a file that is not well-formed (`line N (what)`),
    since what follows may be missing; IngestError when no feed was read from such a file."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    if b"\x00" not in data:  # (not UTF-16/32, where this byte pattern means something else)
        if not _DECLARED_ENCODING.match(data) and not _is_utf8(data):
            # UTF-8 is what XML assumes, but a file saved by an old Windows editor is in its code page: read in
            # that, `Café` would otherwise be `Caf\ufffd`
            data = data.decode("cp1252", "replace").encode("utf-8")
        # A bare "&" (`?a=1&b=2`, common in hand-written OPML) is not XML: the recovering parser would drop
        # "&b" and watch another URL. Escaped first, it stays as written.
        data = _BARE_AMPERSAND.sub(b"&amp;", data)
        # Titles as readers copied them from web pages (`&eacute;`, `&nbsp;`) are not XML: the parser dropped
        # them (`Le Monde dition`). HTML's named references become the characters; a name HTML does not know
        # stays as written.
        data = _xml_references(data)
    try:
        root = etree.fromstring(data, parser) if data.strip() else None
    except etree.XMLSyntaxError as e:
        raise IngestError(f"not an OPML file: {e.msg}", origin=origin) from e
    if root is None:
        raise IngestError("not an OPML file (empty or not XML)", origin=origin)
    if not isinstance(root.tag, str) or etree.QName(root).localname.lower() != "opml":
        raise IngestError(f"not an OPML file: its root element is <{etree.QName(root).localname}>", origin=origin)
    body = next((el for el in root.iter() if isinstance(el.tag, str) and el.tag.lower() == "body"), root)
    found: dict[str, OpmlFeed] = {}

    def walk(el: etree._Element, path: tuple[str, ...]) -> None:
        for child in el:
            if not isinstance(child.tag, str) or child.tag.lower() != "outline":
                continue
            attrs = {str(k).lower(): str(v or "").strip() for k, v in child.attrib.items()}
            url = attrs.get("xmlurl") or attrs.get("url") or ""
            # `text` is what the reader shows (a name given there), `title` the feed's own; an outline's text must
            # not be empty, so exporters write the URL there when there is no name
            text = next((n for n in (attrs.get("text"), attrs.get("title")) if n and n != url), "")
            categories = tuple(
                c.strip().strip("/") for c in re.split(r"[,]", attrs.get("category", "")) if c.strip().strip("/")
            )
            if url:
                # (a folder named "World, Europe" must not come back as two tags from our own export)
                tags = tuple(dict.fromkeys(" ".join(t.replace(",", " ").split()) for t in (*path, *categories)))
                given = attrs.get(INTERVAL_ATTRIBUTE.lower(), "")
                interval, problem = None, None
                if given:
                    try:
                        interval = float(given) or None
                    except ValueError:
                        problem = f"{INTERVAL_ATTRIBUTE}={given!r} is not a number of seconds"
                    else:
                        interval = interval if interval is not None and math.isfinite(interval) else None
                if url in found:  # filed in another folder too (readers export it once per folder): both tags
                    tags = tuple(dict.fromkeys((*found[url].tags, *tags)))
                    found[url] = replace(found[url], tags=tags)
                else:
                    paused = attrs.get(PAUSED_ATTRIBUTE.lower(), "").lower() == "true"
                    found[url] = OpmlFeed(
                        url=url, title=text, tags=tags, interval=interval, problem=problem, paused=paused
                    )
            elif attrs.get("htmlurl") and not len(child):  # a page, not a folder of feeds: said, not dropped
                found.setdefault(attrs["htmlurl"], OpmlFeed(url=attrs["htmlurl"], title=text, tags=(), page=True))
            elif ("xmlurl" in attrs or "url" in attrs) and not len(child):  # a feed without its address: said too
                found.setdefault("\0" + text, OpmlFeed(url="", title=text, tags=(), problem="its xmlUrl is empty"))
            walk(child, (*path, text) if text and not url else path)

    walk(body, ())
    fatal = next((e for e in parser.error_log if e.level_name == "FATAL"), None)
    # (one line, without advice meant for programmers: "…: 256, use XML_PARSE_HUGE option")
    what = " ".join(fatal.message.split(", use XML_PARSE_HUGE")[0].split()) if fatal is not None else ""
    stopped = f"line {fatal.line} ({what})" if fatal is not None else None
    if stopped and not found:
        raise IngestError(f"no feed read: {stopped.replace(' (', ': ', 1).removesuffix(')')}", origin=origin)
    return list(found.values()), stopped


_LOOKUPS = 16
"""DNS lookups an OPML import makes at once."""

_CHECKS = 4
"""Feeds `watch import --check` fetches at once (never more than `watch.per_host` of them from one host): a few
at a time, as a person importing a file waits for them, without sending a site a burst of requests."""


def import_opml(app: App, path: Path, *, check: bool = False) -> OpmlImport:
    """Watch every feed of an OPML file that can be watched; say why each other one is not.

    With `check` (`watch import --check`), each feed not watched yet is first fetched once, as `watch add` checks
    it (`fetch_check`), a few at a time, and refused unless it is a feed: a web page (exported from a reader
    that gave its site's address as the feed's) is refused with the feeds it names. Without it (the default)
    nothing is fetched: a file of hundreds of feeds is imported at once, and the first poll says how each is."""
    if path.exists() and not path.is_file():  # a folder, or a pipe that would block for ever
        raise IngestError("not a regular file", origin=str(path))
    try:
        data = path.read_bytes()
    except OSError as e:
        raise IngestError(f"cannot read: {e.strerror or e}", origin=str(path)) from e
    done = OpmlImport([], [], [], [])
    outlines, stopped = parse_opml(data, str(path))
    if stopped:
        done.notes.append((str(path), f"not well-formed from {stopped}: an outline there may be missing"))

    def vetted(f: OpmlFeed) -> str | FetchError:
        try:
            url = check_feed_url(app, f.url)
            refuse_unpollable(app, url)
        except FetchError as e:
            return e
        return url

    # Each check looks the host up in the DNS: side by side, or a file of hundreds of feeds takes minutes.
    with ThreadPoolExecutor(max_workers=_LOOKUPS, thread_name_prefix="opml-dns") as pool:
        checked = list(pool.map(vetted, [f for f in outlines if f.url and not f.page]))
    checks = _checked_feeds(app, [u for u in checked if isinstance(u, str)]) if check else {}
    vetted_urls = iter(checked)
    watched: dict[str, WatchedFeed] = {}  # (by `_loose_url`: a feed added twice under near spellings is said)
    for known in app.store.feeds():
        watched.setdefault(_loose_url(known.url), known)
    for f in outlines:
        if not f.url:
            done.skipped.append((f"the outline {f.title or '(untitled)'!r}", f"{f.problem}: nothing to watch"))
            continue
        if f.page:
            done.skipped.append((f.url, "a web page, not a feed (no xmlUrl): `feeds watch discover URL` finds it"))
            continue
        url_or_error = next(vetted_urls)
        if isinstance(url_or_error, FetchError):
            done.skipped.append((_without_userinfo(f.url) if "@" in f.url else f.url, url_or_error.message))
            continue
        url = url_or_error
        fetched = checks.get(url)
        if fetched is not None and fetched.verdict != FEED:
            done.refused.append(OpmlRefusal(f.url, one_line_text(f.title), fetched))
            continue
        interval = f.interval or app.settings.watch.interval
        note = None
        if f.problem:
            note = f"{f.problem}: checked every {shown_interval(interval)}"
        elif interval != clamp_interval(interval):
            interval = clamp_interval(interval)
            note = f"{INTERVAL_ATTRIBUTE} out of bounds (5 min to 30 days): every {shown_interval(interval)}"
        origin = f"opml:{path.name}"
        feed, created = app.store.import_feed(
            url, title=one_line_text(f.title), tags=_labels(f.tags), interval=interval, origin=origin, now=app.clock()
        )
        if created and f.paused:  # (paused by hand where it was exported: not polled here either)
            feed = app.store.edit_feed(feed.id, enabled=False)
        (done.added if created else done.known).append(feed)
        twin = watched.setdefault(_loose_url(feed.url), feed)
        if created and twin.id != feed.id:
            done.notes.append((url, _twin_note(twin)))
        if note and (created or feed.origin == origin):  # a feed watched another way keeps its own interval
            done.notes.append((url, note))
    # (once the whole file is in: a page's feed further down it is watched now, not one to add)
    done.refused[:] = [
        replace(r, check=replace(r.check, named=tuple(marked_watched(app, r.check.named)))) for r in done.refused
    ]
    return done


def _checked_feeds(app: App, urls: Sequence[str]) -> dict[str, FeedCheck]:
    """`fetch_check` of each of `urls` not watched already (each fetched once, however often the file lists it),
    `_CHECKS` at a time and at most `watch.per_host` at a time from one host, by URL."""
    watched = {f.url for f in app.store.feeds()}
    wanted = list(dict.fromkeys(u for u in urls if u not in watched))
    hosts = {urlsplit(u).netloc: threading.BoundedSemaphore(app.settings.watch.per_host) for u in wanted}

    def politely(url: str) -> FeedCheck:
        with hosts[urlsplit(url).netloc]:
            return fetch_check(app, url)

    with ThreadPoolExecutor(max_workers=_CHECKS, thread_name_prefix="opml-check") as pool:
        return dict(zip(wanted, pool.map(politely, wanted), strict=True))


def export_opml(app: App) -> bytes:
    """All watched feeds as OPML 2.0, tags in the `category` attribute, each feed in the folder (an outline of
    outlines) of its first tag too, for the readers that make folders of those and ignore `category`."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = f"{app.settings.site.title}: watched feeds"
    body = etree.SubElement(root, "body")
    folders: dict[str, etree._Element] = {}
    for f in app.store.feeds():
        parent = body
        if f.tags:  # (in the order their first feeds come)
            if (folder := folders.get(f.tags[0])) is None:  # (as spelt: the tags come back exactly)
                folder = folders[f.tags[0]] = etree.SubElement(body, "outline", text=f.tags[0])
            parent = folder
        attrs = {"type": "rss", "text": f.title or f.url, "xmlUrl": f.url}  # (an outline's text must not be empty)
        if f.title:
            attrs["title"] = f.title
        if f.tags:
            attrs["category"] = ",".join(f.tags)
        # Always, so that an import elsewhere gives the same schedule whatever that installation's default is
        attrs[INTERVAL_ATTRIBUTE] = f"{f.interval:g}"
        if f.disabled_reason == DISABLED_BY_HAND:  # (not a 410 or a feed dropped from the config: tried afresh)
            attrs[PAUSED_ATTRIBUTE] = "true"
        etree.SubElement(parent, "outline", attrs)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- discovery ---------------------------------------------------------------------------------------------


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
        raise FetchError(f"could not fetch the page: {getattr(result, 'error', result)}", url=url)
    try:
        parsed = parse_feed(result.body, url=result.url, content_type=result.content_type, encoding=result.encoding)
        return [known(Discovered(result.url, parsed.title, parsed.kind, "the URL is a feed"))]
    except FeedParseError:
        pass
    return [known(d) for d in _feeds_named_by(app, result)]


def _feeds_named_by(app: App, result: Fetched) -> list[Discovered]:
    """The feeds of a fetched web page: those it links to (each fetched), else those at the common paths of its
    site (`discover`, and `check_is_feed` for a page given to `watch add`)."""
    mine = own_domains(app.settings)
    links = [
        _linked_feed(app, Discovered(u, t, k, "<link rel=alternate>", refused=_refusal(app, u, mine)))
        for u, t, k in find_feed_links(result.body, result.url)
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
        return replace(found, problem=f"could not fetch it: {getattr(result, 'error', result)}")
    try:
        parsed = parse_feed(result.body, url=result.url, content_type=result.content_type, encoding=result.encoding)
    except FeedParseError as e:
        return replace(found, problem=f"not a feed: {e.message}")
    return replace(found, title=found.title or parsed.title, kind=parsed.kind)


# --- trying a rule before saving it ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryTrial:
    query: str
    checked: int
    hits: list[tuple[StoredItem, Explanation]]
    own: int = 0
    """Items from our own site that the query would match, left out as the watch leaves them out."""


def try_query(
    app: App, query: str, *, days: float | None = None, limit: int = 50, item: str | None = None
) -> QueryTrial:
    """Which stored items `query` would match, and why (raises RuleError with the position of a syntax error).

    With `item` (a stored item's link or key), only that item is tried, and it is explained whether it matches
    or not: which term was missing, which excluded term vetoed it."""
    parse_query(query)
    matcher = compile_rules([("query", query)])
    since = app.clock() - timedelta(days=days if days is not None else app.settings.watch.retro_days)
    feeds = {f.id: f for f in app.store.feeds()}
    mine = own_domains(app.settings)
    hits: list[tuple[StoredItem, Explanation]] = []
    checked = own = 0
    # (a link as a person copies it: scheme and host in any case, a default port or none, as `watch` takes URLs)
    wanted = canonical_url(item) if item is not None else None
    for s in app.store.iter_stored_items(since=since):  # newest first, a page at a time
        if item is not None and not _names(item, wanted, s.item):
            continue
        checked += 1
        feed = feeds.get(s.feed_id)
        if feed is None or len(hits) >= limit:
            continue  # past the limit, items are only counted
        if item is not None:
            explained = explain(query, match_input(feed, s.item))
            if is_own_url(s.item.link, mine):  # whatever its words say, the watch never matches it
                explained = replace(
                    explained,
                    matched=False,
                    reasons=(*explained.reasons, "not matched: the item is on our own site, which is never watched"),
                )
            hits.append((s, explained))
            continue
        item_input = match_input(feed, s.item)
        if matcher.match(item_input):  # compiled once; explain (slower) only what matched
            if is_own_url(s.item.link, mine):  # never matched by the watch either
                own += 1
                continue
            hits.append((s, explain(query, item_input)))
    return QueryTrial(query=query, checked=checked, hits=hits, own=own)


def _names(given: str, canonical: str | None, item: WatchItem) -> bool:
    """Whether `given` (its `canonical_url` beside it) is the link or the key of `item`."""
    if given in (item.link, item.key):
        return True
    return canonical is not None and item.link is not None and canonical_url(item.link) == canonical


__all__ = [
    "Discovered",
    "OpmlImport",
    "QueryTrial",
    "RuleError",
    "add_feed",
    "add_rule",
    "check_is_feed",
    "discover",
    "edit_feed",
    "export_opml",
    "feed_reference",
    "find_feed",
    "import_configured",
    "import_opml",
    "look_alike",
    "read_opml",
    "remove_feed",
    "remove_rule",
    "rule_name",
    "try_query",
]
