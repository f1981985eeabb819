"""`[site]`, `[paths]` and `[database]`: who publishes, where the deployment's files and database live, and the
check that nothing private lies inside what is published.

Each `read_<table>` takes its raw table and returns its frozen settings record, or raises `ConfigError` through
the reader (file, key path, line). `check_out_is_public` runs once every table is read, as it needs the paths, the
database URL and the drop folders together; `read_database_url` resolves a relative SQLite path.

What this module must not do: open the database (`feeds.config` asks the store whether the URL is usable) or create
a folder: reading a config changes nothing on disk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feeds.config.checks import malformed_host, resolve_path, xml_forbidden
from feeds.config.reader import KeyPath, TableReader
from feeds.config.schema import KEYS
from feeds.config.settings import AUTHOR_EMAIL, Paths, Site
from feeds.errors import ConfigError
from feeds.urls import uri_form


def read_site(r: TableReader, t: dict[str, Any]) -> Site:
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
        if xml_forbidden(text):  # every feed carries them, and XML cannot
            r.fail((*k, name), f"must not contain control characters, got {text!r}")
    base_url = r.get(t, (*k, "base_url"), str)
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        r.fail((*k, "base_url"), f"must be an absolute http(s) URL, got {base_url!r}")
    if (problem := malformed_host(base_url)) is not None:  # every link of the site is built from it
        r.fail((*k, "base_url"), problem)
    if parts.query or parts.fragment or "#" in base_url or parts.username is not None or parts.password is not None:
        # (`?x=1` or `#top` would end up in the middle of every link, a user and password in every feed)
        r.fail((*k, "base_url"), f"must be a plain address with no query, fragment or user name, got {base_url!r}")
    if not base_url.endswith("/"):
        base_url += "/"
    # In URI form (an international host by its xn-- name, a space or a letter other than ASCII in the path
    # percent-encoded): every place the site's address goes holds ASCII only (a feed's links, an HTTP header, a
    # page's href), and each then names the same address.
    base_url = uri_form(base_url) or base_url
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
    from feeds.normalise.fields import canonical_language

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
        icon=_site_icon(r, t, k, base_url),
        publication_name=_publication_name(r, t, k),
    )


def _publication_name(r: TableReader, t: dict[str, Any], k: KeyPath) -> str | None:
    """`site.publication_name`: the `news:name` of sitemap-news.xml, which Google News matches, exactly, against
    the publication's name in Publisher Center (often not the site's title: "Department for Transport" on a site
    titled "DfT press releases"). Written as it is, spaces and case included: only what cannot be a name is refused."""
    value: str | None = r.get(t, (*k, "publication_name"), str, None)
    if value is None:
        return None
    if not value.strip():
        r.fail((*k, "publication_name"), "must not be empty (leave it out for site.title)")
    if value != value.strip():
        r.fail(
            (*k, "publication_name"),
            f"has spaces before or after it, {value!r}: Google News compares it with Publisher Center's, exactly",
        )
    if xml_forbidden(value) or "\n" in value or "\t" in value:
        r.fail((*k, "publication_name"), f"must be one line with no control characters, got {value!r}")
    return value


def _site_icon(r: TableReader, t: dict[str, Any], k: KeyPath, base_url: str) -> str | None:
    """`site.icon`: an address of its own, or one relative to `base_url` (`static/mark.png`), in URI form."""
    value: str | None = r.get(t, (*k, "icon"), str, None)
    if value is None:
        return None
    icon = uri_form(urljoin(base_url, value.strip())) if value.strip() else None
    if icon is None:
        r.fail((*k, "icon"), f"not an http(s) address, or one relative to base_url: {value!r}")
    return icon


def _site_messages(r: TableReader, t: dict[str, Any], k: KeyPath) -> Path | None:
    """`site.messages`: a gettext catalogue (.po) of the published labels, read now so that a mistake in it is
    found by `check-config` and at start, naming its line, and never in the middle of a publish."""
    value = r.get(t, (*k, "messages"), str, "")
    if not value.strip():
        return None
    from feeds.publish.i18n import CatalogueError, read_catalogue

    path = resolve_path(r.path.resolve().parent, value)
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


def _site_email(r: TableReader, t: dict[str, Any], k: KeyPath) -> str | None:
    """The feeds' author email, checked as the feeds check it (else every publish stopped with a traceback)."""
    value: str | None = r.get(t, (*k, "email"), str, None)
    if value is not None and not AUTHOR_EMAIL.fullmatch(value):
        r.fail((*k, "email"), f"not an email address: {value!r} (it is the author email of every feed)")
    return value


def _id_domain(r: TableReader, t: dict[str, Any], k: KeyPath) -> str | None:
    value: str | None = r.get(t, (*k, "id_domain"), str, None)
    if value is not None and not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9-]+)+", value):
        r.fail((*k, "id_domain"), f"must be a DNS name such as 'press.example.org', got {value!r}")
    return value


def read_paths(r: TableReader, t: dict[str, Any], base: Path) -> Paths:
    k = ("paths",)
    r.only(t, k, KEYS["[paths]"])
    out = resolve_path(base, r.get(t, (*k, "out"), str, "out"))
    if out.exists() and not out.is_dir():  # else publishing fails with "File exists"
        r.fail((*k, "out"), f"{out} is a file, not a folder: publishing needs a folder")
    if (what := _private_folder(out)) is not None:
        r.fail((*k, "out"), f"{out} is {what}: everything in it would be served; use a folder of its own, e.g. 'out'")
    return Paths(out=out, state=resolve_path(base, r.get(t, (*k, "state"), str, "var")))


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


def check_out_is_public(
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


def check_drop_folders_hold_no_state(
    paths: Paths,
    database_url: str,
    config_file: Path,
    folders: Sequence[tuple[Path, Callable[[str], ConfigError]]],
) -> None:
    """Refuse a drop folder (a folder source that moves its files) that is the state folder, or holds the SQLite
    database or the config file: its ingest moves every file it finds to `processed/` or `rejected/` ("not a
    release format"), the open database and its journal, or the config, among them."""
    own = [(paths.state.resolve(), "the state folder")]
    if (sqlite := _SQLITE_FILE.match(database_url)) is not None:
        db = Path(database_url[sqlite.end() :]).resolve()
        own.append((db.parent, f"the folder of the database ({db.name})"))
    own.append((config_file.resolve().parent, f"the folder of the config file ({config_file.name})"))
    for folder, error in folders:
        what = next((name for place, name in own if place == folder.resolve()), None)
        if what is not None:
            raise error(
                f"{folder} is {what}: a drop folder moves every file in it to processed/ or rejected/, feeds' own "
                "files too: give the drop folder a folder of its own (e.g. 'inbox'), or set move = false"
            )


# An SQLite file's URL, with or without a driver named (`sqlite+pysqlite:///`, which SQLAlchemy reads as the same).
_SQLITE_FILE = re.compile(r"sqlite(?:\+\w+)?:///")


def read_database_url(url: str, base: Path) -> str:
    sqlite = _SQLITE_FILE.match(url)
    if sqlite is not None and not url.startswith("/", sqlite.end()):
        rel = url[sqlite.end() :]
        if rel and rel != ":memory:":
            return f"{sqlite[0]}{resolve_path(base, rel)}"
    return url
