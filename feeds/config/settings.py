"""The settings tree: frozen records, one per config table, with their defaults.

Built only by the table readers of `feeds.config` from a validated TOML document; read by the composition root, which
hands each stage the part it needs. No behaviour here but small derived properties.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from feeds.urls import dns_host, without_secrets

AUTHOR_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
"""An author's email as the feeds take it: `site.email` is checked with it when the config is read, and every
feed author's when a feed is rendered (feeds.publish.feedcheck)."""


# --- the settings tree -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Site:
    title: str
    base_url: str
    """Absolute http(s) URL ending in `/`; permalinks and feed URLs are built from it."""
    author: str
    """The organisation publishing (also the default `organisation` of a release)."""
    language: str
    timezone: str
    """IANA name used for naive and date-only times in releases."""
    description: str = ""
    email: str | None = None
    id_domain: str | None = None
    """The tagging authority of release ids (RFC 4151); defaults to base_url's host. Set it once, never change it."""
    messages: Path | None = None
    """The office's own catalogue (`.po`) of the published labels, over the packaged one (`feeds.publish.i18n`)."""
    icon: str | None = None
    """Absolute URL of the office's mark (small and square): every feed's icon and the pages' <link rel="icon">."""
    publication_name: str | None = None
    """The publication's name as Google Publisher Center knows it (`news:name` in sitemap-news.xml); `title` when
    None (`news_name`)."""

    @property
    def news_name(self) -> str:
        """The name the news sitemap gives the publication: `publication_name`, else `title`."""
        return self.publication_name or self.title

    @property
    def domain(self) -> str:
        """The tagging authority of release ids: `id_domain`, else base_url's host, an international one in its
        `xn--` form (`dns_host`): an id is a URI, ASCII only, and a feed whose ids were not would be refused."""
        host = self.id_domain or urlsplit(self.base_url).hostname or ""
        try:
            return dns_host(host)
        except ValueError:  # (no host name at all: base_url's checks name the problem)
            return host

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class Paths:
    out: Path
    state: Path
    """Runtime state that must never be served (database, locks)."""


@dataclass(frozen=True, slots=True)
class HttpSettings:
    user_agent: str
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_bytes: int = 10 * 1024 * 1024
    allow: tuple[str, ...] = ()
    """Hosts, addresses or CIDR ranges that may be contacted although private/loopback/link-local."""

    @property
    def longest_fetch(self) -> float:
        """Seconds one fetch can take at most, at every deadline `feeds.fetch.HttpClient` sets from these timeouts:
        redirects followed until their deadline (2 x read_timeout), then the last hop's DNS lookup, connect and
        TLS handshake (connect_timeout for the three together: each is given what the one before left), its
        status line and headers (2 x read_timeout) and its body (2 x read_timeout). `watch.lease` is at least
        this long."""
        return self.connect_timeout + 6 * self.read_timeout


@dataclass(frozen=True, slots=True)
class TopicSettings:
    detect: tuple[str, ...] = ()
    """Topic names found automatically in a release's title and text (whole words, case-insensitive)."""
    aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(topic, other words that mean it) pairs, e.g. ("North Korea", ("DPRK",))."""


@dataclass(frozen=True, slots=True)
class FolderSource:
    """A folder of release files. `move=True` makes it a drop folder (processed/ and rejected/)."""

    name: str
    path: Path
    move: bool = True
    interval: float = 60.0
    enabled: bool = True
    """False: not read (nor watched, nor created) until set back; its files wait where they are."""
    type: Literal["folder"] = "folder"


@dataclass(frozen=True, slots=True)
class RemoteJsonSource:
    """A JSON document of releases polled over HTTP(S), e.g. the GOV.UK Search API."""

    name: str
    url: str
    interval: float = 900.0
    results: str = "results"
    """Dotted path to the list of results in the document (empty: the document is the list)."""
    fields: tuple[tuple[str, str], ...] = ()
    """(release field, path in a result) pairs; see README for the path syntax and the defaults."""
    link_base: str | None = None
    """Base URL for relative links in results (GOV.UK Search returns `/government/news/...`)."""
    enabled: bool = True
    max_pages: int = 10
    """At most this many pages (requests) a poll reads, following the document's `total` or next-page link."""
    paging: tuple[tuple[str, str], ...] = ()
    """(name, value) pairs of `[sources.paging]`: `start`, `count` (URL parameters), `total`, `next` (paths in the
    document); see `feeds.ingest.remote_pages` for the defaults (GOV.UK's)."""
    type: Literal["remote_json"] = "remote_json"

    @property
    def shown_url(self) -> str:
        """`url` as messages, the log and the source's state name it: without a password or an API key (`?api_key=`,
        `?token=`…), which every line naming the source would show. `url` itself is the one fetched."""
        return without_secrets(self.url)


