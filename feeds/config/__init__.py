"""Deployment settings: TOML → frozen `Settings`, parsed once, validated up front.

Every key this program understands is listed in one place, `schema.py`, with the bounds of its numbers; each
table has one `read_*` function with its defaults and checks (`site.py`: site, paths, database; `releases.py`:
sources, topics, publish; `watch.py`: http, watch; `service.py`: web, daemon; `alerts.py`), the checks several
share are in `checks.py`, and `settings.py` has the records. An unknown key, a wrong type or an impossible value is a
`ConfigError` naming the file, the key path and the line. Relative paths resolve against the config file's
folder, so `feeds --config /etc/feeds/x.toml` behaves the same from any working directory. Environment
overrides (`FEEDS_DATABASE_URL`, `FEEDS_FETCH_ALLOW`, `FEEDS_API_TOKEN`) are applied here and nowhere else.

What this package must not do: hold a global settings object, or be read from deep inside a stage. The
composition root (`feeds.app`) builds `Settings` and hands each stage the part it needs.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import TypeVar

from feeds.config.alerts import read_alerts
from feeds.config.positions import find_line as find_line
from feeds.config.reader import KeyPath as KeyPath
from feeds.config.reader import TableReader
from feeds.config.reader import parse_interval as parse_interval
from feeds.config.reader import shown_interval as shown_interval
from feeds.config.releases import read_organisations, read_publish, read_sources, read_topics
from feeds.config.schema import KEYS
from feeds.config.service import read_daemon, read_web
from feeds.config.settings import *  # noqa: F403  (the settings records are this package's public names)
from feeds.config.settings import FolderSource, Settings
from feeds.config.site import (
    check_drop_folders_hold_no_state,
    check_out_is_public,
    read_database_url,
    read_paths,
    read_site,
)
from feeds.config.syntax import toml_problem
from feeds.config.watch import read_http, read_watch
from feeds.errors import ConfigError, ConfigErrors

T = TypeVar("T")

DEFAULT_CONFIG_ENV = "FEEDS_CONFIG"
DEFAULT_CONFIG_PATH = Path("config/feeds.toml")
USER_AGENT = "feeds/{version} (+{site}; press office feed monitor)"
"""Default User-Agent: names the software and the site operating it, so a feed owner knows whom to contact."""


def default_config_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get(DEFAULT_CONFIG_ENV, "").strip() or DEFAULT_CONFIG_PATH)


def load_settings(path: str | Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read, validate and freeze the config at `path`, applying environment overrides from `environ`."""
    p = Path(path)
    env = os.environ if environ is None else environ
    named = env.get(DEFAULT_CONFIG_ENV, "").strip()
    where = (
        "named by FEEDS_CONFIG; pass --config PATH or change it"
        if named and Path(named) == p
        else f"looked in {p.resolve().parent}; pass --config PATH or set FEEDS_CONFIG"
    )
    try:
        if p.exists() and not p.is_file():  # a folder, a pipe (which would block for ever), a device
            raise ConfigError("not a regular file: give the path of the config file itself", path=str(p))
        data = p.read_bytes()
    except FileNotFoundError as e:
        if p.is_symlink():  # (its folder, "looked in", would be the link's target's: it names neither)
            raise ConfigError(
                f"a symbolic link to {_link_target(p)}, which does not exist: restore the file, or point the link "
                "(or --config) at the config file",
                path=str(p),
            ) from e
        raise ConfigError(
            f"config file not found ({where})",
            path=str(p),
        ) from e
    except OSError as e:
        raise ConfigError(f"cannot read config file: {e}", path=str(p)) from e
    return parse_settings(_decoded(data, p), p, env)


def _link_target(link: Path) -> str:
    """Where a broken symbolic link points, as written in it (`../shared/feeds.toml`) and, when that is not the
    path it comes to, that path too (resolved against the link's folder, through any further links)."""
    written = os.readlink(link)
    final = link.resolve()
    return written if str(final) == written else f"{written} ({final})"


