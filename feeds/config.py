"""Deployment settings: TOML → frozen `Settings`, parsed once, validated up front.

Every key this program understands is listed in one place (the `_read_*` functions below, one per table, with
their defaults); an unknown key, a wrong type or an impossible value is a `ConfigError` naming the file, the key
path and the line. Relative paths resolve against the config file's folder, so `feeds --config /etc/feeds/x.toml`
behaves the same from any working directory. Environment overrides (`FEEDS_DATABASE_URL`, `FEEDS_FETCH_ALLOW`)
are applied here and nowhere else.

What this module must not do: hold a global settings object, or be read from deep inside a stage. The
composition root (`feeds.app`) builds `Settings` and hands each stage the part it needs.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feeds.errors import ConfigError

KeyPath = tuple[str | int, ...]


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

    @property
    def domain(self) -> str:
        return self.id_domain or urlsplit(self.base_url).hostname or ""

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
    type: Literal["remote_json"] = "remote_json"


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

    def source(self, name: str) -> Source:
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def inboxes(self) -> tuple[FolderSource, ...]:
        return tuple(s for s in self.sources if isinstance(s, FolderSource))


# --- loading -----------------------------------------------------------------------------------------------

DEFAULT_CONFIG_ENV = "FEEDS_CONFIG"
DEFAULT_CONFIG_PATH = Path("config/feeds.toml")
USER_AGENT = "feeds/{version} (+{site}; press office feed monitor)"
"""Default User-Agent: names the software and the site operating it, so a feed owner knows whom to contact."""


def default_config_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get(DEFAULT_CONFIG_ENV) or DEFAULT_CONFIG_PATH)


def load_settings(path: str | Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read, validate and freeze the config at `path`, applying environment overrides from `environ`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise ConfigError("config file not found", path=str(p)) from e
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read config file: {e}", path=str(p)) from e
    return parse_settings(text, p, os.environ if environ is None else environ)


def parse_settings(text: str, path: Path, environ: Mapping[str, str]) -> Settings:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        raise ConfigError(f"not valid TOML: {e}", path=str(path), line=int(m.group(1)) if m else None) from e
    r = _Reader(path, text)
    root = r.table(data, (), {"site", "paths", "database", "http", "topics", "sources", "publish"})
    base = path.resolve().parent
    from feeds import __version__

    site = _read_site(r, r.sub(root, ("site",), required=True))
    paths = _read_paths(r, r.sub(root, ("paths",)), base)
    db = r.sub(root, ("database",))
    r.only(db, ("database",), {"url"})
    database_url = environ.get("FEEDS_DATABASE_URL") or _database_url(
        r.get(db, ("database", "url"), str, f"sqlite:///{paths.state / 'feeds.db'}"), base
    )
    http = _read_http(r, r.sub(root, ("http",)), environ, USER_AGENT.format(version=__version__, site=site.base_url))
    topics = _read_topics(r, r.sub(root, ("topics",)))
    sources = _read_sources(r, root.get("sources", []), base)
    publish = _read_publish(r, r.sub(root, ("publish",)), base)
    _check_out_is_public(paths, database_url, path)
    return Settings(
        path=path,
        site=site,
        paths=paths,
        database_url=database_url,
        http=http,
        topics=topics,
        sources=sources,
        publish=publish,
    )


def _read_site(r: _Reader, t: dict[str, Any]) -> Site:
    k = ("site",)
    r.only(t, k, {"title", "base_url", "author", "language", "timezone", "description", "email", "id_domain"})
    title = r.get(t, (*k, "title"), str)
    base_url = r.get(t, (*k, "base_url"), str)
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        r.fail((*k, "base_url"), f"must be an absolute http(s) URL, got {base_url!r}")
    if not base_url.endswith("/"):
        base_url += "/"
    tz = r.get(t, (*k, "timezone"), str, "UTC")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        r.fail((*k, "timezone"), f"unknown time zone {tz!r} (use an IANA name such as 'Europe/London')")
    language = r.get(t, (*k, "language"), str, "en")
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", language):
        r.fail((*k, "language"), f"not a language tag (RFC 5646): {language!r}")
    return Site(
        title=title,
        base_url=base_url,
        author=r.get(t, (*k, "author"), str, title),
        language=language,
        timezone=tz,
        description=r.get(t, (*k, "description"), str, ""),
        email=r.get(t, (*k, "email"), str, None),
        id_domain=_id_domain(r, t, k),
    )


def _id_domain(r: _Reader, t: dict[str, Any], k: KeyPath) -> str | None:
    value: str | None = r.get(t, (*k, "id_domain"), str, None)
    if value is not None and not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9-]+)+", value):
        r.fail((*k, "id_domain"), f"must be a DNS name such as 'press.example.org', got {value!r}")
    return value


def _read_paths(r: _Reader, t: dict[str, Any], base: Path) -> Paths:
    k = ("paths",)
    r.only(t, k, {"out", "state"})
    return Paths(
        out=_resolve(base, r.get(t, (*k, "out"), str, "out")),
        state=_resolve(base, r.get(t, (*k, "state"), str, "var")),
    )


def _read_http(r: _Reader, t: dict[str, Any], environ: Mapping[str, str], user_agent: str) -> HttpSettings:
    k = ("http",)
    r.only(t, k, {"user_agent", "connect_timeout", "read_timeout", "max_bytes", "allow"})
    allow = tuple(r.get(t, (*k, "allow"), list, []))
    for i, item in enumerate(allow):
        if not isinstance(item, str) or not item.strip():
            r.fail((*k, "allow", i), "must be a host name, an address or a CIDR range")
    extra = tuple(x.strip() for x in environ.get("FEEDS_FETCH_ALLOW", "").split(",") if x.strip())
    settings = HttpSettings(
        user_agent=r.get(t, (*k, "user_agent"), str, user_agent),
        connect_timeout=r.positive(t, (*k, "connect_timeout"), 10.0),
        read_timeout=r.positive(t, (*k, "read_timeout"), 30.0),
        max_bytes=int(r.positive(t, (*k, "max_bytes"), 10 * 1024 * 1024)),
        allow=allow + extra,
    )
    return settings


def _read_topics(r: _Reader, t: dict[str, Any]) -> TopicSettings:
    k = ("topics",)
    r.only(t, k, {"detect", "aliases"})
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
    r.only(t, k, {"entries", "formats", "hub", "templates", "organisation_feeds", "feeds"})
    entries = r.get(t, (*k, "entries"), int, 50)
    if not 1 <= entries <= 1000:
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
    templates = r.get(t, (*k, "templates"), str, None)
    custom: list[CustomFeed] = []
    items = t.get("feeds", [])
    if not isinstance(items, list):
        r.fail((*k, "feeds"), "must be an array of tables: [[publish.feeds]]")
    seen: set[str] = set()
    for i, ft in enumerate(items):
        fk: KeyPath = (*k, "feeds", i)
        r.only(ft, fk, {"name", "title", "topics", "organisations", "types"})
        name = r.get(ft, (*fk, "name"), str)
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name) or name in seen:
            r.fail((*fk, "name"), f"must be unique, lowercase letters, digits and '-', got {name!r}")
        seen.add(name)
        lists = {key: tuple(r.get(ft, (*fk, key), list, [])) for key in ("topics", "organisations", "types")}
        if not any(lists.values()):
            r.fail(fk, "a custom feed needs at least one of topics, organisations or types")
        custom.append(CustomFeed(name=name, title=r.get(ft, (*fk, "title"), str), **lists))
    return PublishSettings(
        entries=entries,
        formats=tuple(dict.fromkeys(formats)),
        hub=hub,
        templates=_resolve(base, templates) if templates else None,
        organisation_feeds=r.get(t, (*k, "organisation_feeds"), bool, True),
        custom=tuple(custom),
    )


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
}


def _read_sources(r: _Reader, items: Any, base: Path) -> tuple[Source, ...]:
    if not isinstance(items, list):
        r.fail(("sources",), "must be an array of tables: [[sources]]")
    out: list[Source] = []
    names: set[str] = set()
    for i, t in enumerate(items):
        k: KeyPath = ("sources", i)
        if not isinstance(t, dict):
            r.fail(k, "must be a table")
        kind = r.get(t, (*k, "type"), str)
        name = r.get(t, (*k, "name"), str)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
            r.fail((*k, "name"), f"must be letters, digits, '-', '_' or '.', got {name!r}")
        if name in names or name in ("push", "cli"):
            r.fail((*k, "name"), f"source name {name!r} is used twice or reserved")
        names.add(name)
        if kind == "folder":
            r.only(t, k, {"type", "name", "path", "move", "interval"})
            out.append(
                FolderSource(
                    name=name,
                    path=_resolve(base, r.get(t, (*k, "path"), str)),
                    move=r.get(t, (*k, "move"), bool, True),
                    interval=r.interval(t, (*k, "interval"), 60.0),
                )
            )
        elif kind == "remote_json":
            r.only(t, k, {"type", "name", "url", "interval", "results", "fields", "link_base", "enabled"})
            url = r.get(t, (*k, "url"), str)
            if urlsplit(url).scheme not in ("http", "https"):
                r.fail((*k, "url"), f"must be an http(s) URL, got {url!r}")
            fields_t = r.sub(t, (*k, "fields"))
            for fname, fpath in fields_t.items():
                if fname not in _FIELD_NAMES:
                    r.fail((*k, "fields", fname), f"unknown release field (one of {', '.join(sorted(_FIELD_NAMES))})")
                if not isinstance(fpath, str):
                    r.fail((*k, "fields", fname), "must be a path string such as 'organisations[].title'")
            out.append(
                RemoteJsonSource(
                    name=name,
                    url=url,
                    interval=r.interval(t, (*k, "interval"), 900.0),
                    results=r.get(t, (*k, "results"), str, "results"),
                    fields=tuple(sorted(fields_t.items())),
                    link_base=r.get(t, (*k, "link_base"), str, None),
                    enabled=r.get(t, (*k, "enabled"), bool, True),
                )
            )
        else:
            r.fail((*k, "type"), f"unknown source type {kind!r} (one of: folder, remote_json)")
    return tuple(out)


def _check_out_is_public(paths: Paths, database_url: str, path: Path) -> None:
    """Refuse a layout that would serve private state: the database or state folder inside `out/`."""
    out = paths.out.resolve()
    candidates = [paths.state.resolve()]
    if database_url.startswith("sqlite:///"):
        candidates.append(Path(database_url.removeprefix("sqlite:///")).resolve())
    for c in candidates:
        if c == out or out in c.parents:
            raise ConfigError(
                f"{c} is inside the published folder {out}: private state would be served",
                path=str(path),
                key="paths",
            )


def _database_url(url: str, base: Path) -> str:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        rel = url.removeprefix("sqlite:///")
        if rel and rel != ":memory:":
            return f"sqlite:///{_resolve(base, rel)}"
    return url


def _resolve(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p).resolve()


_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)?\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(value: str | int | float) -> float:
    """`90`, `"45s"`, `"30m"`, `"30 min"`, `"2h"`, `"1d"` → seconds. Raises ValueError."""
    if isinstance(value, bool):
        raise ValueError("not a duration")
    if isinstance(value, int | float):
        return float(value)
    m = _INTERVAL.match(value)
    if not m:
        raise ValueError(f"not a duration: {value!r} (use e.g. 90, '45s', '30m', '2h', '1d')")
    return float(m.group(1)) * _UNIT[(m.group(2) or "s")[0]]


# --- the reader: typed access that knows where each key is ---------------------------------------------------


class _Reader:
    def __init__(self, path: Path, text: str):
        self.path = path
        self.lines = text.splitlines()

    def fail(self, key: KeyPath, message: str) -> Any:
        raise ConfigError(message, path=str(self.path), key=_dotted(key), line=find_line(self.lines, key))

    def table(self, t: Any, key: KeyPath, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(t, dict):
            self.fail(key, "must be a table")
        self.only(t, key, allowed)
        table: dict[str, Any] = t
        return table

    def sub(self, t: dict[str, Any], key: KeyPath, required: bool = False) -> dict[str, Any]:
        name = key[-1]
        if name not in t:
            if required:
                self.fail(key, f"missing required table [{_dotted(key)}]")
            return {}
        v = t[name]
        if not isinstance(v, dict):
            self.fail(key, "must be a table")
        table: dict[str, Any] = v
        return table

    def only(self, t: dict[str, Any], key: KeyPath, allowed: set[str]) -> None:
        for name in t:
            if name not in allowed:
                self.fail((*key, name), f"unknown key (expected one of: {', '.join(sorted(allowed))})")

    _MISSING: Any = object()

    def get(self, t: dict[str, Any], key: KeyPath, kind: type, default: Any = _MISSING) -> Any:
        name = key[-1]
        if name not in t:
            if default is self._MISSING:
                self.fail(key, "missing required key")
            return default
        v = t[name]
        ok = isinstance(v, kind) and not (kind in (int, float) and isinstance(v, bool))
        if not ok:
            self.fail(key, f"must be {_kind_name(kind)}, got {type(v).__name__} {v!r}")
        return v

    def positive(self, t: dict[str, Any], key: KeyPath, default: float) -> float:
        v = t.get(str(key[-1]), default)
        if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0:
            self.fail(key, f"must be a positive number, got {v!r}")
        return float(v)

    def interval(self, t: dict[str, Any], key: KeyPath, default: float) -> float:
        v = t.get(str(key[-1]), default)
        try:
            seconds = parse_interval(v)
        except (ValueError, TypeError) as e:
            return self.fail(key, str(e))  # type: ignore[no-any-return]
        if seconds <= 0:
            self.fail(key, "must be longer than zero")
        return seconds


def _kind_name(kind: type) -> str:
    return {str: "a string", bool: "true or false", list: "a list", int: "a whole number", float: "a number"}.get(
        kind, kind.__name__
    )


def _dotted(key: KeyPath) -> str:
    out = ""
    for part in key:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""")


