"""One reader per config table: every key, its type, its default and its checks, in one place.

Each `_read_<table>` takes the raw table and returns its frozen settings record, or raises `ConfigError`
through the reader (file, key path, line). Unknown keys are errors everywhere.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feeds.config.reader import KeyPath, _dotted, _quoting, _Reader, shown_interval
from feeds.config.settings import (
    AUTHOR_EMAIL,
    MAX_WATCH_INTERVAL,
    MIN_WATCH_INTERVAL,
    STATUS_FROM,
    AlertSettings,
    CustomFeed,
    DaemonSettings,
    EmailAlert,
    FolderSource,
    HttpSettings,
    KeywordSetting,
    Paths,
    PublishSettings,
    RelatedSettings,
    RemoteJsonSource,
    Site,
    SmtpSettings,
    Source,
    TopicSettings,
    WatchFeedSetting,
    WatchSettings,
    WebhookAlert,
    WebSettings,
    webhook_signing_key,
)
from feeds.errors import ConfigError, RuleError

_MINUTE, _HOUR, _DAY = 60.0, 3600.0, 86400.0
_DAEMON_BOUNDS: dict[str, tuple[float, float]] = {
    "watch_tick": (1.0, 5 * _MINUTE),  # (a watched feed is due every 5 minutes at most: a longer tick makes it late)
    "publish_interval": (_MINUTE, _DAY),  # (a change is published within seconds anyway: this is the safety net)
    "publish_debounce": (0.1, 5 * _MINUTE),
    "housekeeping_interval": (_HOUR, 7 * _DAY),
    "grace": (1.0, _HOUR),
    "misfire_grace": (1.0, _HOUR),  # (APScheduler takes whole seconds, at least 1)
    "lock_wait": (1.0, _HOUR),
}
"""Each `[daemon]` duration's floor and ceiling in seconds: a number alone is seconds, so `publish_interval = 10`
meant as minutes published every 10 seconds; below its floor a value is refused, with the unit it likely meant."""
_DAEMON_KEYS = tuple(_DAEMON_BOUNDS)
_HTTP_BOUNDS: dict[str, tuple[float, float]] = {
    # (a server that has not accepted the connection in a minute is down: the OS itself gives up after about two)
    "connect_timeout": (1.0, _MINUTE),
    # (between two bytes of an answer: a fetch can take six times this, and holds a fetch thread all that time)
    "read_timeout": (1.0, 5 * _MINUTE),
}
"""`[http]`'s timeouts' floors and ceilings in seconds: 0 or an hour were taken, and `30000` meant as milliseconds
waited eight hours for a byte (refused, with the milliseconds it likely meant). They also serve alerts and WebSub."""
_LEASE_CEILING = _HOUR
"""`watch.lease` at most: a crashed daemon's feeds wait this long for another daemon (and the store reads a lease
further ahead than `feeds.store.tx.LEASE_HORIZON` as one taken by a clock since stepped back: anyone may take it).
Its floor is one fetch at its deadlines (`HttpSettings.longest_fetch`): the lease is renewed every third of it by
the thread that waits on the fetches (feeds.watch.poll.Leases), and a renewal that fails (the database busy or
briefly away) must not hand a feed being fetched to another daemon; nor `lease = 5`, meant as minutes."""
_SMTP_TIMEOUT = (1.0, 5 * _MINUTE)
_MOST_DAYS = 36500.0
"""A number of days kept or looked back at most (100 years): longer is a typo, and past about 700,000 no date can
reach back that far (`now - timedelta(days=...)` fails, in every watch run or housekeeping)."""
_WINDOW_DAYS = 366.0
"""`watch.related.window_days` at most: each release in the window is matched against every item polled."""
_KIB, _GIB = 1024, 1024**3
_SIZE_BOUNDS: dict[str, tuple[int, int]] = {
    # (a feed of a few items is tens of KiB; every body fetched, up to 2 x workers + 4 per CPU, is held in memory)
    "http.max_bytes": (64 * _KIB, _GIB),
    # (one pushed release is at least a few hundred bytes; a body is held in memory while it is read)
    "web.max_body": (_KIB, _GIB),
}
"""Sizes in bytes, floor and ceiling: `max_bytes = 10` meant as MiB refused every feed as too large."""

KEYS: dict[str, frozenset[str]] = {
    "[site]": frozenset(
        {"title", "base_url", "author", "language", "timezone", "description", "email", "id_domain", "messages"}
    ),
    "[paths]": frozenset({"out", "state"}),
    "[database]": frozenset({"url"}),
    "[http]": frozenset({"user_agent", "connect_timeout", "read_timeout", "max_bytes", "allow"}),
    "[topics]": frozenset({"detect", "aliases"}),
    '[[sources]] of type "folder"': frozenset({"type", "name", "path", "move", "interval", "enabled"}),
    '[[sources]] of type "remote_json"': frozenset(
        {"type", "name", "url", "interval", "results", "fields", "link_base", "enabled"}
    ),
    "[publish]": frozenset({"entries", "formats", "hub", "templates", "organisation_feeds", "feeds"}),
    "[[publish.feeds]]": frozenset({"name", "title", "topics", "organisations", "types"}),
    "[watch]": frozenset(
        {"interval", "workers", "per_host", "batch", "lease", "retro_days", "retention_days", "match_retention_days"}
        | {"own_domains", "related", "feeds", "keywords"}  # ([[watch.feeds]], [[watch.keywords]])
    ),
    "[watch.related]": frozenset({"window_days", "min_score", "min_terms", "pickup_tokens"}),
    "[[watch.feeds]]": frozenset({"url", "title", "tags", "interval"}),
    "[[watch.keywords]]": frozenset({"name", "query"}),
    "[web]": frozenset({"host", "port", "api_token", "max_body", "max_releases", "rate_limit", "status_from"}),
    "[daemon]": frozenset({*_DAEMON_KEYS, "ledger_retention_days"}),
    "[alerts]": frozenset({"webhooks", "email", "smtp", "retention_days"}),
    "[[alerts.webhooks]]": frozenset({"name", "url", "secret", "secret_env", "rules", "coverage"}),
    "[[alerts.email]]": frozenset({"name", "to", "rules", "coverage", "frequency"}),
    "[alerts.smtp]": frozenset(
        {"host", "port", "sender", "username", "password", "password_env", "starttls", "timeout"}
    ),
}
"""Every key of every table, by the header it is written under: each reader takes only its own, and a key
written under the wrong header is told where it belongs."""


def _malformed_host(url: str) -> str | None:
    """What makes an http(s) URL's host or port one no browser or server can use (no host, a space or an escape
    in the host, a port out of range), or None."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018  (raises for a port out of range or not a number)
    except ValueError as e:
        return f"not a valid URL: {e}"
    host = parts.hostname or ""
    if not host:
        return "not a valid URL: it names no host"
    if any(c.isspace() or c in '<>"{}|\\^`%' for c in host):
        return f"not a valid URL: the host {host!r} is malformed"
    return None


