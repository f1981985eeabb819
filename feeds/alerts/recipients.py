"""An email the mail server took for some recipients and refused for others: each recipient's answer, kept on the
delivery (`Delivery.recipients`, migration 29), so that the message goes again only where it has not been.

- A recipient refused *for now* (450, 451, 452: greylisting, a full mailbox) is `waiting`: the delivery stays
  pending and is tried again with the back-off of any retry (`select.after_attempt`), to the waiting recipients
  alone, the same message (the same Message-ID). It does not hold the destination back (`holding_back`): the
  server is up, and the other alerts go out. After `MAX_ATTEMPTS` the delivery is failed, in one error line naming
  each recipient given up on and the server's last answer; `feeds alerts retry` sends it to them alone.
- A recipient refused *for good* (5xx) is `refused`: said once (in the line of the attempt that met it), never
  tried again.
- While nobody has the message (every recipient refused, no answer, DATA refused) there is nothing to keep: it
  is retried whole, as any failure.

What this module must not do: send anything, or choose the back-off.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from feeds.alerts.select import MAX_ATTEMPTS, Attempt, Destination
from feeds.clock import rfc3339
from feeds.store.alerts import AttemptRecord, Delivery, RecipientAnswer

log = logging.getLogger("feeds.alerts")


def answered(before: Sequence[RecipientAnswer], attempt: Attempt) -> tuple[RecipientAnswer, ...]:
    """A delivery's recipients after `attempt`: each one it answered with that answer, the others as `before`.
    Empty while nobody has the message (it is then retried whole)."""
    merged = {r.address: r for r in before}
    for address, reply in attempt.recipients:
        merged[address] = RecipientAnswer(address, reply)
    answers = tuple(merged.values())
    return answers if any(r.state == "sent" for r in answers) else ()


def done(deliveries: Sequence[Delivery]) -> set[str]:
    """Whom a message carrying `deliveries` is not sent again: those that every one of them reached, or that were
    refused for good (a digest carrying a delivery new to them goes to them)."""
    kept = [{r.address for r in d.recipients if r.state != "waiting"} for d in deliveries]
    return set.intersection(*kept) if kept else set()


def says(answers: Sequence[RecipientAnswer]) -> str:
    """`sent to a@example.org, c@example.org; b@example.org waits (451 4.7.1 Greylisted); d@example.org refused
    (550 5.1.1 No such user)`: the delivery's state, recipient by recipient (`feeds alerts log`)."""
    sent = [r.address for r in answers if r.state == "sent"]
    parts = [f"sent to {', '.join(sent)}"] if sent else []
    for r in answers:
        if r.state != "sent":
            parts.append(f"{r.address} {'waits' if r.state == 'waiting' else 'refused'} ({r.reply})")
    return "; ".join(parts)


def is_partial(dues: Sequence[Delivery], answers: Sequence[RecipientAnswer]) -> bool:
    """Whether an attempt on `dues` (`answers`: the first one's after it) is one this module tells: a recipient
    refused, or the message already sent to some. (Everyone taking it at once is a plain success.)"""
    return bool(answers) and (any(r.state != "sent" for r in answers) or any(x.recipients for x in dues))


def log_partial(
    d: Destination, what: str, attempt: Attempt, answers: Sequence[RecipientAnswer], record: AttemptRecord
) -> None:
    """One line for the attempt: the recipients refused for good in it (said here only: they are not tried
    again), and those waiting: when they are tried again, or (an error) that they were given up on."""
    tried = {address for address, _ in attempt.recipients}
    refused = [r for r in answers if r.state == "refused" and r.address in tried]
    waits = [r for r in answers if r.state == "waiting"]
    for_good = (
        f"; {_listed(refused)} refused it for good: not sent to {'it' if len(refused) == 1 else 'them'} again"
        if refused
        else ""
    )
    failed = "" if attempt.recipients or attempt.ok else f" ({attempt.error or attempt.status})"
    if record.status == "failed" and waits:
        alone = ", ".join(r.address for r in waits)
        log.error(
            "alert %s: gave up on %s for %s after %d attempts%s: the mail server answered %s%s; `feeds alerts retry"
            " %s` sends it to %s alone", d.key, alone, what, record.attempts, failed, _listed(waits), for_good,
            d.key, alone, extra={"destination": d.key},
        )  # fmt: skip
    elif waits and record.next_attempt is not None:
        log.warning(
            "alert %s: %s is waiting for %s%s: tried again at %s (attempt %d of %d)%s", d.key, what, _listed(waits),
            failed, rfc3339(record.next_attempt), record.attempts, MAX_ATTEMPTS, for_good,
            extra={"destination": d.key},
        )  # fmt: skip
    elif refused:
        sent = sum(r.state == "sent" for r in answers)
        log.warning("alert %s: %s sent to %d of %d recipients%s", d.key, what, sent, len(answers), for_good,
                    extra={"destination": d.key})  # fmt: skip


def _listed(answers: Sequence[RecipientAnswer]) -> str:
    return ", ".join(f"{r.address} ({r.reply})" for r in answers)
