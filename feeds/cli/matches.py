"""Match commands: `feeds matches list`.

A thin edge over the store's matches (keyword, related, pickup): it parses the filters, asks the store, and prints
the rows as text or `--json`. It must not find, score or remove matches itself (that is `feeds.watch`'s work,
done at each poll), nor hold watch or keyword-rule commands (`watch.py`, `keywords.py`).
"""

from __future__ import annotations

from typing import Any

import click

from feeds.cli import SITE_TIME, Context, SiteTime, cli, echo, echo_json, handle_errors, pass_ctx
from feeds.clock import rfc3339
from feeds.model import MatchKind, StoredMatch


def feed_names(ms: list[StoredMatch]) -> list[str]:
    return [m.item.feed_title or "unnamed feed" for m in ms]


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
        "published": rfc3339(m.item.published),
        "found_at": rfc3339(m.found_at),
        "delay_seconds": m.delay,
        "score": round(m.score, 4),
        "terms": [{"term": t.term, "field": t.field, "start": t.start, "end": t.end} for t in m.terms],
        "why": m.why,  # one line, in words, as everywhere `why` is given
        "reasons": [m.why],  # the same as a list, one line per reason, as `keywords test --json` gives them
    }


@cli.group("matches")
def matches() -> None:
    """Items found by keyword rules, related to releases, or picking them up verbatim."""


@matches.command("list")
@click.option("--rule", help="Only this keyword rule's matches.")
@click.option("--release", "release", help="Only matches of this release (id, slug or page address).")
@click.option("--kind", type=click.Choice(["keyword", "related", "pickup"]))
@click.option("--tag", help="Only matches of items from feeds with this tag (any case).")
@click.option("--limit", type=click.IntRange(min=1), default=None)
@click.option(
    "--since", "since", type=SITE_TIME, metavar="TIME",
    help="Only matches found at or after TIME: a date (2026-11-30, its midnight in the site's time zone), a time "
    "there (2026-11-30 09:30), or a time with its offset (2026-11-30T09:30:00Z).",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the matches as JSON.")
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
    as_json: bool,
) -> None:
    """List matches, most recently found first (then newest item)."""
    if rule and release:
        raise click.UsageError("--rule and --release select different matches (a rule's, or a release's): give one")
    if rule and kind not in (None, "keyword"):
        raise click.UsageError(f"--rule lists keyword matches; --kind {kind} matches belong to releases (--release)")
    if release and kind == "keyword":
        raise click.UsageError("--release lists related and pickup matches; keyword matches belong to rules (--rule)")
    from feeds.cli.releases import find_release
    from feeds.publish.coverage import article_of, published_link
    from feeds.watch.manage import list_matches

    after = since.at(ctx.settings.site.tz) if since is not None else None
    with ctx.app(create=False) as app:
        if release is not None:  # (named as `releases show` takes it: its page's address too, a typo hinted at)
            release = find_release(app, release).id
        rows = list_matches(app, rule=rule, release=release, kind=kind, since=after, limit=limit, tag=tag)
        slugs = app.store.release_slugs(m.subject for m in rows if m.kind != "keyword") if not as_json else {}
    if as_json:
        echo_json([match_json(m) for m in rows])
        return
    # One entry per article a rule or release found, naming every feed that carried it (`article_of`: a paper's
    # "World" and "UK" feeds, the same link with tracking parameters), under its clean link (`published_link`).
    copies: dict[tuple[str, str, str], list[StoredMatch]] = {}
    for m in rows:
        copies.setdefault((m.kind, m.subject, article_of(m)), []).append(m)
    for ms in copies.values():
        m = ms[0]
        echo(f"{m.kind:<8} {m.score:5.2f}  {m.item.item.title}  ({', '.join(dict.fromkeys(feed_names(ms)))})")
        echo(f"         {published_link(ms) or ''}")
        echo(f"         {m.why}")
        if m.kind != "keyword":  # (two releases may share a title, which is what `why` names)
            echo(f"         release {slugs.get(m.subject, m.subject)}")
    counted = f"{len(rows)} match" if len(rows) == 1 else f"{len(rows)} matches"
    if len(copies) != len(rows):
        counted += f" of {len(copies)} article" + ("" if len(copies) == 1 else "s")
    ctx.say(f"{counted} (--limit {limit}: there may be more)" if limit is not None and len(rows) == limit else counted)