def _read_site(r: _Reader, t: dict[str, Any]) -> Site:
    k = ("site",)
    r.only(t, k, KEYS["[site]"])
    title = r.get(t, (*k, "title"), str)
    if not title.strip():
        r.fail((*k, "title"), "must not be empty (it names every feed and page)")
    author = r.get(t, (*k, "author"), str, title)
    if not author.strip():
        r.fail((*k, "author"), "must not be empty (it is the author of every feed; leave it out for site.title)")
    description = r.get(t, (*k, "description"), str, "")
    for name, text in (("title", title), ("author", author), ("description", description)):
        if _xml_forbidden(text):  # every feed carries them, and XML cannot
            r.fail((*k, name), f"must not contain control characters, got {text!r}")
    base_url = r.get(t, (*k, "base_url"), str)
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        r.fail((*k, "base_url"), f"must be an absolute http(s) URL, got {base_url!r}")
    if (problem := _malformed_host(base_url)) is not None:  # every link of the site is built from it
        r.fail((*k, "base_url"), problem)
    if parts.query or parts.fragment or "#" in base_url or parts.username is not None or parts.password is not None:
        # (`?x=1` or `#top` would end up in the middle of every link, a user and password in every feed)
        r.fail((*k, "base_url"), f"must be a plain address with no query, fragment or user name, got {base_url!r}")
    if not base_url.endswith("/"):
        base_url += "/"
    tz = r.get(t, (*k, "timezone"), str, "UTC")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        r.fail((*k, "timezone"), f"unknown time zone {tz!r}{_zone_hint(tz)} (use an IANA name such as 'Europe/London')")
    if (why := _not_a_site_zone(tz)) is not None:
        r.fail((*k, "timezone"), f"{tz!r} is {why}: name the office's zone, such as 'Europe/London', or 'UTC'")
    language = r.get(t, (*k, "language"), str, "en")
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", language):
        r.fail((*k, "language"), f"not a language tag (RFC 5646): {language!r}: a code such as 'en', 'en-GB' or 'fr'")
    from feeds.normalise.release import canonical_language

    language = canonical_language(language)
    return Site(
        title=title,
        base_url=base_url,
        author=author,
        language=language,
        timezone=tz,
        description=description,
        email=_site_email(r, t, k),
        id_domain=_id_domain(r, t, k),
        messages=_site_messages(r, t, k),
    )


def _site_messages(r: _Reader, t: dict[str, Any], k: KeyPath) -> Path | None:
    """`site.messages`: a gettext catalogue (.po) of the published labels, read now so that a mistake in it is
    found by `check-config` and at start, naming its line, and never in the middle of a publish."""
    value = r.get(t, (*k, "messages"), str, "")
    if not value.strip():
        return None
    from feeds.publish.i18n import CatalogueError, read_catalogue

    path = _resolve(r.path.resolve().parent, value)
    try:
        read_catalogue(path)
    except CatalogueError as e:
        r.fail((*k, "messages"), str(e))
    return path


def _zone_hint(written: str) -> str:
    """The IANA zone meant by a city (`London`, `new york`), or why an offset or an abbreviation is not one."""
    from zoneinfo import available_timezones

    if re.fullmatch(r"\s*(GMT|UTC)\s*[+-]\s*\d{1,2}(:?\d\d)?\s*", written, re.IGNORECASE):
        # (and not Etc/GMT+1, which is UTC-1: the POSIX sign is the other way round)
        return ": a fixed offset never changes for summer time; name the place, e.g. 'Europe/Paris'"
    city = written.strip().replace(" ", "_").casefold()
    zones = available_timezones()
    named = sorted(z for z in zones if "/" in z and not z.startswith("Etc/") and z.rsplit("/", 1)[1].casefold() == city)
    if named:
        return f": did you mean {named[0]!r}?"
    if re.fullmatch(r"[A-Za-z]{2,5}", written.strip()):
        return ": an abbreviation is not a zone (BST and IST mean several); name the place"
    return ""


def _xml_forbidden(text: str) -> bool:
    """Whether `text` holds a character XML 1.0 cannot carry (C0 controls but tab and line breaks, U+FFFE…)."""
    from feeds.normalise.text import xml_safe

    return xml_safe(text) != text


