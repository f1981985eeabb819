"""Which matches go where, and when (pure): destinations, selection, idempotency keys, digest periods, retries.

- **Selection.** A destination takes a keyword match when the match's rule is in its `rules` (or `rules` holds
  `"*"`), and a related/pickup match (coverage of one of our releases) when `coverage` is true.
- **Idempotency key.** Stable per (destination, match), derived from the destination and what identifies the match
  (kind, subject, feed, item key) rather than from row ids, so it survives a rebuilt database; sent as
  `webhook-id` (webhooks) and in the Message-ID (email). A receiver that keeps the keys sees each match once
  even when a crashed sender had to send it again.
- **Digest periods** are wall-clock times in the site's time zone: *hourly* on the hour, *daily* at 08:00, *weekly* on
  Monday at 08:00 (like Google Alerts' "at most once a day / once a week"). A match joins the digest of the first
  boundary strictly after it was found and after the destination's last digest (one stored just after the 08:00
  digest went out, or a catch-up for a rule added to the destination, waits for the next digest rather than
  making a second one); an *immediate* alert is due as soon as it is queued.
- **Retries.** A failed attempt is retried after `backoff(5 min, attempts)` (5, 10, 20, 40… minutes, ±10% jitter,
  the same function as feed polling), or later when the receiver sent `Retry-After`; after `MAX_ATTEMPTS` attempts
  (about 10.5 hours of trying) the delivery is `failed` and stays in the log.
- **A destination refusing everything** (a webhook's 401/403/404/410: a revoked token, a deleted hook) fails no
  message: it is the destination that is wrong, and every message waits for it to be put right. It backs off as a
  whole (`refusal_wait`: 1, 2, 4… minutes, at most `REFUSAL_WAIT_MAX`), trying one delivery at each step; a
  delivery that has waited longer than the retry policy above tries one (`GIVE_UP_AFTER`) is given up on.

What this module must not do: read the clock, touch the store, or speak HTTP/SMTP.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Literal

from feeds.config import AlertFrequency, AlertSettings
from feeds.errors import NotFoundError
from feeds.model import MatchKind, StoredMatch
from feeds.watch.schedule import backoff

MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(minutes=5)
MAX_RETRY_AFTER = timedelta(days=7)
REFUSAL_WAIT_BASE = timedelta(minutes=1)
REFUSAL_WAIT_MAX = timedelta(hours=2)
"""The longest a destination refusing everything waits between two tries: a token put right is seen within two
hours at worst (at once with `feeds alerts retry`), at 12 POSTs a day, and a delivery is tried at least four
times at that pace before `GIVE_UP_AFTER` gives it up."""
GIVE_UP_AFTER = RETRY_BASE * (2 ** (MAX_ATTEMPTS - 1) - 1)
"""How long the retry policy tries a delivery, first attempt to last (5 + 10 + … + 320 minutes: 10 h 35 min,
without the jitter): a delivery queued longer ago than this, to a destination refusing everything, is given up
on, as it would be to one that is down."""
DIGEST_HOUR = 8
DIGEST_WEEKDAY = 0  # Monday
ENQUEUE_WINDOW = timedelta(days=7)
"""Matches found longer ago than this are never queued (bounds each run's scan after a long outage)."""

Settled = Literal["pending", "sent", "failed"]


@dataclass(frozen=True, slots=True)
class Destination:
    """One configured alert target, whatever its kind."""

    key: str
    """`webhook:<name>` or `email:<name>`: the `destination` column of the delivery log."""
    kind: Literal["webhook", "email"]
    name: str
    rules: tuple[str, ...]
    coverage: bool
    frequency: AlertFrequency = "immediate"


def destinations_of(settings: AlertSettings) -> tuple[Destination, ...]:
    hooks = (Destination(f"webhook:{h.name}", "webhook", h.name, h.rules, h.coverage) for h in settings.webhooks)
    mails = (Destination(f"email:{e.name}", "email", e.name, e.rules, e.coverage, e.frequency) for e in settings.email)
    return (*hooks, *mails)


def destination_key(settings: AlertSettings, name: str, known: Sequence[str] = ()) -> str:
    """The key of the destination called `name`: `webhook:desk` as written, or `desk` as the config names it
    (when only one kind has that name). `known`: keys also accepted (destinations no longer configured but still
    in the deliveries log). NotFoundError naming the configured ones otherwise."""
    keys = [d.key for d in destinations_of(settings)]
    if name in keys or name in known:
        return name
    by_name = [k for k in keys if k.split(":", 1)[1] == name]
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        raise NotFoundError(f"{name!r} names {' and '.join(by_name)}: say which")
    listed = ", ".join(keys) or "none configured"
    raise NotFoundError(f"no alert destination is called {name!r} (the destinations: {listed})")


def wants(destination: Destination, kind: MatchKind, subject: str) -> bool:
    """Does this destination take a match of `kind` about `subject` (a rule name or a release id)?"""
    if kind == "keyword":  # (rule names are unique but for case: `Sanctions` in a destination is the rule `sanctions`)
        return "*" in destination.rules or subject.casefold() in {name.casefold() for name in destination.rules}
    return destination.coverage


def delivery_key(destination: str, kind: str, subject: str, feed_id: int, item_key: str) -> str:
    """The idempotency key of one match's delivery to one destination (32 hex digits)."""
    text = "\0".join((destination, kind, subject, str(feed_id), item_key))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def digest_key(keys: Iterable[str]) -> str:
    """One key for a digest message, from the keys of the deliveries it carries."""
    return hashlib.sha256("\0".join(sorted(keys)).encode("ascii")).hexdigest()[:32]


# --- when ---------------------------------------------------------------------------------------------------


def next_boundary(frequency: AlertFrequency, after: datetime, tz: tzinfo) -> datetime:
    """The first digest boundary strictly after `after` (UTC in, UTC out), on the wall clock of `tz`."""
    local = after.astimezone(tz)
    if frequency == "immediate":
        return after
    if frequency == "hourly":
        # Step in absolute time, not wall time, so a DST change neither skips nor repeats a digest.
        top = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        return top + timedelta(hours=1)
    days_ahead = 0 if frequency == "daily" else (DIGEST_WEEKDAY - local.weekday()) % 7
    step = timedelta(days=1 if frequency == "daily" else 7)
    day = local.date() + timedelta(days=days_ahead)
    candidate = datetime.combine(day, time(DIGEST_HOUR), tzinfo=tz)
    if candidate <= after:
        candidate = datetime.combine(day + step, time(DIGEST_HOUR), tzinfo=tz)
    return candidate.astimezone(UTC)


def first_due(
    frequency: AlertFrequency, found_at: datetime, now: datetime, tz: tzinfo, *, last_sent: datetime | None = None
) -> datetime:
    """When a newly queued delivery is first due: now for immediate alerts, else its digest's boundary: the first
    after the match was found and after the destination's last message (`last_sent`), so that a match queued once
    the digest it would have joined went out waits for the next one. (A clock stepped back leaves `last_sent`
    ahead of `now`: ignored, as it would hold every digest until the clock caught up.)"""
    if frequency == "immediate":
        return now
    since = found_at if last_sent is None or last_sent > now else max(found_at, last_sent)
    return next_boundary(frequency, since, tz)


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one send did: `ok`, the status (`200`, `500`, SMTP `250`/`451`, or `error`) and why it failed."""

    ok: bool
    status: str
    error: str | None = None
    retry_after: datetime | None = None
    refused: bool = False
    """The receiver refused this message itself (an SMTP 5xx to its content): sent again, it gets the same answer."""
    recipients: tuple[tuple[str, str], ...] = ()
    """An email's recipients the server answered on their own, (address, reply): `250` for those that took the
    message, the refusal (`451 4.7.1 Greylisted`) for the others. Empty when nobody received it."""


def after_attempt(
    attempts_before: int, attempt: Attempt, now: datetime, key: str
) -> tuple[Settled, int, datetime | None]:
    """(status, attempts, next attempt) of a delivery after `attempt`, by the retry policy above."""
    attempts = attempts_before + 1
    if attempt.ok:
        return "sent", attempts, None
    if attempts >= MAX_ATTEMPTS:
        return "failed", attempts, None
    at = now + backoff(RETRY_BASE, attempts, key)
    if attempt.retry_after is not None:  # capped as a watched feed's is: a year's Retry-After is a broken receiver
        at = max(at, min(attempt.retry_after, now + MAX_RETRY_AFTER))
    return "pending", attempts, at


def refusal_wait(refusals: int) -> timedelta:
    """How long a destination that refused everything `refusals` times in a row (≥ 1) is left alone before one of
    its deliveries is tried again: `REFUSAL_WAIT_BASE` doubled at each refusal, at most `REFUSAL_WAIT_MAX`. No
    jitter: one runner tries it at each step, whichever daemon, and the log says when."""
    doubled = REFUSAL_WAIT_BASE.total_seconds() * 2.0 ** min(max(refusals, 1) - 1, 32)
    return timedelta(seconds=min(doubled, REFUSAL_WAIT_MAX.total_seconds()))


# --- what (digest grouping) ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertEntry:
    """A match as an alert shows it: the match, with the name and link of what it is about."""

    match: StoredMatch
    subject_title: str
    """The rule's name, or the release's title (its id when the release is gone)."""
    subject_link: str | None = None
    """The release's permalink (coverage), else None."""
    key: str = ""
    """The delivery's idempotency key."""


@dataclass(frozen=True, slots=True)
class EntryGroup:
    kind: MatchKind
    subject: str
    title: str
    link: str | None
    entries: tuple[AlertEntry, ...]

    @property
    def heading(self) -> str:
        return {
            "keyword": f"Keyword rule '{self.title}'",
            "pickup": f"Pick-up of '{self.title}'",
            "related": f"Coverage related to '{self.title}'",
            "manual": f"Coverage of '{self.title}' added by hand",
        }[self.kind]

    @property
    def label(self) -> str:
        """Short form for a subject line."""
        return f"'{self.title}'" if self.kind == "keyword" else f"coverage of '{self.title}'"


_KIND_ORDER = {"keyword": 0, "pickup": 1, "related": 2, "manual": 3}


def group_entries(entries: Sequence[AlertEntry]) -> tuple[EntryGroup, ...]:
    """Group a digest's entries by what they are about: keyword rules first (by name), then releases (by title);
    newest item first inside a group."""
    groups: dict[tuple[str, str], list[AlertEntry]] = {}
    for e in entries:
        groups.setdefault((e.match.kind, e.match.subject), []).append(e)
    out = []
    for (_kind, subject), members in groups.items():
        members.sort(key=lambda e: (e.match.item.published, e.match.id), reverse=True)
        first = members[0]
        out.append(EntryGroup(first.match.kind, subject, first.subject_title, first.subject_link, tuple(members)))
    out.sort(key=lambda g: (_KIND_ORDER[g.kind], g.title.casefold(), g.subject))
    return tuple(out)
