"""Managing what is watched: adding, editing and removing watched feeds and keyword rules.

The functions here are what the CLI commands call; each validates its input and names what is wrong. A feed or
rule the config file declares is changed there: a change here is refused, naming the file, key and line.

The rest of watch management lives beside it, and is re-exported here, the one place the CLI imports it from:
`feedurls.py` (a feed URL's canonical spelling and checks, finding a feed by reference), `discovery.py` (is it a
feed, `watch discover`), `opml.py` (OPML import and export), `configured.py` (importing the config's feeds and
rules), `ruleimport.py` (keyword rules from and to files), `tryquery.py` (trying a query before saving it),
`tags.py` (tags as stored).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from feeds.config import MAX_WATCH_INTERVAL, MIN_WATCH_INTERVAL
from feeds.config.positions import find_line
from feeds.config.reader import KeyPath, dotted_key
from feeds.errors import ConfigError, NotFoundError, RuleError
from feeds.model import REMOVED_FROM_CONFIG, MatchKind, Rule, StoredMatch, WatchedFeed
from feeds.normalise.ids import check_rule_name, rule_clash
from feeds.urls import without_secrets
from feeds.watch.configured import import_configured
from feeds.watch.discovery import (
    COMMON_FEED_PATHS,
    FEED,
    NOT_A_FEED,
    UNREACHABLE,
    WEB_PAGE,
    Discovered,
    FeedCheck,
    check_is_feed,
    discover,
    fetch_check,
    marked_watched,
    named_feed_lines,
)
from feeds.watch.feedurls import (
    canonical_feed_url,
    check_feed_url,
    feed_reference,
    feed_url_problem,
    find_feed,
    find_feeds,
    look_alike,
    refuse_unpollable,
    unwrap_feed_scheme,
)
from feeds.watch.opml import (
    INTERVAL_ATTRIBUTE,
    PAUSED_ATTRIBUTE,
    OpmlFeed,
    OpmlImport,
    OpmlRefusal,
    import_opml,
    parse_opml,
    read_opml,
)
from feeds.watch.opmlexport import export_opml
from feeds.watch.query import check_query
from feeds.watch.ruleimport import RuleChange, RuleImport, export_rule_file, import_rule_file
from feeds.watch.tags import checked_tags, checked_title
from feeds.watch.tryquery import QueryTrial, try_query

if TYPE_CHECKING:
    from feeds.app import App


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
    tags = checked_tags(tags)
    title = checked_title(title)
    refuse_unpollable(app, url)
    interval = check_interval(interval, app.settings.watch.interval)
    if check and not _is_watched(app, url):  # (watched already: the store says so, without a fetch)
        check_is_feed(app, url)
    return app.store.add_feed(
        url,
        title=title,
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


def add_rule(app: App, query: str, *, name: str | None = None) -> Rule:
    check_query(query)  # raises RuleError pointing at the character
    if name is None:
        try:
            name = check_rule_name(query)
        except RuleError as e:  # (a query of 300 terms pasted from another tool, or written on several lines)
            shown = query if len(query) <= 80 else query[:79] + "…"  # (not the 4,000 characters back)
            raise RuleError(
                f"give the rule a name with --name: the query cannot be its name, as {e.message}", rule=shown
            ) from e
    else:
        name = check_rule_name(name)
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
    check_query(query)  # raises RuleError pointing at the character
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
    punctuation aside), since no two rules may share either; a former rule's name (its matches, or only its
    dismissed ones, kept), found the same way; `name` as given when none matches."""
    rules = [r.name for r in app.store.rules()]
    if name in rules:
        return name
    known = next((r for r in rules if rule_clash(name, r)), None)
    if known is not None:
        return known
    # A former rule (gone from the config file, its matches kept until `keywords remove`) is named as a rule is.
    # (Looked up only when no rule is meant: a typo, or such a name.)
    former = app.store.former_rule_names() + app.store.former_rule_names(dismissed=True)
    if name in former:
        return name
    return next((f for f in former if rule_clash(name, f)), name)


def list_matches(
    app: App,
    *,
    rule: str | None = None,
    release: str | None = None,
    kind: MatchKind | None = None,
    since: datetime | None = None,
    limit: int | None = None,
    tag: str | None = None,
    until: datetime | None = None,
    dismissed: bool = False,
) -> list[StoredMatch]:
    """The matches `feeds matches list` shows, most recently found first: a keyword rule's (`rule`, as `rule_name`
    resolves it), a release's (`release`: its id or slug; its related and pickup matches, or the one `kind`), or all
    (of `kind`); only those found at or after `since` and before `until`, and of items of feeds tagged `tag` (any
    case), when given; with `dismissed`, those a press officer dismissed instead. A name that never was a rule
    raises NotFoundError, since it is most likely a typo (a former rule's kept matches are still listed under its
    name); so does a release the store does not know."""
    if rule is not None and release is not None:
        raise ValueError("a rule's matches or a release's: not both")
    subject = None
    if release is not None:
        subject = app.store.release(release).id
    if rule is not None:
        kind, subject = "keyword", rule_name(app, rule)
    feed_ids = [f.id for f in select_feeds(app.store.feeds(), tag=tag)] if tag is not None else None
    rows = app.store.matches(
        kind=kind, subject=subject, since=since, until=until, limit=limit, feed_ids=feed_ids, dismissed=dismissed
    )
    if release is not None and kind is None:  # (a release's matches are related or pickups, never keyword ones)
        rows = [m for m in rows if m.kind != "keyword"]
    if rule is not None and not rows and all(r.name != subject for r in app.store.rules()):
        if dismissed and subject in app.store.former_rule_names(dismissed=True):
            return rows  # (a rule gone whose dismissals are kept, recorded only: its feeds removed too)
        raise NotFoundError(f"no keyword rule is named {rule!r} (see `feeds keywords list`)")
    return rows