def _not_a_site_zone(tz: str) -> str | None:
    """Why `tz`, a name the machine's zone files answer to, dates nothing the same way on every machine, else None:
    pages and feeds must be the same bytes on every daemon, whatever its machine is set to."""
    if tz in ("localtime", "posixrules"):
        return "the machine's own zone, or its default rules, which differ from machine to machine"
    if tz == "Factory":
        return "a placeholder for a machine whose zone is not set, not a zone"
    if tz.startswith("right/"):
        # (measured: Python reads right/Europe/London as summer time all year, every winter time an hour off)
        return "a zone that counts leap seconds, which the times stored and served here do not"
    return None


def _site_email(r: _Reader, t: dict[str, Any], k: KeyPath) -> str | None:
    """The feeds' author email, checked as the feeds check it (else every publish stopped with a traceback)."""
    value: str | None = r.get(t, (*k, "email"), str, None)
    if value is not None and not AUTHOR_EMAIL.fullmatch(value):
        r.fail((*k, "email"), f"not an email address: {value!r} (it is the author email of every feed)")
    return value


def _id_domain(r: _Reader, t: dict[str, Any], k: KeyPath) -> str | None:
    value: str | None = r.get(t, (*k, "id_domain"), str, None)
    if value is not None and not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9-]+)+", value):
        r.fail((*k, "id_domain"), f"must be a DNS name such as 'press.example.org', got {value!r}")
    return value


def _read_paths(r: _Reader, t: dict[str, Any], base: Path) -> Paths:
    k = ("paths",)
    r.only(t, k, KEYS["[paths]"])
    out = _resolve(base, r.get(t, (*k, "out"), str, "out"))
    if out.exists() and not out.is_dir():  # else publishing fails with "File exists"
        r.fail((*k, "out"), f"{out} is a file, not a folder: publishing needs a folder")
    if (what := _private_folder(out)) is not None:
        r.fail((*k, "out"), f"{out} is {what}: everything in it would be served; use a folder of its own, e.g. 'out'")
    return Paths(out=out, state=_resolve(base, r.get(t, (*k, "state"), str, "var")))


def _private_folder(out: Path) -> str | None:
    """What makes `out` a folder that must not be published whole: the root, a folder above the home folder, or
    the home folder itself when it holds dot files (.ssh, .netrc: a web server's own home, such as /var/www,
    holds none and may be served)."""
    if out == out.parent:
        return "the root folder"
    try:
        home = Path.home().resolve()
    except (RuntimeError, KeyError):  # (no HOME, and no entry for this user)
        return None
    if out in home.parents:
        return "above the home folder"
    try:
        dot_files = out == home and any(p.name.startswith(".") for p in home.iterdir())
    except OSError:  # (a home that does not exist, or that this user cannot list)
        return None
    return "the home folder (with its dot files)" if dot_files else None


_HOST_NAME = re.compile(r"(?=.{1,253}\.?$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")


def _allowable(item: str) -> bool:
    """A host name, an IP address or a CIDR range (what `http.allow` and FEEDS_FETCH_ALLOW may list)."""
    try:
        ipaddress.ip_network(item.strip(), strict=False)
        return True
    except ValueError:
        return _HOST_NAME.fullmatch(item.strip()) is not None


def _read_http(r: _Reader, t: dict[str, Any], environ: Mapping[str, str], user_agent: str) -> HttpSettings:
    k = ("http",)
    r.only(t, k, KEYS["[http]"])
    allow = tuple(r.get(t, (*k, "allow"), list, []))
    for i, item in enumerate(allow):
        if not isinstance(item, str) or not _allowable(item):
            r.fail((*k, "allow", i), f"must be a host name, an address or a CIDR range, got {item!r}")
    extra = tuple(x.strip() for x in environ.get("FEEDS_FETCH_ALLOW", "").split(",") if x.strip())
    for item in extra:
        if not _allowable(item):
            raise ConfigError(
                f"{item!r} is not a host name, an address or a CIDR range", path="environment", key="FEEDS_FETCH_ALLOW"
            )
    agent: str = r.get(t, (*k, "user_agent"), str, user_agent)
    if not agent.strip():
        r.fail((*k, "user_agent"), "must name this software and how to reach you, not be blank")
    if not (agent.isascii() and agent.isprintable()):
        # (a line break would inject a header, and every request would refuse it; non-ASCII is not sent as is)
        r.fail((*k, "user_agent"), f"must be visible ASCII characters and spaces on one line, got {agent!r}")
    defaults = HttpSettings(user_agent=agent)

    def timeout(name: str) -> float:
        floor, ceiling = _HTTP_BOUNDS[name]
        return r.interval(t, (*k, name), getattr(defaults, name), floor=floor, ceiling=ceiling)

    low, high = _SIZE_BOUNDS["http.max_bytes"]
    settings = HttpSettings(
        user_agent=agent.strip(),
        connect_timeout=timeout("connect_timeout"),
        read_timeout=timeout("read_timeout"),
        max_bytes=r.size(t, (*k, "max_bytes"), defaults.max_bytes, floor=low, ceiling=high),
        allow=allow + extra,
    )
    return settings


def _read_topics(r: _Reader, t: dict[str, Any]) -> TopicSettings:
    k = ("topics",)
    r.only(t, k, KEYS["[topics]"])
    detect = r.get(t, (*k, "detect"), list, [])
    for i, name in enumerate(detect):
        if not isinstance(name, str) or not name.strip():
            r.fail((*k, "detect", i), "must be a non-empty string")
    aliases_t = r.sub(t, (*k, "aliases"))
    aliases: list[tuple[str, tuple[str, ...]]] = []
    for name, words in aliases_t.items():
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            r.fail((*k, "aliases", name), "must be a list of words")
        aliases.append((name, tuple(words)))
    return TopicSettings(detect=tuple(detect), aliases=tuple(aliases))