Source = FolderSource | RemoteJsonSource


@dataclass(frozen=True, slots=True)
class CustomFeed:
    """A feed of the releases matching a filter: any of `topics`, any of `organisations`, any of `types`."""

    name: str
    """Path-safe name: published at `feeds/<name>/atom.xml`…"""
    title: str
    topics: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PublishSettings:
    entries: int = 50
    """Entries in each current feed document; older ones go to RFC 5005 archives of the same size."""
    formats: tuple[Literal["atom", "rss", "json"], ...] = ("atom", "rss", "json")
    hub: str | None = None
    """WebSub hub URL: feeds get rel="hub" and the hub is pinged when they change."""
    templates: Path | None = None
    """A folder whose Jinja2 templates replace the packaged ones by name."""
    organisation_feeds: bool = True
    custom: tuple[CustomFeed, ...] = ()
    indexnow: bool = False
    """Tell IndexNow (Bing, Yandex, Seznam, Naver…) which pages a publish changed; off unless asked for."""
    indexnow_key: str | None = None
    """The IndexNow key (8-128 letters, digits, `-`), published as `<key>.txt`; None: one derived from base_url."""
    indexnow_endpoint: str = "https://api.indexnow.org/indexnow"
    """Where the pings go: the shared endpoint passes them on to every search engine taking part."""


@dataclass(frozen=True, slots=True)
class OrganisationSettings:
    """`[organisations]`: which organisation name succeeded which (a renamed or merged department)."""

    succeeded_by: tuple[tuple[str, str], ...] = ()
    """(old name, its successor) pairs as the config writes them, in its order; checked to have no cycle."""
    current_of: tuple[tuple[str, str], ...] = ()
    """Each old name's folder (its slug, as its feeds are named) → the name it is known by today, the last of its
    chain (`BIS` → `BEIS` → `Department for Business and Trade`): worked out once, by the config reader."""

    def current(self, name: str) -> str:
        """The name organisation `name` is known by today: its last successor's, or `name` itself."""
        from feeds.normalise.topics import topic_slug  # (normalise reads Settings: not at import time)

        return dict(self.current_of).get(topic_slug(name), name)


MIN_WATCH_INTERVAL = 300.0
"""Five minutes: nobody's feed is polled more often than this, whatever a config or command says."""
MAX_WATCH_INTERVAL = 30 * 86400.0
"""Thirty days: a watched feed is checked at least monthly (a longer interval is a typo, or a feed to remove)."""


def clamp_interval(seconds: float) -> float:
    """`seconds` brought within the floor and the ceiling of a watched feed's interval."""
    return min(max(seconds, MIN_WATCH_INTERVAL), MAX_WATCH_INTERVAL)


@dataclass(frozen=True, slots=True)
class WatchFeedSetting:
    url: str
    title: str = ""
    tags: tuple[str, ...] = ()
    interval: float | None = None


@dataclass(frozen=True, slots=True)
class KeywordSetting:
    name: str
    query: str


DEFAULT_MIN_SCORE = 0.34
"""The related bar (`watch.related.min_score`), here for the config and `feeds.watch.related` alike. It was 0.3
while the score's denominator counted a name's shorter forms again (an item naming every term scored 0.6-1.0 by
release, 0.89 at the median of the corpus releases); 0.3 / 0.89 is the same bar on the scale where naming every
name is 1."""


@dataclass(frozen=True, slots=True)
class RelatedSettings:
    """`[watch.related]`; its defaults are also those of `feeds.watch.related.RelatedSettings`."""

    window_days: float = 14.0
    """Releases are watched for coverage this long after publication."""
    min_score: float = DEFAULT_MIN_SCORE
    min_terms: int = 2
    pickup_tokens: int = 12
    """Consecutive words an item must share with a release to count as a verbatim pickup."""


