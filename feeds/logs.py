"""Logging set-up: readable lines on a terminal, JSON lines for machines (`--log-format json`).

Stages log with `extra={"feed": id, "url": …, "release": id, "rule": name, "job": name}`; both formats show those
fields, so every line about a feed, release or rule carries its id. The worker identity is on every line.
What a daemon meets at every run of a job (a failure that lasts, a config problem) it says once, then as a
reminder now and then (`Reminders`), not at every run.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Literal

LogFormat = Literal["text", "json"]
CONTEXT_FIELDS = ("job", "feed", "url", "release", "rule", "origin", "source", "file", "worker", "destination")

CONFIG_NOTICES = "feeds.watch.config"
"""The logger of what importing the config's watched feeds and rules has to say (a rule not used, a feed taken
over): a command shows it without -v (`feeds.cli`), as the config file is where its user made a change."""


class _ContextFilter(logging.Filter):
    def __init__(self, worker: str):
        super().__init__()
        self.worker = worker

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "worker"):
            record.worker = self.worker
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                out[name] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


_BIDI = {c: f"\\u{c:04x}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}
"""The bidirectional embeddings, overrides and isolates: they make a terminal show text in another order than
it is (a file name ending in "txt.exe" shown as "exe.txt")."""
_CONTROLS = (
    {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))} | {0x0A: "\\n", 0x0D: "\\r", 0x09: " "} | _BIDI
)
_ON_TERMINAL = {c: escaped for c, escaped in _CONTROLS.items() if c not in (0x0A, 0x09)}
# JSON escapes the C0 controls itself; DEL, the C1 controls and the bidi characters can only stand inside its
# strings, where `\u…` means the same.
_IN_JSON = {c: f"\\u{c:04x}" for c in (0x7F, *range(0x80, 0xA0), *_BIDI)}


def one_line(text: str) -> str:
    """`text` with control characters escaped (a line break as `\\n`, ESC as `\\x1b`…): text from outside (a
    server's reason phrase, a pushed field name) can neither forge a log line nor drive the reader's terminal."""
    return text.translate(_CONTROLS)


def joined_lines(text: str) -> str:
    """A message of several lines (psycopg's error and its tab-indented hint on a line of its own) on one, its
    sentences kept apart: a line that does not end in punctuation is ended with a full stop ("Connection refused.
    Is the server running…", not "Connection refused Is the server…"). Spaces within a line are folded."""
    joined = ""
    for line in text.splitlines():
        if not (line := " ".join(line.split())):
            continue
        if joined:
            joined += " " if joined[-1] in ".!?:;,(" else ". "
        joined += line
    return joined


def for_terminal(text: str) -> str:
    """`text` with the control characters that drive a terminal escaped (ESC, BEL, CR, the C1 controls, the
    bidirectional overrides), line breaks and tabs kept: what the CLI prints holds file names and the titles of
    other people's feeds, which must not retitle the window, recolour it, or rewrite a line already shown."""
    return text.translate(_ON_TERMINAL)


def for_json(text: str) -> str:
    """JSON text (from `json.dumps(..., ensure_ascii=False)`) with what drives a terminal escaped as `\\u…`."""
    return text.translate(_IN_JSON)


class Reminders:
    """What a long-running process has said about a lasting condition, and when: so that it says it once, then a
    reminder every `every` while the condition lasts, rather than at every run of a job that meets it again (a
    job failing every minute while the database is down; an alert destination naming a rule that does not exist).

    Keyed by what the condition is about (a job, a destination); `text` is what is said of it: another text is
    a new condition, said at once. `forget` a key when its condition ends, so that its return is said at once too.
    A one-shot command keeps none: someone is reading what it says, every time. Jobs may run in threads of their
    own, hence the lock."""

    def __init__(self, every: timedelta):
        self.every = every
        self._said: dict[str, tuple[str, datetime, datetime]] = {}
        """key → (the text, when it was first said, when it was last said)."""
        self._lock = threading.Lock()

    def due(self, key: str, text: str, now: datetime) -> Literal["first", "again"] | None:
        """Whether to say `text` about `key` now: "first" (not said, or something else was), "again" (said, and
        `every` has passed since), or None (said lately: the caller says it at debug level, if at all)."""
        with self._lock:
            said = self._said.get(key)
            if said is None or said[0] != text:
                self._said[key] = (text, now, now)
                return "first"
            if now - said[2] >= self.every:
                self._said[key] = (text, said[1], now)
                return "again"
            return None

    def since(self, key: str) -> datetime | None:
        """When what is said about `key` now was first said."""
        with self._lock:
            said = self._said.get(key)
            return said[1] if said is not None else None

    def forget(self, key: str | None = None) -> None:
        """The condition of `key` (or of every key: a reload) ended: the next `due` about it is "first"."""
        with self._lock:
            if key is None:
                self._said.clear()
            else:
                self._said.pop(key, None)


class CliFormatter(logging.Formatter):
    """The log lines of a one-shot command (`LEVEL name: message`), escaped as the daemon's are: a message on
    one line, and nothing in it or its traceback that drives the terminal."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = one_line(record.message)
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        return for_terminal(super().format(record))


class TextFormatter(logging.Formatter):
    converter = time.gmtime  # type: ignore[assignment]  # UTC, marked so (as in JSON lines): unambiguous anywhere

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(worker)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%SZ")

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = one_line(record.message)  # one record, one line (a traceback follows on its own lines)
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        # What the message says already (a release's id, its file) is not said again: a line for a person to read
        # (JSON lines keep every field). Only long text: an id of 1 is not the "1" of "1 in a row".
        fields = (
            n
            for n in CONTEXT_FIELDS
            if n != "worker" and getattr(record, n, None) and not _said_in(getattr(record, n), record.message)
        )
        context = [one_line(f"{n}={getattr(record, n)}") for n in fields]
        return f"{line}  [{' '.join(context)}]" if context else line


def _said_in(value: object, message: str) -> bool:
    return isinstance(value, str) and len(value) >= 12 and value in message


class _Benign(logging.Filter):
    """Drops a library's message that reports nothing wrong."""

    def __init__(self, fragment: str):
        super().__init__()
        self.fragment = fragment

    def filter(self, record: logging.LogRecord) -> bool:
        return self.fragment not in str(record.msg)


_BENIGN = (
    # APScheduler's warning that a run was skipped because the job is still running: with `max_instances=1` that
    # is the intent, and a watch round waiting on a slow server made it every tick, naming only
    # `Daemon._run_job`. The daemon says it at debug level, naming the job.
    ("apscheduler.scheduler", "skipped: maximum number of running instances reached"),
    # watchdog's ERROR when an inotify event arrives while its thread is being stopped (at every shutdown during
    # an ingest): a race in stopping, nothing lost (the ingest's folder scan reads every file anyway).
    ("watchdog.observers.inotify", "called when the thread is inactive"),
)


# markdown-it logs, at debug level, every block rule it tries on every line of a release: some fifty lines for a
# short one, burying the lines about the release itself. Left out of every log, the commands' `-vv` included.
PARSER_TRACE = "markdown_it"


LogSetup = tuple[int, LogFormat, str]
"""`setup_logging`'s arguments: level, format, worker identity."""

_current: LogSetup | None = None


def current_setup() -> LogSetup | None:
    """How `setup_logging` last set up this process's log (None: it did not), for the worker processes it starts
    to log the same way (`feeds.workers`): one started from a forkserver is a new interpreter, whose log nobody set
    up, and wrote a worker's error as bare text, its traceback over many lines, amid the daemon's JSON lines (and
    dropped its info lines)."""
    return _current


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:  # (as threading's own hook: a thread that chose to end)
        return
    name = args.thread.name if args.thread is not None else "?"
    error = args.exc_value if args.exc_value is not None else args.exc_type()
    logging.getLogger("feeds").error(
        "thread %s stopped by an unexpected error: %s: %s",
        name,
        args.exc_type.__name__,
        error,
        exc_info=(args.exc_type, error, args.exc_traceback),
    )


def setup_logging(level: int, fmt: LogFormat, *, worker: str) -> None:
    global _current
    _current = (level, fmt, worker)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(_ContextFilter(worker))
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(level)
    # What Python itself would write to stderr past the handler, as bare text over several lines (a library's
    # warning, a thread ended by an exception): a line of this log instead, for a log collector to keep whole.
    logging.captureWarnings(True)
    threading.excepthook = _log_thread_exception
    # Third-party chatter stays at warning level.
    for noisy in ("apscheduler", "waitress", "urllib3", "watchdog", PARSER_TRACE):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    for name, fragment in _BENIGN:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Benign) and f.fragment == fragment for f in logger.filters):
            logger.addFilter(_Benign(fragment))
    # waitress warns "Task queue depth is N" for every request queued behind its threads during a burst of pushes:
    # dozens of lines that say the server is busy, which the request log and the metrics already show.
    logging.getLogger("waitress.queue").setLevel(max(level, logging.ERROR))
    # urllib3 logs a traceback ("Failed to parse headers") for every answer with a malformed header; the fetch
    # reports what matters about that answer on the feed's row.
    logging.getLogger("urllib3.connectionpool").setLevel(max(level, logging.ERROR))
