"""Retiring a topic's, an organisation's or a language's feeds published by mistake (a typo in a tag, a release
sent with the wrong language): `feeds topics forget`, `feeds organisations forget`, `feeds languages forget`.

    app.releases.current() ──► refused while any release has it ──► Store.forget_published_feed(key)

Once published, a topic's feeds and page (an organisation's, a language's feeds) stay for ever, empty when no
release has it (`feeds.publish.marks`): its subscribers keep a valid feed. One that nobody meant to publish would
stay too; forgetting its record makes the next publish leave it out, and the writer removes the files of any
document no longer planned. A release that still has it would publish it again, so forgetting is refused until none
does; but a language's feed is forgotten also while its releases are all there are and no other language's feed is
kept: with one language, the next publish does not publish it again.
A running daemon publishes at its next watch tick: the published feeds' count is part of what it compares
(`Store.published_feeds_state`). The caller holds the publish lock (`feeds topics forget` waits for it as
`feeds publish` does): a publish running meanwhile, having read the record before, would record the feed again.

What this module must not do: write into or remove from out/ (the next publish does, under its lock), change a
release, or forget a feed that any release still fills.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from feeds.errors import FeedsError, NotFoundError
from feeds.publish.sitefeeds import primary_subtag
from feeds.publish.succession import succession_of
from feeds.publish.topicnames import topic_slug

if TYPE_CHECKING:
    from feeds.app import App
    from feeds.model import Release

Kind = Literal["topic", "organisation", "language"]

_KEY = {"topic": "topic:", "organisation": "org:", "language": "lang:"}
_FOLDER = {"topic": "topics/", "organisation": "organisations/", "language": ""}
_SHOWN = 5
"""How many of the releases that still have it a refusal names."""


@dataclass(frozen=True, slots=True)
class Forgotten:
    key: str
    """The feed's key in the store (`topic:<slug>`, `org:<slug>`)."""
    name: str
    """As it was last published."""
    path: str
    """Its folder in out/, which the next publish removes."""


def forget_feed(app: App, kind: Kind, slug_or_name: str) -> Forgotten:
    """Forget the topic or organisation `slug_or_name` (its slug, or a name that gives it, as publishing does), so
    that the next publish removes its feeds (and a topic's page). Refused, naming how many and which, while any
    stored release has it: a release still held back by an embargo would publish it again, while one withdrawn
    before it went public never does and does not count."""
    slug = primary_subtag(slug_or_name) if kind == "language" else topic_slug(slug_or_name.strip())
    key, path = _KEY[kind] + slug, f"{_FOLDER[kind]}{slug}/"
    published = app.store.published_feeds()
    known = published.get(key) if slug else None
    if known is None:
        raise NotFoundError(f"no {kind} feed is published at {path}")
    name = known.name or slug
    releases = [r for r in app.releases.current(app.store, app.clock()) if not r.never_public]
    having = sorted(r.slug for r in releases if _has(r, kind, slug))
    if having and kind == "language":
        kept = {k.removeprefix("lang:") for k in published if k.startswith("lang:")}
        if {primary_subtag(r.language) for r in releases} | kept <= {slug}:
            having = []  # its releases are all there are: in one language, whose feeds are not published again
    if having:
        n = len(having)
        shown = ", ".join(having[:_SHOWN]) + (f" and {n - _SHOWN} more" if n > _SHOWN else "")
        them = "it" if n == 1 else "them"
        if kind == "topic":
            what, fix = f"still {'has' if n == 1 else 'have'} the topic {name}", f"send {them} again with other topics"
        elif kind == "language":
            what = f"{'is' if n == 1 else 'are'} still in the language {name}"
            fix = f"send {them} again in another, or forget the other languages' feeds"
        else:
            what, fix = (
                f"{'is' if n == 1 else 'are'} still from the organisation {name}",
                f"send {them} again from another",
            )
        refusal = f"{n} release{'' if n == 1 else 's'} {what} ({shown}): {fix} first, or its feeds are published again"
        if kind == "organisation" and (note := succession_of(app.settings.organisations).old_name_note(slug)):
            refusal += f". {note}"  # (an old name: its feed goes on by design)
        raise FeedsError(refusal)
    app.store.forget_published_feed(key)
    return Forgotten(key=key, name=name, path=path)


def _has(r: Release, kind: Kind, slug: str) -> bool:
    """Whether release `r` fills the feed of the topic, organisation or language `slug`."""
    if kind == "topic":
        return any(topic_slug(t) == slug for t in r.topics)
    if kind == "language":
        return primary_subtag(r.language) == slug
    return topic_slug(r.organisation) == slug
