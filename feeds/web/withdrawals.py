"""POST /api/releases/withdraw: the source's withdrawal of releases by their `source_key`, without sending them.

    body: {"source_key", "withdrawn_note"} or a list of them (capped) | every field error at once (400) |
        in the caller's transaction: each release withdrawn (`withdraw_by_source_key`) | 404 naming every key no
        release has (nothing withdrawn) | the answer

A list is all or nothing, as a pushed one is. Each withdrawal is the source's, as if the release had been sent
again in full with the note: a retry changes nothing (`unchanged`); a release withdrawn by hand on the server
keeps the office's withdrawal and note, and the answer says so.

What this module must not do: read the request, take the push lock, record an Idempotency-Key, or publish (the
handler, `feeds.web.api`, does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from feeds.ingest.schema import json_type
from feeds.ingest.withdraw import WithdrawError, withdraw_by_source_key, withdrawal_note
from feeds.web.body import check_count
from feeds.web.replies import FieldError, Invalid, Reject, Reply, address, release_view, warned

if TYPE_CHECKING:
    from datetime import datetime

    from feeds.model import Release
    from feeds.store import Tx

FIELDS = ("source_key", "withdrawn_note")
"""The fields of a withdrawal: the release as its source knows it, and why."""

Wanted = tuple[bool, list[tuple[str, str]]]
"""Whether the body was a list, and each withdrawal as (source_key, clean note)."""


def withdrawals_from_value(value: object, cap: int) -> Wanted:
    """The body's withdrawals, or `Invalid` naming every wrong field of every item at once (413 past `cap`)."""
    check_count(value, cap, "withdrawals")
    listed = isinstance(value, list)
    items = value if isinstance(value, list) else [value]
    if not items:
        raise Invalid([FieldError(None, "the list holds no withdrawal")])
    wanted: list[tuple[str, str]] = []
    errors: list[FieldError] = []
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        at = index if listed else None
        key, note, item_errors = _one(item)
        errors += [FieldError(e.field, e.message, at) for e in item_errors]
        if key in first:
            errors.append(FieldError("source_key", f"items {first[key]} and {index} both withdraw {key!r}", at))
        elif key:
            first[key] = index
        wanted.append((key, note))
    if errors:
        raise Invalid(errors)
    return listed, wanted


def _one(item: object) -> tuple[str, str, list[FieldError]]:
    if not isinstance(item, dict):
        return "", "", [FieldError(None, f"a withdrawal is a JSON object, not {json_type(item)}")]
    errors = [
        FieldError(name, f"unknown field {name!r}: a withdrawal has only {' and '.join(FIELDS)}")
        for name in item
        if name not in FIELDS
    ]
    given = item.get("source_key")
    if isinstance(given, int) and not isinstance(given, bool):
        given = str(given)  # (a numeric key, as a push may give it: `feeds.ingest.schema`)
    key = given.strip() if isinstance(given, str) else ""
    if not key:
        if given is None:
            why = "is required"
        elif isinstance(given, str):
            why = "is blank"
        else:
            why = f"must be a string, not {json_type(given)}"
        errors.append(FieldError("source_key", f"{why}: the `source_key` the release was pushed with"))
    note = item.get("withdrawn_note")
    clean = ""
    if not isinstance(note, str):
        why = "is required" if note is None else f"must be a string, not {json_type(note)}"
        errors.append(FieldError("withdrawn_note", f"{why}: the reason readers are shown"))
    else:
        try:
            clean = withdrawal_note(note, "withdrawn_note")
        except WithdrawError as e:
            errors.append(FieldError("withdrawn_note", str(e)))
    return key, clean, errors


def _by_hand(release: Release) -> str:
    """Why a release withdrawn by hand on the server is left as it is: the office's decision stands."""
    at = f"{release.withdrawn_at:%Y-%m-%d %H:%M} UTC" if release.withdrawn_at else "earlier"
    return (
        f"the release {release.slug!r} was withdrawn by hand on the server on {at} ({release.withdrawn_note!r}): "
        "that withdrawal and its note stand, and this one's note is not used"
    )


def withdraw(tx: Tx, wanted: Wanted, base_url: str, now: datetime) -> tuple[Reply, list[str]]:
    """Withdraw each release in `tx`: (the answer, the ids of those that changed). `Reject` 404 naming every key
    no release has, by its place in a list, before the caller's transaction commits: nothing is withdrawn then."""
    listed, items = wanted
    answers: list[dict[str, Any]] = []
    missing: list[FieldError] = []
    changed_ids: list[str] = []
    for index, (key, note) in enumerate(items):
        done = withdraw_by_source_key(tx, key, note, now)
        if done is None:
            message = (
                f"no release has source_key {key!r}: push it first (a release known only by its link or slug is "
                "withdrawn by sending it again in full with `withdrawn_note`)"
            )
            missing.append(FieldError("source_key", message, index if listed else None))
            continue
        release, changed = done
        if changed:
            changed_ids.append(release.id)
        held = _by_hand(release) if release.withdrawn_by_hand else None
        answers.append(
            {
                "id": release.id,
                "slug": release.slug,
                "permalink": address(base_url, release.slug),
                "status": "updated" if changed else "unchanged",
            }
            | release_view(tx, release.id, now)
            | warned([FieldError("withdrawn_note", held)] if held else [])
        )
    if missing:
        refusal = Reject(404, missing[0].message, field="source_key")
        refusal.payload = Invalid(missing).payload
        raise refusal
    if not listed:
        return Reply(200, answers[0]), changed_ids
    return Reply(200, {"status": "updated" if changed_ids else "unchanged", "releases": answers}), changed_ids