def _read_publish(r: _Reader, t: dict[str, Any], base: Path) -> PublishSettings:
    k = ("publish",)
    r.only(t, k, KEYS["[publish]"])
    entries = r.count(t, (*k, "entries"), 50)
    if entries > 1000:
        r.fail((*k, "entries"), f"must be between 1 and 1000, got {entries}")
    formats = r.get(t, (*k, "formats"), list, ["atom", "rss", "json"])
    for i, f in enumerate(formats):
        if f not in ("atom", "rss", "json"):
            r.fail((*k, "formats", i), f"unknown feed format {f!r} (atom, rss, json)")
    if not formats:
        r.fail((*k, "formats"), "needs at least one format")
    hub = r.get(t, (*k, "hub"), str, None)
    if hub is not None and urlsplit(hub).scheme not in ("http", "https"):
        r.fail((*k, "hub"), f"must be an http(s) URL, got {hub!r}")
    if hub is not None and (problem := _malformed_host(hub)) is not None:
        r.fail((*k, "hub"), problem)
    templates = r.get(t, (*k, "templates"), str, None)
    if templates and not _resolve(base, templates).is_dir():  # else the packaged templates would be used silently
        r.fail((*k, "templates"), f"the folder {_resolve(base, templates)} does not exist")
    custom: list[CustomFeed] = []
    items = t.get("feeds", [])
    if not isinstance(items, list):
        r.fail((*k, "feeds"), "must be an array of tables: [[publish.feeds]]")
    seen: set[str] = set()
    for i, ft in enumerate(items):
        fk: KeyPath = (*k, "feeds", i)
        r.only(ft, fk, KEYS["[[publish.feeds]]"])
        name = r.get(ft, (*fk, "name"), str)
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name) or name in seen:
            r.fail((*fk, "name"), f"must be unique, lowercase letters, digits and '-', got {name!r}")
        seen.add(name)
        lists = {key: tuple(r.get(ft, (*fk, key), list, [])) for key in ("topics", "organisations", "types")}
        if not any(lists.values()):
            r.fail(fk, "a custom feed needs at least one of topics, organisations or types")
        title = r.get(ft, (*fk, "title"), str)
        if _xml_forbidden(title):  # the feed's title, which XML cannot carry
            r.fail((*fk, "title"), f"must not contain control characters, got {title!r}")
        custom.append(CustomFeed(name=name, title=title, **lists))
    return PublishSettings(
        entries=entries,
        formats=tuple(dict.fromkeys(formats)),
        hub=hub,
        templates=_resolve(base, templates) if templates else None,
        organisation_feeds=r.get(t, (*k, "organisation_feeds"), bool, True),
        custom=tuple(custom),
    )


def _seconds(t: dict[str, Any]) -> str:
    """For an interval written as a bare number (`interval = 30`, meant as minutes): what the number means."""
    v = t.get("interval")
    if isinstance(v, int | float) and not isinstance(v, bool):
        return f'; a number alone is seconds: {v:g} is {v:g} s; write "{v:g}m" for minutes'
    return ""


def _related_bar(r: _Reader, t: dict[str, Any], key: KeyPath, default: float) -> float:
    """`watch.related.min_score`: a share of a release's term weight, from 0 to 1. 0 is a bar too: every item
    sharing `min_terms` of a release's names is related, whatever its share (the matcher takes it)."""
    v = t.get(str(key[-1]), default)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        r.fail(key, f"must be a number from 0 to 1, got {v!r}{_quoting(key, v, float)}")
    if not 0 <= v <= 1:  # (34, meant as a percentage: the hint, from 2 up; 1.5 is no percentage meant)
        percent = f"; did you mean {v / 100:g} ({v:g}%)?" if 2 <= v <= 100 else ""
        r.fail(key, f"is a share of a release's term weight: between 0 and 1, got {v:g}{percent}")
    return float(v)


