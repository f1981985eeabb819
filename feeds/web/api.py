"""POST /api/releases: the authenticated push endpoint, a thin edge over the ingest pipeline (and POST
/api/releases/withdraw, a withdrawal by `source_key`, `withdrawals.py`, through the same steps up to the JSON).

    disabled? | Bearer token | rate limit (refused requests apart) | Content-Type, Content-Encoding
        | body (capped) | JSON | releases in a list (capped) | Idempotency-Key replay?
        | schema | normalise (every item's field errors at once, from both)
        | ingest_units (one transaction: the releases, the answer and its Idempotency-Key) | on_change()

The body is one release object or a list of them in the same schema as `.json` files in the drop folder
(`feeds.ingest.schema`); a list is all or nothing. Answers: 201 (something created; `Location` for a single
release), 200 (`updated` / `unchanged`), 400 `{"errors": [{"field", "message"[, "index"]}]}` (the first 100, and
`"more_errors": N` beyond), 401, 404 (disabled: no token configured), 405, 409 (under `Prefer: handling=strict`,
RFC 7240: a slug asked for that the release would not get, taken or kept; nothing stored), 411, 413 (a body over
`max_body`, a list of more than `max_releases`), 415 (not JSON, or compressed), 422 (Idempotency-Key reused for
another body), 429 (`Retry-After`), 503 (database unavailable). Every answer is JSON (but waitress's own
plain-text 413 for a body over twice `max_body`, refused before it is read); unexpected errors are logged, never
shown.

Identity, so that retries never duplicate: an item with `source_key` (or `link`, or `slug`) is that release, and
pushing it again updates it; an item without any of them is named by a hash of its content, so re-sending the
very same item is `unchanged`. An `Idempotency-Key` header (draft-ietf-httpapi-idempotency-key-header) makes
the whole request replayable: the same key and body get the first answer back, another body 422. The key is
claimed in the transaction that stores the releases: when another daemon sharing the database claims it first,
this request's releases are rolled back with it, so a 422 or a replayed answer always means nothing of this
request was stored.

Security: the token is compared in constant time on SHA-256 digests of both sides (so not even its length
leaks), every wrong token gets the same answer, and the body is never read beyond `max_body` + 1 bytes.

This module is the handler: the order of the steps, the store's part (the ingest, the Idempotency-Key's record
and replay, the answer read from what was stored), and the one place that logs, counts and sends every answer.
The steps live beside it: `auth.py` (the token, the rate limiter), `body.py` (headers, body, JSON, the list's
size, the Idempotency-Key header), `validate.py` (the items as releases, every field error at once),
`withdrawals.py` (a withdrawal's body and its store step) and `replies.py` (`Reply`, and `Reject` / `Invalid`,
which any step raises to refuse; a stored release as an answer shows it).

What this module must not do: parse release formats or check a request's headers and body itself (the modules
above do), write SQL, or publish.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import exc as sa_exc

from feeds.errors import StoreError
from feeds.ingest import ingest_units
from feeds.ingest.notices import slug_not_used
from feeds.ingest.takedown import taken_down_field
from feeds.ingest.units import Unit
from feeds.ingestreport import IngestOutcome
from feeds.logs import one_line
from feeds.model import Release
from feeds.store import error_text
from feeds.web.auth import RateLimiter, authenticate
from feeds.web.body import (
    canonical_json,
    check_content_encoding,
    check_content_type,
    check_count,
    idempotency_key,
    parse_json,
    prefers_strict,
    read_body,
)
from feeds.web.health import error_body, json_response
from feeds.web.metrics import Metrics
from feeds.web.replies import FieldError, Invalid, Reject, Reply, address, release_view, warned
from feeds.web.static import Environ, StartResponse
from feeds.web.validate import KEY_PREFIX, SOURCE, releases_from_value
from feeds.web.withdrawals import withdraw, withdrawals_from_value

if TYPE_CHECKING:
    from feeds.app import App
    from feeds.store import Tx

log = logging.getLogger("feeds.web.api")

_ATTEMPTS = 3
"""Tries of a push that meets another writer's insert of the same release (then it is an update or unchanged)."""
PATH = "/api/releases"
WITHDRAW_PATH = PATH + "/withdraw"
FLOODS_KEPT = 10_000
"""Addresses whose flood of 429s is being counted, at most (`PushApi._flooding`)."""

