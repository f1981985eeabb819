"""The `feeds` command as a script, cron or CI runs it: what its exit status says (the table in README
"Commands": 0 done, 1 the work or the config failed, 2 a command line it cannot use, 130 Ctrl-C, 141 the reader
went away, 143 SIGTERM), a reader that goes away (`| head -1`) met alike by every command, and stdout holding
nothing but the result, JSON with `--json`, while errors and warnings go to stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_watch_helpers import run
from tests.conftest import ROOT


def _feeds(config: Path, *args: str, stdout: int | None = None, env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-m", "feeds", "--config", str(config), *args],
        stdout=subprocess.PIPE if stdout is None else stdout,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=120,
    )


def _into_a_gone_reader(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command with its stdout a pipe whose reader has already gone (what `| head -1` leaves once it has its
    line): every write fails with EPIPE, whatever the output's size, so the test does not race the reader."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return _feeds(config, *args, stdout=write_end)
    finally:
        os.close(write_end)


@pytest.fixture
def office(config: Path) -> Path:
    """A config with two releases and a keyword rule stored."""
    inbox = config.parent / "inbox"
    for n in (1, 2):
        (inbox / f"r{n}.txt").write_text(f"Ferry timetable {n}\n\nThe ferry to Ukraine runs again.\n", encoding="utf-8")
    assert run(config, "-q", "ingest").exit_code == 0
    assert run(config, "-q", "keywords", "add", "ferry").exit_code == 0
    return config


# --- 1. a reader that goes away ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["releases", "list"],
        ["releases", "list", "--json"],
        ["-q", "releases", "list"],
        ["keywords", "list"],
        ["check-config", "--json"],
        ["status"],
        ["--help"],
    ],
)
def test_a_reader_that_goes_away_ends_every_command_quietly_with_141_as_a_unix_tool_killed_by_sigpipe(office, args):
    """`feeds releases list | head -1` exited 1, the status of a failed command (a rejected file, a config that
    does not load), so a script could not tell `head` having its line from `feeds` failing. Now 141, what a shell
    reports of `seq 100000 | head -1` (128 + SIGPIPE), the same for text, `--json` and `--help`, nothing on stderr
    (no traceback, no "Exception ignored" at exit)."""
    done = _into_a_gone_reader(office, *args)
    assert (done.returncode, done.stderr) == (141, ""), args


def test_a_reader_gone_from_a_real_head_under_pipefail_is_141(office):
    many = office.parent / "inbox"
    for n in range(3, 400):
        (many / f"r{n}.txt").write_text(f"Ferry timetable {n}\n\nThe ferry runs.\n", encoding="utf-8")
    assert run(office, "-q", "ingest").exit_code == 0
    feeds = f"{sys.executable} -m feeds --config {office}"
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {feeds} releases list | head -1 >/dev/null; echo ${{PIPESTATUS[0]}}"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert done.stdout.strip() in {"0", "141"} and done.stderr == ""  # (0 only if it wrote all before head left)


# --- 2. what the exit status says --------------------------------------------------------------------------------


def test_a_config_that_does_not_load_is_1_with_the_error_on_stderr_in_every_command(tmp_path):
    bad = tmp_path / "feeds.toml"
    bad.write_text('[site]\ntitle = "x"\nbogus = 1\n', encoding="utf-8")
    for args in (["check-config"], ["releases", "list", "--json"], ["ingest"], ["watch", "poll"]):
        done = run(bad, *args)
        assert done.exit_code == 1 and done.stdout == "", args
        assert done.stderr.startswith(f"error: {bad}:3: site.bogus: unknown key"), args
    checked = run(bad, "check-config", "--json")  # (its subject is the config: its problems come as JSON)
    assert checked.exit_code == 1
    (problem,) = json.loads(checked.stdout)["problems"]
    assert (problem["line"], problem["key"]) == (3, "site.bogus")


def test_a_command_line_it_cannot_use_is_2(office):
    for args in (["releases", "list", "--limit", "0"], ["releases", "lst"], ["matches", "list", "--since", "soon"]):
        done = run(office, *args)
        assert done.exit_code == 2 and done.stdout == "" and "Error: " in done.stderr, args


def test_nothing_to_do_is_0(office):
    for args in (["ingest"], ["watch", "poll"], ["alerts", "run"]):
        assert run(office, *args).exit_code == 0, args
    assert run(office, "-q", "publish").exit_code == 0
    assert run(office, "publish").exit_code == 0  # (nothing changed)


def test_a_routine_rounds_bad_item_is_0_the_one_named_is_1_and_status_says_1_while_it_lasts(office, httpserver):
    """A file rejected from the drop folder and a due feed failing belong to the item (recorded, shown by `feeds
    status`, which exits 1); the command named for them (`ingest PATH`, `watch poll FEED`) fails with them."""
    bad = office.parent / "inbox" / "notes.docx"
    bad.write_bytes(b"PK\x03\x04 not a release")
    swept = run(office, "ingest")
    assert swept.exit_code == 0 and "rejected" in swept.stderr
    named = office.parent / "named.docx"
    named.write_bytes(b"PK\x03\x04 not a release")
    assert run(office, "ingest", str(named)).exit_code == 1

    httpserver.expect_request("/gone.xml").respond_with_data("no", status=500)
    assert run(office, "watch", "add", "--no-check", httpserver.url_for("/gone.xml")).exit_code == 0
    due = run(office, "watch", "poll")
    assert due.exit_code == 0 and "1 failed" in due.stdout
    assert run(office, "watch", "poll", "1").exit_code == 1
    assert run(office, "status").exit_code == 1


def test_status_that_cannot_tell_is_2(tmp_path):
    done = run(tmp_path / "missing.toml", "status", "--json")
    assert done.exit_code == 2 and done.stdout == "" and done.stderr.startswith("error: ")


# --- 3. stdout holds the result; errors, warnings and hints go to stderr ----------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["releases", "show", "no-such-release", "--json"],
        ["watch", "show", "99", "--json"],
        ["matches", "list", "--rule", "nosuch", "--json"],
        ["topics", "forget", "nosuch", "--json"],
    ],
)
def test_an_error_in_json_mode_leaves_stdout_empty_and_says_error_on_stderr(office, args):
    """Errors are not JSON (only `check-config --json`'s problems, the config being its subject): a script reads
    the exit status, and stdout is never half a document."""
    done = run(office, *args)
    assert done.exit_code == 1 and done.stdout == "" and done.stderr.startswith("error: "), args


@pytest.mark.parametrize(
    "args",
    [
        ["check-config", "--json"],
        ["status", "--json"],
        ["releases", "list", "--json"],
        ["releases", "show", "FIRST", "--json"],
        ["keywords", "list", "--json"],
        ["keywords", "test", "ferry", "--json"],
        ["watch", "list", "--json"],
        ["matches", "list", "--json"],
        ["alerts", "log", "--json"],
        ["ingest", "--json"],
        ["publish", "--dry-run", "--json"],
    ],
)
def test_json_on_stdout_is_one_document_even_with_warnings_and_v(office, args):
    (office.parent / "inbox" / "a folder").mkdir()  # (ingest warns of it, on stderr)
    first = json.loads(run(office, "releases", "list", "--json").stdout)[0]["slug"]
    done = run(office, "-v", *[first if a == "FIRST" else a for a in args])
    assert done.exit_code == 0, (args, done.stderr)
    json.loads(done.stdout)


def test_output_into_a_pipe_has_no_control_characters_and_no_colour_whatever_no_color_says(office):
    hostile = office.parent / "inbox" / "evil.txt"
    hostile.write_text("Ferry \x1b[31mred\x1b]0;owned\x07 news\n\nThe ferry runs.\n", encoding="utf-8")
    assert run(office, "-q", "ingest").exit_code == 0
    for env in ({}, {"NO_COLOR": "1"}, {"FORCE_COLOR": "1", "TERM": "xterm-256color"}):
        for args in (["releases", "list"], ["watch", "list"], ["status"], ["check-config"], ["-v", "ingest"]):
            done = _feeds(office, *args, env=env)
            assert done.returncode == 0, (args, done.stderr)
            for stream in (done.stdout, done.stderr):
                assert not any(ord(c) < 32 and c not in "\n\t" for c in stream), (args, env, stream)


def test_ctrl_c_ends_a_command_with_130_as_it_ends_the_daemon_not_1(office):
    """Ctrl-C in `feeds ingest` (here while it waits for the ingest lock another process holds) printed
    `Aborted!` and exited 1, the status of a failed ingest; `feeds run` exits 130 for it, as a shell reports."""
    import signal

    from feeds.app import make_app
    from feeds.config import load_settings

    holder = make_app(load_settings(office, environ={}))
    try:
        with holder.store.exclusive("ingest") as mine:
            assert mine
            proc = subprocess.Popen(
                [sys.executable, "-m", "feeds", "--config", str(office), "ingest"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            assert proc.stderr is not None
            assert "waiting for another process's ingest" in proc.stderr.readline()
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
    finally:
        holder.close()
    assert (proc.returncode, out, err.strip()) == (130, "", "Aborted!")
