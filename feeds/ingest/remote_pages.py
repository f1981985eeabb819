"""A remote source's document (JSON → its list of results) and its further pages.

    first page (conditional GET) → results → next page? (`next` link, else `total` or a full page of `count`)
        → http.get(page) → results → … until a page holds nothing new, there is no next page, or `max_pages`

A normal poll is one request: the first page's results are all known, so the next is not read. A first run, or
more new releases than a page between two polls, reads on, politely (the shared client, one page after the other),
to `max_pages`; when the pages say there is more than was read, the log says so, naming the source.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from feeds.config import RemoteJsonSource
from feeds.errors import IngestError
from feeds.ingest.decode import codec_for_label
from feeds.ingest.schema import json_type
from feeds.ingestreport import IngestOutcome
from feeds.urls import without_secrets

if TYPE_CHECKING:
    from feeds.app import App

log = logging.getLogger("feeds.ingest")

DEFAULT_PAGING: dict[str, str] = {"start": "start", "count": "count", "total": "total", "next": ""}
"""`[sources.paging]`'s defaults, the GOV.UK Search API's: `start` and `count`, the URL parameters of the offset and
the page size; `total`, the path in the document to the number of results in all pages; `next`, the path to the
next page's URL (none by default; when set, it alone says whether there is a next page)."""


_STEP = re.compile(r"([^.\[\]]+)|\[(\d*)\]")


def extract(obj: Any, path: str) -> Any:
    """Follow a field path (`a.b`, `a[0].b`, `a[].b`) through decoded JSON; None when absent."""
    current: list[Any] = [obj]
    spread = False
    for m in _STEP.finditer(path):
        name, index = m.group(1), m.group(2)
        nxt: list[Any] = []
        for value in current:
            if name is not None:
                if isinstance(value, dict) and name in value:
                    nxt.append(value[name])
            elif index == "":
                spread = True
                if isinstance(value, list):
                    nxt.extend(value)
            elif isinstance(value, list) and int(index) < len(value):
                nxt.append(value[int(index)])
        current = nxt
    if spread:
        return [v for v in current if v is not None]
    return current[0] if current else None


def paging_of(source: RemoteJsonSource) -> dict[str, str]:
    return {**DEFAULT_PAGING, **dict(source.paging)}


def load_document(body: bytes, source: RemoteJsonSource, content_type: str | None, charset: str | None) -> Any:
    """The decoded JSON document; an IngestError naming the source when it is not JSON."""
    try:
        return json.loads(_in_declared_charset(body, charset))
    except RecursionError as e:  # (a document nested deeper than Python's recursion limit: a JSON bomb)
        raise IngestError("not usable JSON: it nests too deeply", source=source.name, origin=source.shown_url) from e
    except ValueError as e:  # not UTF-8, not JSON, or a number longer than Python reads (all ValueErrors)
        raise IngestError(
            f"not JSON: {_not_json(body, content_type, e)}", source=source.name, origin=source.shown_url
        ) from e


def results_of(doc: Any, source: RemoteJsonSource) -> list[Any]:
    """The document's list of results, at `results`; an IngestError saying what is there instead."""
    results = extract(doc, source.results) if source.results else doc
    if not isinstance(results, list):
        raise IngestError(
            f"expected a list of results at {source.results or 'the top level'!r}: "
            f"{_found_instead(doc, source.results)}",
            source=source.name,
            origin=source.shown_url,
        )
    return results


def parse_document(
    body: bytes, source: RemoteJsonSource, content_type: str | None = None, charset: str | None = None
) -> list[Any]:
    return results_of(load_document(body, source, content_type, charset), source)