def _read_watch(r: _Reader, t: dict[str, Any], http: HttpSettings | None) -> WatchSettings:
    """`http`: the `[http]` settings, which the lease must outlast a fetch at (None: `[http]` was refused, and the
    lease is held to the shortest fetch the timeouts allow)."""
    k = ("watch",)
    r.only(t, k, KEYS["[watch]"])
    defaults = WatchSettings()
    interval = r.interval(t, (*k, "interval"), defaults.interval)
    if interval < MIN_WATCH_INTERVAL:
        r.fail((*k, "interval"), f"must be at least 5 minutes (be polite to the feeds you watch){_seconds(t)}")
    if interval > MAX_WATCH_INTERVAL:
        r.fail((*k, "interval"), "must be at most 30 days")
    rel_t = r.sub(t, (*k, "related"))
    rk = (*k, "related")
    r.only(rel_t, rk, KEYS["[watch.related]"])
    rd = RelatedSettings()
    related = RelatedSettings(
        window_days=r.positive(rel_t, (*rk, "window_days"), rd.window_days, ceiling=_WINDOW_DAYS, unit=" days"),
        min_score=_related_bar(r, rel_t, (*rk, "min_score"), rd.min_score),
        min_terms=r.count(rel_t, (*rk, "min_terms"), rd.min_terms),
        pickup_tokens=r.count(rel_t, (*rk, "pickup_tokens"), rd.pickup_tokens),
    )
    if related.min_terms < 2:
        r.fail((*rk, "min_terms"), "must be at least 2: a single shared word never makes an item related")
    if related.pickup_tokens < 8:
        r.fail((*rk, "pickup_tokens"), "must be at least 8 words (shorter runs are common phrases, not pickups)")
    from feeds.watch.feedurls import canonical_feed_url, feed_url_problem

    feeds: list[WatchFeedSetting] = []
    listed: dict[str, int] = {}  # the stored spelling of each feed's URL → its index
    for i, ft in enumerate(_array(r, t, (*k, "feeds"))):
        fk: KeyPath = (*k, "feeds", i)
        r.only(ft, fk, KEYS["[[watch.feeds]]"])
        url = r.get(ft, (*fk, "url"), str)
        if urlsplit(url).scheme not in ("http", "https"):
            r.fail((*fk, "url"), f"must be an http(s) URL, got {url!r}")
        elif (problem := feed_url_problem(url)) is not None:  # as `feeds watch add` refuses it
            r.fail((*fk, "url"), problem)
        elif (earlier := listed.setdefault(canonical_feed_url(url), i)) != i:  # (else the last title silently won)
            r.fail((*fk, "url"), f"the same feed as watch.feeds[{earlier}]: list each feed once")
        feed_interval = r.interval(ft, (*fk, "interval"), interval) if "interval" in ft else None
        if feed_interval is not None and feed_interval < MIN_WATCH_INTERVAL:
            r.fail((*fk, "interval"), f"must be at least 5 minutes{_seconds(ft)}")
        if feed_interval is not None and feed_interval > MAX_WATCH_INTERVAL:
            r.fail((*fk, "interval"), "must be at most 30 days")
        tags = r.get(ft, (*fk, "tags"), list, [])
        if any("," in str(tag) for tag in tags):
            r.fail((*fk, "tags"), "a tag must not contain a comma (OPML exports separate tags with commas)")
        feeds.append(
            WatchFeedSetting(
                url=url, title=r.get(ft, (*fk, "title"), str, ""), tags=tuple(map(str, tags)), interval=feed_interval
            )
        )
    from feeds.normalise.ids import check_rule_name, rule_slug

    keywords: list[KeywordSetting] = []
    names: set[str] = set()
    slugs: dict[str, str] = {}
    for i, kt in enumerate(_array(r, t, (*k, "keywords"))):
        kk: KeyPath = (*k, "keywords", i)
        r.only(kt, kk, KEYS["[[watch.keywords]]"])
        query = r.get(kt, (*kk, "query"), str)
        name = r.get(kt, (*kk, "name"), str, query)
        try:
            name = check_rule_name(name)
        except RuleError as e:
            r.fail((*kk, "name"), e.message)
        if name.casefold() in names:
            first = next(k.name for k in keywords if k.name.casefold() == name.casefold())
            twice = f"rule name {name!r} is used twice" if first == name else f"rule names {first!r} and {name!r}"
            r.fail((*kk, "name"), twice if first == name else f"{twice} differ only by case: one rule, one name")
        names.add(name.casefold())
        slug = rule_slug(name)
        if slug in slugs:
            r.fail((*kk, "name"), f"rule names {slugs[slug]!r} and {name!r} would share the feed matches/rules/{slug}/")
        slugs[slug] = name
        from feeds.watch.query import parse_query

        try:
            parse_query(query)
        except RuleError as e:
            r.fail((*kk, "query"), str(e))
        keywords.append(KeywordSetting(name=name, query=query))
    retro_days = r.positive(t, (*k, "retro_days"), defaults.retro_days, ceiling=_MOST_DAYS, unit=" days")
    retention_days = r.positive(t, (*k, "retention_days"), defaults.retention_days, ceiling=_MOST_DAYS, unit=" days")
    # A match pruned while its item may still be matched again (kept, or within the windows of retro matching)
    # would come back as new: in the feeds, and as an alert.
    again = "a match pruned sooner could be found again, as new"
    floors = {
        f"as long as watch.retention_days: {again}": retention_days,
        f"as long as watch.retro_days: {again}": retro_days,
        f"a day longer than watch.related.window_days: {again}": related.window_days + 1,
        "alerts queue the matches of the last 7 days": 8.0,
    }
    return WatchSettings(
        interval=interval,
        workers=r.count(t, (*k, "workers"), defaults.workers),
        per_host=r.count(t, (*k, "per_host"), defaults.per_host),
        batch=r.count(t, (*k, "batch"), defaults.batch),
        lease=_lease(r, t, (*k, "lease"), defaults.lease, http),
        retro_days=retro_days,
        retention_days=retention_days,
        match_retention_days=_days_kept(r, t, (*k, "match_retention_days"), defaults.match_retention_days, floors),
        own_domains=_own_domains(r, t, (*k, "own_domains")),
        related=related,
        feeds=tuple(feeds),
        keywords=tuple(keywords),
    )


def _lease(r: _Reader, t: dict[str, Any], key: KeyPath, default: float, http: HttpSettings | None) -> float:
    """`watch.lease`: from one fetch at its deadlines (at the timeouts of `http`) to `_LEASE_CEILING`; left out,
    `default` or that fetch, whichever is longer."""
    if http is None:
        low = {n: floor for n, (floor, _) in _HTTP_BOUNDS.items()}
        http = HttpSettings(user_agent="", connect_timeout=low["connect_timeout"], read_timeout=low["read_timeout"])
    fetch = http.longest_fetch
    because = (
        "one fetch at its deadlines: http.connect_timeout + 6 x http.read_timeout, "
        f"{shown_interval(http.connect_timeout)} + 6 x {shown_interval(http.read_timeout)}"
    )
    return r.interval(t, key, max(default, fetch), floor=fetch, ceiling=_LEASE_CEILING, because=because)


_BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
"""RFC 6750 §2.1 b64token: a client sends it after `Bearer `, and a token with a space could never be sent."""


def _own_domains(r: _Reader, t: dict[str, Any], key: tuple[str | int, ...]) -> tuple[str, ...]:
    """Host names (`press.example.org`): a URL given instead would never match a host, and silently so."""
    domains = r.get(t, key, list, [])
    for i, item in enumerate(domains):
        if not isinstance(item, str) or _HOST_NAME.fullmatch(item.strip()) is None:
            r.fail((*key, i), f"must be a domain name such as 'press.example.org', got {item!r}")
    return tuple(d.strip() for d in domains)


def _read_web(r: _Reader, t: dict[str, Any], environ: Mapping[str, str]) -> WebSettings:
    k = ("web",)
    r.only(t, k, KEYS["[web]"])
    port = r.get(t, (*k, "port"), int, 8080)
    if not 0 <= port <= 65535:
        r.fail((*k, "port"), f"must be a TCP port (0-65535), got {port}")
    token = environ.get("FEEDS_API_TOKEN") or r.get(t, (*k, "api_token"), str, None) or None
    problem = None
    if token is not None and len(token) < 16:
        problem = "is too short: use at least 16 random characters"
    elif token is not None and not _BEARER_TOKEN.fullmatch(token):  # what `Authorization: Bearer …` can carry
        problem = "must be one word of letters, digits and - . _ ~ + / (a bearer token, RFC 6750), without spaces"
    if problem is not None:
        if environ.get("FEEDS_API_TOKEN"):  # the variable wins over the file: name the one that is wrong
            raise ConfigError(problem, path="environment", key="FEEDS_API_TOKEN")
        r.fail((*k, "api_token"), problem)
    status_from = r.get(t, (*k, "status_from"), list, list(STATUS_FROM))
    for i, entry in enumerate(status_from):
        try:
            ipaddress.ip_network(str(entry), strict=False)
        except ValueError:
            r.fail((*k, "status_from", i), f"must be an IP address or CIDR range, got {entry!r}")
    return WebSettings(
        host=r.get(t, (*k, "host"), str, "127.0.0.1"),
        port=port,
        api_token=token,
        max_body=r.size(
            t,
            (*k, "max_body"),
            WebSettings().max_body,
            floor=_SIZE_BOUNDS["web.max_body"][0],
            ceiling=_SIZE_BOUNDS["web.max_body"][1],
        ),
        max_releases=r.count(t, (*k, "max_releases"), 1000),
        rate_limit=r.count(t, (*k, "rate_limit"), 60),
        status_from=tuple(str(e) for e in status_from),
    )


def _read_daemon(r: _Reader, t: dict[str, Any]) -> DaemonSettings:
    k = ("daemon",)
    r.only(t, k, KEYS["[daemon]"])
    defaults = DaemonSettings()
    return DaemonSettings(
        **{
            n: r.interval(t, (*k, n), getattr(defaults, n), floor=low, ceiling=high)
            for n, (low, high) in _DAEMON_BOUNDS.items()
        },
        ledger_retention_days=_days_kept(r, t, (*k, "ledger_retention_days"), defaults.ledger_retention_days, {}),
    )


def _days_kept(r: _Reader, t: dict[str, Any], key: KeyPath, default: float, floors: Mapping[str, float]) -> float:
    """A retention in days: 0 keeps for ever; otherwise at least a day, and at least each of `floors` (what
    would break if less, by name → days)."""
    v = t.get(str(key[-1]), default)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
        r.fail(key, f"must be a number of days (0: kept for ever), got {v!r}{_quoting(key, v, float)}")
    if v == 0:
        return 0.0
    if v > _MOST_DAYS:
        r.fail(key, f"must be at most {_MOST_DAYS:g} days (0: kept for ever), got {v:g}")
    need, why = max(((days, name) for name, days in floors.items()), default=(1.0, ""))
    least = max(need, 1.0)
    if v < least:
        because = f" ({why})" if why else ""
        days = f"{least:g} day{'' if least == 1 else 's'}"
        r.fail(key, f"must be 0 (kept for ever) or at least {days}{because}, got {v!r}")
    return float(v)


_EMAIL = re.compile(r"[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+")
"""An email address as a mail header can carry it: one @, no white space or line break, no header punctuation."""


