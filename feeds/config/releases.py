"""`[[sources]]`, `[topics]` and `[publish]`: where releases come from, how their topics are found, and what is
published of them.

Each `read_<table>` takes its raw table and returns its frozen settings record(s), or raises `ConfigError` through
the reader (file, key path, line).

What this module must not do: read a source or fetch a remote one (a drop folder that is missing is a warning of
`check-config`, not a config error), or render a template or a feed: what they name is checked, not tried.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from feeds.config.checks import malformed_host, resolve_path, xml_forbidden
from feeds.config.reader import KeyPath, TableReader
from feeds.config.schema import DAY, KEYS, MINUTE
from feeds.config.settings import (
    CustomFeed,
    FolderSource,
    OrganisationSettings,
    PublishSettings,
    RemoteJsonSource,
    Source,
    TopicSettings,
)
from feeds.urls import without_secrets

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
    "translation_of",
    "withdrawn_note",
    "withdrawn_at",
    "change_note",
}


# A result path: names and [n] / [] steps, dot-separated (`organisations[0].title`, `tags[].name`); "" maps a field
# to nothing (switching a default off).
_FIELD_PATH = re.compile(r"[^.\[\]\s]+(?:\[\d*\])*(?:\.[^.\[\]\s]+(?:\[\d*\])*)*")
_PARAMETER = re.compile(r"[^\s=&?#]+")
"""A URL parameter's name (`[sources.paging]`'s `start`, `count`)."""
_MAX_PAGES = 100
"""Pages a remote source's poll may read at most (someone's server: the past comes in from files)."""


def read_sources(r: TableReader, items: Any, base: Path) -> tuple[Source, ...]:
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
            path = resolve_path(base, r.get(t, (*k, "path"), str))
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
                    interval=r.interval(t, (*k, "interval"), 60.0, floor=1.0, ceiling=DAY),
                    enabled=r.get(t, (*k, "enabled"), bool, True),
                )
            )
        elif kind == "remote_json":
            r.only(t, k, KEYS['[[sources]] of type "remote_json"'])
            url = r.get(t, (*k, "url"), str)
            if urlsplit(url).scheme not in ("http", "https"):
                r.fail((*k, "url"), f"must be an http(s) URL, got {without_secrets(url)!r}")
            if (problem := malformed_host(url)) is not None:
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
            paging_t = r.sub(t, (*k, "paging"))
            r.only(paging_t, (*k, "paging"), KEYS["[sources.paging]"])
            for pname, pvalue in paging_t.items():
                pk = (*k, "paging", pname)
                if not isinstance(pvalue, str):
                    r.fail(pk, f"must be a string, got {type(pvalue).__name__} {pvalue!r}")
                if pname in ("start", "count") and not _PARAMETER.fullmatch(pvalue):
                    r.fail(pk, f"{pvalue!r} is not a URL parameter name (such as 'start' or 'offset')")
                if pname in ("total", "next") and pvalue and not _FIELD_PATH.fullmatch(pvalue):
                    r.fail(pk, f"{pvalue!r} is not a path in the document (such as 'meta.total'); \"\" for none")
            max_pages = r.get(t, (*k, "max_pages"), int, 10)
            if not 1 <= max_pages <= _MAX_PAGES:
                r.fail((*k, "max_pages"), f"must be from 1 (the first page only) to {_MAX_PAGES}, got {max_pages}")
            out.append(
                RemoteJsonSource(
                    name=name,
                    url=url,
                    # (someone's server: polled at most once a minute, `interval = 15` meant as minutes refused)
                    interval=r.interval(t, (*k, "interval"), 900.0, floor=MINUTE, ceiling=DAY),
                    results=r.get(t, (*k, "results"), str, "results"),
                    fields=tuple(sorted(fields_t.items())),
                    link_base=r.get(t, (*k, "link_base"), str, None),
                    enabled=r.get(t, (*k, "enabled"), bool, True),
                    max_pages=max_pages,
                    paging=tuple(sorted(paging_t.items())),
                )
            )
        else:
            r.fail((*k, "type"), f"unknown source type {kind!r} (one of: folder, remote_json)")
    return tuple(out)


def read_topics(r: TableReader, t: dict[str, Any]) -> TopicSettings:
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
        aliases.append((_nfc(name), tuple(map(_nfc, words))))
    # In NFC, as a release's topics are (`feeds.normalise.text.nfc`, which config cannot import: normalise reads
    # Settings): a name typed decomposed ("Cafe" and a combining accent) is one topic, shown composed.
    return TopicSettings(detect=tuple(map(_nfc, detect)), aliases=tuple(aliases))


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def read_publish(r: TableReader, t: dict[str, Any], base: Path) -> PublishSettings:
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
    if hub is not None and "@" in urlsplit(hub).netloc:  # (before any message that would show the URL)
        r.fail(
            (*k, "hub"),
            'must not hold a user name or password: the hub URL is published in every feed (rel="hub"), and '
            "so would they be; give the hub's address alone",
        )
    if hub is not None and urlsplit(hub).scheme not in ("http", "https"):
        r.fail((*k, "hub"), f"must be an http(s) URL, got {hub!r}")
    if hub is not None and (problem := malformed_host(hub)) is not None:
        r.fail((*k, "hub"), problem)
    indexnow_key = r.get(t, (*k, "indexnow_key"), str, None)
    if indexnow_key is not None and not re.fullmatch(r"[A-Za-z0-9-]{8,128}", indexnow_key):
        r.fail((*k, "indexnow_key"), "must be 8 to 128 letters (a-z, A-Z), digits or '-', as IndexNow asks")
    endpoint = r.get(t, (*k, "indexnow_endpoint"), str, "https://api.indexnow.org/indexnow")
    if urlsplit(endpoint).scheme not in ("http", "https") or "@" in urlsplit(endpoint).netloc:
        r.fail((*k, "indexnow_endpoint"), "must be an http(s) URL without a user name or password")
    if (problem := malformed_host(endpoint)) is not None:
        r.fail((*k, "indexnow_endpoint"), problem)
    templates = r.get(t, (*k, "templates"), str, None)
    if templates and not resolve_path(base, templates).is_dir():  # else the packaged templates would be used silently
        r.fail((*k, "templates"), f"the folder {resolve_path(base, templates)} does not exist")
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
        if xml_forbidden(title):  # the feed's title, which XML cannot carry
            r.fail((*fk, "title"), f"must not contain control characters, got {title!r}")
        custom.append(CustomFeed(name=name, title=title, **lists))
    return PublishSettings(
        entries=entries,
        formats=tuple(dict.fromkeys(formats)),
        hub=hub,
        templates=resolve_path(base, templates) if templates else None,
        organisation_feeds=r.get(t, (*k, "organisation_feeds"), bool, True),
        custom=tuple(custom),
        indexnow=r.get(t, (*k, "indexnow"), bool, False),
        indexnow_key=indexnow_key,
        indexnow_endpoint=endpoint,
    )


def read_organisations(r: TableReader, t: dict[str, Any]) -> OrganisationSettings:
    """`[organisations.succeeded_by]`: old name = the name that succeeded it. Names are told apart as their feeds'
    folders are (`topic_slug`: "&" and "and", case and accents aside). A chain (`BIS` → `BEIS` → `DBT`) resolves to
    its last name; a cycle is refused, naming it: no name of it would be current, and its feeds could not say whose
    releases they carry."""
    from feeds.normalise.topics import topic_slug  # (normalise reads Settings: not at import time)

    k = ("organisations",)
    r.only(t, k, KEYS["[organisations]"])
    table = r.sub(t, (*k, "succeeded_by"))
    pairs: list[tuple[str, str]] = []
    next_of: dict[str, str] = {}  # slug → its successor's slug
    names: dict[str, str] = {}  # slug → the name the table first writes it with
    for old, new in table.items():
        key = (*k, "succeeded_by", old)
        if not isinstance(new, str) or not new.strip() or xml_forbidden(new):
            r.fail(key, f"must be the name of the organisation that succeeded {old!r}, got {new!r}")
        old, new = _nfc(" ".join(old.split())), _nfc(" ".join(new.split()))
        old_slug, new_slug = topic_slug(old), topic_slug(new)
        if not old_slug or xml_forbidden(old):
            r.fail(key, f"{old!r} is not an organisation's name")
        if old_slug == new_slug:
            r.fail(key, f"{old!r} cannot be succeeded by itself ({new!r} is the same name)")
        if old_slug in next_of:
            r.fail(key, f"{old!r} is the same organisation as {names[old_slug]!r}, whose successor is given already")
        next_of[old_slug] = new_slug
        names.setdefault(old_slug, old)
        names.setdefault(new_slug, new)
        pairs.append((old, new))
    current: list[tuple[str, str]] = []
    for (old, _), old_slug in zip(pairs, next_of, strict=True):
        seen, slug = [old_slug], next_of[old_slug]
        while slug in next_of:
            if slug in seen:
                chain = " → ".join(names[s] for s in [*seen[seen.index(slug) :], slug])
                r.fail((*k, "succeeded_by", old), f"a cycle of successors ({chain}): one name of it must be current")
            seen.append(slug)
            slug = next_of[slug]
        current.append((old_slug, names[slug]))
    return OrganisationSettings(succeeded_by=tuple(pairs), current_of=tuple(current))
