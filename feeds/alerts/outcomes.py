"""What an alert attempt did: recorded on its deliveries (`record_attempt`) and told in the log, one line per
failed message however many deliveries it carried (`_log_failed`), one a run for the messages a destination
refused for good with the same answer (`log_refused`). (A destination refusing everything: `feeds.alerts.refusals`.)

What this module must not do: send anything, or decide when to retry (`feeds.alerts.select.after_attempt`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from feeds.alerts.recipients import answered, is_partial, log_partial, says
from feeds.alerts.select import GIVE_UP_AFTER, MAX_ATTEMPTS, Attempt, Destination, after_attempt
from feeds.alerts.webhook import refusal_hint
from feeds.clock import rfc3339
from feeds.store.alerts import AttemptRecord, Delivery

if TYPE_CHECKING:
    from feeds.store import Store

log = logging.getLogger("feeds.alerts")
"""The package's logger: an operator filters alert lines by it, wherever in the package they are written."""


@dataclass
class DestinationOutcome:
    destination: str
    queued: int = 0
    sent: int = 0
    """Deliveries accepted (a digest counts every match it carried)."""
    messages: int = 0
    """POSTs or emails accepted."""
    retrying: int = 0
    partly: int = 0
    """Of those retrying, the emails sent to some recipients and retried for the others only."""
    failed: int = 0
    """Deliveries given up on in this run."""
    deferred: int = 0
    """Claimed but not attempted, because the destination had just failed (or refuses everything)."""
    errors: list[str] = field(default_factory=list)


def record_attempt(
    store: Store,
    d: Destination,
    out: DestinationOutcome,
    dues: Sequence[Delivery],
    attempt: Attempt,
    *,
    now: datetime,
    owner: str,
    for_good: bool = False,
    summed: bool = False,
    to: Sequence[str] | None = None,
) -> bool:
    """Record one message's attempt on its deliveries and log it (`_log_failed`); `summed`: a refusal the caller
    says in one line with the others of its run (`log_refused`), so this one's own line is at debug level.
    An email refused for some recipients and taken by others is kept recipient by recipient, and told by
    `feeds.alerts.recipients` (`to`: an email's recipients in the config now). True when the message was given
    up on after its last attempt (the retry policy tried it to the end)."""
    # A digest's deliveries retry together (one shared back-off), so a retried digest stays one message.
    shared = None
    if len(dues) > 1:
        shared = after_attempt(max(x.attempts for x in dues), attempt, now, d.key)[2]
    records = []
    partial = False
    for delivery in dues:
        answers = answered(delivery.recipients, attempt, to)
        if not delivery.recipients and all(r.state == "sent" for r in answers):
            answers = ()  # (everyone took it at once: nothing to keep)
        partial = partial or is_partial(dues, answers)
        settled = attempt
        if answers:  # someone has it: sent once no recipient waits, else retried for those waiting
            settled = replace(attempt, ok=not any(r.state == "waiting" for r in answers))
        status, attempts, next_at = after_attempt(delivery.attempts, settled, now, delivery.idempotency_key)
        if status == "pending" and shared is not None:
            next_at = shared
        error = attempt.error
        if answers:
            state = says(answers, gave_up=status == "failed")
            error = state if attempt.recipients or attempt.ok else f"{attempt.error}; {state}"
        if for_good and status != "sent":
            status, next_at = "failed", None
            error = f"{error}; not retried (the receiver refused this message)"
        sent_at = now if status == "sent" else None
        record = AttemptRecord(delivery.id, status, attempts, next_at, attempt.status, error, sent_at, answers)
        records.append(record)
        if status == "sent":
            out.sent += 1
        elif status == "failed":
            out.failed += 1
        else:
            out.retrying += 1
        if len(dues) > 1 and status != "sent":  # (then one line for the message: `_log_failed`)
            log.debug("alert %s: match %d, in the failed digest: %s (attempt %d)", d.key, delivery.match_id,
                      status if next_at is None else f"next at {rfc3339(next_at)}", attempts)  # fmt: skip
    if partial:
        out.messages += attempt.ok
        out.partly += sum(r.status == "pending" for r in records if any(x.state == "sent" for x in r.recipients))
        what = f"match {dues[0].match_id}" if len(dues) == 1 else f"a digest of {len(dues):,} matches"
        told = next((r for r in records if r.recipients), records[0])  # (a digest's: the one with recipients)
        log_partial(d, what, attempt, told.recipients, told)
        if not attempt.ok and attempt.error and not attempt.recipients:  # (not a recipient refused again: it waits)
            out.errors.append(attempt.error)
        store.record_attempts(records, now, owner=owner)
        return False
    if attempt.ok:
        out.messages += 1
    else:
        _log_failed(d, dues, records, attempt, for_good=for_good, summed=summed)
        if attempt.error:
            out.errors.append(attempt.error)
    store.record_attempts(records, now, owner=owner)
    return not for_good and any(r.status == "failed" for r in records)


