"""Watch commands: the `feeds watch` group and its `add`, `remove`, `edit`, `discover`, `poll` (`import` and
`export`, OPML in and out: `watchopml.py`; `list` and `show`, the feeds and their health: `watchlist.py`; `edit`
and `remove` of a whole tag or cause: `watchmany.py`).

A thin edge over `feeds.watch.manage` and `feeds.watch.poll`: it parses the arguments, calls the library, and
prints the feeds and their health as text or `--json` (`feed_json`, the one JSON shape of a watched feed). It must
not fetch, parse or judge a feed itself (is it a feed, is it due: `feeds.watch` decides), nor hold keyword-rule or
match commands (`keywords.py`, `matches.py`).
"""

from __future__ import annotations

import shlex
import threading
from typing import Any

import click

from feeds.cli import (
    STOPPED_BY_SIGTERM,
    Context,
    ProgressBar,
    cli,
    echo,
    echo_json,
    handle_errors,
    pass_ctx,
    sigterm_stops,
)
from feeds.clock import rfc3339
from feeds.config import parse_interval, shown_interval
from feeds.errors import FeedsError
from feeds.model import WatchedFeed
from feeds.normalise.ids import readable_url
from feeds.urls import without_secrets
from feeds.watch.triage import CAUSE_KEYS, cause_of


