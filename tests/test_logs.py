"""Log lines: every one carries the worker identity, and the ids of what it is about (text and JSON)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from feeds.logs import setup_logging


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_every_line_names_the_worker_and_what_it_is_about(fmt, capsys, restore_logging):
    setup_logging(logging.INFO, fmt, worker="desk-1:4242")  # type: ignore[arg-type]
    logging.getLogger("feeds.watch").warning("feed failed", extra={"feed": 7, "url": "https://news.example.com/"})
    line = capsys.readouterr().err.strip()
    if fmt == "json":
        doc = json.loads(line)
        assert (doc["worker"], doc["feed"], doc["url"]) == ("desk-1:4242", 7, "https://news.example.com/")
    else:
        assert " desk-1:4242 WARNING feeds.watch: feed failed" in line
        assert line.endswith("[feed=7 url=https://news.example.com/]")


def test_text_from_outside_cannot_forge_a_line_or_drive_the_terminal(capsys, restore_logging):
    setup_logging(logging.INFO, "text", worker="desk-1:4242")  # type: ignore[arg-type]
    logging.getLogger("feeds.web.api").info(
        "push API: 400 from %s: %s", "10.0.0.9", "evil\nINFO forged\x1b]0;pwned\x07"
    )
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.endswith("push API: 400 from 10.0.0.9: evil\\nINFO forged\\x1b]0;pwned\\x07")


def test_the_context_of_a_line_and_bidirectional_overrides_are_escaped_too(capsys, restore_logging):
    """A dropped file's name is logged as the line's `file=` context: it must not drive the terminal either."""
    setup_logging(logging.INFO, "text", worker="desk-1:4242")  # type: ignore[arg-type]
    name = "inbox/esc\x1b]0;pwn\x07\nINFO forged \u202etxt.exe"
    logging.getLogger("feeds.ingest").warning("rejected a file", extra={"file": name})
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "\x1b" not in line and "\x07" not in line and "\u202e" not in line
    assert line.endswith("[file=inbox/esc\\x1b]0;pwn\\x07\\nINFO forged \\u202etxt.exe]")


def test_what_the_cli_prints_keeps_its_lines_and_loses_what_drives_a_terminal():
    from feeds.logs import for_terminal

    text = "title \x1b[31mred\x1b[0m \x9b31m c1 \u202eevil\r\nsecond line\tend"
    assert for_terminal(text) == "title \\x1b[31mred\\x1b[0m \\x9b31m c1 \\u202eevil\\r\nsecond line\tend"


def test_apschedulers_warning_of_a_skipped_run_is_not_logged(capsys, restore_logging):
    """Operators review: a watch round waiting on a slow server made APScheduler warn at every tick, naming only
    `Daemon._run_job`; skipping that tick is what max_instances=1 is for."""
    setup_logging(logging.INFO, "text", worker="desk-1:4242")  # type: ignore[arg-type]
    scheduler = logging.getLogger("apscheduler.scheduler")
    scheduler.warning(
        'Execution of job "%s" skipped: maximum number of running instances reached (%d)', "Daemon._run_job", 1
    )
    scheduler.warning("Run time of job %s was missed by %s", "x", "0:00:05")
    inotify = logging.getLogger("watchdog.observers.inotify")
    inotify.error("InotifyEmitter.queue_events() called when the thread is inactive")
    err = capsys.readouterr().err
    assert "maximum number of running instances" not in err and "was missed by" in err
    assert "thread is inactive" not in err, "watchdog's race while stopping, at every shutdown during an ingest"


def test_the_daemons_debug_log_leaves_out_the_markdown_parsers_trace(capsys, restore_logging):
    """`feeds -v run --once` ingesting a handful of releases printed 288 lines of markdown_it's rule-by-rule
    trace among 9 of its own."""
    from feeds.normalise.markdown import markdown_to_html

    setup_logging(logging.DEBUG, "json", worker="desk-1:4242")  # type: ignore[arg-type]
    markdown_to_html("# Title\n\nSome *text*.\n\n> quoted\n")
    assert "markdown_it" not in capsys.readouterr().err


def test_a_text_line_does_not_repeat_in_its_context_what_its_message_says(capsys, restore_logging):
    """An operator's review: every release ingested was a 400-character line saying its id and its file twice,
    `created tag:… (inbox/a.md)  [release=tag:… origin=inbox/a.md]`. A text line leaves out of its context a
    long value its message shows (JSON lines keep every field, for machines); ids and short values stay, where
    a `1` in the message may be something else."""
    setup_logging(logging.INFO, "text", worker="desk-1:4242")  # type: ignore[arg-type]
    release, origin = "tag:press.example.org,2026-11-30:budget", "/srv/feeds/inbox/budget.md"
    logging.getLogger("feeds.ingest").info(
        "created %s (%s)", release, origin, extra={"release": release, "origin": origin, "job": "ingest"}
    )
    logging.getLogger("feeds.watch").warning(
        "feed https://news.example.com/ failed (1 in a row)", extra={"feed": 1, "url": "https://news.example.com/"}
    )
    created, failed = capsys.readouterr().err.strip().splitlines()
    assert created.endswith(f"feeds.ingest: created {release} ({origin})  [job=ingest]")
    assert failed.endswith("failed (1 in a row)  [feed=1]")


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        (
            'connection to server at "127.0.0.1", port 5 failed: Connection refused\n'
            "\tIs the server running on that host and accepting TCP/IP connections?\n",
            'connection to server at "127.0.0.1", port 5 failed: Connection refused. Is the server running on that '
            "host and accepting TCP/IP connections?",
        ),
        ("permission denied.\n  HINT:  ask the owner", "permission denied. HINT: ask the owner"),
        ("first:\n  second", "first: second"),
        ("one line only", "one line only"),
        ("", ""),
    ],
)
def test_a_message_of_several_lines_joined_into_one_keeps_its_sentences(text, joined):
    """An operator's review: psycopg's "Connection refused" and its hint on the next line came out as "Connection
    refused Is the server running…", one sentence running into the next."""
    from feeds.logs import joined_lines

    assert joined_lines(text) == joined


STRAYS = """
import logging, threading, warnings
from feeds.logs import setup_logging

setup_logging(logging.INFO, "json", worker="desk-1:4242")
warnings.warn("a library's warning", UserWarning)

def fails():
    raise KeyError("lost")

t = threading.Thread(target=fails, name="inbox-watch")
t.start()
t.join()
"""


def test_a_warning_and_a_thread_ended_by_an_exception_are_json_lines_of_the_log() -> None:
    """Python writes both to stderr itself, as bare text over several lines (a log collector's many events)."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", STRAYS], env={"PYTHONPATH": str(root)}, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines()]
    assert [r["level"] for r in records] == ["warning", "error"]
    assert "a library's warning" in records[0]["msg"] and records[0]["worker"] == "desk-1:4242"
    assert records[1]["msg"] == "thread inbox-watch stopped by an unexpected error: KeyError: 'lost'"
    assert records[1]["exc"].endswith("KeyError: 'lost'")