def _log_failed(
    d: Destination,
    dues: Sequence[Delivery],
    records: Sequence[AttemptRecord],
    attempt: Attempt,
    *,
    for_good: bool,
    summed: bool = False,
) -> None:
    """One line for a message that failed, however many deliveries it carried: a digest of 1,200 matches that the
    mail server does not take is one failure to tell the operator about, not 1,200 (each is at debug level).

    It names the destination, the message (`match 12`, or `a digest of 1,200 matches`), the error, and what
    happens next: the next attempt, or that it was given up on (an error: only `feeds alerts retry` sends it)."""
    what = f"match {dues[0].match_id}" if len(dues) == 1 else f"a digest of {len(dues):,} matches"
    if for_good:
        log.log(logging.DEBUG if summed else logging.ERROR, "alert %s: %s refused for good: %s", d.key, what,
                records[0].last_error)  # fmt: skip
        return
    attempts = max(r.attempts for r in records)
    retried = [r for r in records if r.status == "pending"]
    if not retried:
        log.error("alert %s: gave up on %s after %d attempts: %s", d.key, what, attempts, attempt.error)
        return
    next_at = min(r.next_attempt for r in retried if r.next_attempt is not None)
    given_up = len(records) - len(retried)
    if given_up:  # (a digest some of whose matches rode earlier failed digests: those reached the last attempt)
        log.error(
            "alert %s: attempt %d for %s failed (%s); gave up on %d of them after %d attempts, next at %s for the rest",
            d.key, attempts, what, attempt.error, given_up, MAX_ATTEMPTS, rfc3339(next_at),
        )  # fmt: skip
        return
    log.warning("alert %s: attempt %d for %s failed (%s); next at %s", d.key, attempts, what, attempt.error,
                rfc3339(next_at))  # fmt: skip


def log_refused(d: Destination, status: str, error: str, match_ids: Sequence[int]) -> None:
    """One error line for the messages to `d` that its receiver refused for good with the same answer in a run: a
    receiver that no longer takes our schema answers 422 to every message, and a line for each (up to
    `SEND_BATCH` a run, every run) buries the log. It says how many, the answer, that they are failed and what to
    check; each message's own line is at debug level (`_log_failed`)."""
    what = f"match {match_ids[0]}" if len(match_ids) == 1 else f"{len(match_ids):,} messages"
    check = refusal_hint(status) if d.kind == "webhook" else None
    again = f"`feeds alerts retry {d.key}` sends {'it' if len(match_ids) == 1 else 'them'} again"
    log.error(
        "alert %s: %s refused for good (%s): marked failed, not retried%s", d.key, what, error,
        f"; {check}, then {again}" if check else f" ({again})", extra={"destination": d.key},
    )  # fmt: skip


def give_up_waiting(store: Store, d: Destination, out: DestinationOutcome, attempt: Attempt, *, now: datetime) -> None:
    """After `d` failed the last attempt of the message it retries (down for as long as the retry policy tries one:
    it backs off as a whole behind that message), fail its messages that have waited behind it as long
    (`GIVE_UP_AFTER`), in one error line, as behind a destination refusing everything (`feeds.alerts.refusals`).
    Without it, the retried message alone was given up on, and the next in line started its tries afresh: a
    receiver down for a day lost its oldest message or two, and was then sent others older still. Not at an
    earlier failure: messages old only because no run sent them (a daemon stopped for the night) are kept."""
    why = f"{d.key} is failing ({attempt.error or attempt.status})"
    error = f"not sent: gave up after {span_text(GIVE_UP_AFTER)}: {why}"
    n = store.give_up_waiting(d.key, now, due_before=now - GIVE_UP_AFTER, error=error)
    if not n:
        return
    out.failed += n
    log.error(
        "alert %s: gave up on %d deliver%s waiting more than %s behind its back-off: it is failing (%s);"
        " `feeds alerts retry %s` sends them again", d.key, n, "y" if n == 1 else "ies", span_text(GIVE_UP_AFTER),
        attempt.error or attempt.status, d.key, extra={"destination": d.key},
    )  # fmt: skip


def span_text(span: timedelta) -> str:
    """`2 min`, `1 h`, `10 h 35 min`."""
    minutes = round(span.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
