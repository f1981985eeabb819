"""`[http]` and `[watch]`: how this program fetches from the outside world, and the feeds, keyword rules and
related matching it watches with.

They are read side by side because the watch's lease must outlast one fetch at `[http]`'s deadlines (`_lease`);
`[http]` also serves alerts and WebSub. Each `read_<table>` returns its frozen settings record or raises
`ConfigError` through the reader (file, key path, line); `FEEDS_FETCH_ALLOW` is named as the environment variable.

What this module must not do: fetch, or touch the store: a feed URL and a rule are checked with the watch's own
functions (`feeds.watch.feedurls`, `feeds.normalise.ids`, `feeds.watch.query`), never tried.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from feeds.config.checks import days_kept, table_array
from feeds.config.reader import KeyPath, TableReader, quoting, shown_interval
from feeds.config.schema import HTTP_BOUNDS, KEYS, LEASE_CEILING, MOST_DAYS, SIZE_BOUNDS, WINDOW_DAYS
from feeds.config.settings import (
    MAX_WATCH_INTERVAL,
    MIN_WATCH_INTERVAL,
    HttpSettings,
    KeywordSetting,
    RelatedSettings,
    WatchFeedSetting,
    WatchSettings,
)
from feeds.errors import ConfigError, RuleError

_HOST_NAME = re.compile(r"(?=.{1,253}\.?$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")


def _allowable(item: str) -> bool:
    """A host name, an IP address or a CIDR range (what `http.allow` and FEEDS_FETCH_ALLOW may list)."""
    try:
        ipaddress.ip_network(item.strip(), strict=False)
        return True
    except ValueError:
        return _HOST_NAME.fullmatch(item.strip()) is not None


def read_http(r: TableReader, t: dict[str, Any], environ: Mapping[str, str], user_agent: str) -> HttpSettings:
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
        floor, ceiling = HTTP_BOUNDS[name]
        return r.interval(t, (*k, name), getattr(defaults, name), floor=floor, ceiling=ceiling)

    low, high = SIZE_BOUNDS["http.max_bytes"]
    settings = HttpSettings(
        user_agent=agent.strip(),
        connect_timeout=timeout("connect_timeout"),
        read_timeout=timeout("read_timeout"),
        max_bytes=r.size(t, (*k, "max_bytes"), defaults.max_bytes, floor=low, ceiling=high),
        allow=allow + extra,
    )
    return settings


def _seconds(t: dict[str, Any]) -> str:
    """For an interval written as a bare number (`interval = 30`, meant as minutes): what the number means."""
    v = t.get("interval")
    if isinstance(v, int | float) and not isinstance(v, bool):
        return f'; a number alone is seconds: {v:g} is {v:g} s; write "{v:g}m" for minutes'
    return ""


def _related_bar(r: TableReader, t: dict[str, Any], key: KeyPath, default: float) -> float:
    """`watch.related.min_score`: a share of a release's term weight, from 0 to 1. 0 is a bar too: every item
    sharing `min_terms` of a release's names is related, whatever its share (the matcher takes it)."""
    v = t.get(str(key[-1]), default)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        r.fail(key, f"must be a number from 0 to 1, got {v!r}{quoting(key, v, float)}")
    if not 0 <= v <= 1:  # (34, meant as a percentage: the hint, from 2 up; 1.5 is no percentage meant)
        percent = f"; did you mean {v / 100:g} ({v:g}%)?" if 2 <= v <= 100 else ""
        r.fail(key, f"is a share of a release's term weight: between 0 and 1, got {v:g}{percent}")
    return float(v)


def read_watch(r: TableReader, t: dict[str, Any], http: HttpSettings | None) -> WatchSettings:
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
        window_days=r.positive(rel_t, (*rk, "window_days"), rd.window_days, ceiling=WINDOW_DAYS, unit=" days"),
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
    for i, ft in enumerate(table_array(r, t, (*k, "feeds"))):
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
    for i, kt in enumerate(table_array(r, t, (*k, "keywords"))):
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
        from feeds.watch.query import check_query

        try:
            check_query(query)
        except RuleError as e:
            r.fail((*kk, "query"), str(e))
        keywords.append(KeywordSetting(name=name, query=query))
    retro_days = r.positive(t, (*k, "retro_days"), defaults.retro_days, ceiling=MOST_DAYS, unit=" days")
    retention_days = r.positive(t, (*k, "retention_days"), defaults.retention_days, ceiling=MOST_DAYS, unit=" days")
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
        match_retention_days=days_kept(r, t, (*k, "match_retention_days"), defaults.match_retention_days, floors),
        own_domains=_own_domains(r, t, (*k, "own_domains")),
        related=related,
        feeds=tuple(feeds),
        keywords=tuple(keywords),
    )


def _lease(r: TableReader, t: dict[str, Any], key: KeyPath, default: float, http: HttpSettings | None) -> float:
    """`watch.lease`: from one fetch at its deadlines (at the timeouts of `http`) to `LEASE_CEILING`; left out,
    `default` or that fetch, whichever is longer."""
    if http is None:
        low = {n: floor for n, (floor, _) in HTTP_BOUNDS.items()}
        http = HttpSettings(user_agent="", connect_timeout=low["connect_timeout"], read_timeout=low["read_timeout"])
    fetch = http.longest_fetch
    because = (
        "one fetch at its deadlines: http.connect_timeout + 6 x http.read_timeout, "
        f"{shown_interval(http.connect_timeout)} + 6 x {shown_interval(http.read_timeout)}"
    )
    return r.interval(t, key, max(default, fetch), floor=fetch, ceiling=LEASE_CEILING, because=because)


def _own_domains(r: TableReader, t: dict[str, Any], key: tuple[str | int, ...]) -> tuple[str, ...]:
    """Host names (`press.example.org`): a URL given instead would never match a host, and silently so."""
    domains = r.get(t, key, list, [])
    for i, item in enumerate(domains):
        if not isinstance(item, str) or _HOST_NAME.fullmatch(item.strip()) is None:
            r.fail((*key, i), f"must be a domain name such as 'press.example.org', got {item!r}")
    return tuple(d.strip() for d in domains)
