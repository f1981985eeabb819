"""Watch commands that show the watched feeds: `feeds watch list` (all of them, or those of a state or tag, in an
order, fitted to the terminal's width) and `feeds watch show` (one feed's settings and health in full).

A thin edge over the store's feeds and `feeds.watch.manage.select_feeds`, registered on the `watch` group of
`feeds.cli.watch` (whose `feed_json` is the JSON shape of each feed): it must not judge a feed's health itself
(`WatchedFeed.state` does), nor change a feed (`watch.py`).
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections import Counter
from datetime import datetime
from urllib.parse import urlsplit

import click

from feeds.cli import Context, echo, echo_json, handle_errors, pass_ctx
from feeds.cli.watch import count, feed_json, one_feed, watch, with_readable
from feeds.clock import rfc3339
from feeds.config import shown_interval
from feeds.model import FeedState, WatchedFeed
from feeds.urls import without_secrets
from feeds.watch.triage import CAUSE_KEYS, cause_of

_STATES: tuple[FeedState, ...] = ("ok", "warning", "failing", "resumed", "new", "disabled")


@watch.command("list")
@click.option(
    "--state", "states", multiple=True, type=click.Choice(_STATES), help="Only feeds in this state (repeatable)."
)
@click.option("--tag", help="Only feeds with this tag (any case).")
@click.option(
    "--cause",
    type=click.Choice(CAUSE_KEYS),
    default=None,
    help="Only feeds failing (or gone) for this cause, as `feeds status` groups them.",
)
@click.option(
    "--sort",
    "order",
    type=click.Choice(["id", "failures", "next", "last", "title"]),
    default="id",
    show_default=True,
    help="failures: the most first; next: the next check soonest first; last: the last check oldest first.",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Show at most this many feeds.")
@click.option(
    "--width",
    type=click.IntRange(min=40),
    default=None,
    help="Fit each line to this many columns (default: the terminal's width; whole lines into a pipe or file).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the watched feeds as JSON.")
@pass_ctx
@handle_errors
def watch_list(
    ctx: Context,
    states: tuple[str, ...],
    tag: str | None,
    cause: str | None,
    order: str,
    limit: int | None,
    width: int | None,
    as_json: bool,
) -> None:
    """Watched feeds with their health."""
    from feeds.watch.manage import import_configured, select_feeds

    with ctx.app(create=False) as app:
        import_configured(app)
        watched = app.store.feeds()
    feeds = select_feeds(watched, states=states, tag=tag, order=order)
    if cause is not None:  # (`feeds status` names the causes: `watch list --cause not-found` lists their feeds)
        feeds = [f for f in feeds if (c := cause_of(f)) is not None and c.key == cause]
    feeds = feeds[:limit]
    if as_json:
        echo_json([feed_json(f) for f in feeds])
        return
    if not watched:
        ctx.say("no watched feeds: `feeds watch add URL` or `feeds watch import FILE.opml`")
    elif not feeds:
        ctx.say(f"none of the {count(len(watched), 'watched feed')} is {_wanted(states, tag, cause)}")
    if width is None and sys.stdout.isatty():  # (a pipe or a file gets whole lines, for grep and scripts)
        width = max(shutil.get_terminal_size().columns, 40)
    for f in feeds:
        state = f.state
        tags = f"  [{', '.join(f.tags)}]" if f.tags else ""
        title = f"  {f.title}" if f.title_given else f"  {f.title} (the feed's own title)" if f.title else ""
        if not f.title and f.last_checked:  # (its title handed back to the feed: its body is read again)
            title = "  (named by the feed at its next check)"
        if width is None:
            echo(f"#{f.id:<4} {state:<8} {with_readable(f.url)}{title}{tags}")
        else:  # the title (or else the URL) and tags on one line, the URL shortened in its middle below
            head = f"#{f.id:<4} {state:<8} "  # (the tags kept whole: a long title is cut before them)
            name = (title or without_secrets(f.url)).strip()
            echo(_cut(head + _cut(name, max(width - len(head) - len(tags), 12), middle=True) + tags, width))
            echo(f"{' ' * 7}{short_url(with_readable(f.url), width - 7)}")
        detail = f"       every {shown_interval(f.interval)}, last {f.last_status or 'never'}"
        if f.last_checked:
            detail += f" at {rfc3339(f.last_checked)}"
        if f.next_check:
            detail += f", next {rfc3339(f.next_check)}"
        detail += f", {count(f.items_seen, 'item')}"
        if state == "resumed":
            detail += ", waits for its next check"
        if f.failures:
            if f.failing_since:
                detail += f", failing since {rfc3339(f.failing_since)}"  # (as its last and next check)
            detail += f", {count(f.failures, 'failure')}: {f.last_error}"
        elif f.last_error:
            detail += f": {f.last_error}"
        if f.disabled_reason:
            detail += f" ({f.disabled_reason})"
        echo(
            detail
            if width is None
            else textwrap.fill(detail.strip(), width, initial_indent=" " * 7, subsequent_indent=" " * 7)
        )
    if feeds:  # (with hundreds of feeds, the failing ones are not found by scrolling)
        shown = Counter(f.state for f in feeds)
        counted = ", ".join(f"{shown[s]} {s}" for s in _STATES if shown[s])
        shown_of = f"{len(feeds)} of {count(len(watched), 'feed')}" if len(feeds) < len(watched) else None
        ctx.say(f"{shown_of or count(len(feeds), 'feed')}: {counted}")


def _cut(line: str, width: int, *, middle: bool = False) -> str:
    """`line` cut to `width` columns, ending in "…" when cut (or, `middle`, keeping its start and its end, which
    often tells titles apart: `The Very Long Named…Supplement (UK) #9`)."""
    if len(line) <= width:
        return line
    if not middle:
        return line[: width - 1] + "…"
    start = (width - 1) // 2
    return line[:start] + "…" + line[len(line) - (width - 1 - start) :]


def short_url(url: str, width: int) -> str:
    """`url` in at most `width` columns, shortened in its middle so that what tells feeds apart survives: the
    scheme and host, and the end of the path with its query
    (`http://news.example.com/…/europe/feed-4.xml`)."""
    if len(url) <= width:
        return url
    parts = urlsplit(url)
    head = f"{parts.scheme}://{parts.netloc}/"
    room = width - len(head) - 1
    if room < 8:  # (a host too long to keep whole: the end still tells feeds apart)
        return "…" + url[-(width - 1) :]
    return head + "…" + url[-room:]


def _wanted(states: tuple[str, ...], tag: str | None, cause: str | None = None) -> str:
    """What `watch list`'s filters asked for, as a phrase: `failing or new, tagged 'Europe'`."""
    parts = [" or ".join(states)] if states else []
    parts += [f"tagged {tag!r}"] if tag is not None else []
    return ", ".join([*parts, *([f"failing for {cause!r}"] if cause is not None else [])])


