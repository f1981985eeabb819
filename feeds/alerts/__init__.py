"""Alerts for matches: signed webhooks and email (immediately or as digests), each match delivered once.

    run_alerts(app):  destinations_of(settings.alerts) | store.cancel_deliveries(of the others)
        | store.register_destinations(now)
        | per destination: store.unqueued_matches(since) | select.wants | select.first_due(last_sent_at)
              | store.enqueue_deliveries                                  (UNIQUE(destination, match))
        | per destination: store.claim_deliveries(now) | claim_digest(now)  (lease, SKIP LOCKED)
              | render (webhook_body | build_email: one per match, or one digest for all due)
              | post_webhook | send_email
              | outcomes.record_attempt: select.after_attempt | store.record_attempts | the log

Queueing and sending are separate steps of the same run: every match is queued for every destination that wants
it before anything is sent, so a slow or dead destination delays nobody's queue. A failed attempt is an outcome,
not an exception: it is recorded on the delivery (attempts, last_error, next_attempt by exponential back-off) and
the run goes on with the next destination; that destination's other claimed deliveries wait for a later run
rather than each costing another timeout now. The log has one line per failed message, a digest's too (however
many matches it carried; each match's line is at debug level), but one line per run, destination and answer for
the messages refused for good (`log_refused`). After `MAX_ATTEMPTS` a
delivery is `failed`, logged, and kept in the log (`Store.deliveries`); `Store.retry_failed_deliveries` puts it
back in the queue. A webhook message the receiver refuses for good (a 4xx other than 408/425/429:
`webhook.refused_for_good`), or an email the mail server refuses for good after taking its recipients (a 5xx to
its content: `Attempt.refused`), fails at its first attempt, and the run goes on with that destination's next
message: retrying would only hold the others back. But a webhook answer that refuses the destination itself
(401, 403, 404, 410: `webhook.refuses_everything`, a revoked token or a deleted hook) fails nothing: that
delivery stays pending, the destination's other claimed deliveries are given back untouched, and the destination
backs off as a whole, in the store, until one is tried again (`feeds.alerts.refusals`). An email the mail server
takes for some recipients and refuses for others keeps each one's answer: it goes again to those refused for now
alone, and holds back no other message (`feeds.alerts.recipients`).

The pending deliveries of a destination taken out of the config (or renamed) are `cancelled` at the start of the
run (`Store.cancel_deliveries`): nothing would ever send them. `feeds alerts retry --cancelled` queues them again
once the destination is configured again.

Delivery is at least once: a sender that crashes between sending and recording leaves a lease that expires, and
the delivery goes out again with the same key (a webhook's `webhook-id`, an email's Message-ID), which receivers
use to drop the repeat.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

import requests

from feeds.alerts.email import send_email
from feeds.alerts.outcomes import DestinationOutcome, give_up_waiting, log_refused, record_attempt
from feeds.alerts.recipients import combined, done, lacking
from feeds.alerts.refusals import RefusalWatch
from feeds.alerts.render import build_email, webhook_body, webhook_headers
from feeds.alerts.select import (
    ENQUEUE_WINDOW,
    AlertEntry,
    Attempt,
    Destination,
    delivery_key,
    destinations_of,
    digest_key,
    first_due,
    wants,
)
from feeds.alerts.unlisted import where_unlisted
from feeds.alerts.webhook import post_webhook, refused_for_good
from feeds.app import worker_id
from feeds.articles import item_article
from feeds.errors import NotFoundError
from feeds.logs import Reminders
from feeds.outbound import outbound_session
from feeds.store.alerts import Delivery, DueDelivery, NewDelivery

if TYPE_CHECKING:
    from feeds.app import App
    from feeds.store import Store

log = logging.getLogger("feeds.alerts")

LEASE = timedelta(minutes=15)
"""How long a claimed delivery is ours. A batch of sends may take longer (50 slow receivers' answers at up to the
HTTP/SMTP timeouts each), so `_send_each` renews the lease of the deliveries it has not sent yet every third of
it: otherwise another runner would claim them once it expired and send them as well."""
SEND_BATCH = 50
UNKNOWN_RULES_REMINDED = timedelta(days=1)
"""How often the daemon says again that a destination names a rule that does not exist, while it does
(`warn_unknown_rules`): its alerts job meets it every minute, and a warning a minute buries the log."""
DIGEST_LISTED = 500
"""The most matches a digest lists (the newest): it carries every match due, and says how many more it does not
list, and where to find them (`feeds.alerts.unlisted`), rather than become a message of megabytes that mail
servers refuse (a typical limit is 10 to 25 MB; an entry takes about 1 kB in each of the two parts)."""

__all__ = ["AlertReport", "DestinationOutcome", "run_alerts", "warn_unknown_rules"]


@dataclass
class AlertReport:
    outcomes: list[DestinationOutcome] = field(default_factory=list)
    cancelled: dict[str, int] = field(default_factory=dict)
    """Pending deliveries cancelled in this run, by destination: ones taken out of the config (or renamed)."""

    @property
    def queued(self) -> int:
        return sum(o.queued for o in self.outcomes)

    @property
    def sent(self) -> int:
        return sum(o.sent for o in self.outcomes)

    @property
    def failed(self) -> int:
        return sum(o.failed for o in self.outcomes)

    @property
    def retrying(self) -> int:
        return sum(o.retrying for o in self.outcomes)

    def outcome(self, destination: str) -> DestinationOutcome:
        return next(o for o in self.outcomes if o.destination == destination)


def run_alerts(
    app: App, *, owner: str | None = None, reminders: Reminders | None = None, stop: threading.Event | None = None
) -> AlertReport:
    """Queue new matches for every configured destination, then send what is due (see the module docstring).

    `reminders`: the daemon's, which runs this every minute (`warn_unknown_rules`); a command passes none.
    `stop`: the daemon's stop (SIGTERM): once set, no further message is sent; the one on its way completes, and
    the deliveries claimed and not sent are given back for the next run (`_send_each`)."""
    destinations = destinations_of(app.settings.alerts)
    report = AlertReport([DestinationOutcome(d.key) for d in destinations])
    now = app.clock()
    report.cancelled = app.store.cancel_deliveries([d.key for d in destinations], now, lease=LEASE)
    for key, n in sorted(report.cancelled.items()):
        log.warning("alert destination %s is no longer configured: %d pending deliveries cancelled", key, n)
    if not destinations:
        return report
    owner = owner or worker_id()
    tz = app.settings.site.tz
    warn_unknown_rules(app, destinations, reminders=reminders)
    registered = app.store.register_destinations([d.key for d in destinations], now)
    for d, out in zip(destinations, report.outcomes, strict=True):
        out.queued = _enqueue(app.store, d, since=max(registered[d.key], now - ENQUEUE_WINDOW), now=now, tz=tz)

    subjects = _Subjects(app.store)
    session: requests.Session | None = None
    try:
        for d, out in zip(destinations, report.outcomes, strict=True):
            if stop is not None and stop.is_set():  # (what is queued waits for the next run, as any due message)
                break
            if d.kind == "webhook":
                session = session or app.session or outbound_session()
                _send_webhooks(app, session, d, out, subjects, now=now, owner=owner, stop=stop)
            elif d.frequency == "immediate":
                _send_emails(app, d, out, subjects, now=now, owner=owner, tz=tz, stop=stop)
            else:
                _send_digest(app, d, out, subjects, now=now, owner=owner, tz=tz)
    finally:
        if session is not None and session is not app.session:
            session.close()
    return report


def warn_unknown_rules(app: App, destinations: Sequence[Destination], *, reminders: Reminders | None = None) -> None:
    """Warn of each destination whose `rules` names a keyword rule the store does not have: a typo would never
    alert. (The config cannot check it: rules are added and removed from the CLI too.)

    Without `reminders` (a command run from a shell: someone is reading) it is said every time. With them (the
    daemon, whose alerts job runs every minute) it is said once, then once every `UNKNOWN_RULES_REMINDED` while
    it lasts, and at debug level in between; the daemon forgets them at a reload, which says it again at once."""
    rules = {r.name.casefold() for r in app.store.rules()}
    now = app.clock()
    for d in destinations:
        unknown = [name for name in d.rules if name != "*" and name.casefold() not in rules]
        if not unknown:
            if reminders is not None:
                reminders.forget(d.key)  # fixed: if it comes back, it is said at once
            continue
        text = f"alert destination {d.key} names no keyword rule called {', '.join(map(repr, unknown))}"
        said = "first" if reminders is None else reminders.due(d.key, text, now)
        where = {"destination": d.key}
        if said == "first":
            log.warning("%s", text, extra=where)
        elif said == "again" and reminders is not None:
            since = reminders.since(d.key) or now
            log.warning("%s (still, since %s UTC)", text, f"{since:%Y-%m-%d %H:%M}", extra=where)
        else:
            log.debug("%s", text, extra=where)


def _enqueue(store: Store, d: Destination, *, since: datetime, now: datetime, tz: tzinfo) -> int:
    last_sent = None if d.frequency == "immediate" else store.last_sent_at(d.key)
    wanted = [c for c in store.unqueued_matches(d.key, since=since) if wants(d, c.kind, c.subject)]
    # One alert per article: a copy of one queued already (the same story in the paper's "World" and "UK" feeds,
    # or with other tracking parameters: `item_article`) is left unqueued, and looked at again only until it is
    # older than the window.
    seen = store.queued_articles(d.key, since=since - ENQUEUE_WINDOW) if wanted else set()
    rows = []
    for c in wanted:
        if (copy := (c.kind, c.subject, item_article(c.feed_id, c.item_key, c.link, c.guid))) in seen:
            continue
        seen.add(copy)
        due = first_due(d.frequency, c.found_at, now, tz, last_sent=last_sent)
        rows.append(NewDelivery(c.match_id, delivery_key(d.key, c.kind, c.subject, c.feed_id, c.item_key), due))
    return store.enqueue_deliveries(d.key, rows, now)


def _send_webhooks(
    app: App,
    session: requests.Session,
    d: Destination,
    out: DestinationOutcome,
    subjects: _Subjects,
    *,
    now: datetime,
    owner: str,
    stop: threading.Event | None = None,
) -> None:
    hook = next(h for h in app.settings.alerts.webhooks if h.name == d.name)
    http = app.settings.http
    timeout = (http.connect_timeout, http.read_timeout)

    def send(entry: AlertEntry, _: Delivery) -> Attempt:
        if hook.secret_missing:  # never sent unsigned: retried with back-off, and sent once the variable is set
            return Attempt(ok=False, status="error", error=f"not sent: {hook.secret_missing}")
        body = webhook_body(entry, d.name)
        sent_at = int(app.clock().timestamp())  # this attempt's time, not the run's: a batch can take minutes
        headers = webhook_headers(body, entry.key, secret=hook.secret, user_agent=http.user_agent, timestamp=sent_at)
        return post_webhook(session, hook.url, body, headers, timeout=timeout, now=now)

    watch = RefusalWatch.load(app.store, d, now)
    watch.give_up_expired(out)
    _send_each(
        app.store, d, out, subjects, send, now=now, owner=owner, clock=app.clock, final=refused_for_good,
        watch=watch, stop=stop,
    )  # fmt: skip


def _send_emails(
    app: App,
    d: Destination,
    out: DestinationOutcome,
    subjects: _Subjects,
    *,
    now: datetime,
    owner: str,
    tz: tzinfo,
    stop: threading.Event | None = None,
) -> None:
    mail = next(e for e in app.settings.alerts.email if e.name == d.name)
    smtp = app.settings.alerts.smtp

    def send(entry: AlertEntry, delivery: Delivery) -> Attempt:
        if smtp.password_missing:
            return Attempt(ok=False, status="error", error=f"not sent: {smtp.password_missing}")
        message = build_email(
            [entry], alert_name=d.name, frequency=d.frequency, to=mail.to, sender=smtp.sender,
            sender_name=smtp.sender_name, now=now, tz=tz, key=entry.key,
        )  # fmt: skip
        return send_email(smtp, message, skip=done([delivery]))

    _send_each(
        app.store, d, out, subjects, send, now=now, owner=owner, clock=app.clock, final=_refused, stop=stop,
        to=mail.to,
    )  # fmt: skip


def _send_each(
    store: Store,
    d: Destination,
    out: DestinationOutcome,
    subjects: _Subjects,
    send: Callable[[AlertEntry, Delivery], Attempt],
    *,
    now: datetime,
    owner: str,
    clock: Callable[[], datetime],
    final: Callable[[Attempt], bool] | None = None,
    watch: RefusalWatch | None = None,
    stop: threading.Event | None = None,
    to: Sequence[str] | None = None,
) -> None:
    """One message per delivery (`to`: an email's recipients, `record_attempt`); after the first failure, or once
    `stop` is set, give the rest back for a later run.

    A failure that `final` says is about that message alone (the receiver refused it for good) fails that
    delivery at once, and the rest go on: the receiver is up and takes other messages. One that `watch` says
    refuses the destination itself (a revoked token, a deleted hook: every message would get the same answer)
    fails nothing: that delivery is kept, the destination backs off (`RefusalWatch.hold`), and the rest are given
    back untouched. A message accepted ends such a back-off (`RefusalWatch.accepted`).

    Every third of `LEASE` (by `clock`, the time as it goes on, where `now` is the run's start) the deliveries
    not sent yet are leased again: a slow receiver makes the batch outlast its lease, and another runner would
    then claim and send them too. One that another runner holds by then (this one stalled past its lease) is
    left to it."""
    claimed = store.claim_deliveries(d.key, now, limit=SEND_BATCH, owner=owner, lease=LEASE)
    renew_at = now + LEASE / 3
    lost: set[int] = set()
    refused: dict[tuple[str, str], list[int]] = {}
    """(status, error) → the matches whose message the receiver refused for good with it, said in one line."""
    try:
        for i, due in enumerate(claimed):
            at = clock()
            if at >= renew_at:
                rest = [x.delivery.id for x in claimed[i:] if x.delivery.id not in lost]
                lost.update(set(rest) - store.renew_deliveries(rest, at, owner=owner, lease=LEASE))
                renew_at = at + LEASE / 3
            if due.delivery.id in lost:
                continue
            if stop is not None and stop.is_set():  # (a SIGTERM: the message sent last has been answered)
                rest = [x.delivery.id for x in claimed[i:] if x.delivery.id not in lost]
                store.release_deliveries(rest, owner=owner)
                out.deferred += len(rest)
                return
            attempt = send(subjects.entry(due), due.delivery)
            if watch is not None and watch.stops(attempt):
                watch.hold(out, due.delivery, attempt, owner=owner)
                rest = [x.delivery.id for x in claimed[i + 1 :] if x.delivery.id not in lost]
                store.release_deliveries(rest, owner=owner)
                out.deferred += len(rest)
                return
            if attempt.ok and watch is not None:
                watch.accepted()
            # (A message some recipients have is refused for good by the others alone: `feeds.alerts.recipients`.)
            for_good = final is not None and final(attempt) and not due.delivery.recipients
            gave_up = record_attempt(
                store, d, out, [due.delivery], attempt, now=now, owner=owner, for_good=for_good, summed=for_good,
                to=to,
            )  # fmt: skip
            if for_good:
                refused.setdefault((attempt.status, attempt.error or attempt.status), []).append(due.match.id)
            # (The server answered recipient by recipient on a message some of them have: it is up, and one
            # mailbox waiting holds back nobody: `feeds.alerts.recipients`.)
            answering = bool(due.delivery.recipients and attempt.recipients)
            if not attempt.ok and not for_good and not answering:
                rest = [x.delivery.id for x in claimed[i + 1 :] if x.delivery.id not in lost]
                store.release_deliveries(rest, owner=owner)
                out.deferred += len(rest)
                if gave_up:
                    give_up_waiting(store, d, out, attempt, now=now)
                return
    finally:
        for (status, error), match_ids in refused.items():
            log_refused(d, status, error, match_ids)


def _send_digest(
    app: App, d: Destination, out: DestinationOutcome, subjects: _Subjects, *, now: datetime, owner: str, tz: tzinfo
) -> None:
    """Everything due for this destination in one message (its digest period has ended), however much it is:
    the `DIGEST_LISTED` newest matches listed, the rest counted ("30 of them are not listed here") with where to
    find them: a feed holding them all, else the command listing them (`feeds.alerts.unlisted`)."""
    listed, rest = app.store.claim_digest(d.key, now, listed=DIGEST_LISTED, owner=owner, lease=LEASE)
    claimed = [due.delivery for due in listed] + rest
    if not claimed:
        return
    mail = next(e for e in app.settings.alerts.email if e.name == d.name)
    smtp = app.settings.alerts.smtp
    if smtp.password_missing:  # as for a single message: never a login with an empty password
        failed = Attempt(ok=False, status="error", error=f"not sent: {smtp.password_missing}")
        record_attempt(app.store, d, out, claimed, failed, now=now, owner=owner)
        return
    # The digest's period, named in its subject: the one its newest match (listed first) joined when queued, after
    # the last digest sent (`first_due`); the same for a retry, whenever it is sent, and never a sent digest's.
    newest = max((due.match.found_at for due in listed), default=None)
    last = app.store.last_sent_at(d.key)
    ends = first_due(d.frequency, newest, now, tz, last_sent=last) if newest is not None else None
    sent: list[tuple[Attempt, list[str]]] = []
    for ids, to in lacking(claimed, mail.to):  # (one message, unless some recipients had part of it already)
        entries = [subjects.entry(due) for due in listed if due.delivery.id in ids]
        more = [x.match_id for x in rest if x.id in ids]
        unlisted = where_unlisted(app.store, app.settings, more) if more else None
        key = digest_key(x.idempotency_key for x in claimed if x.id in ids)
        message = build_email(
            entries, alert_name=d.name, frequency=d.frequency, to=mail.to, sender=smtp.sender,
            sender_name=smtp.sender_name, now=now, tz=tz, key=key, unlisted=unlisted, period=ends,
        )  # fmt: skip
        sent.append((send_email(smtp, message, skip=set(mail.to) - set(to)), to))
    attempt = combined(sent) if sent else Attempt(True, "250")
    record_attempt(app.store, d, out, claimed, attempt, now=now, owner=owner, for_good=attempt.refused, to=mail.to)


def _refused(attempt: Attempt) -> bool:
    return attempt.refused


class _Subjects:
    """What each match is about, for display: the rule's name, or the release's title and link (looked up once)."""

    def __init__(self, store: Store):
        self.store = store
        self.releases: dict[str, tuple[str, str | None]] = {}

    def entry(self, due: DueDelivery) -> AlertEntry:
        m = due.match
        key = due.delivery.idempotency_key
        if m.kind == "keyword":
            return AlertEntry(m, m.subject, None, key)
        if m.subject not in self.releases:
            try:
                release = self.store.release(m.subject)
                self.releases[m.subject] = (release.title, release.permalink)
            except NotFoundError:
                self.releases[m.subject] = (m.subject, None)
        title, link = self.releases[m.subject]
        return AlertEntry(m, title, link, key)
