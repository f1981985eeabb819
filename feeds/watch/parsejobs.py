"""Reading a fetched body into items and matching them: in a worker process with many feeds, here with few, with
the same result; and the digest that says a body was read already.

With many feeds, each body is parsed and its items matched in a worker process (parsing and matching hold the
GIL for long): `parse_pool` sets up the App's worker pool so that each worker compiles the run's matchers once
(`_install`), from the same `MatcherSpec` as the round's process, so their matches are exactly the ones it would
find. A worker (`parse_job`) is told the stored content hash of its feed's items and matches only new and changed
ones. `parsed_answer` takes a worker's answer back, or parses here when there was no worker. A body whose worker
died (with the others it was parsing, which one killed it is unknown) is parsed again alone in a worker of its
own (`feeds.workers.answer`), never here: one that kills that worker too is its feed's failure.

The functions a worker runs (`_install`, `parse_job`) are top-level functions of this module, so the pool can
pickle them by name; `_WORKER_MATCHERS` is set by `_install` and read by `parse_job`, both here.

What this module must not do: touch the store, the network or the clock in what a worker runs (a worker has only
the spec it was set up with and the body it is handed), or store anything: `check.py` stores what comes back.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from feeds.errors import FeedParseError
from feeds.fetch import Fetched
from feeds.model import Match, ParsedFeed, WatchedFeed
from feeds.records import pickled_by_fields
from feeds.watch.matching import Matchers, MatcherSpec, compile_spec, match_item
from feeds.watch.parse import cut_short, parse_feed
from feeds.workers import Job, Setup, WorkerDied, answer, worker_pool

if TYPE_CHECKING:
    from feeds.app import App

_READERS: tuple[str, ...] = (
    "feeds.watch.parse",
    "feeds.watch.feeditems",
    "feeds.watch.feedlinks",
    "feeds.watch.fastparse",
    "feeds.watch.fastreader",
    "feeds.watch.fastnames",
    "feeds.watch.fasttext",
    "feeds.watch.fastrules",
    "feeds.watch.fastbase",
    "feeds.watch.fastcontent",
    "feeds.watch.fastpeople",
    "feeds.watch.fastextensions",
    "feeds.watch.jsonfeed",
    "feeds.watch.legacycharset",
    "feeds.watch.foreigndates",
    "feeds.watch.itemdates",
    "feeds.watch.localdates",
    "feeds.watch.numericdates",
    "feeds.normalise.htmltext",
    "feeds.normalise.sanitise",
    "feeds.normalise.text",
)
_READER_LIBRARIES = ("feedparser", "lxml", "nh3")


@lru_cache(maxsize=1)
def parse_epoch() -> str:
    """Changes whenever what a body is read into could change: the code that reads feeds into items (these
    modules' source) or the libraries it relies on (their versions). Part of every body digest, so after an
    upgrade each feed's unchanged body is read once more, and a fix to parsing or to reading text reaches its items."""
    h = hashlib.sha256()
    for name in _READER_LIBRARIES:
        h.update(f"{name}={importlib.metadata.version(name)}\n".encode())
    for name in _READERS:
        source = importlib.util.find_spec(name)
        origin = source.origin if source is not None else None
        h.update(Path(origin).read_bytes() if origin and Path(origin).is_file() else name.encode())
    return h.hexdigest()[:16]


def body_digest(result: Fetched) -> str:
    """What `WatchedFeed.body_digest` holds once the body of `result` is read into items."""
    return f"{parse_epoch()}:{result.sha256}"


def same_body(feed: WatchedFeed, result: Fetched) -> bool:
    """Whether this 200 answer repeats, byte for byte, the last body read into this feed's items. Servers that
    send no validators (or change them on every request) answer 200 with the same feed again and again:
    parsing, reading and matching it would only find the items already stored."""
    return feed.body_digest == body_digest(result)


def parse_pool(app: App, spec: MatcherSpec | None) -> ProcessPoolExecutor | None:
    """The App's worker pool (`feeds.workers`), its workers set up to match with the matchers of `spec`. Kept
    while the spec stays the same (rules and watched releases rarely change between runs); a new spec replaces
    it."""
    return worker_pool(app, parse_setup(spec))


def parse_setup(spec: MatcherSpec | None) -> Setup:
    """How each parser process is set up: the matchers of `spec` compiled there."""
    return (_install, (spec,))


_WORKER_MATCHERS: Matchers | None = None
"""In a parser process only: the matchers `_install` compiled there when the process started."""


def _install(spec: MatcherSpec | None) -> None:
    """The pool's initializer, run once in each worker process."""
    global _WORKER_MATCHERS
    _WORKER_MATCHERS = compile_spec(spec) if spec is not None else None


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Parsed:
    """A worker's answer: the parsed feed and, when the worker had matchers, every match of each of its items."""

    feed: ParsedFeed
    matches: tuple[tuple[Match, ...] | None, ...] | None
    """Per item of `feed.items`, in the same order; None for an item stored already with the same content, which
    was not matched (only new and changed items have their matches stored)."""
    cut: bool = False
    """The document was read with a warning and stops before the end tag of its root (`parse.cut_short`): worked
    out where it was parsed, in a worker process when there is one."""


def parse_job(
    body: bytes,
    url: str,
    content_type: str | None,
    encoding: str | None,
    feed: WatchedFeed,
    known: Mapping[str, str] | None = None,
) -> Parsed | str:
    """Runs in a worker process. `known`: the content hash of each item of this feed stored already, by key.
    A FeedParseError comes back as its message (our exceptions take keyword arguments, which pickling between
    processes does not carry)."""
    try:
        parsed = _read(body, url, content_type, encoding)
    except FeedParseError as e:
        return e.message
    m = _WORKER_MATCHERS
    if m is None:
        return parsed
    known = known or {}
    items = parsed.feed.items
    return replace(
        parsed,
        matches=tuple(None if known.get(it.key) == it.content_hash else tuple(match_item(m, feed, it)) for it in items),
    )


def parsed_answer(app: App, result: Fetched, ahead: Job[Parsed | str] | None) -> Parsed:
    """The body of `result` read into a feed: the worker's answer (`ahead`), or read here when no worker was asked.
    A body whose worker died is read again alone in a worker of its own (`feeds.workers.answer`): a FeedParseError
    when it kills that one too. A FeedParseError a worker sent back as its message is raised again here, naming
    the URL."""
    if ahead is None:
        return _parse_here(result)
    try:
        value = answer(app, ahead)
    except WorkerDied as e:
        raise FeedParseError(f"{KILLED}: {e}; it was not read", url=result.url) from None
    if isinstance(value, str):
        raise FeedParseError(value, url=result.url)
    return value


KILLED = "reading this feed kills the process reading it (a crash in a parsing library, or too much memory)"
"""How a feed's row says its body kills parser processes (`feeds watch show`, `watch list`'s error)."""


def _parse_here(result: Fetched) -> Parsed:
    return _read(result.body, result.url, result.content_type, result.encoding)


def _read(body: bytes, url: str, content_type: str | None, encoding: str | None) -> Parsed:
    """The feed parsed, and whether it was cut short; not matched."""
    parsed = parse_feed(body, url=url, content_type=content_type, encoding=encoding)
    cut = parsed.warning is not None and cut_short(body, url=url, content_type=content_type, encoding=encoding)
    return Parsed(parsed, None, cut)