@dataclass(frozen=True, slots=True)
class WatchSettings:
    interval: float = 1800.0
    workers: int = 16
    per_host: int = 2
    """Requests in flight at once to one host (`turns.host_of`: its name, whatever the port): a site whose many
    feeds were imported together is not sent `workers` requests at a time."""
    batch: int = 200
    lease: float = 300.0
    """How long a claimed feed stays reserved for the daemon that claimed it (crashed daemons' leases expire);
    left out of the config, this or `HttpSettings.longest_fetch`, whichever is longer."""
    retro_days: float = 30.0
    retention_days: float = 90.0
    match_retention_days: float = 0.0
    """Matches found longer ago are pruned by housekeeping (0: kept for ever)."""
    own_domains: tuple[str, ...] = ()
    related: RelatedSettings = field(default_factory=RelatedSettings)
    feeds: tuple[WatchFeedSetting, ...] = ()
    keywords: tuple[KeywordSetting, ...] = ()


STATUS_FROM = ("127.0.0.0/8", "::1", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
"""The default `web.status_from`: this machine and private networks (where a monitoring system scrapes from)."""


@dataclass(frozen=True, slots=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    api_token: str | None = None
    """Bearer token for `POST /api/releases` (or env FEEDS_API_TOKEN); None disables the endpoint."""
    max_body: int = 1024 * 1024
    max_releases: int = 1000
    """Releases in one pushed list: each is checked, normalised and stored in one transaction (and published
    after), so a body within `max_body` can still hold tens of thousands of small ones."""
    rate_limit: int = 60
    """API requests per minute per client address."""
    status_from: tuple[str, ...] = STATUS_FROM
    """Client addresses or CIDR ranges that /healthz and /metrics answer: they name the installation's files,
    feeds and errors, which the public needs no view of."""
    trusted_proxy: str | None = None
    """The reverse proxy's address ("*": any peer): its headers then give the client's address (logs, the push
    API's per-client limit, `status_from`) and the URL scheme, passed to waitress as it names them."""
    trusted_proxy_count: int = 1
    """How many proxies in a row set the headers (the client is that many entries from the right)."""
    trusted_proxy_headers: tuple[str, ...] = ("x-forwarded-for", "x-forwarded-proto")
    disk_free_percent: float = 10.0
    disk_free_min: int = 1024**3
    """/healthz calls the disk of `out/` (or of an SQLite database) nearly full, degraded, with less than
    `disk_free_percent` of it or less than `disk_free_min` bytes free."""


@dataclass(frozen=True, slots=True)
class DaemonSettings:
    watch_tick: float = 30.0
    publish_interval: float = 600.0
    publish_debounce: float = 2.0
    housekeeping_interval: float = 86400.0
    grace: float = 30.0
    """Seconds a running job may take to finish after SIGTERM/SIGINT."""
    misfire_grace: float = 60.0
    lock_wait: float = 300.0
    """Seconds `feeds run --once`, `feeds ingest`, `feeds publish` and `feeds topics forget`/`feeds organisations
    forget` wait for the ingest or publish lock another process holds before they fail, naming the holder (a
    process hung while holding it must not hold back every cron run)."""
    clock_skew_warning: float = 5.0
    """Seconds this machine's clock may be apart from the PostgreSQL server's before the daemon warns (at start
    and at each heartbeat: `feeds.daemon.clockskew`); `feeds status` and `/metrics` show the difference."""
    ledger_retention_days: float = 90.0
    """Days after which housekeeping forgets an ingested file's ledger row, when nothing needs it (0: never)."""
    worker_memory: int = 2 * 1024**3
    """Bytes of address space a worker process (`feeds.workers`) may take beyond what it starts with (0: no
    limit): past it, reading a feed or file fails with MemoryError (that feed's or file's failure), rather than
    the kernel's OOM killer ending a worker, or the daemon."""


AlertFrequency = Literal["immediate", "hourly", "daily", "weekly"]


WHSEC_PREFIX = "whsec_"
"""How a Standard Webhooks secret is written (Svix and the `standardwebhooks` libraries): base64 after it."""


def webhook_signing_key(secret: str) -> bytes:
    """The HMAC key a webhook secret stands for, as the Standard Webhooks libraries take it: a `whsec_` secret is
    keyed with the base64-decoded bytes after the prefix, any other with its UTF-8 bytes (as feeds always has).
    ValueError for a `whsec_` secret whose rest is not base64 (or is empty): the config says so at once, rather
    than sign with a key the receiver does not hold."""
    if not secret.startswith(WHSEC_PREFIX):
        return secret.encode("utf-8")
    try:
        key = base64.b64decode(secret[len(WHSEC_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not key:
        raise ValueError(
            f"a {WHSEC_PREFIX} secret whose rest is not base64 (standard alphabet, with its = padding): a"
            f" {WHSEC_PREFIX} secret is keyed with the bytes the base64 after the prefix decodes to, as the"
            " Standard Webhooks libraries do; copy it again whole, or use a secret without the prefix"
        )
    return key


@dataclass(frozen=True, slots=True)
class WebhookAlert:
    name: str
    url: str
    secret: str | None = None
    """The signing secret (or `secret_env` naming an environment variable); the HMAC-SHA256 key is
    `signing_key`."""
    secret_missing: str | None = None
    """Set when `secret_env` names a variable that is not set, or holds a `whsec_` secret that is not base64: why
    this webhook's deliveries fail until it is (every other command works meanwhile)."""
    secret_env: str | None = None
    """The environment variable the secret came from, if it did (for `check-config`)."""
    rules: tuple[str, ...] = ("*",)
    """Keyword rule names whose matches are sent (`*`: all); empty for none."""
    coverage: bool = True
    """Send related/pickup matches of our releases too."""

    @property
    def signing_key(self) -> bytes | None:
        """The HMAC-SHA256 key of the signature headers (`webhook_signing_key`); None when sent unsigned."""
        return webhook_signing_key(self.secret) if self.secret else None

    @property
    def signing(self) -> Literal["whsec", "utf-8"] | None:
        """Which kind of secret signs this webhook: `whsec` (base64-decoded), `utf-8`, or None (unsigned)."""
        if not self.secret:
            return None
        return "whsec" if self.secret.startswith(WHSEC_PREFIX) else "utf-8"


@dataclass(frozen=True, slots=True)
class EmailAlert:
    name: str
    to: tuple[str, ...]
    rules: tuple[str, ...] = ("*",)
    coverage: bool = True
    frequency: AlertFrequency = "immediate"


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    sender: str = "feeds@localhost"
    sender_name: str | None = None
    """The display name recipients see before the address (`Press Office <alerts@example.org>`)."""
    username: str | None = None
    password: str | None = None
    password_missing: str | None = None
    """Set when `password_env` names a variable that is not set (as `WebhookAlert.secret_missing`)."""
    starttls: bool = False
    timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class AlertSettings:
    webhooks: tuple[WebhookAlert, ...] = ()
    email: tuple[EmailAlert, ...] = ()
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    retention_days: float = 90.0
    """Days after which housekeeping forgets sent and failed deliveries (0: never)."""

    @property
    def missing_secrets(self) -> tuple[str, ...]:
        """Why deliveries will fail: environment variables the config names for secrets that are not set."""
        found = [h.secret_missing for h in self.webhooks] + [self.smtp.password_missing if self.email else None]
        return tuple(m for m in found if m)


@dataclass(frozen=True, slots=True)
class Settings:
    path: Path
    """The config file these settings came from."""
    site: Site
    paths: Paths
    database_url: str
    http: HttpSettings
    topics: TopicSettings
    sources: tuple[Source, ...] = field(default_factory=tuple)
    publish: PublishSettings = field(default_factory=PublishSettings)
    watch: WatchSettings = field(default_factory=WatchSettings)
    web: WebSettings = field(default_factory=WebSettings)
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    organisations: OrganisationSettings = field(default_factory=OrganisationSettings)

    def source(self, name: str) -> Source:
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def inboxes(self) -> tuple[FolderSource, ...]:
        """The folder sources that are read (enabled)."""
        return tuple(s for s in self.sources if isinstance(s, FolderSource) and s.enabled)

    @property
    def remote_sources(self) -> tuple[RemoteJsonSource, ...]:
        """The remote JSON sources, disabled ones included (their state is still shown)."""
        return tuple(s for s in self.sources if isinstance(s, RemoteJsonSource))


# --- loading -----------------------------------------------------------------------------------------------
