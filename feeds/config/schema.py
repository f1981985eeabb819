"""What a config may say: every key of every table, and the floors and ceilings of its numbers, in one place.

`KEYS` lists each table's keys by the header they are written under, so that each reader takes only its own and a
key written under the wrong header is told where it belongs. The bounds give each duration and size its least and
most, and why: a number alone is seconds or bytes, and a unit meant but not written is refused with the one it
likely meant.

What this module must not do: read or check a value (the table readers in `site`, `releases`, `watch`, `service`
and `alerts` do), or import from those readers: they all import from here.
"""

from __future__ import annotations

MINUTE, _HOUR, DAY = 60.0, 3600.0, 86400.0
DAEMON_BOUNDS: dict[str, tuple[float, float]] = {
    "watch_tick": (1.0, 5 * MINUTE),  # (a watched feed is due every 5 minutes at most: a longer tick makes it late)
    "publish_interval": (MINUTE, DAY),  # (a change is published within seconds anyway: this is the safety net)
    "publish_debounce": (0.1, 5 * MINUTE),
    "housekeeping_interval": (_HOUR, 7 * DAY),
    "grace": (1.0, _HOUR),
    "misfire_grace": (1.0, _HOUR),  # (APScheduler takes whole seconds, at least 1)
    "lock_wait": (1.0, _HOUR),
    # (clocks kept by NTP agree within milliseconds; a lease or a slot is judged by the database's clock anyway)
    "clock_skew_warning": (1.0, _HOUR),
}
"""Each `[daemon]` duration's floor and ceiling in seconds: a number alone is seconds, so `publish_interval = 10`
meant as minutes published every 10 seconds; below its floor a value is refused, with the unit it likely meant."""
_DAEMON_KEYS = tuple(DAEMON_BOUNDS)
HTTP_BOUNDS: dict[str, tuple[float, float]] = {
    # (a server that has not accepted the connection in a minute is down: the OS itself gives up after about two)
    "connect_timeout": (1.0, MINUTE),
    # (between two bytes of an answer: a fetch can take six times this, and holds a fetch thread all that time)
    "read_timeout": (1.0, 5 * MINUTE),
}
"""`[http]`'s timeouts' floors and ceilings in seconds: 0 or an hour were taken, and `30000` meant as milliseconds
waited eight hours for a byte (refused, with the milliseconds it likely meant). They also serve alerts and WebSub."""
LEASE_CEILING = _HOUR
"""`watch.lease` at most: a crashed daemon's feeds wait this long for another daemon (and the store reads a lease
further ahead than `feeds.store.tx.LEASE_HORIZON` as one taken by a clock since stepped back: anyone may take it).
Its floor is one fetch at its deadlines (`HttpSettings.longest_fetch`): the lease is renewed every third of it by
the thread that waits on the fetches (feeds.watch.leases.Leases), and a renewal that fails (the database busy or
briefly away) must not hand a feed being fetched to another daemon; nor `lease = 5`, meant as minutes."""
SMTP_TIMEOUT = (1.0, 5 * MINUTE)
MOST_DAYS = 36500.0
"""A number of days kept or looked back at most (100 years): longer is a typo, and past about 700,000 no date can
reach back that far (`now - timedelta(days=...)` fails, in every watch run or housekeeping)."""
WINDOW_DAYS = 366.0
"""`watch.related.window_days` at most: each release in the window is matched against every item polled."""
_KIB, _GIB = 1024, 1024**3
SIZE_BOUNDS: dict[str, tuple[int, int]] = {
    # (a feed of a few items is tens of KiB; every body fetched, up to 2 x workers + 4 per CPU, is held in memory)
    "http.max_bytes": (64 * _KIB, _GIB),
    # (one pushed release is at least a few hundred bytes; a body is held in memory while it is read)
    "web.max_body": (_KIB, _GIB),
    # (/healthz's nearly-full disk: at least 1 MiB, at most 1 TiB free)
    "web.disk_free_min": (1024 * _KIB, 1024 * _GIB),
    # (a worker holds a body or a file of at most 1 GiB and what parsing it takes; 0, no limit, is allowed too)
    "daemon.worker_memory": (256 * 1024 * _KIB, 1024 * _GIB),
}
"""Sizes in bytes, floor and ceiling: `max_bytes = 10` meant as MiB refused every feed as too large."""

KEYS: dict[str, frozenset[str]] = {
    "[site]": frozenset(
        {"title", "base_url", "author", "language", "timezone", "description", "email", "id_domain", "messages", "icon"}
        | {"publication_name"}
    ),
    "[paths]": frozenset({"out", "state"}),
    "[database]": frozenset({"url"}),
    "[http]": frozenset({"user_agent", "connect_timeout", "read_timeout", "max_bytes", "allow"}),
    "[topics]": frozenset({"detect", "aliases"}),
    '[[sources]] of type "folder"': frozenset({"type", "name", "path", "move", "interval", "enabled"}),
    '[[sources]] of type "remote_json"': frozenset(
        {"type", "name", "url", "interval", "results", "fields", "link_base", "enabled", "max_pages", "paging"}
    ),
    "[sources.paging]": frozenset({"start", "count", "total", "next"}),
    "[publish]": frozenset(
        {"entries", "formats", "hub", "templates", "organisation_feeds", "feeds"}
        | {"indexnow", "indexnow_key", "indexnow_endpoint"}
    ),
    "[organisations]": frozenset({"succeeded_by"}),
    "[[publish.feeds]]": frozenset({"name", "title", "topics", "organisations", "types"}),
    "[watch]": frozenset(
        {"interval", "workers", "per_host", "batch", "lease", "retro_days", "retention_days", "match_retention_days"}
        | {"own_domains", "related", "feeds", "keywords"}  # ([[watch.feeds]], [[watch.keywords]])
    ),
    "[watch.related]": frozenset({"window_days", "min_score", "min_terms", "pickup_tokens"}),
    "[[watch.feeds]]": frozenset({"url", "title", "tags", "interval"}),
    "[[watch.keywords]]": frozenset({"name", "query"}),
    "[web]": frozenset(
        {"host", "port", "api_token", "max_body", "max_releases", "rate_limit", "status_from"}
        | {"disk_free_percent", "disk_free_min"}
        | {"trusted_proxy", "trusted_proxy_count", "trusted_proxy_headers"}
    ),
    "[daemon]": frozenset({*_DAEMON_KEYS, "ledger_retention_days", "worker_memory"}),
    "[alerts]": frozenset({"webhooks", "email", "smtp", "retention_days"}),
    "[[alerts.webhooks]]": frozenset({"name", "url", "secret", "secret_env", "rules", "coverage"}),
    "[[alerts.email]]": frozenset({"name", "to", "rules", "coverage", "frequency"}),
    "[alerts.smtp]": frozenset(
        {"host", "port", "sender", "sender_name", "username", "password", "password_env", "starttls", "timeout"}
    ),
}
"""Every key of every table, by the header it is written under: each reader takes only its own, and a key
written under the wrong header is told where it belongs."""
