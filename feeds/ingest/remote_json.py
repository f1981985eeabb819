"""A remote JSON document of releases (modelled on the GOV.UK Search API), polled politely.

    due? | http.get(url, validators) | JSON → results | field mapping → RawRelease | pipeline | source state

The source's state (validators, last status, failures, next check) lives in the store, so a restart or
another daemon carries on where this one stopped. A 304 costs no parsing. Failures back off (see
`feeds.watch.schedule`) and never stop polling.

A document that still lists a release withdrawn by hand is read again at every change of any of its results:
the log says that the release stays withdrawn at the first read (and at once when the source's copy of it
changes), then at most once a day (`REMIND_EVERY`), not at every poll; when it said so is part of the
source's state (`held_told`), so a restart or another daemon does not say it again either. So is a result
asking for another slug than its release's (which keeps its own: `IngestOutcome.slug_kept`).

Field paths: `a.b` walks objects, `a[0].b` takes one list element, `a[].b` collects from every element (a list:
joined with ", " for text fields, kept as a list for `topics`). Defaults match the GOV.UK Search API.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from feeds.clock import rfc3339
from feeds.config import RemoteJsonSource
from feeds.errors import IngestError, InvalidReleaseError
from feeds.ingest import ingest_units
from feeds.ingest.formats import twins
from feeds.ingest.remote_pages import extract, load_document, read_further_pages, results_of
from feeds.ingest.schema import DATE_FIELDS, json_type, unix_time
from feeds.ingest.takedown import is_taken_down
from feeds.ingest.units import Unit, unit_from_raws
from feeds.ingestreport import IngestOutcome
from feeds.model import RawRelease
from feeds.normalise.ids import identity_of, under_any_form
from feeds.normalise.summary import summary_is_html
from feeds.urls import without_secrets
from feeds.watch.schedule import clock_step, next_check_at

if TYPE_CHECKING:
    from feeds.app import App
    from feeds.fetch import Fetched

log = logging.getLogger("feeds.ingest")

DEFAULT_FIELDS: dict[str, str] = {
    "title": "title",
    "summary": "description",
    "link": "link",
    # GOV.UK's `public_timestamp` is the time of the item's last major update (its finders show it as "Updated"),
    # not its first publication: as `updated`, it dates a new release, keeps a stored one's publication, and lets
    # an older copy (a stale cache) be told apart from the newer one stored.
    "updated": "public_timestamp",
    "organisation": "organisations[0].title",
    "document_type": "content_store_document_type",
}


def raw_from_result(item: Any, source: RemoteJsonSource, origin: str) -> RawRelease:
    """Map one search result onto a RawRelease (pure)."""
    if not isinstance(item, dict):
        raise InvalidReleaseError("result is not a JSON object", origin=origin)
    fields = {**DEFAULT_FIELDS, **dict(source.fields)}
    values: dict[str, Any] = {}
    for name, path in fields.items():
        if not path:  # mapped to nothing on purpose: a default (GOV.UK's `description` as summary…) switched off
            continue
        value = extract(item, path)
        for part in value if isinstance(value, list) else [value]:
            if isinstance(part, dict | list | bool):  # str() would publish Python's repr ("{'title': …}")
                raise InvalidReleaseError(
                    f"{path!r} gives {json_type(part)}, not text: map the path of a string or number in it",
                    field=name,
                    origin=origin,
                )
        if isinstance(value, list) and name != "topics":
            value = ", ".join(str(v) for v in value if v not in (None, ""))
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = unix_time(value) if name in DATE_FIELDS else str(value)
        values[name] = value
    link = values.get("link")
    if isinstance(link, str) and link:
        values["link"] = urljoin(source.link_base or source.url, link)
    topics = values.get("topics") or ()
    if isinstance(topics, str):
        topics = [t.strip() for t in topics.split(",")]
    summary = _text(values.get("summary"))
    body, body_format = _text(values.get("body")), "markdown"
    if values.get("body_html"):
        body, body_format = _text(values.get("body_html")), "html"
    elif not body:
        # Search results carry no body: publish the summary with a link to the full text. A summary that is HTML
        # (a WordPress `excerpt.rendered`) is read as HTML, as the summary itself is, not shown as its markup.
        from html import escape

        href = values.get("link") or ""
        lead = summary if summary and summary_is_html(summary) else f"<p>{escape(summary or '')}</p>"
        body = lead + (f'<p><a href="{escape(href)}">Read the full text</a></p>' if href else "")
        body_format = "html"
    return RawRelease(
        origin=origin,
        source=source.name,
        title=_text(values.get("title")),
        body=body,
        body_format=body_format,  # type: ignore[arg-type]
        summary=summary,
        published=_text(values.get("published")),
        updated=_text(values.get("updated")),
        slug=_text(values.get("slug")),
        topics=tuple(str(t) for t in topics if str(t).strip()),
        organisation=_text(values.get("organisation")),
        link=values.get("link") or None,
        source_key=_text(values.get("source_key")),
        language=_text(values.get("language")),
        document_type=_text(values.get("document_type")),
        image=_text(values.get("image")),
        translation_of=_text(values.get("translation_of")),
        withdrawn_at=_text(values.get("withdrawn_at")),
        withdrawn_note=_text(values.get("withdrawn_note")),
        change_note=_text(values.get("change_note")),
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s or None


REMIND_EVERY = timedelta(days=1)
"""How often the log says again that the source still lists a release withdrawn by hand, which stays withdrawn
(debug level in between): the first warning tells the office, the same one at every read would be noise."""

DUE_EARLY = timedelta(seconds=5)
"""How early a remote source may be polled before its next check: a tick's own jitter."""