def _read_alerts(r: _Reader, t: dict[str, Any], environ: Mapping[str, str]) -> AlertSettings:
    k = ("alerts",)
    r.only(t, k, KEYS["[alerts]"])
    names: set[str] = set()

    def name_of(tt: dict[str, Any], kk: KeyPath) -> str:
        name: str = r.get(tt, (*kk, "name"), str)
        if name in names:
            r.fail((*kk, "name"), f"alert name {name!r} is used twice")
        names.add(name)
        return name

    def secret(tt: dict[str, Any], kk: KeyPath, key: str) -> tuple[str | None, str | None]:
        """(the secret, or why it is missing): an unset variable fails the deliveries that need it, not every
        command (listing releases needs no webhook secret); `check-config` and the daemon's start report it."""
        value: str | None = r.get(tt, (*kk, key), str, None)
        if value is not None and not value.strip():
            r.fail((*kk, key), "must not be empty (leave it out, and the webhook is sent unsigned)")
        env_name = r.get(tt, (*kk, f"{key}_env"), str, None)
        if env_name:
            value = environ.get(env_name)
            if not value:
                return None, str(r.problem((*kk, f"{key}_env"), f"environment variable {env_name} is not set"))
        return value, None

    def rule_names(tt: dict[str, Any], kk: KeyPath) -> tuple[str, ...]:
        """The rules a destination takes (`["*"]` for all): names, checked here, since each run compares them
        with the stored rules' names."""
        listed: list[Any] = r.get(tt, (*kk, "rules"), list, ["*"])
        for i, name in enumerate(listed):
            if not isinstance(name, str):
                r.fail((*kk, "rules", i), f'not a rule name (a string, or "*" for every rule): {name!r}')
        return tuple(listed)

    hooks: list[WebhookAlert] = []
    for i, ht in enumerate(_array(r, t, (*k, "webhooks"))):
        hk: KeyPath = (*k, "webhooks", i)
        r.only(ht, hk, KEYS["[[alerts.webhooks]]"])
        url = r.get(ht, (*hk, "url"), str)
        if urlsplit(url).scheme not in ("http", "https"):
            r.fail((*hk, "url"), f"must be an http(s) URL, got {url!r}")
        if (problem := _malformed_host(url)) is not None:  # (names the host only: the path may hold a secret)
            r.fail((*hk, "url"), problem)
        key, missing = secret(ht, hk, "secret")
        env_name = r.get(ht, (*hk, "secret_env"), str, None) or None
        if key is not None:
            try:
                webhook_signing_key(key)
            except ValueError as e:  # (the message never quotes the secret)
                if env_name is None:
                    r.fail((*hk, "secret"), str(e))
                unusable = r.problem((*hk, "secret_env"), f"environment variable {env_name} holds {e}")
                key, missing = None, str(unusable)  # held back as an unset variable is
        hooks.append(
            WebhookAlert(
                name=name_of(ht, hk),
                url=url,
                secret=key,
                secret_missing=missing,
                secret_env=env_name,
                rules=rule_names(ht, hk),
                coverage=r.get(ht, (*hk, "coverage"), bool, True),
            )
        )
    mails: list[EmailAlert] = []
    for i, et in enumerate(_array(r, t, (*k, "email"))):
        ek: KeyPath = (*k, "email", i)
        r.only(et, ek, KEYS["[[alerts.email]]"])
        to = r.get(et, (*ek, "to"), list)
        if not to:
            r.fail((*ek, "to"), "must be a list of email addresses")
        for i, address in enumerate(to):
            if not isinstance(address, str) or not _EMAIL.fullmatch(address):
                r.fail((*ek, "to", i), f"not an email address: {address!r}")
        frequency = r.get(et, (*ek, "frequency"), str, "immediate")
        if frequency not in ("immediate", "hourly", "daily", "weekly"):
            r.fail((*ek, "frequency"), f"must be immediate, hourly, daily or weekly, got {frequency!r}")
        mails.append(
            EmailAlert(
                name=name_of(et, ek),
                to=tuple(to),
                rules=rule_names(et, ek),
                coverage=r.get(et, (*ek, "coverage"), bool, True),
                frequency=frequency,
            )
        )
    st = r.sub(t, (*k, "smtp"))
    sk = (*k, "smtp")
    r.only(st, sk, KEYS["[alerts.smtp]"])
    password, password_missing = secret(st, sk, "password")
    sender = r.get(st, (*sk, "sender"), str, "feeds@localhost")
    if not _EMAIL.fullmatch(sender):
        r.fail((*sk, "sender"), f"not an email address: {sender!r}")
    host = r.get(st, (*sk, "host"), str, "localhost")
    if not host.strip():
        r.fail((*sk, "host"), "must not be empty (leave it out for localhost)")
    port = r.get(st, (*sk, "port"), int, 25)
    if not 1 <= port <= 65535:  # (socket would take 70000 as 70000 % 65536: a refused connection to another port)
        r.fail((*sk, "port"), f"must be a TCP port (1-65535), got {port}")
    smtp = SmtpSettings(
        host=host,
        port=port,
        sender=sender,
        username=r.get(st, (*sk, "username"), str, None),
        password=password,
        password_missing=password_missing,
        starttls=r.get(st, (*sk, "starttls"), bool, False),
        timeout=r.interval(
            st, (*sk, "timeout"), SmtpSettings().timeout, floor=_SMTP_TIMEOUT[0], ceiling=_SMTP_TIMEOUT[1]
        ),
    )
    if smtp.username and smtp.port != 465 and not smtp.starttls and smtp.host not in _LOOPBACK_NAMES:
        # (a relay on this machine may take a login in clear: it never leaves the machine)
        r.fail(
            (*sk, "starttls"),
            f"the login to {smtp.host} would be sent in clear: set starttls = true (or use port 465, TLS from the "
            "start)",
        )
    weekly = {"alerts queue the matches of the last 7 days, and a weekly digest starts from the last one sent": 8.0}
    kept = _days_kept(r, t, (*k, "retention_days"), 90.0, weekly)
    return AlertSettings(webhooks=tuple(hooks), email=tuple(mails), smtp=smtp, retention_days=kept)


_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def _array(r: _Reader, t: dict[str, Any], key: KeyPath) -> list[dict[str, Any]]:
    items = t.get(str(key[-1]), [])
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        r.fail(key, f"must be an array of tables: [[{_dotted(key)}]]")
    tables: list[dict[str, Any]] = items
    return tables


_FIELD_NAMES = {
    "title",
    "summary",
    "body",
    "body_html",
    "link",
    "published",
    "updated",
    "organisation",
    "topics",
    "document_type",
    "source_key",
    "slug",
    "language",
    "image",
    "withdrawn_note",
    "withdrawn_at",
    "change_note",
}
# A result path: names and [n] / [] steps, dot-separated (`organisations[0].title`, `tags[].name`); "" maps a field
# to nothing (switching a default off).
_FIELD_PATH = re.compile(r"[^.\[\]\s]+(?:\[\d*\])*(?:\.[^.\[\]\s]+(?:\[\d*\])*)*")