def _next_check(f: WatchedFeed) -> str:
    """When `f` is checked next, for `watch show`: an enabled feed with no next check (new, or just resumed) is
    due at once, which "never" read as its opposite."""
    if not f.enabled:
        return "none (disabled)"
    return rfc3339(f.next_check) if f.next_check is not None else "due now (at the next poll)"


@watch.command("show")
@click.argument("url_id_or_title", nargs=-1, required=True, metavar="URL_ID_OR_TITLE", callback=one_feed)
@click.option("--json", "as_json", is_flag=True, help="Print the feed as JSON (as one of `watch list --json`).")
@pass_ctx
@handle_errors
def watch_show(ctx: Context, url_id_or_title: str, as_json: bool) -> None:
    """One watched feed in full: its settings and health, a line each, however long its URL or last error."""
    from feeds.watch.manage import feed_reference, find_feed, import_configured

    with ctx.app(create=False) as app:
        import_configured(app)
        f = find_feed(app, feed_reference(url_id_or_title))
    if as_json:
        echo_json(feed_json(f))
        return

    def when(t: datetime | None) -> str:
        return rfc3339(t) if t is not None else "never"

    title = f.title if f.title_given else f"{f.title} (the feed's own title)" if f.title else "(none yet)"
    rows = [
        ("feed", f"#{f.id}"),
        ("url", with_readable(f.url)),
        ("title", title),
        ("tags", ", ".join(f.tags) or "none"),
        ("interval", shown_interval(f.interval)),
        ("state", f.state + (f" ({f.disabled_reason})" if f.disabled_reason else "")),
        ("origin", f.origin),
        ("last check", f"{when(f.last_checked)}, answered {f.last_status or 'nothing yet'}"),
        ("next check", _next_check(f)),
        ("failures", f"{f.failures}" + (f", since {rfc3339(f.failing_since)}" if f.failing_since else "")),
        ("last error", f.last_error or "none"),
        ("parse warning", f.parse_warning or "none"),
        ("items", f"{f.items_seen}"),
    ]
    if (cause := cause_of(f)) is not None:  # (what the error means for the analyst: the command that mends it)
        rows.append(("to do", f"{cause.label}: {cause.advice}"))
    for key, value in rows:
        echo(f"{key + ':':<15}{value}")
