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


def answered(
    before: Sequence[RecipientAnswer], attempt: Attempt, to: Sequence[str] | None = None
) -> tuple[RecipientAnswer, ...]:
    """A delivery's recipients after `attempt`: each one it answered with that answer, the others as `before`
    (and one the delivery reached, or that refused it for good, stays so: `attempt` may be several digests, and
    that one's answer was to another); of `before`, only those still in `to` (the config's now) when given: one
    taken out is not waited for. Empty while nobody has the message (it is then retried whole)."""
    merged = {r.address: r for r in before if to is None or r.address in to}
    for address, reply in attempt.recipients:
        if address not in merged or merged[address].state == "waiting":
            merged[address] = RecipientAnswer(address, reply)
    answers = tuple(merged.values())
    return answers if any(r.state == "sent" for r in answers) else ()


def done(deliveries: Sequence[Delivery]) -> set[str]:
    """Whom a message carrying `deliveries` is not sent again: those that every one of them reached, or that were
    refused for good (a digest carrying a delivery new to them goes to them)."""
    kept = [{r.address for r in d.recipients if r.state != "waiting"} for d in deliveries]
    return set.intersection(*kept) if kept else set()


def lacking(deliveries: Sequence[Delivery], to: Sequence[str]) -> list[tuple[set[int], list[str]]]:
    """Who lacks which of `deliveries` (a digest's): the recipients of `to` grouped by the deliveries they lack,
    by id, one message each. One group, everyone, while none has been sent to some recipients only."""
    if not any(d.recipients for d in deliveries):
        return [({d.id for d in deliveries}, list(to))]
    kept = [(d.id, done([d])) for d in deliveries]
    groups: dict[frozenset[int], list[str]] = {}
    for address in to:
        lacks = frozenset(id_ for id_, had in kept if address not in had)
        if lacks:
            groups.setdefault(lacks, []).append(address)
    return [(set(ids), addresses) for ids, addresses in groups.items()]


def combined(attempts: Sequence[tuple[Attempt, Sequence[str]]]) -> Attempt:
    """The attempts of the messages `lacking` made (each with its recipients) as one, to record on the digest's
    deliveries: ok when one went out; each recipient's answer, those of a message that failed whole being its
    error (they wait, or are refused for good on a 5xx to the message)."""
    if len(attempts) == 1:
        return attempts[0][0]
    answers = [
        pair
        for a, to in attempts
        for pair in (a.recipients or ((address, f"{a.status} {a.error or ''}".strip()) for address in to))
    ]
    failed = [a for a, _ in attempts if not a.ok]
    return Attempt(
        ok=len(failed) < len(attempts),
        status=failed[0].status if failed else "250",
        error="; ".join(a.error for a, _ in attempts if a.error) or None,
        retry_after=max((a.retry_after for a in failed if a.retry_after is not None), default=None),
        recipients=tuple(answers),
    )


def says(answers: Sequence[RecipientAnswer], *, gave_up: bool = False) -> str:
    """`sent to a@example.org, c@example.org; b@example.org waits (451 4.7.1 Greylisted); d@example.org refused
    (550 5.1.1 No such user)`: the delivery's state, recipient by recipient (`feeds alerts log`). `gave_up`:
    the delivery failed, and those waiting are `given up on` instead."""
    sent = [r.address for r in answers if r.state == "sent"]
    parts = [f"sent to {', '.join(sent)}"] if sent else []
    for r in answers:
        if r.state != "sent":
            waits = "given up on" if gave_up else "waits"
            parts.append(f"{r.address} {waits if r.state == 'waiting' else 'refused'} ({r.reply})")
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
