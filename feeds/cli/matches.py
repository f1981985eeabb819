"""Match commands: `feeds matches list`.

A thin edge over the store's matches (keyword, related, pickup): it parses the filters, asks the store, and prints
the rows as text or `--json`. It must not find, score or remove matches itself (that is `feeds.watch`'s work,
done at each poll), nor hold watch or keyword-rule commands (`watch.py`, `keywords.py`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from feeds.cli import SITE_TIME, Context, SiteTime, cli, echo, echo_json, handle_errors, pass_ctx
from feeds.cli.files import write_file
from feeds.cli.watch import count
from feeds.clock import rfc3339
from feeds.coveragereport import SubjectRow, hours
from feeds.model import MatchKind, Release, StoredMatch
from feeds.store.dismissals import Dismissal


def match_json(m: StoredMatch) -> dict[str, Any]:
    from feeds.publish.coverage import article_of, published_link

    return {
        "id": m.id,
        "kind": m.kind,
        "item_id": m.item.id,
        "feed_id": m.item.feed_id,
        "rule": m.subject if m.kind == "keyword" else None,
        "release": m.subject if m.kind != "keyword" else None,
        "release_id": m.subject if m.kind != "keyword" else None,  # the name `ingest --json` gives a release's id
        "title": m.item.item.title,
        "link": m.item.item.link,  # as the feed wrote it
        "article": article_of(m),  # the same for every copy of the article (`feeds.articles.item_article`)
        "article_link": published_link([m]),  # the link the site publishes: no tracking parameters or wrapper
        "feed": m.item.feed_title,
        "language": m.item.item.language,  # its feed's language tag, or null
        "published": rfc3339(m.item.published),
        "found_at": rfc3339(m.found_at),
        "delay_seconds": m.delay,
        "score": round(m.score, 4),
        "terms": [{"term": t.term, "field": t.field, "start": t.start, "end": t.end} for t in m.terms],
        "why": m.why,  # one line, in words, as everywhere `why` is given
        "reasons": [m.why],  # the same as a list, one line per reason, as `keywords test --json` gives them
        # A press officer's corrections (`matches dismiss`, `restore`, `add`): null for a match nobody touched.
        "dismissed_at": rfc3339(m.dismissed_at) if m.dismissed_at is not None else None,
        "dismiss_reason": m.dismiss_reason,
        "curated_by": m.curated_by,
    }


def kept_json(d: Dismissal) -> dict[str, Any]:
    """A dismissal no stored match shows (`matches list --dismissed`, its feeds removed), as `match_json` gives a
    match, with what is kept of it: no match, item or feed id (null), no time found or terms; `feed_url` is the
    address of the feed it was made on."""
    from feeds.articles import article_link

    rule = d.subject if d.side == "rule" else None
    release = d.subject if d.side == "release" else None
    return {
        "id": None, "kind": d.kind, "item_id": None, "feed_id": None, "rule": rule, "release": release,
        "release_id": release, "title": d.title, "link": d.link, "article": d.article,
        "article_link": article_link(d.link) if d.link else None, "feed": d.feed_title, "feed_url": d.feed_url,
        "language": None, "published": None, "found_at": None, "delay_seconds": None, "score": None, "terms": [],
        "why": None, "reasons": [], "dismissed_at": rfc3339(d.dismissed_at), "dismiss_reason": d.dismiss_reason,
        "curated_by": d.curated_by,
    }  # fmt: skip


def kept_line(d: Dismissal, slugs: dict[str, str]) -> str:
    """How a dismissal no stored match shows is named: its match's kind, rule or release, the article, its feed."""
    of = f"rule {d.subject}" if d.side == "rule" else f"release {slugs.get(d.subject, d.subject)}"
    return f"{d.kind} of {of}  {d.title}  ({d.feed_title}, no longer watched)"