def poll_remote(
    app: App, source: RemoteJsonSource, *, force: bool = False, notes: list[str] | None = None
) -> list[IngestOutcome]:
    """Fetch the document if due (or forced), ingest its results (and of its further pages), record the source's
    health. `notes` gets a line when the document lists more than the `max_pages` pages read held."""
    from feeds.fetch import Fetched, NotModified, Validators

    now = app.clock()
    state = app.store.source_state(source.name)
    # Due a little early counts as due: the ingest ticks every minute, and a check due a few milliseconds after
    # the tick (it was scheduled from the previous tick's clock) waited for the next one, doubling a 1 min
    # interval (a re-check saw 'not due until 18:56:43Z' logged at 18:56:43).
    # A check recorded ahead of the clock was scheduled by a clock since stepped back: its schedule moves back by
    # the step, stored (`schedule.clock_step`, as a watched feed's is), or the source waited out the step's length.
    if state.last_checked is not None and (step := clock_step(now, [state.last_checked])):
        log.warning(
            "source %s: the clock is %s behind its last check (stepped back?): its schedule moves back as much",
            source.name,
            step,
            extra={"source": source.name},
        )
        moved = state.next_check - step if state.next_check is not None else None
        state = replace(state, last_checked=state.last_checked - step, next_check=moved)
        app.store.save_source_state(state)
    if not force and state.next_check is not None and state.next_check > now + DUE_EARLY:
        log.info("source %s: not due until %s", source.name, rfc3339(state.next_check), extra={"source": source.name})
        return []
    interval = timedelta(seconds=source.interval)
    reading = _reading(source)
    # The stored validators stand for the document as read with the settings of that time: with other settings
    # (a field mapping fixed), a 304 would leave the document unread until the source changes it.
    validators = Validators(state.etag, state.last_modified) if state.read_with == reading else Validators()
    result = app.http.get(source.url, validators=validators, accept="application/json")
    if result.permanent_redirect is not None:
        # (the URL is the config's: unlike a watched feed's, it cannot be moved here, so the operator is told)
        log.warning(
            "source %s: %s moved permanently to %s: put the new address in the config",
            source.name,
            source.shown_url,
            without_secrets(result.permanent_redirect),
            extra={"source": source.name},
        )
    outcomes: list[IngestOutcome] = []
    told = dict(state.held_told)
    lately = _told_lately(told, now)
    if isinstance(result, Fetched | NotModified):
        error = None
        if isinstance(result, Fetched):
            try:
                outcomes = _ingest_results(app, source, result, now, told=lately, notes=notes)
            except IngestError as e:
                error = str(e)
                outcomes = [IngestOutcome(origin=source.shown_url, status="rejected", error=error)]
            else:
                # A document none of whose results could be stored (a mapping with a typo) is the source's failure,
                # not a healthy read: shown as "ok (200)", with its 304s after it, nothing would ever be stored.
                error = _nothing_stored(source, outcomes)
                if error is not None:
                    outcomes = [*outcomes, IngestOutcome(origin=source.shown_url, status="rejected", error=error)]
        failures = state.failures + 1 if error else 0
        # Validators are kept only for a document that was read: those of a broken one (not JSON) would have the
        # next poll answered 304, and the source shown healthy while it still serves the same broken document.
        read = result.validators if isinstance(result, Fetched) and error is None else None
        new_state = replace(
            state,
            etag=read.etag if read is not None else state.etag,
            last_modified=read.last_modified if read is not None else state.last_modified,
            read_with=reading if read is not None else state.read_with,
            held_told=_held_told(outcomes, lately, told, now) if read is not None else state.held_told,
            last_checked=now,
            last_status="200" if isinstance(result, Fetched) else "304",
            last_error=error,
            failures=failures,
            next_check=next_check_at(now, interval, key=source.url, failures=failures, fresh_until=result.fresh_until),
        )
    else:
        failures = state.failures + 1
        # (the error names the URL fetched: shown without its key, as every message of the source names it)
        error = str(result.error).replace(source.url, source.shown_url)
        log.warning("source %s: %s (failure %d)", source.name, error, failures, extra={"source": source.name})
        new_state = replace(
            state,
            last_checked=now,
            last_status=str(result.status) if result.status else "error",
            last_error=error,
            failures=failures,
            next_check=next_check_at(now, interval, key=source.url, failures=failures, retry_after=result.retry_after),
        )
        outcomes = [IngestOutcome(origin=source.shown_url, status="rejected", error=error)]
    app.store.save_source_state(new_state)
    return outcomes