def find_line(lines: list[str], key: KeyPath) -> int | None:
    """Best-effort 1-based line of a key path in TOML source (tomllib keeps no positions).

    Walks the headers (`[a.b]`, `[[a]]`, counting array-of-table occurrences) to the table that holds the
    key, then looks for `name =` inside it; falls back to the table's header line.
    """
    names = [p for p in key if isinstance(p, str)]
    if not names:
        return None
    # Split into table path and final key, mapping integer indices onto [[array]] occurrences.
    table: list[str] = []
    index: int | None = None
    last: str | None = None
    for part in key:
        if isinstance(part, int):
            index = part
        else:
            if last is not None:
                table.append(last)
            last = part
    assert last is not None
    candidates: list[tuple[list[str], str | None]] = [(table, last), ([*table, last], None)]
    if table:
        candidates.append((table, None))  # a missing key: point at its table's header
    for candidate_table, candidate_key in candidates:
        line = _find_in_table(lines, candidate_table, candidate_key, index)
        if line is not None:
            return line
    return None


def _find_in_table(lines: list[str], table: list[str], key: str | None, index: int | None) -> int | None:
    current: list[str] = []
    seen: dict[str, int] = {}
    header_line: int | None = None
    want = ".".join(table)
    inside = not table
    for n, raw in enumerate(lines, start=1):
        h = _HEADER.match(raw)
        if h and not raw.lstrip().startswith("#"):
            name = ".".join(part.strip().strip("\"'") for part in h.group(2).split("."))
            if h.group(1) == "[[":
                seen[name] = seen.get(name, -1) + 1
            current = name.split(".")
            occurrence_ok = index is None or seen.get(want.split(".")[0], -1) == index or seen.get(want, -1) == index
            inside = ".".join(current) == want and occurrence_ok
            if inside:
                header_line = n
                if key is None:
                    return n
            continue
        if inside and key is not None:
            m = _KEY.match(raw)
            if m and m.group(1).strip("\"'") == key:
                return n
    return header_line if key is None else None