def refuse_combinations(
    *,
    rule: str | None,
    release: str | None,
    kind: str | None,
    limit: int | None,
    by: str | None,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Options that select nothing together, or a summary that would be wrong, as usage errors naming them."""
    if rule and release:
        raise click.UsageError("--rule and --release select different matches (a rule's, or a release's): give one")
    if rule and kind not in (None, "keyword"):
        raise click.UsageError(f"--rule lists keyword matches; --kind {kind} matches belong to releases (--release)")
    if release and kind == "keyword":
        raise click.UsageError("--release lists related and pickup matches; keyword matches belong to rules (--rule)")
    if as_json and as_csv:
        raise click.UsageError("--json and --csv are two forms of the same list: give one")
    if by == "release" and (rule or kind == "keyword"):
        raise click.UsageError("--by release sums up related and pickup matches; a rule's are summed up by --by rule")
    if by == "rule" and (release or kind in ("related", "pickup", "manual")):
        raise click.UsageError("--by rule sums up keyword matches; a release's are summed up by --by release")
    if by and limit is not None:
        raise click.UsageError(f"--by {by} counts every match: --limit would leave some out of its counts")


def time_range(since: SiteTime | None, until: SiteTime | None, tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """`--since` and `--until` in UTC; an `--until` not after `--since` is a usage error naming both, as typed."""
    after = since.at(tz) if since is not None else None
    before = until.at(tz) if until is not None else None
    if since is not None and until is not None and after is not None and before is not None and before <= after:
        raise click.BadParameter(
            f"{until.text!r} is not after --since {since.text!r}: no match is found at or after one and before the "
            "other",
            param_hint="'--until'",
        )
    return after, before


def quiet_releases(
    releases: dict[str, Release], release: str | None, after: datetime | None, before: datetime
) -> list[str]:
    """The releases `--by release` lists even without coverage: the one `--release` names, or with `--since` those
    published from then until `--until` (or now), newest first (those gone public only)."""
    if release is not None:
        return [release]
    if after is None:
        return []
    return [r.id for r in releases.values() if after <= r.published < before]


FORMS = {".xlsx": "xlsx", ".csv": "csv", ".json": "json"}
"""What `-o FILE` writes, by the end of FILE's name."""


def output_form(output: Path | None, *, as_json: bool, as_csv: bool) -> str:
    """`text`, `json`, `csv` or `xlsx`: from `--json`/`--csv`, or the name `-o` gives; a usage error naming both
    when they disagree, or naming the ending when it is none of `FORMS`."""
    flag = "json" if as_json else "csv" if as_csv else None
    if output is None:
        return flag or "text"
    form = FORMS.get(output.suffix.lower())
    if form is None:
        raise click.BadParameter(
            f"{str(output)!r} ends in neither {', '.join(FORMS)}: name the file for the form to write",
            param_hint="'-o' / '--output'",
        )
    if flag is not None and flag != form:
        raise click.UsageError(f"--{flag} and -o {output} ask for two forms: give one (-o alone takes its ending's)")
    return form


def give(ctx: Context, output: Path | None, form: str, content: Any, rows: str) -> None:
    """The list in `form`: `content` is JSON data, CSV text or a workbook's bytes. To the file `-o` names (whole,
    or not at all: `write_file`), saying how many `rows` went there; else printed (JSON as `echo_json` prints it;
    CSV as UTF-8 bytes whatever the locale's encoding, as a spreadsheet reads it by its byte order mark, its CRLF
    line ends untouched)."""
    if output is None:
        if form == "json":
            echo_json(content)
        else:
            click.echo(content.encode("utf-8"), nl=False)
        return
    if form == "json":
        content = json.dumps(content, ensure_ascii=False, indent=2) + "\n"
    write_file(output, content.encode("utf-8", "surrogateescape") if isinstance(content, str) else content)
    ctx.say(f"wrote {rows} to {output}")


def summary_json(r: SubjectRow) -> dict[str, Any]:
    out: dict[str, Any] = {"rule": r.subject} if r.kind == "rule" else {
        "release": r.subject,  # (its id, as `release` is in a match's JSON)
        "release_id": r.subject,
        "title": r.release.title if r.release else None,
        "slug": r.release.slug if r.release else None,
        "published": rfc3339(r.release.published) if r.release else None,
    }  # fmt: skip
    out |= {"articles": r.articles, "first_found": rfc3339(r.first_found) if r.first_found else None}
    if r.kind == "rule":
        out["last_found"] = rfc3339(r.last_found) if r.last_found else None
    else:
        out |= {"pickups": r.pickups, "related": r.related, "first_delay_seconds": r.first_delay}
    return out | {"feeds": list(r.feeds)}


FEEDS_NAMED = 5
"""The feeds a line of `matches list --by` names; the others are counted (`--json` and `--csv` name them all)."""


def _some_feeds(feeds: Sequence[str]) -> str:
    """`F0, F1, F2, F3, F4 and 3 more feeds (--json names all)`: a rule whose articles 650 feeds carried is a line
    a person reads, not one of 30,000 characters."""
    if len(feeds) <= FEEDS_NAMED:
        return ", ".join(feeds)
    return f"{', '.join(feeds[:FEEDS_NAMED])} and {len(feeds) - FEEDS_NAMED} more feeds (--json names all)"


def echo_summary(ctx: Context, rows: list[SubjectRow], tz: ZoneInfo, by: str, kind: str | None) -> None:
    """Two lines per release (its date there, title and slug; what found it) or one per rule, then the count."""
    for r in rows:
        outlets = f" in {_some_feeds(r.feeds)}" if r.feeds else ""
        found = f"{r.articles} article" + ("" if r.articles == 1 else "s")
        if r.kind == "rule":
            echo(f"{r.subject}  {found}{outlets}")
            continue
        if r.release is not None:
            local = r.release.published.astimezone(tz)
            echo(f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}  {r.release.title}  ({r.release.slug})")
        else:  # (a release deleted since: its matches are kept under its id)
            echo(f"release {r.subject}")
        if not r.articles:
            none = {"pickup": "pickup", "related": "related coverage"}.get(kind or "", "coverage")
            echo(f"         no {none}")  # (of the kind asked for: it may have coverage of the other)
            continue
        first = f", the first {hours(r.first_delay)} h after publication" if r.first_delay is not None else ""
        outlets = f"; in {_some_feeds(r.feeds)}"
        echo(
            f"         {found} ({r.pickups} pickup{'s' if r.pickups != 1 else ''}, {r.related} related){first}{outlets}"
        )
    articles = sum(r.articles for r in rows)
    ctx.say(f"{len(rows)} {by}{'' if len(rows) == 1 else 's'}, {articles} article{'' if articles == 1 else 's'}")


def echo_dismissed(ctx: Context, rows: Sequence[StoredMatch], kept: Sequence[Dismissal], slugs: dict[str, str]) -> None:
    """`matches list --dismissed`: one entry per match dismissed, saying when, by whom and why; then those whose
    feeds were removed since (no match id: restored by their address with --rule or --release)."""
    from feeds.cli.curate import dismissed_line

    for m in rows:
        of = f"rule {m.subject}" if m.kind == "keyword" else f"release {slugs.get(m.subject, m.subject)}"
        echo(f"#{m.id} {m.kind} of {of}  {m.item.item.title}  ({m.item.feed_title})")
        echo(f"         {m.item.item.link or ''}")
        echo(f"         {dismissed_line(m)}")
    for d in kept:
        echo(kept_line(d, slugs))
        echo(f"         {d.link or ''}")
        echo(f"         {dismissed_line(d)}")
    ctx.say(count(len(rows) + len(kept), "dismissed match", "dismissed matches"))


@cli.group("matches")
def matches() -> None:
    """Items found by keyword rules, related to releases, or picking them up verbatim."""


@matches.command("list")
@click.option("--rule", help="Only this keyword rule's matches.")
@click.option("--release", "release", help="Only matches of this release (id, slug or page address).")
@click.option("--kind", type=click.Choice(["keyword", "related", "pickup", "manual"]))
@click.option("--tag", help="Only matches of items from feeds with this tag (any case).")
@click.option("--limit", type=click.IntRange(min=1), default=None)
@click.option(
    "--since", "since", type=SITE_TIME, metavar="TIME",
    help="Only matches found at or after TIME: a date (2026-11-30, its midnight in the site's time zone), a time "
    "there (2026-11-30 09:30), or a time with its offset (2026-11-30T09:30:00Z).",
)  # fmt: skip
@click.option(
    "--until", "until", type=SITE_TIME, metavar="TIME",
    help="Only matches found before TIME, written as for --since (--since 2026-11-23 --until 2026-11-30: the week "
    "from Monday 23 to Sunday 29 November).",
)  # fmt: skip
@click.option(
    "--by", "by", type=click.Choice(["release", "rule"]),
    help="One line per release (its articles, pickups, related, first delay, outlets; with --since, every release "
    "published in the time too, covered or not) or per keyword rule.",
)  # fmt: skip
@click.option(
    "--dismissed", is_flag=True,
    help="List the matches dismissed (`matches dismiss`) instead, with when, by whom and why; restore one with "
    "`matches restore`.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the matches as JSON.")
@click.option(
    "--csv", "as_csv", is_flag=True,
    help="Print CSV for a spreadsheet: one row per article (per release or rule with --by), UTF-8 with a byte order "
    "mark, times in the site's time zone.",
)  # fmt: skip
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
    help="Write the list to FILE instead, in the form its name ends with: .xlsx (an Excel workbook, the same in "
    "every locale: times as dates, delays as numbers, links clickable), .csv (as --csv) or .json (as --json).",
)  # fmt: skip
@pass_ctx
@handle_errors
def matches_list(
    ctx: Context,
    rule: str | None,
    release: str | None,
    kind: MatchKind | None,
    tag: str | None,
    limit: int | None,
    since: SiteTime | None,
    until: SiteTime | None,
    by: str | None,
    dismissed: bool,
    as_json: bool,
    as_csv: bool,
    output: Path | None,
) -> None:
    """List matches, most recently found first (then newest item)."""
    refuse_combinations(rule=rule, release=release, kind=kind, limit=limit, by=by, as_json=as_json, as_csv=as_csv)
    if dismissed and (by or as_csv or output):
        raise click.UsageError("--dismissed lists the dismissed matches one by one, as text or --json")
    form = output_form(output, as_json=as_json, as_csv=as_csv)
    as_json, as_csv = form == "json", form == "csv"
    from feeds.cli.releases import find_release
    from feeds.coveragereport import article_csv, article_rows, release_rows, rule_rows, summary_csv
    from feeds.coveragesheet import article_sheet, summary_sheet
    from feeds.watch.curate import kept_dismissals
    from feeds.watch.manage import list_matches, rule_name

    tz = ctx.settings.site.tz
    after, before = time_range(since, until, tz)
    with ctx.app(create=False) as app:
        if release is not None:  # (named as `releases show` takes it: its page's address too, a typo hinted at)
            release = find_release(app, release).id
        rows = list_matches(
            app, rule=rule, release=release, kind=kind, since=after, until=before, limit=limit, tag=tag,
            dismissed=dismissed,
        )  # fmt: skip
        kept = []
        if dismissed and (limit is None or len(rows) < limit):  # (and those whose feeds were removed since)
            named = rule_name(app, rule) if rule is not None else None
            kept = kept_dismissals(app, rule=named, release=release, kind=kind, since=after, until=before, tag=tag)
            kept = kept[: None if limit is None else limit - len(rows)]
        now = app.clock()
        if by is not None or as_csv or form == "xlsx":
            releases = {r.id: r for r in app.store.releases(until=now) if not r.never_public}
        slugs = app.store.release_slugs(m.subject for m in rows if m.kind != "keyword") if not as_json else {}
        slugs |= app.store.release_slugs(d.subject for d in kept if d.side == "release") if not as_json else {}
    if dismissed and not as_json:
        echo_dismissed(ctx, rows, kept, slugs)
        return
    if as_json and by is None:
        listed = [match_json(m) for m in rows] + [kept_json(d) for d in kept]
        give(ctx, output, form, listed, count(len(listed), "match", "matches"))
        return
    articles = article_rows(rows)
    if by is not None:
        quiet = [] if by == "rule" else quiet_releases(releases, release, after, before or now)
        summary = rule_rows(articles) if by == "rule" else release_rows(articles, releases, quiet)
        if form == "text":
            echo_summary(ctx, summary, tz, by, kind)
            return
        content: Any = (
            summary_csv(summary, tz, by=by)
            if form == "csv"
            else [summary_json(r) for r in summary]
            if form == "json"
            else summary_sheet(summary, tz, now, by=by)
        )
        give(ctx, output, form, content, count(len(summary), by))
        return
    if form in ("csv", "xlsx"):
        content = article_csv(articles, releases, tz) if form == "csv" else article_sheet(articles, releases, tz, now)
        give(ctx, output, form, content, count(len(articles), "article"))
        return
    # One entry per article a rule or release found, naming every feed that carried it (`article_of`: a paper's
    # "World" and "UK" feeds, the same link with tracking parameters), under its clean link (`published_link`).
    for a in articles:
        m = a.copies[0]
        echo(f"{m.kind:<8} {m.score:5.2f}  {a.title}  ({', '.join(a.feeds)})")
        echo(f"         {a.link or ''}")
        echo(f"         {m.why}")
        if m.kind != "keyword":  # (two releases may share a title, which is what `why` names)
            echo(f"         release {slugs.get(m.subject, m.subject)}")
        ids = ", ".join(f"#{c.id}" for c in a.copies)  # (what `matches dismiss` takes)
        echo(f"         match{'es' if len(a.copies) > 1 else ''} {ids}")
    counted = f"{len(rows)} match" if len(rows) == 1 else f"{len(rows)} matches"
    if len(articles) != len(rows):
        counted += f" of {len(articles)} article" + ("" if len(articles) == 1 else "s")
    ctx.say(f"{counted} (--limit {limit}: there may be more)" if limit is not None and len(rows) == limit else counted)