def _told_lately(told: Mapping[str, datetime], now: datetime) -> Callable[[IngestOutcome], bool]:
    """Whether the log said, less than `REMIND_EVERY` ago, what an unchanged copy's outcome says: that its release
    stays withdrawn (said since the withdrawal), or that it keeps its slug (`slug_kept`). A changed copy is news,
    said at once."""

    def lately(o: IngestOutcome) -> bool:
        at = told.get(o.release_id or "")
        if o.status != "unchanged" or at is None or now - at >= REMIND_EVERY:
            return False
        return at >= o.held_since if o.held_since is not None else o.slug_kept is not None

    return lately


def _held_told(
    outcomes: Sequence[IngestOutcome],
    lately: Callable[[IngestOutcome], bool],
    told: Mapping[str, datetime],
    now: datetime,
) -> tuple[tuple[str, datetime], ...]:
    """`held_told` after a read: the releases withdrawn by hand this document lists, and those it asks another
    slug for, with when the log said so (now, unless it was `lately`). One it no longer lists, restored, or asked
    for by its own slug again, is left out: said again when it comes back."""
    return tuple(
        sorted(
            (o.release_id, told[o.release_id] if lately(o) else now)
            for o in outcomes
            if (o.held_since or o.slug_kept) and o.release_id
        )
    )


