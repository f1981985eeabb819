"""Administrative commands: `feeds check-config`, `feeds db migrate`, `feeds db backup`, `feeds db copy`."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import click
import sqlalchemy as sa

from feeds.cli import Context, cli, echo, echo_json, handle_errors, pass_ctx
from feeds.config import FolderSource, RemoteJsonSource, Settings, WebhookAlert, shown_interval
from feeds.errors import ConfigError, ConfigErrors
from feeds.logs import one_line
from feeds.store import NoDatabaseError, check_database_url, error_text, open_store, shown_database_url

ENVIRONMENT = ("FEEDS_DATABASE_URL", "FEEDS_API_TOKEN", "FEEDS_FETCH_ALLOW")
"""The variables that override or add to the config file (FEEDS_CONFIG only chooses it)."""


@cli.command("check-config")
@click.option("--json", "as_json", is_flag=True, help="Print the resolved settings as JSON.")
@pass_ctx
@handle_errors
def check_config(ctx: Context, as_json: bool) -> None:
    """Validate the config file and show what it resolves to.

    Exits 1 when the config has errors (each naming the file, line and key) or an alert secret is missing; a folder
    that cannot be made or written is a warning (exit 0).

    \b
    Examples:
      feeds check-config
      feeds --config /etc/feeds/feeds.toml check-config --json
    """
    if as_json:
        try:
            ctx.settings  # noqa: B018  (loads and checks the file)
        except ConfigError as e:  # a script asked for JSON: it gets the problems as JSON too
            errors = e.errors if isinstance(e, ConfigErrors) else [e]
            fields = [_problem(str(c), c.path, c.line, c.key, c.message) for c in errors]
            echo_json({"config": str(ctx.config_path), "problems": fields})
            for c in errors:
                echo(f"error: {c}", err=True)
            raise SystemExit(1) from e
    s = ctx.settings
    sources: list[dict[str, object]] = [
        {
            "name": src.name,
            "type": src.type,
            **({"path": str(src.path)} if isinstance(src, FolderSource) else {}),
            **({"max_pages": src.max_pages} if isinstance(src, RemoteJsonSource) else {}),
            **({"enabled": False} if not src.enabled else {}),
        }
        for src in s.sources
    ]
    # What the environment set rather than the file (a value edited in the file would change nothing).
    environment = sorted(name for name in ENVIRONMENT if os.environ.get(name, "").strip())
    from feeds.publish.i18n import labels_of

    labels = labels_of(s.site)
    database, missing, empty = _database(s.database_url)
    from feeds.publish.succession import succession_of
    from feeds.publish.topicnames import topic_slug

    succession = succession_of(s.organisations)
    summary: dict[str, object] = {
        "config": str(s.path),
        "site": {"title": s.site.title, "base_url": s.site.base_url, "timezone": s.site.timezone},
        "labels": dataclasses.asdict(labels),
        "out": str(s.paths.out),
        "state": str(s.paths.state),
        "database": database,
        "database_missing": missing,  # (the path of an SQLite file not there yet, else None)
        "database_empty": empty if isinstance(empty, bool) else None,  # (None: it could not be reached to tell)
        "sources": sources,
        "web": {
            "host": s.web.host,
            "port": s.web.port,
            "push_api": s.web.api_token is not None,
            "trusted_proxy": s.web.trusted_proxy,
        },
        "daemon": dataclasses.asdict(s.daemon),  # (seconds)
        "environment": environment,
        # (days; None: kept for ever)
        "retention_days": _retention(s),
        # (how each webhook is signed, never its secret: what its receiver must be given)
        "webhooks": [{"name": h.name, "signing_key": h.signing} for h in s.alerts.webhooks],
        # (each old name with its successor, the name it is known by today and its chain to it)
        "organisations": {
            "succeeded_by": [
                {"name": old, "succeeded_by": new, "current": chain[-1], "chain": chain}
                for old, new in s.organisations.succeeded_by
                for chain in [succession.chain(topic_slug(old))]
            ]
        },
    }
    problems = list(s.alerts.missing_secrets)
    said: list[tuple[str, bool]] = []  # (warning, whether -q says it too)
    for name, folder in (("paths.out", s.paths.out), ("paths.state", s.paths.state)):
        if why := not_writable(folder):
            said.append((f"{name}: {why}", True))
    for inbox in s.inboxes:
        if inbox.move and (why := not_writable(inbox.path)):
            said.append((f"source {inbox.name!r}: {why}", True))
        elif not inbox.path.is_dir():  # -q: a drop folder made at the first ingest is nothing wrong
            said.append(
                (
                    f"source {inbox.name!r}: the folder {inbox.path} does not exist"
                    + (
                        " (it is created at the first ingest)"
                        if inbox.move
                        else ": nothing is read from it until it does"
                    ),
                    not inbox.move,
                )
            )
    if isinstance(empty, str):
        said.append((f"database {database} could not be reached to check it: {empty}", True))
    elif empty:
        said.append(
            (
                f"database {database} has no feeds tables: if it should hold this office's data, check the"
                " search_path in the URL (options=-csearch_path%3D<schema>) and FEEDS_DATABASE_URL; if it is new,"
                " `feeds db migrate` or the first `feeds run` creates them",
                True,
            )
        )
    if missing is None and not isinstance(empty, str) and (moved := _id_domain_moved(s)):
        said.append((moved, True))
    from feeds.web.proxy import any_peer_trusted  # (waitress: only when the config is checked)

    if (trusting := any_peer_trusted(s.web)) is not None:
        said.append((trusting, True))
    said += [(warning, False) for warning in _smtputf8_needed(s)]
    if said:
        summary["warnings"] = [warning for warning, _ in said]
    for warning, always in said:
        if ctx.verbosity >= 0 or always:
            echo(f"warning: {warning}", err=True)
    if problems:
        summary["problems"] = [_problem(p) for p in problems]
    if as_json:
        echo_json(summary)
        if problems:
            raise SystemExit(1)
        return
    if problems:
        for problem in problems:
            echo(f"error: {problem}", err=True)
        raise SystemExit(1)
    ctx.say(f"{s.path}: OK")
    ctx.say(f"  site      {s.site.title} <{s.site.base_url}> ({s.site.timezone})")
    named = "site.publication_name" if s.site.publication_name else "site.title; set publication_name if it differs"
    ctx.say(f"  news      publication {s.site.news_name!r} in sitemap-news.xml, as in Publisher Center ({named})")
    ctx.say(f"  labels    {labels}")
    ctx.say(f"  out       {s.paths.out}")
    ctx.say(f"  state     {s.paths.state}")
    from_env = " (from FEEDS_DATABASE_URL, not database.url)" if "FEEDS_DATABASE_URL" in environment else ""
    ctx.say(f"  database  {summary['database']}{from_env}")
    if missing:  # (a config checked before the first start: nothing wrong)
        ctx.say(
            f"            no database at {missing} yet: the first `feeds ingest`, `feeds run` or `feeds db migrate`"
            " creates it (if one should be there, check the path)"
        )
    for src, settings in zip(sources, s.sources, strict=True):
        where = src.get("path", "")
        if isinstance(settings, RemoteJsonSource):  # (how far a poll reads: `max_pages`)
            where = f"(at most {settings.max_pages} page{'' if settings.max_pages == 1 else 's'} a poll)"
        off = " (disabled)" if src.get("enabled") is False else ""
        ctx.say(
            f"  source    {src['name']} ({src['type']}){off} every {shown_interval(settings.interval)} {where}".rstrip()
        )
    token = " (token from FEEDS_API_TOKEN)" if "FEEDS_API_TOKEN" in environment else ""
    api = f"push API on{token}" if s.web.api_token is not None else "push API off (no web.api_token)"
    proxy = ""
    if s.web.trusted_proxy is not None:
        hops = f"{s.web.trusted_proxy_count} hops; " if s.web.trusted_proxy_count > 1 else ""
        proxy = f", behind the proxy {s.web.trusted_proxy} ({hops}{', '.join(s.web.trusted_proxy_headers)})"
    ctx.say(f"  web       {s.web.host}:{s.web.port}, {api}{proxy}")
    feeds, rules = len(s.watch.feeds), len(s.watch.keywords)
    ctx.say(
        f"  watch     every {shown_interval(s.watch.interval)}; {feeds} watched feed{'' if feeds == 1 else 's'} and"
        f" {rules} keyword rule{'' if rules == 1 else 's'} in this file"
    )
    for hook in s.alerts.webhooks:
        ctx.say(f"  webhook   {hook.name}: {_signing(hook)}")
    for first in succession.first_names():  # ([organisations.succeeded_by], each chain to its current name)
        ctx.say(f"  renamed   {' → '.join(succession.chain(first))}")
    d = s.daemon
    ctx.say(
        f"  daemon    watch tick {shown_interval(d.watch_tick)}, publish every {shown_interval(d.publish_interval)}"
        f" (and {shown_interval(d.publish_debounce)} after a change), housekeeping every"
        f" {shown_interval(d.housekeeping_interval)}; a lock another process holds is waited for"
        f" {shown_interval(d.lock_wait)} at most"
    )
    kept = {k: "for ever" if v is None else f"{v:g} day{'' if v == 1 else 's'}" for k, v in _retention(s).items()}
    ctx.say(
        f"  keep      unmatched items {kept['items']}, matches {kept['matches']}, sent alerts {kept['sent_alerts']},"
        f" ingested files {kept['ingested_files']}"
    )
    if "FEEDS_FETCH_ALLOW" in environment:
        ctx.say(f"  allow     {', '.join(s.http.allow)} (FEEDS_FETCH_ALLOW added to http.allow)")


def _signing(hook: WebhookAlert) -> str:
    """How a webhook is signed, as check-config says it: a `whsec_` secret and any other are keyed differently
    (`webhook_signing_key`), and the receiver must be given the secret the matching way."""
    key = hook.signing_key
    if key is None:
        return "unsigned"
    env = f", from {hook.secret_env}" if hook.secret_env else ""
    if hook.signing == "whsec":
        return f"signed with a whsec_ secret (keyed with its {len(key)} base64-decoded bytes){env}"
    return f"signed with a secret (keyed with its UTF-8 bytes){env}"


def not_writable(folder: Path) -> str | None:
    """Why feeds could not write into `folder` (`paths.out`, a drop folder it moves files out of), or None: it is
    a folder this user may write, or one it may create (a missing folder is made at the first write)."""
    if folder.exists() and not folder.is_dir():
        return f"{folder} is not a folder"
    if folder.is_dir():
        return None if os.access(folder, os.W_OK) else f"the folder {folder} {_refuses(folder)}"
    ancestor = folder.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"the folder {folder} cannot be created: {ancestor} is not a folder"
    if not os.access(ancestor, os.W_OK):
        return f"the folder {folder} cannot be created: {ancestor} {_refuses(ancestor)}"
    return None


def _refuses(folder: Path) -> str:
    """Why a folder `os.access` says may not be written is so: a read-only file system (root too), or permissions."""
    try:
        read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    return "is on a read-only file system" if read_only else "is not writable by this user"


def _retention(s: Settings) -> dict[str, float | None]:
    """What housekeeping keeps, in days (None: for ever), as check-config shows it."""
    days = {
        "items": s.watch.retention_days,
        "matches": s.watch.match_retention_days,
        "sent_alerts": s.alerts.retention_days,
        "ingested_files": s.daemon.ledger_retention_days,
    }
    return {k: (int(v) if v == int(v) else v) if v else None for k, v in days.items()}


def _database(url: str) -> tuple[str, str | None, bool | str]:
    """The database as check-config shows it (password hidden); the path of the SQLite file it names if that is
    not there yet (looked at only, never connected to: check-config makes no state folder and no empty database);
    and, on PostgreSQL, whether its schema holds no feeds tables (a typo in the search_path, a URL that lost it:
    `feeds status` refuses it), or why it could not be reached to tell."""
    try:
        store = open_store(url, create=False)
    except NoDatabaseError as e:
        return shown_database_url(check_database_url(url).render_as_string(hide_password=False)), e.path, False
    empty: bool | str
    try:
        empty = not store.applied_versions() if store.dialect == "postgresql" else False
    except sa.exc.SQLAlchemyError as e:
        empty = one_line(error_text(e))
    finally:
        store.close()
    return store.url, None, empty


def _id_domain_moved(s: Settings) -> str | None:
    """`feeds.publish.marks.id_domain_moved` for the database as it is (None when it holds no publish yet, or
    cannot be read: `_database` says why)."""
    from feeds.publish.marks import id_domain_moved

    try:
        store = open_store(s.database_url, create=False)
    except NoDatabaseError:
        return None
    try:
        known = store.published_feeds() if store.applied_versions() else {}
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        store.close()
    return id_domain_moved(s.site.domain, s.site.id_domain is not None, known)


def _problem(
    text: str, file: str | None = None, line: int | None = None, key: str | None = None, message: str | None = None
) -> dict[str, object]:
    """One problem in `check-config --json`: the line printed for people, and its parts where they are known."""
    return {"error": text, "file": file, "line": line, "key": key, "message": message or text}


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
            ctx.say(f"applied migration {m.version}: {m.name}")
    else:
        ctx.say("database is up to date")


@db.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
@handle_errors
def db_backup(ctx: Context, path: Path) -> None:
    """Write a snapshot of the SQLite database to the new file PATH (safe while the daemon runs).

    Take one before upgrading feeds: restoring it (stop the daemons, delete the database's -wal and -shm files, put
    it in the database's place) undoes the upgrade's migrations. It is made before any migration, whatever
    version made the database.
    """
    from feeds.store.copy import backup_sqlite

    store = open_store(ctx.settings.database_url, create=False)
    try:
        size = backup_sqlite(store, path)
    finally:
        store.close()
    ctx.say(f"backed up {store.url} to {path} ({size} bytes)")


@db.command("copy")
@click.option("--to", "to_url", required=True, metavar="URL", help="The target database (e.g. postgresql://…).")
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(min=1), help="Rows per insert.")
@click.option("--replace", is_flag=True, help="Delete the rows a non-empty target holds first (retry a copy).")
@pass_ctx
@handle_errors
def db_copy(ctx: Context, to_url: str, batch: int, replace: bool) -> None:
    """Copy every table of the configured database into another one, then compare row counts.

    Stop the daemons first. Exits 1 if any table's count differs.
    """
    from feeds.clock import utc_now
    from feeds.store.copy import copy_database

    def progress(table: str, rows: int) -> None:
        if ctx.verbosity > 0:
            echo(f"  {table}: {rows} rows", err=True)

    source, target = open_store(ctx.settings.database_url, create=False), open_store(to_url)
    try:
        if ctx.verbosity >= 0:
            echo(f"copying {source.url} -> {target.url}", err=True)
        counts = copy_database(
            source,
            target,
            now=utc_now(),
            batch=batch,
            replace=replace,
            progress=progress,
        )
    finally:
        source.close()
        target.close()
    bad = [c.table for c in counts if not c.ok]
    width = max(len("table"), *(len(c.table) for c in counts))
    if bad or ctx.verbosity >= 0:  # -q: the table only when it shows a problem
        echo(f"{'table':<{width}}  {'source':>9}  {'target':>9}")
        for c in counts:
            echo(f"{c.table:<{width}}  {c.source:>9}  {c.target:>9}" + ("" if c.ok else "  DIFFERS"))
    if bad:
        echo(f"error: row counts differ in {', '.join(bad)}", err=True)
        sys.exit(1)
    ctx.say(f"copied {sum(c.target for c in counts)} rows in {len(counts)} tables; every count matches")


def _smtputf8_needed(s: Settings) -> list[str]:
    """A recipient (or the sender) whose mailbox name is not ASCII (`jürgen@example.org`) is sent to only through a
    mail server that offers SMTPUTF8 (RFC 6531); check-config does not connect to it, `feeds alerts test` does."""
    needs = [
        (f"alerts.email[{i}].to[{j}]", a, m.name) for i, m in enumerate(s.alerts.email) for j, a in enumerate(m.to)
    ]
    if s.alerts.email:  # (else no message is sent from it)
        needs.append(("alerts.smtp.sender", s.alerts.smtp.sender, s.alerts.email[0].name))
    return [
        f"{key}: {address} has a mailbox name in another script: only a mail server that offers SMTPUTF8 (RFC 6531)"
        f" takes it, and through one that does not it is refused (`feeds alerts test {name}` tells)"
        for key, address, name in needs
        if not address.rpartition("@")[0].isascii()
    ]