IDEMPOTENCY_KEPT = timedelta(days=30)
"""How long an `Idempotency-Key` and its first answer are kept (housekeeping forgets older ones): a retry comes
within minutes; one later still stores nothing twice, as a release pushed again is that release, `unchanged`."""


class PushApi:
    """The WSGI handler of /api/… for one application."""

    def __init__(
        self,
        app: App,
        *,
        on_change: Callable[[], None] | None = None,
        metrics: Metrics | None = None,
        limiter: RateLimiter | None = None,
    ):
        self.app = app
        self.on_change = on_change
        self.metrics = metrics
        self.limiter = limiter or RateLimiter(app.settings.web.rate_limit, app.clock)
        self._lock = threading.Lock()
        """One push at a time in this process: the idempotency check, the save and its record stay together."""
        self._floods: dict[str, int] = {}
        """Each address refused with a 429 since it last got through → the refusals not logged since the first."""
        self._floods_lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            reply = self.handle(environ)
        except Reject as r:
            reply = Reply(r.code, r.payload, r.headers)
        except (StoreError, sa_exc.DBAPIError) as e:
            # One line, the database's own first line, without the SQL statement (SQLAlchemy's message carries it),
            # as the jobs log it: a database restarting while a sender retries its pushes wrote a traceback per push.
            why = one_line(error_text(e))[:300]
            if isinstance(e, StoreError | sa_exc.OperationalError):
                log.error(
                    "push API: 503 from %s: database unavailable: %s", _client(environ), why, extra={"status": 503}
                )
                reply = Reply(503, error_body("the database is unavailable; try again later"), (("Retry-After", "30"),))
            else:  # (a revoked permission, a constraint: not worth retrying until the operator acts)
                log.error("push API: 500 from %s: database refused: %s", _client(environ), why, extra={"status": 500})
                reply = Reply(500, error_body("internal error (logged on the server)"))
        except Exception:
            log.exception("push API: unexpected error on %s", environ.get("PATH_INFO"))
            reply = Reply(500, error_body("internal error (logged on the server)"))
        if self.metrics is not None:
            self.metrics.api_request(reply.code)
        flooding = self._flooding(_client(environ), reply.code)
        if 400 <= reply.code < 500:  # a sender's mistake: the operator should be able to see it too
            errors = reply.payload.get("errors")
            top = errors[0] if isinstance(errors, list) and errors else {}
            first = top.get("message")
            if first and top.get("field"):
                first = f"{top['field']}: {first}"
            if first and top.get("index") is not None:
                first = f"item {top['index']}: {first}"
            first = one_line(first) if first else None  # the sender wrote it: no forged log lines
            more = len(errors) - 1 + reply.payload.get("more_errors", 0) if isinstance(errors, list) and errors else 0
            if first and more:
                first += f" (and {more} more error{'s' if more > 1 else ''})"
            log.log(
                logging.DEBUG if flooding else logging.INFO,
                "push API: %d from %s: %s",
                reply.code,
                _client(environ),
                first or "(no detail)",
                extra={"status": reply.code},
            )
        return json_response(start_response, reply.code, reply.payload, reply.headers)

    def _flooding(self, client: str, code: int) -> bool:
        """Whether this answer to `client` is one more 429 of a flood already logged: a sender looping on 429s
        would write a line per request, thousands a minute. Its first refusal is logged, the rest counted and
        said in one line when that address gets an answer other than 429 again."""
        with self._floods_lock:
            if code == 429:
                count = self._floods.get(client)
                if count is None and len(self._floods) >= FLOODS_KEPT:
                    self._floods.clear()  # (addresses that never came back: forget them, at worst a line again)
                self._floods[client] = 0 if count is None else count + 1
                return count is not None
            count = self._floods.pop(client, None) if self._floods else None
        if count:  # (None: no flood; 0: one refusal, logged already)
            log.info("push API: %s got through again after %d more requests refused (429)", client, count)
        return False

    def _limit(self, client: str, *, refused: bool = False) -> None:
        wait = self.limiter.acquire(f"refused {client}" if refused else client)
        if wait > 0:
            # Retry-After in whole seconds, rounded up (RFC 9110 §10.2.3; RFC 6585 §4 for 429).
            seconds = math.ceil(wait)
            if refused:  # (the limit is not told to whoever has no token)
                why = f"too many refused requests from this address; retry after {seconds} s"
            else:
                why = (
                    f"too many requests: more than {int(self.limiter.capacity):,} a minute from this address "
                    f"(web.rate_limit); retry after {seconds} s, and send many releases as a list, one request"
                )
            raise Reject(429, why, headers=[("Retry-After", str(seconds))])

    def handle(self, environ: Environ) -> Reply:
        path = environ.get("PATH_INFO", "").rstrip("/")
        if path not in (PATH, WITHDRAW_PATH):
            raise Reject(404, f"no such API endpoint (the push API is POST {PATH} and POST {WITHDRAW_PATH})")
        web = self.app.settings.web
        if web.api_token is None:
            raise Reject(404, "the push API is disabled: set [web] api_token or FEEDS_API_TOKEN to enable it")
        if environ.get("REQUEST_METHOD") != "POST":
            raise Reject(405, "use POST", headers=[("Allow", "POST")])
        # Behind a reverse proxy, configure waitress's trusted_proxy so REMOTE_ADDR is the real client.
        client = environ.get("REMOTE_ADDR") or "unknown"
        # Refused requests and authenticated ones are limited apart: failed attempts still count (no free guessing),
        # but whoever guesses from an address (a shared NAT, a proxy) cannot lock out the sender with the token.
        try:
            authenticate(environ.get("HTTP_AUTHORIZATION"), web.api_token)
        except Reject:
            self._limit(client, refused=True)
            raise
        self._limit(client)
        check_content_type(environ.get("CONTENT_TYPE", ""))
        check_content_encoding(environ.get("HTTP_CONTENT_ENCODING", ""))
        value = parse_json(read_body(environ, web.max_body), "withdrawal" if path == WITHDRAW_PATH else "release")
        key = idempotency_key(environ.get("HTTP_IDEMPOTENCY_KEY"))
        strict = prefers_strict(environ.get("HTTP_PREFER"))
        if path == WITHDRAW_PATH:
            return self._withdraw(value, key)
        check_count(value, web.max_releases)
        fingerprint = hashlib.sha256(canonical_json(value)).hexdigest()
        with self._lock:
            if key is not None:
                replay = self._replay(key, fingerprint)
                if replay is not None:
                    return replay
            for attempt in range(_ATTEMPTS):
                try:
                    reply, changed = self._ingest(value, fingerprint, key, strict=strict)
                    break
                except sa_exc.IntegrityError:
                    # Another daemon stored the same release (same identity or id), or claimed the same
                    # Idempotency-Key, between our read and our insert; our transaction is rolled back whole. Its
                    # answer under the key wins (replayed, or 422 for another body); else read again, and the
                    # release is now an update or unchanged, as if it came second.
                    if key is not None and (replay := self._replay(key, fingerprint)) is not None:
                        return replay
                    if attempt == _ATTEMPTS - 1:
                        raise
                    log.info("push API: another writer stored the same release meanwhile; reading again")
        if changed:
            self._changed()
        return reply

    def _withdraw(self, value: object, key: str | None) -> Reply:
        """POST /api/releases/withdraw: the source's withdrawal of the releases known by their `source_key`s
        (`feeds.web.withdrawals`), stored with the answer under the Idempotency-Key, as a push is."""
        wanted = withdrawals_from_value(value, self.app.settings.web.max_releases)
        # (another path's body: a key used for a push and then for a withdrawal is refused as another body)
        fingerprint = hashlib.sha256(b"withdraw " + canonical_json(value)).hexdigest()
        with self._lock:
            if key is not None and (replay := self._replay(key, fingerprint)) is not None:
                return replay
            with self.app.store.transaction() as tx:
                reply, changed = withdraw(tx, wanted, self.app.settings.site.base_url, self.app.clock())
                if key is not None:
                    self._remember(tx, key, fingerprint, reply)
        for release_id in changed:  # (as the ingest logs what it stores)
            log.info("withdrawn %s (%s: by its source_key)", release_id, WITHDRAW_PATH)
        if changed:
            self._changed()
        return reply

    def _changed(self) -> None:
        """Tell `on_change` that a release changed (it publishes); a failure is logged, never the sender's."""
        if self.on_change is None:
            return
        try:
            self.on_change()
        except Exception:  # the release is stored; the next scheduled publish will pick it up
            log.exception("push API: on_change callback failed")

    # --- the steps that touch the store ---

    def _ingest(self, value: object, fingerprint: str, key: str | None, *, strict: bool) -> tuple[Reply, bool]:
        listed = isinstance(value, list)
        releases = releases_from_value(value, self.app, self.app.clock())
        asked = [r if r.slug_asked else None for r in releases]  # (a slug made from its title is no promise)
        unit = Unit(origin=f"{KEY_PREFIX}{fingerprint[:16]}", source=SOURCE, releases=releases)
        replies: list[Reply] = []

        def settle(tx: Tx, outcomes: list[IngestOutcome]) -> None:
            """In the ingest's transaction: the answer, read from what it stored, and the key claimed with it."""
            if any(o.status == "rejected" for o in outcomes):
                return  # nothing stored, and the key stays unused: the sender corrects the release and sends it
            if strict and (refused := _slugs_refused(outcomes, asked, listed)):
                raise Invalid(refused, 409)  # (rolls the transaction back: nothing stored, the key unused)
            replies.append(self._answer(tx, outcomes, listed, asked, strict=strict))
            if key is not None:
                self._remember(tx, key, fingerprint, replies[0])

        outcomes = ingest_units(self.app, [unit], settle=settle)
        if self.metrics is not None:
            self.metrics.releases_ingested(o.status for o in outcomes)
        refused = next((o for o in outcomes if o.status == "rejected"), None)
        if refused is not None:  # refused against what is stored (a public release dated ahead): nothing stored
            raise Invalid([_refusal(refused.error or "refused", releases, listed)])
        return replies[0], any(o.status in ("created", "updated") for o in outcomes)

    def _answer(
        self,
        tx: Tx,
        outcomes: Sequence[IngestOutcome],
        listed: bool,
        asked: Sequence[Release | None],
        *,
        strict: bool = False,
    ) -> Reply:
        statuses = {o.status for o in outcomes}
        base = self.app.settings.site.base_url
        now = self.app.clock()
        items: list[dict[str, Any]] = []
        if len(asked) != len(outcomes):  # (one outcome per release pushed, in order; else nothing is said)
            asked = [None] * len(outcomes)
        for o, slug in zip(outcomes, asked, strict=True):
            # (e.g. a slug that replaced another release; the slug asked for, when the release has another)
            warnings = _fielded(_shown(o.warning)) if o.warning else []
            if (not_given := _slug_not_given(o, slug)) is not None:
                warnings.append(FieldError("slug", not_given))
            items.append(
                {"id": o.release_id, "slug": o.slug, "permalink": address(base, o.slug), "status": o.status}
                | release_view(tx, o.release_id, now)
                | warned(warnings)
            )
        code = 201 if "created" in statuses else 200
        applied = (("Preference-Applied", "handling=strict"),) if strict else ()
        if listed:
            overall = "created" if code == 201 else ("updated" if "updated" in statuses else "unchanged")
            reply = Reply(code, {"status": overall, "releases": items}, applied)
        else:
            location = (("Location", address(base, outcomes[0].slug)),) if code == 201 else ()
            reply = Reply(code, items[0], (*location, *applied))
        return reply

    def _replay(self, key: str, fingerprint: str) -> Reply | None:
        with self.app.store.transaction() as tx:
            stored = tx.idempotent_release(KEY_PREFIX + key)
        if stored is None:
            return None
        record = json.loads(stored)
        if record["request"] != fingerprint:
            raise Reject(422, "this Idempotency-Key was used with a different body", field="Idempotency-Key")
        headers = (*((name, value) for name, value in record["headers"]), ("Idempotent-Replayed", "true"))
        return Reply(record["code"], record["payload"], headers)

    def _remember(self, tx: Tx, key: str, fingerprint: str, reply: Reply) -> None:
        """Record the answer under the key, in the transaction that stored the releases: a key another daemon
        recorded since our check fails here on its primary key (on SQLite at once, as its transaction ended before
        ours could begin; on PostgreSQL once its transaction commits), rolling our releases back with it.
        The `idempotency` table has one text column for the result, so it holds a small JSON record: the body's
        hash, the status code, the headers and the JSON answer."""
        record = {"request": fingerprint, "code": reply.code, "payload": reply.payload, "headers": reply.headers}
        tx.remember_idempotency(KEY_PREFIX + key, json.dumps(record), self.app.clock())


