"""Watch commands over many feeds at once: `watch edit --tagged TAG` (a whole folder paused, resumed, retagged or
given an interval) and `watch remove --tagged TAG` / `--cause C` (a whole folder, or every feed a `410 Gone` paused,
removed), with a dry run that lists the feeds first.

Called from `feeds.cli.watch`'s `edit` and `remove` commands: each feed is changed or removed as those commands
change or remove one (`feeds.watch.manage`), after every check that could refuse the whole command has passed, so
that a refusal leaves no folder half done. It must not parse arguments (the commands do) nor judge a feed's
health or cause (`WatchedFeed.state`, `feeds.watch.triage`).
"""

from __future__ import annotations

import click

from feeds.app import App
from feeds.cli import Context, echo
from feeds.cli.watch import count, edited, with_readable
from feeds.errors import FeedsError
from feeds.urls import without_secrets
from feeds.watch.triage import CAUSES, cause_of


def edit_tagged(
    ctx: Context,
    app: App,
    tag: str,
    *,
    tags: tuple[str, ...] | None,
    interval: float | None,
    enabled: bool | None,
    dry_run: bool,
) -> None:
    """`watch edit --tagged TAG`: each feed of the tag changed as `watch edit` changes one. A pause or resume
    leaves the feeds already so as they are (a resume would otherwise make a healthy feed due and forget a failing
    one's back-off); a feed that cannot take the change (a config feed's tags or interval, set in the config file)
    refuses the whole command before any feed is changed. A tag no feed has is an error: most often a typo."""
    from feeds.errors import NotFoundError
    from feeds.model import REMOVED_FROM_CONFIG
    from feeds.watch.manage import edit_feed, select_feeds

    chosen = select_feeds(app.store.feeds(), tag=tag)
    if not chosen:
        raise NotFoundError(f"no watched feed is tagged {tag!r} (`feeds watch list` shows the tags)")
    todo = [f for f in chosen if enabled is None or f.enabled != enabled or tags is not None or interval is not None]
    if tags is not None or interval is not None:
        listed = [f for f in todo if f.origin == "config"]
        if listed:
            raise FeedsError(
                f"{count(len(listed), 'feed')} tagged {tag!r} the config file lists (#{listed[0].id} "
                f"{without_secrets(listed[0].url)} first): change their tags or interval there; nothing was changed"
            )
    if enabled:
        gone = [f for f in todo if f.disabled_reason == REMOVED_FROM_CONFIG]
        if gone:
            raise FeedsError(
                f"{count(len(gone), 'feed')} tagged {tag!r} removed from the config file (#{gone[0].id} first): put "
                "them back there to watch them again; nothing was changed"
            )
    already = f" ({len(chosen) - len(todo)} already so)" if len(todo) < len(chosen) else ""
    if dry_run:
        for f in todo:
            echo(f"#{f.id} {with_readable(f.url)}")
        ctx.say(f"would change {count(len(todo), 'feed')} tagged {tag!r}{already}")
        return
    try:
        for f in todo:
            change = enabled if f.enabled != enabled else None  # (a feed already so is left as it is)
            ctx.say(edited(edit_feed(app, str(f.id), tags=tags, interval=interval, enabled=change)))
    except ValueError as e:  # the interval out of bounds, or a tag with a comma: refused at the first feed
        if isinstance(e, FeedsError):
            raise
        raise click.BadParameter(str(e), param_hint="--tag" if "tag" in str(e) else "--interval") from e
    ctx.say(f"changed {count(len(todo), 'feed')} tagged {tag!r}{already}")


def remove_many(ctx: Context, app: App, tag: str | None, cause: str | None, *, dry_run: bool) -> None:
    """`watch remove --tagged TAG` / `--cause C`: every feed of the tag (a whole folder), of the cause (the feeds a
    `410 Gone` paused), or both, removed as `watch remove` removes one (a feed filed under other tags too goes as
    well: tags made from nested folders cannot tell a second folder from a parent, so the dry run shows each feed's
    tags). A feed the config file lists refuses the whole command before any feed goes; a selection of no feed is
    an error, most often a typo."""
    from feeds.errors import NotFoundError
    from feeds.watch.manage import remove_feeds, select_feeds

    chosen = select_feeds(app.store.feeds(), tag=tag)
    wanted = " ".join([*([f"tagged {tag!r}"] if tag is not None else []), *([cause_phrase(cause)] if cause else [])])
    if cause is not None:
        chosen = [f for f in chosen if (c := cause_of(f)) is not None and c.key == cause]
    if not chosen:
        raise NotFoundError(f"no watched feed is {wanted} (`feeds watch list` shows the tags and states)")
    listed = [f for f in chosen if f.origin == "config"]
    if listed:
        raise FeedsError(
            f"{count(len(listed), 'feed')} {wanted} the config file lists (#{listed[0].id} "
            f"{without_secrets(listed[0].url)} first): remove them there first; nothing was removed"
        )
    if dry_run:
        for f in chosen:
            echo(f"#{f.id} {with_readable(f.url)}  [{', '.join(f.tags)}]")
        ctx.say(f"would remove {count(len(chosen), 'feed')} {wanted} with their items and matches")
        return
    removed, items, found = remove_feeds(app, chosen)  # (one transaction, not one a feed)
    for feed in removed:
        ctx.say(f"removed #{feed.id} {with_readable(feed.url)}")
    deleted = f"{count(items, 'item')} and {count(found, 'match', 'matches')}"
    ctx.say(f"removed {count(len(removed), 'feed')} {wanted}: deleted {deleted}")


def cause_phrase(key: str) -> str:
    """`gone (410 Gone)`, `failing with 404 Not Found`: the feeds of a cause, in `watch remove --cause`'s words."""
    label = next(c.label for c in CAUSES if c.key == key)
    return f"gone ({label})" if key == "gone" else f"failing with {label}"