def _read_sources(r: _Reader, items: Any, base: Path) -> tuple[Source, ...]:
    if not isinstance(items, list):
        r.fail(("sources",), "must be an array of tables: [[sources]]")
    out: list[Source] = []
    names: set[str] = set()
    for i, t in enumerate(items):
        k: KeyPath = ("sources", i)
        if not isinstance(t, dict):
            r.fail(k, "must be a table")
        if "type" not in t:
            r.fail(
                (*k, "type"),
                'missing required key: type = "folder" (files in a folder) or type = "remote_json" (a JSON document'
                " fetched over HTTP)",
            )
        kind = r.get(t, (*k, "type"), str)
        name = r.get(t, (*k, "name"), str)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
            r.fail((*k, "name"), f"must be letters, digits, '-', '_' or '.', got {name!r}")
        if name in names or name in ("push", "cli"):
            r.fail((*k, "name"), f"source name {name!r} is used twice or reserved")
        names.add(name)
        if kind == "folder":
            r.only(t, k, KEYS['[[sources]] of type "folder"'])
            path = _resolve(base, r.get(t, (*k, "path"), str))
            same = [(j, s.name) for j, s in enumerate(out) if isinstance(s, FolderSource) and s.path == path]
            if same:  # (two drop folders would race for each file, each storing it under its own name)
                j, other = same[0]
                r.fail((*k, "path"), f"the same folder as sources[{j}] ({other!r}): one source per folder")
            out.append(
                FolderSource(
                    name=name,
                    path=path,
                    move=r.get(t, (*k, "move"), bool, True),
                    # (a folder is read on its file events anyway: the scan is the safety net)
                    interval=r.interval(t, (*k, "interval"), 60.0, floor=1.0, ceiling=_DAY),
                    enabled=r.get(t, (*k, "enabled"), bool, True),
                )
            )
        elif kind == "remote_json":
            r.only(t, k, KEYS['[[sources]] of type "remote_json"'])
            url = r.get(t, (*k, "url"), str)
            if urlsplit(url).scheme not in ("http", "https"):
                r.fail((*k, "url"), f"must be an http(s) URL, got {url!r}")
            if (problem := _malformed_host(url)) is not None:
                r.fail((*k, "url"), problem)
            fields_t = r.sub(t, (*k, "fields"))
            for fname, fpath in fields_t.items():
                if fname not in _FIELD_NAMES:
                    r.fail((*k, "fields", fname), f"unknown release field (one of {', '.join(sorted(_FIELD_NAMES))})")
                if not isinstance(fpath, str):
                    r.fail((*k, "fields", fname), "must be a path string such as 'organisations[].title'")
                if fpath and not _FIELD_PATH.fullmatch(fpath):
                    r.fail(
                        (*k, "fields", fname),
                        f"{fpath!r} is not a path: names joined by '.', each followed by any [N] or [] "
                        "(e.g. 'organisations[0].title'); \"\" maps the field to nothing",
                    )
            out.append(
                RemoteJsonSource(
                    name=name,
                    url=url,
                    # (someone's server: polled at most once a minute, `interval = 15` meant as minutes refused)
                    interval=r.interval(t, (*k, "interval"), 900.0, floor=_MINUTE, ceiling=_DAY),
                    results=r.get(t, (*k, "results"), str, "results"),
                    fields=tuple(sorted(fields_t.items())),
                    link_base=r.get(t, (*k, "link_base"), str, None),
                    enabled=r.get(t, (*k, "enabled"), bool, True),
                )
            )
        else:
            r.fail((*k, "type"), f"unknown source type {kind!r} (one of: folder, remote_json)")
    return tuple(out)


def _check_out_is_public(
    paths: Paths,
    database_url: str,
    state_error: Callable[[str], ConfigError],
    db_error: Callable[[str], ConfigError],
    folders: Sequence[tuple[Path, Callable[[str], ConfigError]]] = (),
) -> None:
    """Refuse a layout that would serve private state: the database, the state folder, a drop folder or the config
    file inside `out/` (each reported where it was set: its key and line, or the environment variable). A drop
    folder there would publish every file dropped into it, embargoed releases included, and its `processed/` and
    `rejected/` folders, before and whatever the publish decides; the config file holds the API token and the
    mail password."""
    out = paths.out.resolve()
    candidates = [(paths.state.resolve(), state_error), *((f.resolve(), e) for f, e in folders)]
    if (sqlite := _SQLITE_FILE.match(database_url)) is not None:
        candidates.append((Path(database_url[sqlite.end() :]).resolve(), db_error))
    for c, error in candidates:
        if c == out or out in c.parents:
            raise error(
                f"{c} is inside the published folder {out}: private state would be served: give paths.out a folder of"
                " its own (e.g. 'out'), or move this out of it"
            )


# An SQLite file's URL, with or without a driver named (`sqlite+pysqlite:///`, which SQLAlchemy reads as the same).
_SQLITE_FILE = re.compile(r"sqlite(?:\+\w+)?:///")


def _database_url(url: str, base: Path) -> str:
    sqlite = _SQLITE_FILE.match(url)
    if sqlite is not None and not url.startswith("/", sqlite.end()):
        rel = url[sqlite.end() :]
        if rel and rel != ":memory:":
            return f"{sqlite[0]}{_resolve(base, rel)}"
    return url


def _resolve(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p).resolve()
