"""A press officer's corrections: `feeds matches dismiss`, `restore` and `add`.

A thin edge over `feeds.watch.curate`: it parses how a match is named (its id, or an article's address with
`--release`/`--rule`), calls one function, and says what changed and when it shows (at the next publish). It must
not decide what matches, nor fetch the address it is given.
"""

from __future__ import annotations

import getpass
from typing import Any

import click

from feeds.cli import SITE_TIME, Context, SiteTime, echo, echo_json, handle_errors, pass_ctx
from feeds.cli.matches import kept_json, kept_line, match_json, matches
from feeds.clock import rfc3339
from feeds.errors import NotFoundError
from feeds.model import StoredMatch
from feeds.store.dismissals import Dismissal
from feeds.watch.curate import Subject, match_number


def _who(by: str | None) -> str | None:
    """Who made a correction: `--by`, else the account running the command (None when it cannot be told)."""
    if by is not None:
        return by.strip() or None
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def _subject(app: Any, given: str, rule: str | None, release: str | None) -> Subject | None:
    """The rule or release an address names a match of; a usage error when an address comes without one, or
    with both."""
    from feeds.cli.releases import find_release
    from feeds.watch.manage import rule_name

    if rule and release:
        raise click.UsageError("--rule and --release name different matches (a rule's, or a release's): give one")
    if match_number(given) is not None:
        if rule or release:
            raise click.UsageError(f"{given} is a match's id: it needs no --rule or --release")
        return None
    if not rule and not release:
        raise click.UsageError(
            f"{given} is an article's address: name the release (--release) or rule (--rule) it is wrongly a "
            "match of (the same article may be a right match of another)"
        )
    if release:
        return Subject(release=find_release(app, release))
    return Subject(rule=rule_name(app, rule or ""))


def _said(m: StoredMatch, slugs: dict[str, str]) -> str:
    of = f"rule {m.subject!r}" if m.kind == "keyword" else f"release {slugs.get(m.subject, m.subject)}"
    return f"#{m.id} {m.kind} of {of}: {m.item.item.title or '(untitled item)'} ({m.item.feed_title})"


_NAMED = (
    "MATCH is a match's id (`feeds matches list` prints it, --json gives it) or an article's address with the "
    "release (--release) or rule (--rule) it is a match of."
)


@matches.command("dismiss", help=f"Dismiss a wrong match: it leaves every feed, page and alert at the next publish, "
                 f"is kept (`matches list --dismissed`) and never found again. {_NAMED}")  # fmt: skip
@click.argument("match", metavar="MATCH")
@click.option("--release", help="The release the article is wrongly coverage of (id, slug or page address).")
@click.option("--rule", help="The keyword rule the article is wrongly a match of.")
@click.option("--reason", help="Why, in a few words (shown by `matches list --dismissed`).")
@click.option("--by", "by", metavar="NAME", help="Who dismissed it (default: the account running the command).")
@click.option("--json", "as_json", is_flag=True, help="Print the matches dismissed as JSON.")
@pass_ctx
@handle_errors
def matches_dismiss(
    ctx: Context, match: str, release: str | None, rule: str | None, reason: str | None, by: str | None, as_json: bool
) -> None:
    from feeds.watch.curate import named_matches

    with ctx.app(create=False) as app:
        subject = _subject(app, match, rule, release)
        done = app.store.dismiss_matches(
            named_matches(app, match, subject, dismissed=False),
            app.clock(),
            by=_who(by),
            reason=(reason or "").strip() or None,
        )
        shown = _shown(app, done.ids, dismissed=True)
    _report(ctx, shown, "dismissed", as_json)


@matches.command("restore", help=f"Undo `matches dismiss`: the match is published again at the next publish "
                 f"(never alerted again); one whose feeds were removed since, named by its address, is published "
                 f"when a feed brings it again. {_NAMED}")  # fmt: skip
@click.argument("match", metavar="MATCH")
@click.option("--release", help="The release it was dismissed as coverage of (id, slug or page address).")
@click.option("--rule", help="The keyword rule it was dismissed as a match of.")
@click.option("--by", "by", metavar="NAME", help="Who restored it (default: the account running the command).")
@click.option("--json", "as_json", is_flag=True, help="Print the matches restored as JSON.")
@pass_ctx
@handle_errors
def matches_restore(
    ctx: Context, match: str, release: str | None, rule: str | None, by: str | None, as_json: bool
) -> None:
    from feeds.watch.curate import named_matches, restore_kept

    with ctx.app(create=False) as app:
        subject = _subject(app, match, rule, release)
        try:
            named = named_matches(app, match, subject, dismissed=True)
        except NotFoundError as missing:
            if subject is None:
                raise
            try:  # (a dismissal whose feeds were all removed since: kept as a record only)
                kept = restore_kept(app, match, subject, by=_who(by))
            except NotFoundError:
                raise missing from None  # (what names no dismissed match, nor any kept one)
            slugs = app.store.release_slugs(d.subject for d in kept if d.side == "release")
            _report_kept(ctx, kept, slugs, as_json)
            return
        done = app.store.restore_matches(named, app.clock(), by=_who(by))
        shown = _shown(app, done.ids, dismissed=False)
    _report(ctx, shown, "restored", as_json)