def _nothing_stored(source: RemoteJsonSource, outcomes: Sequence[IngestOutcome]) -> str | None:
    """Why a document was read for nothing, when it had results and every one was refused; else None."""
    if not outcomes or any(o.status != "rejected" or is_taken_down(o.error or "") for o in outcomes):
        return None
    first = outcomes[0]
    # (without the result's name, `<url>#0: `, the error starts with: the message names the source already)
    why = re.sub(rf"^{re.escape(source.shown_url)}#\d+: ", "", first.error or "refused").removeprefix(
        f"{first.origin}: "
    )
    return str(
        IngestError(
            f"none of the {len(outcomes)} results could be stored (the first: {why}): check the source's "
            "`fields` mapping",
            source=source.name,
            origin=source.shown_url,
        )
    )


def _reading(source: RemoteJsonSource) -> str:
    """A digest of what decides how the source's document is read into releases."""
    how = [source.results, source.link_base, sorted(source.fields)]
    return hashlib.sha256(json.dumps(how, default=str).encode()).hexdigest()[:16]


def document_error(source: RemoteJsonSource, outcomes: Sequence[IngestOutcome]) -> str | None:
    """Why `poll_remote` could not read the source's document at all (an HTTP error, not JSON), from its outcomes:
    such a failure is the one outcome named after the source's own URL (each result is named after its link)."""
    return next(
        (o.error for o in outcomes if o.origin == source.shown_url and o.status == "rejected" and o.error), None
    )


def _ingest_results(
    app: App,
    source: RemoteJsonSource,
    fetched: Fetched,
    now: datetime,
    *,
    told: Callable[[IngestOutcome], bool],
    notes: list[str] | None,
) -> list[IngestOutcome]:
    """Store the results of the first page, then of the pages after it that `read_further_pages` reads."""
    doc = load_document(fetched.body, source, fetched.content_type, fetched.encoding)
    first = _ingest_page(app, source, results_of(doc, source), source.shown_url, now, told=told)

    def page(results: list[Any], shown: str) -> list[IngestOutcome]:
        return _ingest_page(app, source, results, shown, now, told=told)

    return first + read_further_pages(app, source, doc, first, page, notes=notes)


def _ingest_page(
    app: App,
    source: RemoteJsonSource,
    results: list[Any],
    shown: str,
    now: datetime,
    *,
    told: Callable[[IngestOutcome], bool],
) -> list[IngestOutcome]:
    """Store one page's results (`shown`: the page's URL, without secrets, that names each result)."""
    units: list[Unit] = []
    seen: dict[str, tuple[int, RawRelease]] = {}
    for i, item in enumerate(results):
        origin = f"{shown}#{i}"
        try:
            raw = raw_from_result(item, source, origin)
        except InvalidReleaseError as e:
            units.append(Unit(origin=origin, source=source.name, error=str(e)))
            continue
        if identity_of(raw).startswith("file:"):
            # Known only by its place in the list, which moves with every result added above it: each would take
            # its neighbour's text under its own id at the next read. (A drop folder's list is read once; a
            # source is read for ever.)
            nameless = InvalidReleaseError(
                "the result has no link, source_key or slug, so nothing tells it apart from the others from one "
                "read to the next: map a field that does (`fields.link`, `fields.source_key`)",
                field="link",
                origin=origin,
            )
            units.append(Unit(origin=origin, source=source.name, error=str(nameless)))
            continue
        identity = identity_of(raw)
        # (a link is one page over http and https, with a slash at the end or not: `twins` says so too)
        first, earlier = under_any_form(seen, identity) or seen.setdefault(identity, (i, raw))
        found = twins([earlier, raw]) if first != i else None
        if found is not None:
            # Two results that are one release (the same link, say, listed twice): stored in turn, each read of
            # the document would update the release twice, to the second and back, for ever. The first is kept.
            _, _, field, value = found
            error = f"results #{first} and #{i} have the same {field} ({value!r}): they would be one release"
            units.append(
                Unit(
                    origin=origin, source=source.name, error=str(InvalidReleaseError(error, field=field, origin=origin))
                )
            )
            continue
        units.append(
            unit_from_raws([raw], origin=raw.link or origin, source=source.name, settings=app.settings, now=now)
        )
    return ingest_units(app, units, told=told)