def _interval(_ctx: click.Context, _param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_interval(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from e


def feed_json(f: WatchedFeed) -> dict[str, Any]:
    def t(v: Any) -> Any:
        return rfc3339(v) if v is not None else None

    return {
        "id": f.id,
        "url": without_secrets(f.url),
        "title": f.title,
        "title_given": f.title_given,
        "tags": list(f.tags),
        "interval": f.interval,
        "enabled": f.enabled,
        "origin": f.origin,
        "state": f.state,
        "cause": cause.key if (cause := cause_of(f)) is not None else None,
        "health": {
            "last_checked": t(f.last_checked),
            "last_status": f.last_status,
            "last_error": f.last_error,
            "parse_warning": f.parse_warning,
            "failures": f.failures,
            "failing_since": t(f.failing_since),
            "next_check": t(f.next_check),
            "items_seen": f.items_seen,
            "disabled_reason": f.disabled_reason,
        },
    }


@cli.group("watch")
def watch() -> None:
    """External feeds watched for coverage."""


@watch.command("add")
@click.argument("url")
@click.option("--title", default="", help="A name for the feed (default: the feed's own title).")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable); rules can match it with feed:TAG.")
@click.option("--interval", callback=_interval, help="How often to check, e.g. 30m, 2h (floor 5m).")
@click.option(
    "--check/--no-check",
    default=True,
    help="Fetch the URL once first, and refuse it unless it is a feed (a web page is answered with its feeds). "
    "--no-check adds it without fetching anything.",
)
@pass_ctx
@handle_errors
def watch_add(ctx: Context, url: str, title: str, tags: tuple[str, ...], interval: float | None, check: bool) -> None:
    """Watch a feed (fetched once first, to see that it is one)."""
    from feeds.watch.manage import add_feed, import_configured, look_alike

    with ctx.app() as app:
        import_configured(app)  # the config's feeds first, as every other command sees them
        try:
            feed = add_feed(app, url, title=title, tags=tags, interval=interval, check=check)
        except ValueError as e:  # the interval out of bounds, or a tag with a comma (not our own errors)
            if isinstance(e, FeedsError):
                raise
            raise click.BadParameter(str(e), param_hint="--tag" if "tag" in str(e) else "--interval") from e
        twin = look_alike(feed, app.store.feeds())
    ctx.say(f"watching #{feed.id} {with_readable(feed.url)} every {shown_interval(feed.interval)}")
    if twin is not None:
        echo(f"note: {twin}", err=True)


def one_feed(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> str:
    """The feed's URL, id or title, taken as all the arguments left, so that a title the shell split into words
    (`Harbour Desk` unquoted) is answered with its quoting rather than "unexpected extra argument (Desk)"."""
    if len(value) > 1:
        raise click.UsageError(
            f"a feed is one argument: put a title of several words in quotes, as in {shlex.quote(' '.join(value))}"
        )
    return value[0]


def one_feed_or_none(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> str | None:
    """`one_feed`, or None when no feed is named (`watch edit/remove --tagged TAG`: every feed of a tag)."""
    return one_feed(ctx, param, value) if value else None


@watch.command("remove")
@click.argument("url_id_or_title", nargs=-1, metavar="[URL_ID_OR_TITLE]", callback=one_feed_or_none)
@click.option(
    "--tagged",
    metavar="TAG",
    default=None,
    help="Instead of one feed, every feed with this tag (any case, as `watch list --tag`): a whole folder.",
)
@click.option(
    "--cause",
    type=click.Choice(CAUSE_KEYS),
    default=None,
    help="Instead of one feed, every feed failing (or gone) for this cause, as `watch list --cause` lists them.",
)
@click.option("--dry-run", is_flag=True, help="With --tagged or --cause: list the feeds that would go, only.")
@pass_ctx
@handle_errors
def watch_remove(
    ctx: Context, url_id_or_title: str | None, tagged: str | None, cause: str | None, dry_run: bool
) -> None:
    """Stop watching a feed, or with --tagged TAG (and/or --cause C) every feed of a tag (their items go; matches
    of them go too)."""
    from feeds.cli.watchmany import remove_many
    from feeds.watch.manage import feed_reference, import_configured, remove_feed

    if (url_id_or_title is None) == (tagged is None and cause is None):
        raise click.UsageError(
            "name one feed (URL, id or title), or every feed of a tag or cause with --tagged TAG or --cause C: one"
        )
    if dry_run and url_id_or_title is not None:
        raise click.UsageError("--dry-run goes with --tagged or --cause (`feeds watch show` shows the one feed first)")
    with ctx.app() as app:
        if url_id_or_title is None:
            import_configured(app)
            remove_many(ctx, app, tagged, cause, dry_run=dry_run)
            return
        feed, items, found = remove_feed(app, feed_reference(url_id_or_title))
    deleted = f"{count(items, 'item')} and {count(found, 'match', 'matches')}"
    ctx.say(f"removed #{feed.id} {with_readable(feed.url)}: deleted {deleted}")


@watch.command("edit")
@click.argument("url_id_or_title", nargs=-1, metavar="[URL_ID_OR_TITLE]", callback=one_feed_or_none)
@click.option("--title", default=None, help="A new name for the feed ('' for the feed's own title).")
@click.option("--tag", "tags", multiple=True, help="The feed's tags, replacing its current ones (repeatable).")
@click.option("--no-tags", is_flag=True, help="Remove all its tags.")
@click.option("--interval", callback=_interval, help="How often to check, e.g. 30m, 2h (floor 5m).")
@click.option("--enable", is_flag=True, help="Poll it again (due at once): a feed paused, or gone (410) once.")
@click.option("--disable", is_flag=True, help="Stop polling it, keeping its items and matches.")
@click.option(
    "--tagged",
    metavar="TAG",
    default=None,
    help="Instead of one feed, every feed with this tag (any case, as `watch list --tag`): pause, resume, retag or "
    "set the interval of them all.",
)
@click.option("--dry-run", is_flag=True, help="With --tagged: say which feeds would change, and how many, only.")
@pass_ctx
@handle_errors
def watch_edit(
    ctx: Context,
    url_id_or_title: str | None,
    title: str | None,
    tags: tuple[str, ...],
    no_tags: bool,
    interval: float | None,
    enable: bool,
    disable: bool,
    tagged: str | None,
    dry_run: bool,
) -> None:
    """Change a watched feed's title, tags or interval, or pause and resume it, keeping its items and matches;
    with --tagged TAG, every feed of that tag."""
    from feeds.cli.watchmany import edit_tagged
    from feeds.watch.manage import edit_feed, feed_reference, import_configured

    if tags and no_tags:
        raise click.UsageError("--tag sets the tags and --no-tags removes them all: give one")
    if enable and disable:
        raise click.UsageError("--enable and --disable do opposite things: give one")
    if (url_id_or_title is None) == (tagged is None):
        raise click.UsageError("name one feed (URL, id or title), or every feed of a tag with --tagged TAG: one")
    if tagged is not None and title is not None:
        raise click.UsageError("--title names one feed: it does not go with --tagged")
    if dry_run and tagged is None:
        raise click.UsageError("--dry-run goes with --tagged (one feed's change is said as it is made)")
    enabled = True if enable else False if disable else None
    if title is None and not tags and not no_tags and interval is None and enabled is None:
        raise click.UsageError("nothing to change: give --title, --tag, --no-tags, --interval, --enable or --disable")
    new_tags = () if no_tags else tags or None
    with ctx.app() as app:
        import_configured(app)
        if tagged is not None:
            edit_tagged(ctx, app, tagged, tags=new_tags, interval=interval, enabled=enabled, dry_run=dry_run)
            return
        assert url_id_or_title is not None
        try:
            feed = edit_feed(
                app, feed_reference(url_id_or_title), title=title, tags=new_tags, interval=interval, enabled=enabled
            )
        except ValueError as e:  # the interval out of bounds, or a tag with a comma (not our own errors)
            if isinstance(e, FeedsError):
                raise
            raise click.BadParameter(str(e), param_hint="--tag" if "tag" in str(e) else "--interval") from e
    ctx.say(edited(feed))


def edited(feed: WatchedFeed) -> str:
    tags_shown = ", ".join(feed.tags) or "no tags"
    return f"#{feed.id} {with_readable(feed.url)}: {feed.state}, every {shown_interval(feed.interval)}, {tags_shown}"


def with_readable(url: str) -> str:
    """A stored feed URL as shown, followed by how a person reads it when that differs
    (`https://xn--bcher-kva.example/rss  (https://bücher.example/rss)`): the first is what is fetched and what
    exports hold, the second what was typed. Either names the feed in `watch poll`, `watch edit` and `watch remove`,
    with a secret in its query (`?token=`) shown masked (`?token=***`), as `find_feed` takes it too."""
    shown = without_secrets(url)
    readable = readable_url(shown)
    return shown if readable == shown else f"{shown}  ({readable})"


BUSY = "being checked by another process right now"


def count(n: int, one: str, many: str | None = None) -> str:
    """`n` and its noun, singular or plural (`1 item`, `2 items`; `many` for an irregular plural: `2 matches`)."""
    return f"{n} {one if n == 1 else many or one + 's'}"


@watch.command("discover")
@click.argument("url")
@click.option("--add", "add_all", is_flag=True, help="Watch what was found.")
@pass_ctx
@handle_errors
def watch_discover(ctx: Context, url: str, add_all: bool) -> None:
    """Find the feed(s) of a web page."""
    from feeds.watch.discovery import watch_hint
    from feeds.watch.manage import add_feed, discover

    with ctx.app() as app:
        found = discover(app, url)
        if not found:
            raise FeedsError(f"{url}: no feed found (no <link rel=alternate>, no feed at the common paths)")
        for d in found:
            echo(f"{without_secrets(d.url)}  {d.title}  ({d.kind}, {d.how})")  # (`--add` adds it, key and all)
            if d.refused:
                echo(f"  refused: {d.refused}")
            elif d.problem:
                echo(f"  {d.problem}")
            elif d.watched is not None:
                echo(f"  watched already (#{d.watched})")
            elif add_all:
                try:
                    add_feed(app, d.url, title=d.title)
                    echo("  added")
                except FeedsError as e:
                    echo(f"  not added: {e}")
        hint = None if add_all else watch_hint(url, found)
        if hint:
            echo(hint)


@watch.command("poll")
@click.argument("urls", nargs=-1, metavar="[URL_ID_OR_TITLE]...")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome of each feed polled, and the totals, as JSON.")
@pass_ctx
@handle_errors
def watch_poll(ctx: Context, urls: tuple[str, ...], as_json: bool) -> None:
    """Check due feeds now, or the named feeds whatever their schedule or back-off."""
    from feeds.watch.check import PROBLEMS
    from feeds.watch.manage import find_feeds, import_configured
    from feeds.watch.poll import run_watch

    stop = threading.Event()
    with ctx.app() as app, ProgressBar("polling") as bar:
        import_configured(app)
        named = find_feeds(app, urls)
        with sigterm_stops(stop, "the fetches under way; the feeds not started are given back"):
            report = run_watch(app, feed_ids=[f.id for f in named] if urls else None, progress=bar, stop=stop)
    checked = {o.feed_id for o in report.outcomes}
    # Claimed by another process at this moment (not the ones this run gave back when SIGTERM stopped it).
    busy = [] if stop.is_set() else [f for f in named if f.id not in checked]
    for f in busy:
        echo(f"skipped #{f.id} {without_secrets(f.url)}: {BUSY}", err=True)
    if as_json:
        echo_json(
            {
                # (`id`: a feed's id, as `watch list --json` names it; `feed_id`, its first name, kept for scripts)
                "feeds": [{"id": o.feed_id, **o.__dict__, "url": without_secrets(o.url)} for o in report.outcomes],
                "new_items": report.new_items,
                "changed_items": report.changed_items,
                "new_matches": report.new_matches,
                "new_articles": report.new_articles,  # (as `matches list` counts them; null: could not be told)
                "removed_matches": report.removed_matches,
                "failed": report.failed,
                "left_for_next_round": report.left,
                "given_back": report.given_back,
                # (`why`, as `watch import --json` says why; `reason`, its first name, kept for scripts)
                "skipped": [
                    {"id": f.id, "feed_id": f.id, "url": without_secrets(f.url), "why": BUSY, "reason": BUSY}
                    for f in busy
                ],
            }
        )
        if stop.is_set():
            raise SystemExit(STOPPED_BY_SIGTERM)
        if urls and (report.failed or busy):
            raise SystemExit(1)
        return
    for o in report.outcomes:
        line = f"{o.status:<11} {without_secrets(o.url)}  +{count(o.new_items, 'item')}"
        line += f" ({o.changed_items} changed)" if o.changed_items else ""
        line += f", +{count(o.new_matches, 'match', 'matches')}"
        line += f", -{o.removed_matches} no longer made" if o.removed_matches else ""
        note = o.error or ("the same body as last time: not parsed again" if o.unchanged else None)
        if o.warning:
            note = f"{note}; {PROBLEMS}{o.warning}" if note else f"{PROBLEMS}{o.warning}"
        failed = o.error is not None
        if failed or ctx.verbosity >= 0:  # -q: the feeds that failed only
            echo(line + (f"  ({note})" if note else ""), err=failed and ctx.verbosity < 0)
    ctx.say(report.summary())
    if stop.is_set():
        raise SystemExit(STOPPED_BY_SIGTERM)
    if urls and (report.failed or busy):  # feeds named on purpose: a script must see one was not checked
        raise SystemExit(1)
