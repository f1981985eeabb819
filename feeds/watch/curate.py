"""A press officer's corrections to what matching found: a wrong match dismissed (and restored), coverage the
matcher missed added by hand.

    feeds matches dismiss ID | URL --release R | --rule N  →  named_matches → Store.dismiss_matches (one transaction)
    feeds matches restore …                                 →  named_matches → Store.restore_matches
                                                               (its feed removed: Store.restore_kept)
    feeds matches list --dismissed                          →  … + kept_dismissals (their feeds removed)
    feeds matches add URL --release R [--title --source]    →  Store.items_at (or Store.hand_entered_item)
                                                               → Store.add_manual_match

A match is named by its id (`matches list` prints it, `--json` gives it), or by its article's address and the rule
or release it was found for: the one a press officer has at hand is the story's link, and the same story is a
match of another rule or release too, which dismissing this one leaves alone. What dismissing does, and why it
lasts, is `feeds.store.curation`'s docstring; a dismissal whose feeds were all removed since is kept as a record
(`feeds.store.dismissals`), listed and restored by its article's address.

What this module must not do: fetch anything (an article added by hand is one stored already, or one the press
officer describes), or decide what matches (`feeds.watch.match`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from feeds.articles import item_article
from feeds.errors import NotFoundError
from feeds.model import Release, StoredItem, StoredMatch, WatchItem
from feeds.normalise.ids import watch_item_hash
from feeds.normalise.text import one_line_text
from feeds.store.dismissals import Dismissal

if TYPE_CHECKING:
    from feeds.app import App


@dataclass(frozen=True, slots=True)
class Subject:
    """What a match named by its address was found for: a keyword rule (by its stored name) or a release."""

    rule: str | None = None
    release: Release | None = None

    @property
    def id(self) -> str:
        return self.release.id if self.release is not None else self.rule or ""

    def said(self) -> str:
        return f"release {self.release.slug}" if self.release is not None else f"rule {self.rule!r}"

    def owns(self, m: StoredMatch) -> bool:
        return m.subject == self.id and (m.kind == "keyword") == (self.release is None)


def match_number(given: str) -> int | None:
    """A match's id as typed (`123`, `#123`), else None (an address)."""
    text = given.strip().removeprefix("#")
    return int(text) if text.isdigit() else None


def named_matches(app: App, given: str, subject: Subject | None, *, dismissed: bool) -> list[int]:
    """The ids of the matches `given` names: a match id, or an article's address with the rule or release it was
    found for (`subject`: needed with an address, an error naming both when none of its matches lists it). With
    `dismissed`, among the dismissed ones (to restore), else among those shown."""
    number = match_number(given)
    if number is not None:
        return [number]
    if subject is None:
        raise ValueError("an address names a match together with its rule (--rule) or release (--release)")
    wanted = item_article(0, "", given, None)
    stored = app.store.matches(subject=subject.id, dismissed=dismissed)
    found = [m.id for m in stored if subject.owns(m) and _article(m) == wanted]
    if not found:
        state = "dismissed " if dismissed else ""
        raise NotFoundError(
            f"no {state}match of {subject.said()} lists {given} (`feeds matches list"
            f"{' --dismissed' if dismissed else ''} --{'release' if subject.release else 'rule'} …` lists them)"
        )
    return found


def kept_dismissals(
    app: App,
    *,
    rule: str | None = None,
    release: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    tag: str | None = None,
) -> list[Dismissal]:
    """The dismissals no stored match shows any more (the feeds that carried the article were removed), as
    `matches list --dismissed` filters the dismissed matches: of `rule` (its stored name) or `release` (its id),
    made on a match of `kind`, at or after `since` and before `until`; none of feeds tagged `tag` (their feeds are
    gone, with their tags)."""
    if tag is not None:
        return []
    side = "rule" if rule is not None or kind == "keyword" else "release" if release is not None or kind else None
    found = app.store.kept_dismissals(side=side, subject=rule if rule is not None else release)
    return [
        d
        for d in found
        if (kind is None or d.kind == kind)
        and (since is None or d.dismissed_at >= since)
        and (until is None or d.dismissed_at < until)
    ]


def restore_kept(app: App, given: str, subject: Subject, *, by: str | None) -> list[Dismissal]:
    """Undo the dismissal recorded for the article at `given` as a match of `subject` while no stored match shows
    it (its feeds removed): a copy stored from now on is published. A `NotFoundError` when none is recorded."""
    side = "release" if subject.release is not None else "rule"
    return app.store.restore_kept(side, subject.id, given, app.clock(), by=by)


def _article(m: StoredMatch) -> str:
    it = m.item.item
    return item_article(m.item.feed_id, it.key, it.link, it.guid)


@dataclass(frozen=True, slots=True)
class HandEntered:
    """An article no watched feed brought, as a press officer enters it (`matches add --title --source --date`)."""

    title: str
    source: str
    published: datetime


def add_by_hand(
    app: App, url: str, release: Release, *, by: str | None, entered: HandEntered | None = None
) -> tuple[int, StoredMatch]:
    """Store the article at `url` as coverage of `release` added by hand: (its match id, the match as the feeds
    will list it). The article is an item stored already from a watched feed (its first copy), else the one
    `entered` describes (an error saying so when it is not given); nothing is fetched."""
    copies = app.store.items_at(url)
    now = app.clock()
    if copies:
        item = copies[0]
    elif entered is None:
        raise NotFoundError(
            f"no stored item of a watched feed has the address {url}: give --title and --source (and --date) "
            "to enter it by hand"
        )
    else:
        item = _entered(app, url, entered, now)
    seen = min(item.published, item.first_seen)
    delay = (seen - release.published).total_seconds()
    why = f"added by hand by {by}" if by else "added by hand"
    match_id = app.store.add_manual_match(item.id, release.id, now, why=why, by=by, delay=delay)
    (added,) = [m for m in app.store.matches(subject=release.id, kind="manual") if m.id == match_id]
    return match_id, added


def _entered(app: App, url: str, entered: HandEntered, now: datetime) -> StoredItem:
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{url!r} is not an http(s) address: an article entered by hand is published with its link")
    if not entered.title.strip() or not entered.source.strip():
        raise ValueError("an article entered by hand needs its title (--title) and where it appeared (--source)")
    link, title, when = url.strip(), one_line_text(entered.title), entered.published
    item = WatchItem(
        key=link,
        title=title,
        link=link,
        guid=None,
        summary="",
        content_text="",
        author="",
        published=when,
        updated=when,
        tags=(),
        content_hash=watch_item_hash(title, link, "", "", "", when, when),
    )
    (stored,) = app.store.stored_items(ids=[app.store.hand_entered_item(entered.source, item, now)])
    return stored