def _refusal(error: str, releases: Sequence[Release], listed: bool) -> FieldError:
    """The field error of a release the store refused ("<origin>: field 'published': …"), with its position in a
    pushed list, without the internal origin the message starts with."""
    for index, release in enumerate(releases):
        if error.startswith(f"{release.origin}: "):
            message = error.removeprefix(f"{release.origin}: ").removeprefix("field 'published': ")
            return FieldError(taken_down_field(message) or "published", message, index if listed else None)
    return FieldError("published", error)


_PUSH_ORIGIN = re.compile(rf"(?:^|(?<=; )){KEY_PREFIX}[0-9a-f]{{16}}: | \(from {KEY_PREFIX}[0-9a-f]{{16}}\)")


def _shown(warning: str) -> str:
    """A warning as the sender reads it: without the internal origin of a pushed body (`push:<hash>: field …`, or
    a release stored `(from push:<hash>)`), a name the sender never saw; the log keeps it, for the operator."""
    return _PUSH_ORIGIN.sub("", warning)


_FIELD_WARNING = re.compile(r"field '([a-z_]+)': (.*)", re.DOTALL)


def _fielded(warning: str) -> list[FieldError]:
    """The ingest's warning (its parts joined by `; `) as the answer's `warnings`: a part about one field
    (`field 'withdrawn_at': …`) under that field, without the words that named it; the rest under null."""
    out: list[FieldError] = []
    for part in re.split(r"; (?=field '[a-z_]+': )", warning):
        m = _FIELD_WARNING.fullmatch(part)
        out.append(FieldError(m[1], m[2]) if m else FieldError(None, part))
    return out