def _decoded(data: bytes, path: Path) -> str:
    """The config's text: UTF-8, with or without the byte order mark Notepad writes; anything else is refused
    with the fix (UTF-16, Notepad's "Unicode", or a legacy code page, at the line of its first such byte)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:200]:
        raise ConfigError(
            'saved as UTF-16 (Notepad\'s "Unicode"): save it as UTF-8 (in Notepad: Save As, Encoding: UTF-8)',
            path=str(path),
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ConfigError(
            f"not UTF-8 (byte 0x{data[e.start]:02x} here is from another encoding): save it as UTF-8",
            path=str(path),
            line=line,
        ) from e


def _source_problem(r: TableReader, index: int, message: str) -> ConfigError:
    return r.problem(("sources", index, "path"), message)


def parse_settings(text: str, path: Path, environ: Mapping[str, str]) -> Settings:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message, line = toml_problem(e, text)
        raise ConfigError(message, path=str(path), line=line) from e
    if not data:
        raise ConfigError(
            'the file is empty: it needs at least [site] with title = "…" and base_url = "https://…"', path=str(path)
        )
    r = TableReader(path, text, KEYS)
    root = r.table(
        data,
        (),
        {"site", "paths", "database", "http", "topics", "sources", "publish", "organisations", "watch", "web", "daemon"}
        | {"alerts"},
    )
    base = path.resolve().parent
    from feeds import __version__

    # Each section is read on its own, so one run reports a problem in every section that has one (a section
    # stops at its first: what follows may depend on the value that was wrong).
    errors: list[ConfigError] = []

    def section(read: Callable[[], T]) -> T | None:
        try:
            return read()
        except ConfigErrors as e:
            errors.extend(e.errors)
        except ConfigError as e:
            errors.append(e)
        return None

    site = section(lambda: read_site(r, r.sub(root, ("site",), required=True)))
    paths = section(lambda: read_paths(r, r.sub(root, ("paths",)), base))
    db = section(lambda: r.sub(root, ("database",)))
    section(lambda: r.only(db, ("database",), KEYS["[database]"]) if db is not None else None)
    state = paths.state if paths is not None else base
    configured_db = section(lambda: r.get(db or {}, ("database", "url"), str, f"sqlite:///{state / 'feeds.db'}"))
    # From the environment, a relative SQLite path is relative to the current folder, as any path a command is
    # given; made absolute here, so `check-config` shows the file that is used.
    env_db = environ.get("FEEDS_DATABASE_URL")
    from_env = bool(env_db)
    database_url = (
        read_database_url(env_db, Path.cwd())
        if env_db
        else (section(lambda: read_database_url(configured_db, base)) if configured_db is not None else None)
    )
    if database_url is not None:
        url = database_url

        def error(message: str) -> ConfigError:
            if from_env:
                return ConfigError(message, path="environment", key="FEEDS_DATABASE_URL")
            return r.problem(("database", "url"), message)

        database_url = section(lambda: _checked_database_url(url, error))
    agent = USER_AGENT.format(version=__version__, site=site.base_url if site is not None else "")  # (URI form)
    http = section(lambda: read_http(r, r.sub(root, ("http",)), environ, agent))
    topics = section(lambda: read_topics(r, r.sub(root, ("topics",))))
    sources = section(lambda: read_sources(r, root.get("sources", []), base))
    publish = section(lambda: read_publish(r, r.sub(root, ("publish",)), base))
    organisations = section(lambda: read_organisations(r, r.sub(root, ("organisations",))))
    watch = section(lambda: read_watch(r, r.sub(root, ("watch",)), http))
    web = section(lambda: read_web(r, r.sub(root, ("web",)), environ))
    daemon = section(lambda: read_daemon(r, r.sub(root, ("daemon",))))
    alerts = section(lambda: read_alerts(r, r.sub(root, ("alerts",)), environ))
    if paths is not None and database_url is not None:
        db_error = error if configured_db is not None else (lambda m: ConfigError(m, path=str(path), key="paths"))
        folders: list[tuple[Path, Callable[[str], ConfigError]]] = [
            (s.path, partial(_source_problem, r, i)) for i, s in enumerate(sources or ()) if isinstance(s, FolderSource)
        ]
        # The config file itself (its API token and passwords): `out = "."` beside it would serve it.
        folders.append((Path(path), partial(r.problem, ("paths", "out"))))
        section(
            lambda: check_out_is_public(
                paths, database_url, lambda m: r.problem(("paths", "state"), m), db_error, folders
            )
        )
        drop_folders: list[tuple[Path, Callable[[str], ConfigError]]] = [
            (s.path, partial(_source_problem, r, i))
            for i, s in enumerate(sources or ())
            if isinstance(s, FolderSource) and s.move
        ]
        section(lambda: check_drop_folders_hold_no_state(paths, database_url, Path(path), drop_folders))
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ConfigErrors(errors)
    return Settings(
        path=path,
        site=_read(site),
        paths=_read(paths),
        database_url=_read(database_url),
        http=_read(http),
        topics=_read(topics),
        sources=_read(sources),
        publish=_read(publish),
        watch=_read(watch),
        web=_read(web),
        daemon=_read(daemon),
        alerts=_read(alerts),
        organisations=_read(organisations),
    )


def _read(value: T | None) -> T:
    """A section's value once no section failed (a failed one is None, and was raised as an error)."""
    assert value is not None
    return value


def _checked_database_url(url: str, error: Callable[[str], ConfigError]) -> str:
    """`url` if a database we can keep data in lives there; else the store's reason, as a config error."""
    from feeds.errors import StoreError
    from feeds.store import check_database_url  # (not at import time: worker processes read settings too)

    try:
        check_database_url(url)
    except StoreError as e:
        raise error(str(e)) from e
    return url
