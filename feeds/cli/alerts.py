"""Alert commands: `feeds alerts run`, `feeds alerts log`, `feeds alerts retry`, `feeds alerts test`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from feeds.cli import Context, cli, echo, echo_json, handle_errors, pass_ctx
from feeds.clock import rfc3339

if TYPE_CHECKING:
    from feeds.alerts.backoff import BackingOff
    from feeds.alerts.refusals import HeldBack


@cli.group("alerts")
def alerts() -> None:
    """Webhook and email alerts for matches."""


@alerts.command("run")
@pass_ctx
@handle_errors
def alerts_run(ctx: Context) -> None:
    """Queue new matches for every destination and send what is due now.

    Exits 1 when a destination could not be reached (deliveries left to retry, or failed for good), so that cron
    says so; the errors are printed even with -q."""
    from feeds.alerts import run_alerts

    with ctx.app() as app:
        report = run_alerts(app)
        # Not sent and not tried in this run: held back behind a failure (a refusal of everything too), the receiver's
        # back-off, a digest's hour.
        waiting = {
            o.destination: app.store.count_deliveries(destination=o.destination, status="pending") - o.retrying
            for o in report.outcomes
        }
    for o in report.outcomes:
        line = f"{o.destination}: {o.queued} queued, {o.sent} sent in {o.messages} message(s), "
        line += f"{o.retrying} retrying"
        line += f" ({o.partly} for some recipients only: the others have them)" if 0 < o.partly == o.retrying else ""
        line += f" ({o.partly} of them for some recipients only)" if 0 < o.partly < o.retrying else ""
        line += f", {o.failed} failed"
        line += f", {waiting[o.destination]} waiting" if waiting[o.destination] else ""
        line += f" ({_errors(o.errors)})" if o.errors else ""
        if o.errors or o.failed:
            click.echo(line, err=True)
        else:
            ctx.say(line)
    for key, n in sorted(report.cancelled.items()):
        ctx.say(f"{key}: {n} pending deliveries cancelled (no longer configured; `feeds alerts retry --cancelled`)")
    if not report.outcomes:
        ctx.say("no alert destinations configured ([[alerts.webhooks]], [[alerts.email]])")
    if any(o.errors or o.failed for o in report.outcomes):
        sys.exit(1)


def _errors(errors: list[str]) -> str:
    """The run's errors, each once, in the order met: a receiver refusing every message with the same answer (a
    422, an SMTP 554) would otherwise repeat it for each of up to 50 messages. `3 messages: <error>` when repeated."""
    counted: dict[str, int] = {}
    for e in errors:
        counted[e] = counted.get(e, 0) + 1
    return "; ".join(e if n == 1 else f"{n} messages: {e}" for e, n in counted.items())


@alerts.command("log")
@click.option("--destination", help="Only this destination: its name (desk), or webhook:desk / email:desk.")
@click.option("--status", type=click.Choice(["pending", "sent", "failed", "cancelled"]))
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the deliveries as JSON.")
@pass_ctx
@handle_errors
def alerts_log(ctx: Context, destination: str | None, status: str | None, limit: int, as_json: bool) -> None:
    """The delivery log, newest first."""
    from feeds.alerts.backoff import waiting
    from feeds.alerts.recipients import says
    from feeds.alerts.select import destination_key

    with ctx.app(create=False) as app:
        if destination is not None:
            destination = destination_key(app.settings.alerts, destination, app.store.known_destinations())
        rows = app.store.deliveries(destination=destination, status=status, limit=limit)  # type: ignore[arg-type]
        # Behind a destination refusing everything, or backing off after a failure, a delivery's next_attempt says
        # nothing: it waits for the probe, or for the failed delivery.
        now = app.clock()
        held = waiting(app.store, rows, now)
        digests = {f"email:{e.name}": e.frequency for e in app.settings.alerts.email if e.frequency != "immediate"}

    def t(v: object) -> str | None:
        return rfc3339(v) if v is not None else None  # type: ignore[arg-type]

    if as_json:
        echo_json(
            [
                {
                    "destination": d.destination,
                    "match_id": d.match_id,
                    "status": d.status,
                    "attempts": d.attempts,
                    "queued_at": t(d.queued_at),
                    "next_attempt": t(d.next_attempt),
                    "sent_at": t(d.sent_at),
                    "last_status": d.last_status,
                    "last_error": d.last_error,
                    "key": d.idempotency_key,
                    "recipients": {r.address: {"state": r.state, "reply": r.reply} for r in d.recipients} or None,
                    "waits_for": _waits_for(held.get(d.id)),
                }
                for d in rows
            ]
        )
        return
    if not rows and not (app.settings.alerts.webhooks or app.settings.alerts.email):
        ctx.say("no deliveries: no alert destinations configured ([[alerts.webhooks]], [[alerts.email]])")
    elif not rows:
        what = f"no {status + ' ' if status else ''}deliveries{f' to {destination}' if destination else ''}"
        queueing = status in (None, "pending")  # (why there are none yet; not why none failed or were sent)
        ctx.say(
            f"{what} yet: each new match is queued for every destination (`feeds alerts run`)" if queueing else what
        )
    for d in rows:
        line = f"{d.status:<8} {d.destination:<24} match {d.match_id:<6} attempts {d.attempts}"
        line += f"  {d.last_error}" if d.last_error else ""
        if d.recipients and (state := says(d.recipients)) not in (d.last_error or ""):
            line += f"  {state}"  # (an email some recipients have: queued again, or failed for the others)
        if (h := held.get(d.id)) is not None:
            line += f"  {h.says(now)}"
        elif d.status == "pending" and d.next_attempt is not None and d.next_attempt > now:
            # Not stuck: a digest's hour, day or week, or a retry's back-off (said as `next_attempt` in --json).
            frequency = digests.get(d.destination) if not d.attempts else None
            line += f"  due {rfc3339(d.next_attempt)}" + (f" (the {frequency} digest)" if frequency else "")
        echo(line)


def _waits_for(h: HeldBack | BackingOff | None) -> dict[str, object] | None:
    """`waits_for` in `feeds alerts log --json` (README, "WebSub and alerts"): None for a delivery not held back."""
    from feeds.alerts.refusals import HeldBack

    if h is None:
        return None
    if isinstance(h, HeldBack):
        r = h.refusal
        return {
            "destination": r.destination,
            "state": "refuses everything",
            "answered": r.status,
            "since": rfc3339(r.since),
            "refusals": r.refusals,
            "next_probe": rfc3339(r.probe_at),
            "probe": h.probe,
            "match_id": h.match_id,
        }
    return {
        "destination": h.failed.destination,
        "state": "backing off",
        "answered": h.failed.last_status,
        "since": None,
        "refusals": None,
        "next_probe": rfc3339(h.until),
        "probe": h.probe,
        "match_id": h.failed.match_id,
    }


@alerts.command("retry")
@click.argument("destination", required=False)
@click.option(
    "--cancelled", is_flag=True, help="Queue the cancelled deliveries of destinations configured again instead."
)
@pass_ctx
@handle_errors
def alerts_retry(ctx: Context, destination: str | None, cancelled: bool) -> None:
    """Queue failed deliveries again (all, or one destination's: its name, or webhook:NAME / email:NAME).

    Only a configured destination's: nothing sends the deliveries of one taken out of the config (or renamed),
    which would wait in the queue for ever; naming one is an error. With --cancelled, the deliveries cancelled
    while a destination was out of the config, once it is back in. Either way, a webhook refusing everything
    (401/403/404/410), a destination backing off after a failure (5xx, a timeout, a Retry-After), or an email
    waiting for some recipients (a full mailbox), is tried again at the next run, not at the end of its back-off."""
    from feeds.alerts.select import destination_key, destinations_of
    from feeds.errors import NotFoundError

    with ctx.app() as app:
        configured = [d.key for d in destinations_of(app.settings.alerts)]
        if destination is not None:
            destination = destination_key(app.settings.alerts, destination, app.store.known_destinations())
            if destination not in configured:
                what = "cancelled" if cancelled else "failed"
                raise NotFoundError(
                    f"{destination} is not configured (any more): its {what} deliveries cannot be sent; add it back "
                    "to the config to retry them"
                )
        now = app.clock()
        keys = [destination] if destination is not None else configured
        n = sum(app.store.retry_failed_deliveries(now, destination=key, cancelled=cancelled) for key in keys)
        # Someone who says to retry has most likely put the destination right: not hours of its back-off first.
        forgotten = [r for r in (app.store.clear_refusal(key, due=now) for key in keys) if r is not None]
        backed_off = [held for held in (app.store.end_back_off(key, now) for key in keys) if held]
        partly = [d for key in keys for d in app.store.end_recipient_waits(key, now)]
    ctx.say(f"{n} {'cancelled' if cancelled else 'failed'} deliveries queued again")
    for r in forgotten:
        ctx.say(f"{r.destination}: tried again at the next run (it answered {r.status} since {rfc3339(r.since)})")
    for held in backed_off:
        first = held[0]
        what = f"match {first.match_id}" if len(held) == 1 else f"the digest of {len(held)} matches"
        until = f", not at {rfc3339(first.next_attempt)}" if first.next_attempt else ""
        why = "with no answer" if first.last_status in (None, "error") else f"answered {first.last_status}"
        ctx.say(f"{first.destination}: tried again at the next run{until} (it backs off after {what} failed, {why})")
    for key in keys:  # (a digest's matches in one line)
        mine = [d for d in partly if d.destination == key]
        if mine:
            waiting = ", ".join(sorted({r.address for d in mine for r in d.recipients if r.state == "waiting"}))
            what = f"match {mine[0].match_id}" if len(mine) == 1 else f"{len(mine)} deliveries"
            ctx.say(f"{key}: {what} tried again at the next run for {waiting} (the others have it)")


@alerts.command("test")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@pass_ctx
@handle_errors
def alerts_test(ctx: Context, name: str, as_json: bool) -> None:
    """Send one sample alert to the destination NAME now (its name, or webhook:NAME / email:NAME).

    The same message as a real alert, made up: titled "Test alert from feeds: <site title>", linking to the site,
    and marked as a test (a webhook body has "test": true). It is not a delivery: nothing is recorded in the
    delivery log, and the destination's back-off does not hold it back. Exits 1 when it was not taken."""
    from feeds.alerts.select import destination_key
    from feeds.alerts.testsend import send_test
    from feeds.errors import NotFoundError

    with ctx.app() as app:
        try:
            key = destination_key(app.settings.alerts, name)
        except NotFoundError as e:
            raise click.BadParameter(str(e), param_hint="NAME") from e
        outcome = send_test(app, key)
    if as_json:
        echo_json(
            {"destination": outcome.destination, "ok": outcome.ok, "status": outcome.status, "error": outcome.error}
        )
    elif outcome.ok:
        answer = f"HTTP {outcome.status}" if key.startswith("webhook:") else f"SMTP {outcome.status}"
        echo(f"sent to {outcome.destination} ({answer})")
        if outcome.error:  # taken, but some recipients refused
            echo(f"warning: {outcome.error}", err=True)
    else:
        echo(f"failed: {outcome.error or outcome.status}", err=True)
    if not outcome.ok:
        sys.exit(1)