def _slug_not_given(outcome: IngestOutcome, sent: Release | None, *, stored: bool = True) -> str | None:
    """Why the release's address is not the one the sender asked for: a CMS that builds its links from the slug it
    sent would link to another release (a slug is unique, and never changes once assigned)."""
    if sent is None or outcome.slug is None or outcome.slug == sent.slug:
        return None
    asked = sent.slug
    if outcome.status == "created":
        if not stored:
            return f"{asked!r} is another release's slug: this one's would be {outcome.slug!r}"
        return f"{asked!r} is another release's slug: this one's is {outcome.slug!r} (see its permalink)"
    # (the ingest's own warning, `IngestOutcome.slug_kept`, in the same words; said here at every answer, a retry's too)
    return slug_not_used(asked, outcome.slug, sent.identity, f"POST {WITHDRAW_PATH}").removeprefix("field 'slug': ")


def _slugs_refused(
    outcomes: Sequence[IngestOutcome], asked: Sequence[Release | None], listed: bool
) -> list[FieldError]:
    """Under `Prefer: handling=strict`, the 409's errors: each release whose slug would not be the one asked for."""
    if len(asked) != len(outcomes):
        return []
    return [
        FieldError("slug", f"{why}; nothing was stored (Prefer: handling=strict)", index if listed else None)
        for index, (o, sent) in enumerate(zip(outcomes, asked, strict=True))
        if (why := _slug_not_given(o, sent, stored=False)) is not None
    ]


def _client(environ: Environ) -> str:
    """The client's address, as the log names it."""
    return str(environ.get("REMOTE_ADDR") or "unknown")
