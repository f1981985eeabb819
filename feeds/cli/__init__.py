"""The `feeds` command: a thin edge over the library.

Each command parses its arguments, calls one library function, and prints the result (text for people,
`--json` for scripts). A `FeedsError` is printed as `error: …` and exits 1; anything else is a bug and keeps
its traceback. A reader gone (`| head -1`) exits 141 and Ctrl-C 130, as a shell reports a tool those signals
ended (the exit status table in README "Commands"). Commands live in sibling modules and register themselves on `cli`.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa

from feeds import __version__
from feeds.app import App, make_app
from feeds.config import Settings, default_config_path, load_settings
from feeds.errors import FeedsError
from feeds.logs import CONFIG_NOTICES, PARSER_TRACE, CliFormatter, for_json, for_terminal, one_line
from feeds.store import error_text

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Context:
    config_path: Path
    verbosity: int
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    def say(self, message: str) -> None:
        """Print a report line that is not an error and not data asked for: `-q` leaves it out."""
        if self.verbosity >= 0:
            echo(message)

    @contextmanager
    def app(self, *, migrate: bool = True, create: bool = True) -> Iterator[App]:
        """The App for one command. A command that only reads passes `create=False`: a database path that names no
        file (a typo, the wrong FEEDS_DATABASE_URL) is then an error naming it, not an empty database made there."""
        app = make_app(self.settings, migrate=migrate, create=create)
        try:
            yield app
        finally:
            app.close()

    @contextmanager
    def lock(self, app: App, name: str) -> Iterator[None]:
        """The single-runner lock the daemons take for `name` (ingest, publish), waited for while another process
        holds it, saying so on stderr (stdout is for the report, JSON with --json), for `daemon.lock_wait` at
        most; then `LockTimeoutError` names its holder (a process hung while holding it must not hold this
        command for ever). SIGTERM and Ctrl-C end the wait as they end the command."""
        from feeds.config import shown_interval
        from feeds.store.locks import wait_exclusive

        limit = app.settings.daemon.lock_wait

        def waiting(holder: str | None) -> None:
            if self.verbosity >= 0:
                echo(
                    f"waiting for another process's {name} to finish (held by "
                    f"{holder or 'a process the lock does not name'}; for at most {shown_interval(limit)})…",
                    err=True,
                )

        with wait_exclusive(app.store, name, timeout=limit, on_wait=waiting):
            yield


pass_ctx = click.make_pass_decorator(Context)


@contextmanager
def sigterm_stops(stop: threading.Event, what: str) -> Iterator[None]:
    """While inside: a SIGTERM (cron's `timeout`, systemd) sets `stop` instead of killing the process, so the
    command ends as the daemon's job does (`what`: what it finishes first), saying so on stderr; a second SIGTERM
    kills it at once. The caller then exits 143, as a command ended by SIGTERM does. Only in the main thread (where
    Python delivers signals); the previous handler is put back on the way out."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stopping(signum: int, _frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        echo(f"received SIGTERM: stopping after {what}", err=True)  # (the command's own words: logs show errors)
        stop.set()

    previous = signal.signal(signal.SIGTERM, stopping)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


STOPPED_BY_SIGTERM = 128 + signal.SIGTERM
"""The exit status of a command that SIGTERM stopped (as a shell reports one it killed)."""

READER_GONE = 128 + signal.SIGPIPE
"""The exit status of a command whose reader went away (`| head -1`): what a shell reports of a Unix tool that
SIGPIPE ended, not 1, which says the work failed. Python ignores SIGPIPE, so the write fails with EPIPE instead."""


INTERRUPTED = 128 + signal.SIGINT
"""The exit status of a command Ctrl-C ended (the daemon's too)."""


class _Commands(click.Group):
    """`cli`'s group: a reader gone while a command (or `--help`, `--version`) writes ends it with `READER_GONE`,
    nothing on stderr, and Ctrl-C with `INTERRUPTED`, where click would exit 1, the status of a failure."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _reader_gone_ends_quietly():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _reader_gone_ends_quietly():
            try:
                return super().invoke(ctx)
            except KeyboardInterrupt:
                echo("\nAborted!", err=True)  # (click's words; the blank line closes the terminal's ^C)
                raise click.exceptions.Exit(INTERRUPTED) from None


@contextmanager
def _reader_gone_ends_quietly() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        for stream in (sys.stdout, sys.stderr):  # what is still buffered for the gone reader goes nowhere, so
            try:  # that the flush at exit says nothing ("Exception ignored … BrokenPipeError")
                stream.flush()
            except OSError:
                with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
                    os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
        raise click.exceptions.Exit(READER_GONE) from None


def handle_errors(fn: F) -> F:
    """Print our own errors as `error: …` and exit 1 (and so the database's, and text in no encoding)."""
    return exiting_on_error(1)(fn)


def exiting_on_error(code: int) -> Callable[[F], F]:
    """`handle_errors` with another exit code (`feeds status`: 2, it could not tell, when 1 says it is failing)."""

    def decorate(fn: F) -> F:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except FeedsError as e:
                echo(f"error: {e}", err=True)
                sys.exit(code)
            except sa.exc.SQLAlchemyError as e:  # the database refused or cannot be reached: its own words, one line
                echo(f"error: database: {one_line(error_text(e))}", err=True)
                sys.exit(code)
            except UnicodeEncodeError as e:
                if not isinstance(e.object, str) or "surrogates" not in e.reason:
                    raise
                # Text that came as bytes in no encoding (an argument typed on a Latin-1 terminal, which
                # `CommandLineText` leaves as it came), refused where it is stored or looked up.
                try:
                    shown = e.object.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                except UnicodeEncodeError:  # (a surrogate no undecodable byte gives)
                    shown = e.object.encode("utf-8", "backslashreplace").decode("utf-8")
                echo(f"error: '{shown}' is not UTF-8 text (bytes in another encoding)", err=True)
                sys.exit(code)

        return wrapper  # type: ignore[return-value]

    return decorate


def echo(message: str = "", *, err: bool = False) -> None:
    """Print a line of text; see `for_terminal` (every line the CLI prints goes through here or `echo_json`)."""
    click.echo(for_terminal(message), err=err)


def echo_json(data: Any) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2)
    try:
        text.encode("utf-8")
        text.encode(getattr(sys.stdout, "encoding", None) or "utf-8")
    except UnicodeEncodeError:  # a file name that is not UTF-8 (lone surrogates), or a title a Latin-1 locale
        text = json.dumps(data, ensure_ascii=True, indent=2)  # cannot carry: `\u` escapes, the same JSON
    click.echo(for_json(text))


class ProgressBar:
    """`progress(done_now, total)` for long operations: a bar on a terminal, nothing otherwise (logs, pipes, CI)."""

    def __init__(self, label: str, *, enabled: bool | None = None):
        self.label = label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._bar: Any = None
        self._total = -1
        self.done = 0
        """Steps done so far, on a terminal or not (what an interrupted command says it got through)."""
        self.total = 0
        """Steps of every part begun so far (a part: the files of one source)."""

    def __call__(self, step: int, total: int) -> None:
        if total != self._total:
            self.total += total
        self.done += step
        if self._total != total and self._bar is not None:
            self.close()
        self._total = total
        if not self.enabled:
            return
        if self._bar is None:
            self._bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self._bar.__enter__()
        self._bar.update(step)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _setup_logging(verbosity: int) -> None:
    # Commands report their own results; logs are for diagnosis: errors by default, -v for progress, -vv debug.
    level = {-1: logging.CRITICAL, 0: logging.ERROR, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(CliFormatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(lambda r: r.levelno >= logging.WARNING or not r.name.startswith(PARSER_TRACE))
    if verbosity >= 0:
        # What the config file's own feeds and rules came to (a rule not used, a feed taken over) is said too: the
        # config file is where the person running the command made a change. (A filter on this handler, not a
        # level on that logger, which would outlive the command in a process that runs several.)
        handler.addFilter(lambda r: r.levelno >= level or r.name.startswith(CONFIG_NOTICES))
        level_seen = min(level, logging.WARNING)
    else:
        level_seen = level
    logging.basicConfig(level=level_seen, handlers=[handler], force=True)


def _config_option(value: str | None) -> Path | None:
    """`--config`'s path; an empty one (`--config "$UNSET_VARIABLE"`) is refused as such, not read as `.`, the
    current folder (which was then "not a regular file")."""
    if value is None:
        return None
    if not value.strip():
        raise click.BadParameter(
            "is empty: give the config file's path, or leave the option out for $FEEDS_CONFIG, else config/feeds.toml",
            param_hint="'--config'",
        )
    return Path(value)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    callback=lambda _ctx, _param, value: _config_option(value),
    help="Config file (default: $FEEDS_CONFIG, else config/feeds.toml).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug; `run` and `serve`: -v).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.version_option(__version__, prog_name="feeds")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: int, quiet: bool) -> None:
    """feeds: publish a press office's releases as feeds, and watch the news for coverage."""
    verbosity = -1 if quiet else verbose
    _setup_logging(verbosity)
    ctx.obj = Context(config_path=config_path or default_config_path(os.environ), verbosity=verbosity)


def _escape_as_json_does(error: UnicodeError) -> tuple[str, int]:
    """`—` as `\\u2014`, and `📣` as `\\ud83d\\udce3` rather than Python's `\\U0001f4e3`: valid inside the JSON log
    lines of `feeds run`, and read the same way in text."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    units = error.object[error.start : error.end].encode("utf-16-be", "surrogatepass")
    escaped = "".join(f"\\u{int.from_bytes(units[i : i + 2], 'big'):04x}" for i in range(0, len(units), 2))
    return escaped, error.end


codecs.register_error("feeds-escape", _escape_as_json_does)


class _ClosedOutput(io.RawIOBase):
    """Standard output when the process started with it closed (`>&-`): Python then sets `sys.stdout` to None, and
    click prints into nothing, exit 0. A command with something to print fails instead; one with nothing to
    print (`run --once` from cron) never notices."""

    def writable(self) -> bool:
        return True

    def write(self, _data: Any) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


def main() -> None:
    if sys.stdout is None:
        sys.stdout = io.TextIOWrapper(_ClosedOutput(), encoding="utf-8", write_through=True)
    # A title or file name the output's encoding cannot carry (cron on a Latin-1 locale, PYTHONIOENCODING) is
    # shown escaped, as control characters are, rather than stopping the command with a traceback.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="feeds-escape")
    try:
        cli(prog_name="feeds")
    except OSError as e:  # writing the output failed (a full disk behind `> file`, /dev/full): no traceback
        with contextlib.suppress(OSError):
            sys.stderr.write(f"error: {e.strerror or e}{f': {e.filename}' if e.filename else ''}\n")
        sys.exit(1)


class CommandLineText(click.types.StringParamType):
    """Text typed on the command line (a rule's name, a query, a slug, a title), read as UTF-8 whatever the locale.

    Under an ASCII locale (cron's bare environment with Python's UTF-8 mode off) Python holds the bytes of
    `Москва` as lone surrogates, which the database refuses with a traceback and which print as `\\udcd0…`.
    They are the UTF-8 a terminal sent, read back as such here; bytes that are not UTF-8 are left as they came,
    for the command's own check (`watch add`: not a valid URL). Paths are not text: they keep their bytes, to
    name the file they name."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        value = super().convert(value, param, ctx)
        if isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # lone surrogates: bytes the locale could not read
                with contextlib.suppress(UnicodeDecodeError):
                    return os.fsencode(value).decode("utf-8")
        return value


COMMAND_LINE_TEXT = CommandLineText()


def read_text_as_utf8(command: click.Command) -> None:
    """Every plain text argument and option of `command` and its subcommands as `CommandLineText`: one place,
    so that a command added later is covered without knowing it."""
    for param in command.params:
        if type(param.type) is click.types.StringParamType:
            param.type = COMMAND_LINE_TEXT
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            read_text_as_utf8(sub)


@dataclass(frozen=True)
class SiteTime:
    """A date or time typed on the command line (`--since`), read in the site's time zone once the config is
    loaded (`at`): a bare date is midnight there, a time without a zone that wall time there, as a press officer
    reads a date; a time with its offset (`2026-11-30T09:00:00Z`) is that time. Every date option takes this
    type (`SITE_TIME`), so all read dates alike, and as a release's dates are read (`parse_date`)."""

    text: str
    option: str

    def at(self, tz: ZoneInfo) -> datetime:
        """The time in UTC, or a usage error naming the option and the forms it takes. A wall time the clocks
        skip or repeat that night is read by `parse_date`'s rule, and said on stderr."""
        from feeds.clock import parse_iso
        from feeds.normalise.dates import clock_change_guess, parse_date

        try:  # (an RFC 3339 time with its offset is taken whole, any year: what this option always took)
            return parse_iso(self.text)
        except ValueError:
            pass
        try:
            when = parse_date(self.text, tz)
        except ValueError as e:
            why = str(e).split(" (use e.g. ")[0]  # (its own examples are a release's dates: ours follow)
            raise click.BadParameter(f"{why}; {TIME_FORMS}", param_hint=f"'{self.option}'") from None
        if guess := clock_change_guess(self.text, tz, when):
            echo(f"note: {self.option}: {guess}", err=True)
        return when


TIME_FORMS = (
    "give a date (2026-11-30: its midnight in the site's time zone, site.timezone), a time there "
    "(2026-11-30 09:30), or a time with its offset (2026-11-30T09:30:00Z)"
)


class SiteTimeType(click.ParamType[SiteTime]):
    """The click type of every date option: its text as a `SiteTime`, read once the site's zone is known."""

    name = "time"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, SiteTime):
            return value
        text = " ".join(str(value).split())
        if not text:
            self.fail(f"is empty: {TIME_FORMS}", param, ctx)
        return SiteTime(text, param.opts[0] if isinstance(param, click.Option) else "TIME")


SITE_TIME = SiteTimeType()


# Register the command modules (imported for their side effect of adding commands to `cli`).
from feeds.cli import (  # noqa: E402,F401
    admin,
    alerts,
    curate,
    daemon,
    keywordfiles,
    keywords,
    matches,
    releases,
    site,
    watch,
    watchlist,
    watchopml,
)

read_text_as_utf8(cli)