def next_page(doc: Any, source: RemoteJsonSource, url: str, read: int) -> str | None:
    """The URL of the page after the one at `url`, which held `read` results, or None when the document says it
    was the last (its `next` link absent; else its `total` reached, or without a `total`, a page shorter than the
    URL's `count`)."""
    paging = paging_of(source)
    if paging["next"]:
        link = extract(doc, paging["next"])
        return urljoin(url, link.strip()) if isinstance(link, str) and link.strip() else None
    if read == 0:
        return None
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    given = dict(query)
    offset = _whole(given.get(paging["start"])) or 0
    total = extract(doc, paging["total"]) if paging["total"] else None
    if isinstance(total, int | float) and not isinstance(total, bool):
        more = offset + read < total
    else:  # (no total: a full page may have a next one; a page that asked no size cannot tell)
        size = _whole(given.get(paging["count"]))
        more = size is not None and read >= size
    if not more:
        return None
    query = [(k, v) for k, v in query if k != paging["start"]] + [(paging["start"], str(offset + read))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def total_of(doc: Any, source: RemoteJsonSource) -> int | None:
    path = paging_of(source)["total"]
    total = extract(doc, path) if path else None
    return int(total) if isinstance(total, int | float) and not isinstance(total, bool) else None


def read_further_pages(
    app: App,
    source: RemoteJsonSource,
    first: Any,
    first_outcomes: Sequence[IngestOutcome],
    ingest_page: Callable[[list[Any], str], list[IngestOutcome]],
    *,
    notes: list[str] | None = None,
) -> list[IngestOutcome]:
    """Read the pages after the first (its document `first`, its outcomes `first_outcomes`) while each holds a new
    release, at most `max_pages` in all; `ingest_page(results, shown_url)` stores one page's results. When the
    document lists more than that, the log says so, and so does a line added to `notes` (`feeds ingest` prints it)."""
    from feeds.fetch import Fetched

    outcomes: list[IngestOutcome] = []
    doc, url, page_outcomes, pages = first, source.url, list(first_outcomes), 1
    read = _results_read(doc, source)
    seen = {url}
    while (nxt := next_page(doc, source, url, _results_read(doc, source))) is not None and nxt not in seen:
        if not any(o.status == "created" for o in page_outcomes):
            return outcomes  # (all known: the pages after it were read before)
        if pages >= source.max_pages:
            total = total_of(first, source)
            more = f"lists {total} results" if total is not None else "links to a next page"
            note = (
                f"source {source.name}: the document {more}, {read} read ({pages} page{'' if pages == 1 else 's'}, "
                f"max_pages = {source.max_pages}): the rest are not read (bring the past in from files; a larger "
                "max_pages reads further on a busy day)"
            )
            log.warning("%s", note, extra={"source": source.name})
            if notes is not None:
                notes.append(note)
            return outcomes
        seen.add(nxt)
        shown = without_secrets(nxt)
        result = app.http.get(nxt, accept="application/json")
        try:
            if not isinstance(result, Fetched):
                raise IngestError(str(getattr(result, "error", None) or "not modified"), source=source.name)
            doc = load_document(result.body, source, result.content_type, result.encoding)
            results = results_of(doc, source)
        except IngestError as e:
            log.warning(
                "source %s: page %d (%s): %s: the results after it are not read",
                source.name,
                pages + 1,
                shown,
                e.message.replace(nxt, shown),  # (the page named once, without the source's key)
                extra={"source": source.name},
            )
            return outcomes
        page_outcomes = ingest_page(results, shown)
        outcomes += page_outcomes
        url, pages, read = nxt, pages + 1, read + len(results)
    return outcomes


def _results_read(doc: Any, source: RemoteJsonSource) -> int:
    results = extract(doc, source.results) if source.results else doc
    return len(results) if isinstance(results, list) else 0


def _whole(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None


def _found_instead(doc: Any, path: str) -> str:
    """What the document holds where `results` looked for the list, so that the operator can fix the setting without
    fetching the document by hand: a list at the top (`results = ""`), the keys of the deepest object the path
    reached, or the type of what it found."""
    if not path:
        return f"the document is {json_type(doc)}"
    if isinstance(doc, list):
        return 'the document is a list itself: set results = ""'
    found = extract(doc, path)
    if found is not None:
        return f"{path!r} gives {json_type(found)}, not a list of results"
    steps = path.split(".")
    reached, at = doc, ""
    for i in range(len(steps) - 1, 0, -1):  # (the longest start of the path that gives an object)
        if isinstance(inner := extract(doc, ".".join(steps[:i])), dict):
            reached, at = inner, ".".join(steps[:i])
            break
    if not isinstance(reached, dict):
        return f"{path!r} is not in the document"
    if reached.get(steps[at.count(".") + 1 if at else 0], "") is None:  # (an API's "no results" as `null`)
        return f"{path!r} is null"
    keys = ", ".join(list(reached)[:20]) or "none"
    return f"{path!r} is not in the document (its keys{f' at {at!r}' if at else ''}: {keys})"


def _in_declared_charset(body: bytes, charset: str | None) -> bytes | str:
    """The document as `json.loads` should read it: as sent (UTF-8, or UTF-16/32, which it recognises), unless it
    is not UTF-8 and its server declared another charset (a legacy `ISO-8859-1`), which is then believed. UTF-8 is
    tried first, as for dropped files: a server that labels UTF-8 as Latin-1 would otherwise publish "BogotÃ¡"."""
    codec = codec_for_label(charset) if charset else None
    if codec is None or codec == "utf-8":
        return body
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode(codec, errors="replace")
    return body


def _not_json(body: bytes, content_type: str | None, error: ValueError) -> str:
    """Why a document is not JSON: the decoder's words for a broken one, else what came instead (a maintenance or
    login page answered 200 is "Expecting value: line 1 column 1" to the decoder, which tells the operator nothing)."""
    if body.lstrip()[:1] in (b"{", b"["):
        return str(error)
    start = " ".join(body[:400].decode("utf-8", "replace").split())[:80]
    return f"the server answered {content_type or 'a body without a media type'}, beginning {start!r}"
