"""Reconcile (pure): created / updated / unchanged, ids kept for ever, free slugs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from feeds.ingest.reconcile import free_slug, reconcile
from feeds.model import Change, Release

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def rel(**kw) -> Release:
    base = dict(
        id="tag:press.example.org,2026-11-02:visit",
        identity="file:inbox/visit.txt",
        slug="visit",
        permalink="https://press.example.org/releases/visit/",
        title="Minister to visit",
        summary="s",
        body_html="<p>b</p>",
        body_text="b",
        published=T0,
        updated=T0,
        organisation="Office",
        topics=(),
        language="en",
        document_type="press_release",
        source="inbox",
        origin="inbox/visit.txt",
        content_hash="h1",
    )
    base.update(kw)
    return Release(**base)


def with_slug(r: Release, slug: str) -> Release:
    return replace(r, slug=slug, id=f"tag:press.example.org,2026-11-02:{slug}", permalink=f"https://x/{slug}/")


def test_same_hash_is_unchanged_and_returns_the_stored_record():
    stored = rel(updated=T0 + timedelta(days=1))
    out = reconcile(rel(), stored, now=NOW, slug_taken=lambda s: False, with_slug=with_slug)
    assert out.decision == "unchanged" and out.release is stored


def test_changed_content_keeps_id_slug_and_permalink_and_moves_updated_to_now():
    stored = rel()
    new = rel(id="tag:other", slug="other-slug", permalink="https://x/other/", content_hash="h2", title="New title")
    out = reconcile(new, stored, now=NOW, slug_taken=lambda s: True, with_slug=with_slug)
    assert out.decision == "updated"
    assert (out.release.id, out.release.slug, out.release.permalink) == (stored.id, stored.slug, stored.permalink)
    assert out.release.title == "New title"
    assert out.release.updated == NOW


def test_changed_content_with_newer_source_updated_uses_it():
    later = T0 + timedelta(days=3)
    out = reconcile(rel(content_hash="h2", updated=later), rel(), now=NOW, slug_taken=bool, with_slug=with_slug)
    assert out.release.updated == later


def test_a_version_that_re_dates_the_release_without_an_updated_of_its_own_is_dated_when_it_is_read():
    """A review's find: a version correcting the publication date (a typo: the 3rd for the 2nd) was last updated
    at its new publication time, the stand-in `updated` of a version the source does not date, not when it was
    read: its entries' `updated` and the change history's date were days before the edit was made."""
    redated = T0 + timedelta(days=1)
    new = rel(content_hash="h2", published=redated, updated=redated, published_by_source=True, change_note="Date.")
    out = reconcile(new, rel(), now=NOW, slug_taken=bool, with_slug=with_slug)
    assert (out.release.published, out.release.updated, out.release.id) == (redated, NOW, rel().id)
    assert out.release.changes == (Change(at=NOW, note="Date."),)
    dated = replace(new, updated=NOW - timedelta(hours=1), source_updated=NOW - timedelta(hours=1))
    out = reconcile(dated, rel(), now=NOW, slug_taken=bool, with_slug=with_slug)
    assert out.release.updated == NOW - timedelta(hours=1), "the source's own update time, when it gives one"


def test_undated_update_keeps_first_publication_date():
    stored = rel(dated_by_source=False)
    new = rel(content_hash="h2", published=NOW, updated=NOW, dated_by_source=False)
    out = reconcile(new, stored, now=NOW, slug_taken=bool, with_slug=with_slug)
    assert out.release.published == T0


def test_new_release_with_free_slug_is_created_as_is():
    new = rel()
    out = reconcile(new, None, now=NOW, slug_taken=lambda s: False, with_slug=with_slug)
    assert out.decision == "created" and out.release is new


def test_new_release_with_taken_slug_gets_a_suffix_and_matching_id():
    taken = {"visit", "visit-2"}
    out = reconcile(rel(), None, now=NOW, slug_taken=taken.__contains__, with_slug=with_slug)
    assert out.release.slug == "visit-3"
    assert out.release.id.endswith(":visit-3")


def test_free_slug():
    assert free_slug("a", lambda s: False) == "a"
    assert free_slug("a", {"a"}.__contains__) == "a-2"
    assert free_slug("a", {"a", "a-2", "a-3"}.__contains__) == "a-4"


def test_a_copy_from_before_a_withdrawal_does_not_undo_it():
    """GOV.UK keeps `public_updated_at` when it withdraws an item: the copy without the notice, read after the
    withdrawn one, is the older version."""
    withdrawn = T0 + timedelta(days=400)
    stored = rel(withdrawn_at=withdrawn, withdrawn_note="No longer current.", updated=withdrawn, source_updated=T0)
    older = rel(content_hash="h2", source_updated=T0)
    out = reconcile(older, stored, now=NOW, slug_taken=bool, with_slug=with_slug)
    assert out.decision == "unchanged" and out.release is stored
    # Stored before the store kept the source's own `updated`: the withdrawal's time still dates it.
    out = reconcile(older, replace(stored, source_updated=None), now=NOW, slug_taken=bool, with_slug=with_slug)
    assert out.decision == "unchanged"
    # A version the source dates later (it published the release again) is an update, as any other.
    later = T0 + timedelta(days=500)
    again = rel(content_hash="h3", updated=later, source_updated=later)
    out = reconcile(again, stored, now=NOW, slug_taken=bool, with_slug=with_slug)
    assert out.decision == "updated" and out.release.withdrawn_at is None and out.release.source_updated == later


def versions(*steps: tuple[str, datetime | None]) -> list[tuple[str, Release]]:
    """Reconcile each (content hash, source's `updated`) in turn against what the previous one left stored, an
    hour apart, from a first version dated T0 by its source."""
    stored, out, now = rel(source_updated=T0), [], NOW
    for h, dated in steps:
        new = rel(content_hash=h, body_html=f"<p>{h}</p>", updated=max(dated or T0, T0), source_updated=dated)
        result = reconcile(new, stored, now=now, slug_taken=bool, with_slug=with_slug)
        out.append((result.decision, result.release))
        stored, now = result.release, now + timedelta(hours=1)
    return out


DAY = datetime(2026, 11, 28, tzinfo=UTC)  # a date-only `updated: 2026-11-28`, before NOW


@pytest.mark.parametrize(
    ("steps", "decisions"),
    [
        # Review 3, finding 3: the second edit under the same date-only line was stored with `updated` = now, and
        # the third, dated by its source before that time, was taken for an older copy.
        ([("h2", DAY), ("h3", DAY), ("h4", DAY)], ["updated", "updated", "updated"]),
        ([("h2", DAY), ("h3", DAY - timedelta(days=1))], ["updated", "unchanged"]),  # an older copy still is
        ([("h2", DAY), ("h3", None)], ["updated", "updated"]),  # a copy the source does not date is an edit
        ([("h2", None), ("h3", T0 - timedelta(days=1))], ["updated", "updated"]),  # nothing to compare with
        ([("h2", DAY), ("h3", DAY + timedelta(minutes=30))], ["updated", "updated"]),  # earlier than NOW, newer
    ],
)
def test_only_the_sources_own_updated_tells_an_older_copy(steps, decisions):
    assert [decision for decision, _ in versions(*steps)] == decisions


def test_an_edit_the_source_dates_as_the_stored_version_is_dated_when_read_and_keeps_the_sources_date():
    (_, first), (_, second), (_, third) = versions(("h2", DAY), ("h3", DAY), ("h4", DAY))
    assert first.updated == DAY, "the source's own date, newer than what was stored"
    assert (second.updated, third.updated) == (NOW + timedelta(hours=1), NOW + timedelta(hours=2))
    assert first.source_updated == second.source_updated == third.source_updated == DAY


def test_a_stored_version_without_the_sources_updated_never_makes_an_edit_an_older_copy():
    """Stored before migration 14, or dated by its source with a `published` only: its `updated` may be ours."""
    stored = rel(updated=NOW - timedelta(minutes=5), source_updated=None)
    out = reconcile(rel(content_hash="h2", source_updated=DAY), stored, now=NOW, slug_taken=bool, with_slug=with_slug)
    assert out.decision == "updated" and out.release.updated == NOW and out.release.source_updated == DAY


def test_a_change_note_joins_the_history_dated_as_the_update_and_is_kept_by_later_versions():
    def update(new: Release, stored: Release, now: datetime) -> Release:
        return reconcile(new, stored, now=now, slug_taken=lambda s: True, with_slug=with_slug).release

    later = NOW + timedelta(days=1)
    corrected = update(rel(content_hash="h2", change_note="Corrected the date of the visit."), rel(), NOW)
    assert corrected.changes == (Change(at=NOW, note="Corrected the date of the visit."),)
    same_note = update(rel(content_hash="h3", change_note="Corrected the date of the visit."), corrected, later)
    assert same_note.changes == corrected.changes, "the same note, left in an edited file, is not said twice"
    silent = update(rel(content_hash="h4"), corrected, later)
    assert silent.changes == corrected.changes, "an edit without a note keeps the history"
    second = update(rel(content_hash="h5", change_note="Added the minister's quote."), silent, later)
    assert [c.note for c in second.changes] == ["Added the minister's quote.", "Corrected the date of the visit."]
    assert second.changes[0].at == later
    source_history = (Change(at=T0, note="Figures updated."),)  # a GOV.UK item keeps its own history
    assert update(rel(content_hash="h6", changes=source_history), second, later).changes == source_history
    created = reconcile(rel(change_note="A note on the first version."), None, now=NOW, slug_taken=lambda s: False,
                        with_slug=with_slug)  # fmt: skip
    assert created.release.changes == (), "a first version has no change to note"


def test_a_change_note_on_an_edit_before_the_first_publication_is_not_history():
    """A re-check: an embargoed release corrected before it went out showed that note, and no "First published."."""
    held = rel(published=NOW + timedelta(days=3), updated=NOW + timedelta(days=3))
    new = rel(
        published=NOW + timedelta(days=3),
        content_hash="h2",
        body_html="<p>c</p>",
        change_note="Corrected before release.",
    )
    out = reconcile(new, held, now=NOW, slug_taken=lambda s: True, with_slug=with_slug)
    assert out.decision == "updated" and out.release.changes == ()


def test_a_withdrawal_is_dated_when_it_was_made_not_when_it_was_read():
    """A subscriber's review: a release withdrawn on 28 November, sent without `updated` and read a day later, was
    "Last updated 29 November" (its page, its Atom `updated`) beside "withdrawn on 28 November"."""
    stored = rel(updated=T0 + timedelta(days=1))
    withdrawn = NOW - timedelta(days=1)
    new = rel(content_hash="h2", withdrawn_at=withdrawn, withdrawn_note="Issued in error.")
    out = reconcile(new, stored, now=NOW, slug_taken=lambda s: False, with_slug=with_slug)
    assert out.release.updated == withdrawn
    # one dated before the version it withdraws is dated when read, as any other change
    early = rel(content_hash="h2", withdrawn_at=T0, withdrawn_note="Issued in error.")
    out = reconcile(early, stored, now=NOW, slug_taken=lambda s: False, with_slug=with_slug)
    assert out.release.updated == NOW


def test_a_version_that_would_store_nothing_new_is_unchanged():
    """An integrator's review: a push that changed only the `slug` asked for (which a stored release never takes)
    was answered "updated", and its `updated` moved, though nothing readers see had changed."""
    stored = rel(identity="key:cms-1")
    new = rel(identity="key:cms-1", slug="other", id="tag:other", permalink="https://x/other/", content_hash="h2")
    out = reconcile(new, stored, now=NOW, slug_taken=bool, with_slug=with_slug)
    assert out.decision == "unchanged" and out.release is stored
    edited = replace(new, title="Minister to visit Oslo")
    assert reconcile(edited, stored, now=NOW, slug_taken=bool, with_slug=with_slug).decision == "updated"


def test_a_release_withdrawn_by_hand_stays_withdrawn_whatever_its_source_sends():
    """A press officer withdraws a release on purpose (a legal reason, an error): a copy its source sends later, the
    same or edited, dated later or not, is stored as sent, but with the office's withdrawal; `held` says so."""
    withdrawn = T0 + timedelta(days=3)
    stored = rel(withdrawn_at=withdrawn, withdrawn_note="Legal advice.", withdrawn_by_hand=True, updated=withdrawn)
    same = reconcile(rel(), stored, now=NOW, slug_taken=bool, with_slug=with_slug)
    assert same.decision == "unchanged" and same.release is stored and same.held
    later = T0 + timedelta(days=5)
    for new in (
        rel(content_hash="h2", title="Minister to visit (edited)"),
        rel(content_hash="h3", title="Minister to visit", updated=later, source_updated=later),
        rel(content_hash="h4", withdrawn_at=later, withdrawn_note="Out of date.", updated=later),
    ):
        out = reconcile(new, stored, now=NOW, slug_taken=bool, with_slug=with_slug)
        assert out.decision == "updated" and out.held, new
        assert out.release.content_hash == new.content_hash and out.release.title == new.title, "stored as sent"
        assert (out.release.withdrawn_at, out.release.withdrawn_note) == (withdrawn, "Legal advice.")
        assert out.release.withdrawn_by_hand and out.release.id == stored.id


def test_a_withdrawal_from_the_source_still_follows_the_source():
    withdrawn = T0 + timedelta(days=3)
    stored = rel(withdrawn_at=withdrawn, withdrawn_note="Superseded.", updated=withdrawn)
    later = T0 + timedelta(days=5)
    out = reconcile(
        rel(content_hash="h2", updated=later, source_updated=later),
        stored,
        now=NOW,
        slug_taken=bool,
        with_slug=with_slug,
    )
    assert out.decision == "updated" and not out.held
    assert out.release.withdrawn_at is None and not out.release.withdrawn_by_hand
    assert not reconcile(rel(content_hash="h1"), stored, now=NOW, slug_taken=bool, with_slug=with_slug).held


def test_a_withdrawal_dated_before_a_public_releases_publication_does_not_hide_it():
    """A copy withdrawn with a `withdrawn_at` before the publication (a typo, a source's odd date) made a public
    release "withdrawn before its publication": it vanished from the site like a cancelled embargo, its readers
    told nothing. It is withdrawn at its publication instead, with a warning naming the field."""
    stored = rel(source_updated=T0)
    early = T0 - timedelta(days=20)
    new = rel(content_hash="h2", withdrawn_at=early, withdrawn_note="Superseded.")
    out = reconcile(new, stored, now=NOW, slug_taken=bool, with_slug=with_slug)
    assert out.decision == "updated" and out.release.withdrawn_at == T0 and not out.release.never_public
    assert (
        out.warning is not None
        and "field 'withdrawn_at'" in out.warning
        and "before the release's publication" in out.warning
    )
    # An embargoed release (not public yet) withdrawn so is cancelled, as before: it never goes public.
    held = rel(published=NOW + timedelta(days=2), updated=NOW + timedelta(days=2))
    out = reconcile(replace(new, published=held.published), held, now=NOW, slug_taken=bool, with_slug=with_slug)
    assert out.release.withdrawn_at == early and out.release.never_public and out.warning is None
