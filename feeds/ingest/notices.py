"""What ingest tells about a release it stores or refuses: the wording of its outcomes' warnings and refusals (and of
a picture waiting in the drop folder for its release, `picture_note`).

`feeds.ingest.save` asks these, release by release, while it stores a batch: a version that would take a public
release off the site (refused), a release replaced by one with another headline or stored a second time under
another name (warned), a copy of a release withdrawn by hand (which stays withdrawn, and says so), a link taken
in another form. Each returns the sentence for the office, or None when there is nothing to say.

The wording is what people read in the log, the CLI and the push API's answer, and tests hold it. What this
module must not do: read or write the store, or decide what is stored (that is `reconcile` and `save`): pure
functions of the releases given, `now` and the site's time zone.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path

from feeds.errors import InvalidReleaseError
from feeds.ingest.units import shown_path
from feeds.model import Release
from feeds.normalise.topics import folded_words


def still_withdrawn(release: Release) -> str | None:
    """What to tell when a copy from the source arrives for a release withdrawn by hand, which it leaves withdrawn
    (`reconcile`): the office must learn that a source still sends it, and how to publish it again if it should be."""
    if not release.withdrawn_by_hand or release.withdrawn_at is None:
        return None
    return (
        f"the release {release.slug!r} was withdrawn by hand on {release.withdrawn_at:%Y-%m-%d %H:%M} UTC and stays "
        f"withdrawn: this copy from its source is stored as sent but does not publish it as current again; "
        f"if it should be, run `feeds releases restore {release.slug}`"
    )


def slug_kept(before: Release | None, new: Release) -> str | None:
    """What to tell when a new version of a stored release asks for another `slug` than the release's: a release
    keeps its slug and permalink once assigned, so the version is stored (or unchanged) under the old one. Said
    for each version sent, not for the same one read again."""
    if before is None or not new.slug_asked or new.slug == before.slug or new.content_hash == before.content_hash:
        return None
    return slug_not_used(new.slug, before.slug, new.identity, "send it again with a `withdrawn_note`")


def slug_not_used(asked: str, slug: str, identity: str, how_to_withdraw: str) -> str:
    """Why the `slug` asked for by a version of the release known by `identity` is not its slug: the wording of
    the ingest's warning (`slug_kept`) and of the push API's answer, which names its own way to withdraw."""
    by = "source_key" if identity.startswith("key:") else "link"
    return (
        f"field 'slug': {asked!r} is not used: the release keeps its slug {slug!r} and its permalink, which never "
        "change once assigned (readers' feeds and links hold them); to publish it at another address, withdraw this "
        f"one ({how_to_withdraw}) and send it as a new release, with another {by}"
    )


def link_moved(before: Release, after: Release) -> str | None:
    """What to tell when a release known by one form of its link arrives with another (see `link_aliases`), or
    with a `source_key` it had not (`feeds.ingest.reconcile.adopts`)."""
    if before.identity.startswith("url:") and after.identity.startswith("key:"):
        return (
            f"the release {after.slug!r} was known by its link {before.identity[4:]}; its source now names it by "
            f"source_key {after.identity[4:]!r}, by which it is known from now on"
        )
    if not (before.identity.startswith("url:") and after.identity.startswith("url:")):
        return None
    return (
        f"the release {after.slug!r} was known by the link {before.identity[4:]}; this version's link, "
        f"{after.identity[4:]}, is taken for the same page (http and https, or a slash at the end, differ only in "
        "form) and is the one kept"
    )


def unpublishes(before: Release | None, new: Release, now: datetime) -> str | None:
    """Why `new` may not replace `before`: a version that dates a release already public ahead of now would take
    it off the site until then (its page gone, its entries out of every feed) without a word to its readers. A
    release is taken back by withdrawing it, which says so."""
    if before is None or not new.published_by_source or new.published <= now or before.published > now:
        return None
    if before.never_public:  # withdrawn before it was due: it never was public
        return None
    why = (
        f"{before.slug!r} has been public since {before.published:%Y-%m-%d %H:%M} UTC; a new version cannot date "
        f"it ahead ({new.published:%Y-%m-%d %H:%M} UTC), which would take it off the site until then: to take it "
        "back, withdraw it (`feeds releases withdraw`, or `withdrawn_note`)"
    )
    return str(InvalidReleaseError(why, origin=new.origin, field="published"))


def looks_like_another(before: Release | None, after: Release, tz: tzinfo) -> str | None:
    """A warning when a release named by its slug (or its link) is replaced by one with another headline:
    most likely last week's file copied as a template with its `slug` left in, which replaces last week's
    release everywhere (same id, same address). Updated as the identity rules say, but said out loud.

    So is one known only by its file: the office's `statement.txt` dropped again next week for another statement
    is the same file within its source, and replaces the published one. (Not for a `source_key`: the sender
    names its releases itself, and a new headline under its key is its edit.)"""
    if before is None or after.identity.startswith("key:") or not _other_title(before.title, after.title):
        return None
    elsewhere = f", from source {before.source!r}," if before.source != after.source else ""
    if after.identity.startswith("file:"):
        advice = "drop it under a file name of its own (or give it a `slug`)"
    else:
        advice = "give it a slug of its own"
    return (
        f"the release {after.slug!r}{elsewhere} was {before.title!r} ({before.published.astimezone(tz):%Y-%m-%d}) "
        f"and is now {after.title!r} ({after.published.astimezone(tz):%Y-%m-%d}), under the same id and address: "
        f"if this is another release, {advice}, and send or drop the earlier version again to restore that one"
    )


def looks_like_an_edit(holder: Release | None, new: Release, tz: tzinfo) -> str | None:
    """A warning when a new release has the title and day of one stored from the same source: most likely an edit
    saved under another name ("…-v2-FINAL.txt"), or a version that now carries a `link`, `slug` or `source_key`
    the first did not (a release is known by its strongest name alone), now a second release in every feed. (The
    day is the site's, as pages give it: "15 July" and "15 July 10:00" are one day, though 00:00 BST is the 14th
    in UTC.)"""
    if holder is None or holder.source != new.source or folded_words(holder.title) != folded_words(new.title):
        return None
    if holder.published.astimezone(tz).date() != new.published.astimezone(tz).date():
        return None
    stored = f"a release with the same title and date is stored already as {holder.slug!r} (from {holder.origin})"
    if new.identity.startswith("file:"):
        return (
            f"{stored}: if this file is an edit of it saved under another name, it is now a second release; drop "
            "edits under the first file's name, or name the release with a `slug` or `source_key`"
        )
    kind = {"key": "source_key", "url": "link", "slug": "slug"}.get(new.identity.split(":", 1)[0], "name")
    return (
        f"{stored}: if this is another version of it, it is now a second release, since a release is known by its "
        f"source_key, else its link, else its slug, else its file, and this one's {kind} is not the first one's; "
        "send it named as the first one was, or withdraw the one that should not be there"
    )


def _other_title(before: str, after: str) -> bool:
    """Whether `after` is another headline rather than an edit of `before`: fewer than half of their words are
    shared ("Climate fund extended" → "Flood defences completed"; not "…extended" → "…extended to 2030").

    Words such as "on", "the", "in" are not counted (unless a headline has nothing else): a template's
    "Statement on the earthquake in Turkey" → "Statement on the election in Ruritania" shares four of six words
    and only one that says what the statement is about."""
    old, new = _telling_words(before), _telling_words(after)
    return len(old & new) * 2 < max(len(old), len(new), 1)


_FUNCTION_WORDS = frozenset({
    "a", "an", "the", "of", "on", "in", "to", "for", "and", "or", "at", "by", "with", "from", "as", "into", "onto",
    "over", "after", "before", "about", "is", "are", "was", "be", "its",
})  # fmt: skip


def _telling_words(title: str) -> set[str]:
    words = set(folded_words(title))
    return (words - _FUNCTION_WORDS) or words


def picture_note(path: Path, *, stored: bool = False) -> str:
    """What to do with a picture in the drop folder that no release dropped with it shows: it waits there, never
    rejected (its release may be on its way). `stored`: its bytes are stored already, with a release that showed
    it."""
    shown = shown_path(str(path))
    if stored:
        note = (
            f"{shown}: a picture no release in the drop folder shows, published already with a release that showed "
            "it (left behind when its release moved?); it waits for a release that shows it: move it to processed/ "
            "or remove it if none will"
        )
    else:
        note = (
            f"{shown}: a picture no release in the drop folder shows; it waits for its release (drop the release "
            "that shows it by this name, `![description](" + shown_path(path.name) + ")`, or remove it)"
        )
    return note