def _report_kept(ctx: Context, kept: list[Dismissal], slugs: dict[str, str], as_json: bool) -> None:
    if as_json:
        echo_json([kept_json(d) for d in kept])
        return
    for d in kept:
        echo(kept_line(d, slugs))
    first = kept[0]
    of = f"rule {first.subject!r}" if first.side == "rule" else f"release {slugs.get(first.subject, first.subject)}"
    ctx.say(
        f"restored the dismissal of {first.kind} match of {of}: no watched feed holds it now; a copy stored from now "
        "on is published"
    )


@matches.command("add")
@click.argument("url", metavar="URL")
@click.option("--release", required=True, help="The release the article covers (id, slug or page address).")
@click.option("--title", help="An article no watched feed brought: its headline (with --source).")
@click.option("--source", help="An article no watched feed brought: the publication it appeared in.")
@click.option(
    "--date", "date", type=SITE_TIME, metavar="TIME",
    help="An article no watched feed brought: when it appeared, as --since takes a time (default: now).",
)  # fmt: skip
@click.option("--by", "by", metavar="NAME", help="Who added it (default: the account running the command).")
@click.option("--json", "as_json", is_flag=True, help="Print the match added as JSON.")
@pass_ctx
@handle_errors
def matches_add(
    ctx: Context,
    url: str,
    release: str,
    title: str | None,
    source: str | None,
    date: SiteTime | None,
    by: str | None,
    as_json: bool,
) -> None:
    """Add coverage the matcher missed: the article at URL as coverage of a release (kind `manual`). An article
    stored already from a watched feed is found by its link (with or without tracking parameters); one no feed
    brought is entered with --title, --source and --date. Published with the release's coverage at the next
    publish, explained as added by hand; never alerted. Nothing is fetched."""
    from feeds.cli.releases import find_release
    from feeds.watch.curate import HandEntered, add_by_hand

    if (title is None) != (source is None) or (date is not None and title is None):
        raise click.UsageError("an article entered by hand takes --title and --source together (and --date)")
    with ctx.app(create=False) as app:
        found = find_release(app, release)
        entered = None
        if title is not None and source is not None:
            when = date.at(ctx.settings.site.tz) if date is not None else app.clock()
            entered = HandEntered(title, source, when)
        stored_already = entered is not None and bool(app.store.items_at(url))
        try:
            _, added = add_by_hand(app, url, found, by=_who(by), entered=entered)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="'URL'" if "address" in str(e) else "'--title'") from e
    if stored_already:  # (its copy from a watched feed is what is published)
        echo(
            f"note: --title and --source are not used: {url} is stored already, from {added.item.feed_title!r}, "
            "whose title and source are published",
            err=True,
        )
    if as_json:
        echo_json(match_json(added))
        return
    echo(_said(added, {found.id: found.slug}))
    ctx.say("added by hand: it is listed with the release's coverage at the next publish")


def _shown(app: Any, ids: tuple[int, ...], *, dismissed: bool) -> tuple[list[StoredMatch], dict[str, str]]:
    """The matches `ids` as they are now (the one named first), and their releases' slugs."""
    wanted = set(ids)
    rows = sorted((m for m in app.store.matches(dismissed=dismissed) if m.id in wanted), key=lambda m: ids.index(m.id))
    return rows, app.store.release_slugs(m.subject for m in rows if m.kind != "keyword")


def _report(ctx: Context, shown: tuple[list[StoredMatch], dict[str, str]], done: str, as_json: bool) -> None:
    rows, slugs = shown
    if as_json:
        echo_json([match_json(m) for m in rows])
        return
    for m in rows:
        echo(_said(m, slugs))
    copies = len(rows) - 1
    also = f" (and {copies} cop{'y' if copies == 1 else 'ies'} of the same article)" if copies > 0 else ""
    when = "leaves the feeds, pages and pending alerts" if done == "dismissed" else "is published again"
    ctx.say(f"{done} {rows[0].kind} match #{rows[0].id}{also}: it {when} at the next publish" if rows else done)


def dismissed_line(m: StoredMatch | Dismissal) -> str:
    """How `matches list --dismissed` says when, by whom and why a match was dismissed."""
    at = rfc3339(m.dismissed_at) if m.dismissed_at is not None else "?"
    by = f" by {m.curated_by}" if m.curated_by else ""
    return f"dismissed {at}{by}" + (f": {m.dismiss_reason}" if m.dismiss_reason else "")
