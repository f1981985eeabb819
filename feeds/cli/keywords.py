"""Keyword rule commands: `feeds keywords add`, `edit`, `list`, `remove`, `test` (`import` and `export`, rules in
files, are `keywordfiles.py`'s).

A thin edge over `feeds.watch.manage`: it parses a query (one may start with "-", never with "--"), calls one
function, and prints what it did, with the query's notes on stderr. It must not parse or match queries itself
(`feeds.watch.query` and `match.py` do), nor touch the matches a rule made beyond what `manage` and the store
offer, nor hold watch or match commands (`watch.py`, `matches.py`).
"""

from __future__ import annotations

import math
import re
import shlex
from datetime import datetime

import click

from feeds.cli import Context, cli, echo, echo_json, handle_errors, pass_ctx
from feeds.clock import rfc3339
from feeds.errors import NotFoundError
from feeds.fold import fold


def _finite(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):  # (FloatRange lets NaN through)
        raise click.BadParameter(f"{value} is not a number of days")
    return value


@cli.group("keywords")
def keywords() -> None:
    """Keyword rules: saved queries matched against every watched item."""


# A query may start with "-" (`-iran`: everything but Iran): it is an argument, not an unknown option.
_QUERY_FIRST = {"ignore_unknown_options": True}


def _query(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> str:
    """The query argument, unless it is a mistyped option (`--nmae`): "-" starts a query, "--word" never does.
    Taken as all the arguments left, so that a query the shell split into words (`iran OR syria` unquoted) is
    answered with the command's quoting rather than "unexpected extra arguments (OR syria)"."""
    for word in value:
        if re.match(r"--[A-Za-z]", word):
            raise click.UsageError(f"no such option: {word.split('=')[0]} (a query may start with '-', never '--')")
    if len(value) > 1:
        # (an argument holding a space was a phrase the shell unquoted: quoted again, it stays one)
        query = " ".join(f'"{w}"' if " " in w and not w.startswith(('"', "(")) else w for w in value)
        raise click.UsageError(f"the query is one argument: put all of it in quotes, as in {shlex.quote(query)}")
    return value[0]


@keywords.command("add", context_settings=_QUERY_FIRST)
@click.argument("query", nargs=-1, required=True, metavar="QUERY", callback=_query)
@click.option("--name", help="A name for the rule (default: the query itself).")
@pass_ctx
@handle_errors
def keywords_add(ctx: Context, query: str, name: str | None) -> None:
    """Save a rule; it is also applied to the items of the last `watch.retro_days` days on the next poll."""
    from feeds.watch.manage import add_rule, import_configured

    with ctx.app() as app:
        import_configured(app)  # a config rule of that name refuses it, on a new database too
        rule = add_rule(app, query, name=name)
    ctx.say(f"added rule {rule.name!r}: {rule.query}")


@keywords.command("edit", context_settings=_QUERY_FIRST)
@click.argument("name")
@click.argument("query", nargs=-1, required=True, metavar="QUERY", callback=_query)
@pass_ctx
@handle_errors
def keywords_edit(ctx: Context, name: str, query: str) -> None:
    """Give a rule a new query. At the next poll, its matches the new query no longer makes are removed (those it
    still makes keep their ids) and it is applied to the items of the last `watch.retro_days` days."""
    from feeds.watch.manage import change_rule, import_configured

    with ctx.app() as app:
        import_configured(app)  # a config rule of that name is changed in the config, on a new database too
        before, rule = change_rule(app, name, query)
    if rule is before:
        ctx.say(f"rule {rule.name!r} unchanged: {rule.query}")
    else:
        ctx.say(f"changed rule {rule.name!r}: {rule.query} (was: {before.query})")


@keywords.command("list")
@click.option(
    "--counts", is_flag=True, help="Give each rule's number of matches and when it last found one, fewest first."
)
@click.option("--json", "as_json", is_flag=True, help="Print the rules as JSON.")
@pass_ctx
@handle_errors
def keywords_list(ctx: Context, counts: bool, as_json: bool) -> None:
    """Saved rules (with --counts, how often each matched: the rules that never do, and the noisy ones)."""
    from feeds.watch.manage import import_configured

    with ctx.app(create=False) as app:
        import_configured(app)
        # By name as a reader looks one up (case and accents aside; each script in its letters' order), not as the
        # database collates it (binary on SQLite, the locale's on PostgreSQL: "Zürich" before "berlin", or after).
        rules = sorted(app.store.rules(), key=lambda r: (fold(r.name), r.name))
        found = app.store.match_counts("keyword") if counts else {}
    if counts:  # (fewest first: the rules that match nothing, a typo or a word no one writes, are found at once)
        rules = sorted(rules, key=lambda r: found.get(r.name, (0,))[0])
    if as_json:
        echo_json(
            [
                {"name": r.name, "query": r.query, "origin": r.origin}
                | ({"matches": found.get(r.name, (0, None))[0], "last_found": _last(found, r.name)} if counts else {})
                for r in rules
            ]
        )
        return
    for r in rules:
        line = f"{r.name}: {r.query}" + (f"  ({r.origin})" if r.origin != "cli" else "")
        if counts:
            n = found.get(r.name, (0, None))[0]
            line += f"  [{n} match{'es' if n != 1 else ''}" + (f", last {_last(found, r.name)}]" if n else "]")
        echo(line)
    for r in rules:  # (saved before such queries were refused: they match as they did, which was not what was meant)
        if r.origin == "cli" and (why := _refused_now(r.query)):
            echo(f"note: rule {r.name!r} would be refused now ({why}): keywords edit it to say what is meant", err=True)


def _refused_now(query: str) -> str:
    """Why `check_query` refuses a saved rule's query ("" when it does not)."""
    from feeds.errors import RuleError
    from feeds.watch.query import check_query

    try:
        check_query(query)
    except RuleError as e:
        return f"at character {(e.position or 0) + 1}: {e.message}"
    return ""


def _last(found: dict[str, tuple[int, datetime]], name: str) -> str | None:
    """When rule `name` last found a match, RFC 3339 (None: never)."""
    return rfc3339(found[name][1]) if name in found else None


@keywords.command("remove")
@click.argument("name")
@pass_ctx
@handle_errors
def keywords_remove(ctx: Context, name: str) -> None:
    """Delete a rule and its matches."""
    from feeds.watch.manage import remove_rule, rule_name

    with ctx.app() as app:
        try:
            rule, gone = remove_rule(app, name)
        except NotFoundError:
            # A rule deleted from (or renamed in) the config file keeps its matches, and its feed, until this.
            name = rule_name(app, name)
            gone = app.store.remove_former_rule_matches(name)
            if not gone:
                raise
            ctx.say(f"removed the {gone} match(es) of the former rule {name!r} (no rule has that name now)")
            return
    went = "(it had no matches)" if not gone else f"and its {gone} match{'es' if gone != 1 else ''}"
    ctx.say(f"removed rule {rule.name!r} {went}")


@keywords.command("test", context_settings=_QUERY_FIRST)
@click.argument("query", nargs=-1, required=True, metavar="QUERY", callback=_query)
@click.option("--item", help="Explain this one stored item (its link or key), whether it matches or not.")
@click.option(
    "--days",
    type=click.FloatRange(min=0, max=3660, min_open=True),
    callback=lambda _ctx, _param, v: _finite(v),
    default=None,
    help="How far back to look, in days (default: watch.retro_days).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Show at most this many matching items, newest first (all are counted).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the matching items, and why, as JSON.")
@pass_ctx
@handle_errors
def keywords_test(ctx: Context, query: str, days: float | None, item: str | None, limit: int, as_json: bool) -> None:
    """Show which stored items QUERY would match, and why, without saving it (or, with --item, why one does or
    does not)."""
    from feeds.watch.manage import try_query

    with ctx.app(create=False) as app:
        result = try_query(app, query, days=days, item=item, limit=limit)
    if item is not None and not result.hits:
        raise NotFoundError(f"no stored item has the link or key {item!r} (within --days)")
    if as_json:
        echo_json(
            {
                "query": query,
                "checked": result.checked,
                "matched": result.matched,
                "own_site": result.own,
                "suggestion": (
                    {"query": result.suggestion.query, "matched": result.suggestion.matched}
                    if result.suggestion
                    else None
                ),
                "matches": [
                    {
                        "item_id": s.id,
                        "feed_id": s.feed_id,
                        "title": s.item.title,
                        "link": s.item.link,
                        "feed": s.feed_title,
                        "published": rfc3339(s.published),  # (as `matches list --json` gives it)
                        "reasons": list(e.reasons),  # (one line per reason, as `matches list --json` gives them)
                        "why": list(e.reasons),  # (first given as this list: kept for the scripts that read it)
                    }
                    for s, e in result.hits
                    if e.matched
                ],
                **(
                    {
                        "item": {
                            "matched": result.hits[0][1].matched,
                            "reasons": (r := list(result.hits[0][1].reasons)),
                            "why": r,
                        }
                    }  # (as each of `matches`)
                    if item is not None
                    else {}
                ),
            }
        )
        return
    for s, e in result.hits:
        echo(f"{s.item.title}  ({s.feed_title})" + ("" if e.matched else "  NO MATCH"))
        if s.item.link:
            echo(f"  {s.item.link}")
        for reason in e.reasons:
            echo(f"  {reason}")
    if item is not None:
        return
    shown = f" (the newest {len(result.hits)} shown: --limit)" if result.matched > len(result.hits) else ""
    ctx.say(f"{result.matched} of {result.checked} stored items match{shown}")
    if result.own:
        ctx.say(f"({result.own} more from our own site would match, but are never watched)")
    if result.suggestion:
        hint = result.suggestion
        ctx.say(
            f"{hint.query} would match {hint.matched} of them (a word with another ending: {', '.join(hint.forms)})"
        )
