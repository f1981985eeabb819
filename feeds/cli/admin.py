"""Administrative commands: `feeds check-config`, `feeds db migrate`."""

from __future__ import annotations

import click

from feeds.cli import Context, cli, echo_json, handle_errors, pass_ctx
from feeds.store import open_store


@cli.command("check-config")
@click.option("--json", "as_json", is_flag=True, help="Print the resolved settings as JSON.")
@pass_ctx
@handle_errors
def check_config(ctx: Context, as_json: bool) -> None:
    """Validate the config file and show what it resolves to."""
    s = ctx.settings
    sources: list[dict[str, str]] = [
        {"name": src.name, "type": src.type, **({"path": str(src.path)} if src.type == "folder" else {})}
        for src in s.sources
    ]
    summary: dict[str, object] = {
        "config": str(s.path),
        "site": {"title": s.site.title, "base_url": s.site.base_url, "timezone": s.site.timezone},
        "out": str(s.paths.out),
        "state": str(s.paths.state),
        "database": open_store(s.database_url).url,
        "sources": sources,
    }
    if as_json:
        echo_json(summary)
        return
    click.echo(f"{s.path}: OK")
    click.echo(f"  site      {s.site.title} <{s.site.base_url}> ({s.site.timezone})")
    click.echo(f"  out       {s.paths.out}")
    click.echo(f"  database  {summary['database']}")
    for src in sources:
        where = src.get("path", "")
        click.echo(f"  source    {src['name']} ({src['type']}) {where}".rstrip())


@cli.group("db")
def db() -> None:
    """Database maintenance."""


@db.command("migrate")
@pass_ctx
@handle_errors
def db_migrate(ctx: Context) -> None:
    """Bring the database schema up to date (also done automatically on start)."""
    from feeds.clock import utc_now

    store = open_store(ctx.settings.database_url)
    try:
        applied = store.migrate(utc_now())
    finally:
        store.close()
    if applied:
        for m in applied:
            click.echo(f"applied migration {m.version}: {m.name}")
    else:
        click.echo("database is up to date")