def remove_rule(app: App, name: str) -> tuple[Rule, int]:
    """Delete a rule made from the CLI, and its matches: (the rule, how many matches went). One imported from the
    config file would come back with the next command: refused, naming the file and the key to edit. `name` as
    `rule_name` resolves it."""
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
            f"{without_secrets(feed.url)} is listed here: remove it from the config file (it would be watched again by "
            "the next command)",
        )
    return app.store.remove_feed(feed.id)


def remove_feeds(app: App, feeds: Sequence[WatchedFeed]) -> tuple[list[WatchedFeed], int, int]:
    """Stop watching many feeds at once, in one transaction, each as `remove_feed` removes one: (the feeds removed,
    items deleted, matches deleted). One the config file lists refuses them all before any goes, naming the file
    and the key of the first; one removed meanwhile is left out."""
    for feed in feeds:
        key = _config_key(app, feed)
        if key is not None:
            raise _in_config(
                app,
                key,
                f"{without_secrets(feed.url)} is listed here: remove it from the config file (it would be watched "
                "again by the next command); nothing was removed",
            )
    return app.store.remove_feeds([f.id for f in feeds])


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
        raise _in_config(
            app,
            key,
            f"{without_secrets(feed.url)} is listed here: change its title, tags or interval in the config file",
        )
    if enabled and feed.disabled_reason == REMOVED_FROM_CONFIG:
        raise ConfigError(
            f"{without_secrets(feed.url)} was removed from the config file: put it back there to watch it again (or "
            "`feeds watch remove` it)",
            path=str(app.settings.path),
        )
    if tags is not None:
        tags = checked_tags(tags)
    return app.store.edit_feed(
        feed.id,
        title=checked_title(title) if title is not None else None,
        tags=tags,
        interval=check_interval(interval, feed.interval) if interval is not None else None,
        enabled=enabled,
        origin="cli" if settings_changed and feed.origin.startswith("opml:") else None,
    )


FEED_ORDERS = ("id", "failures", "next", "last", "title")
"""How `watch list --sort` orders feeds: by id; the most failures first (the longest failing first among equals);
the next check soonest first; the last check oldest first (never checked first); by title."""


def select_feeds(
    feeds: Sequence[WatchedFeed],
    *,
    states: Sequence[str] = (),
    tag: str | None = None,
    order: str = "id",
) -> list[WatchedFeed]:
    """The feeds `watch list` shows: those in one of `states` (all when empty), having `tag` (any case; None:
    all), in `order` (one of FEED_ORDERS): with hundreds of feeds, the failing ones are not found by scrolling."""
    wanted = {t.casefold() for t in (tag,) if t is not None}
    chosen = [
        f
        for f in feeds
        if (not states or f.state in states) and (not wanted or wanted & {t.casefold() for t in f.tags})
    ]
    never = datetime.min.replace(tzinfo=UTC)
    keys: dict[str, Callable[[WatchedFeed], Any]] = {
        "id": lambda f: f.id,
        "failures": lambda f: (-f.failures, f.failing_since or never, f.id),
        "next": lambda f: (f.next_check or never, f.id),
        "last": lambda f: (f.last_checked or never, f.id),
        "title": lambda f: ((f.title or f.url).casefold(), f.id),
    }
    if order not in keys:
        raise ValueError(f"no such order {order!r}: one of {', '.join(FEED_ORDERS)}")
    return sorted(chosen, key=keys[order])


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
    return ConfigError(message, path=str(path), key=dotted_key(key), line=line)


__all__ = [
    "COMMON_FEED_PATHS",
    "FEED",
    "FEED_ORDERS",
    "INTERVAL_ATTRIBUTE",
    "NOT_A_FEED",
    "PAUSED_ATTRIBUTE",
    "UNREACHABLE",
    "WEB_PAGE",
    "Discovered",
    "FeedCheck",
    "OpmlFeed",
    "OpmlImport",
    "OpmlRefusal",
    "QueryTrial",
    "RuleChange",
    "RuleError",
    "RuleImport",
    "add_feed",
    "add_rule",
    "canonical_feed_url",
    "change_rule",
    "check_feed_url",
    "check_interval",
    "check_is_feed",
    "discover",
    "edit_feed",
    "export_opml",
    "export_rule_file",
    "feed_reference",
    "feed_url_problem",
    "fetch_check",
    "find_feed",
    "find_feeds",
    "import_configured",
    "import_opml",
    "import_rule_file",
    "list_matches",
    "look_alike",
    "marked_watched",
    "named_feed_lines",
    "parse_opml",
    "read_opml",
    "refuse_unpollable",
    "remove_feed",
    "remove_feeds",
    "remove_rule",
    "rule_name",
    "select_feeds",
    "try_query",
    "unwrap_feed_scheme",
]
