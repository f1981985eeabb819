"""Ingest: bring releases in from every configured source and store them without duplicates.

    run_ingest(app):  for each source: the files of a folder (`folder.scan`) or a remote document (`remote_json`)
        | a unit per input: read | formats.parse | normalise (`units`; for many files, in worker processes a few
          batches ahead of storing: `parallel`)
        | what the store holds of them already (`recognise`) | reconcile (`reconcile`) | one transaction a batch,
          with the ledger (`save`; warnings and refusals worded by `notices`)
        | a drop folder's files moved to processed/ or rejected/ (`folder.settle`) | outcomes, logged
        | at the end, the pictures those files showed, when no release file is left there (`picturemoves`)

Sources: folders (the drop folder moves files to processed/ or rejected/; a release folder is read in place),
remote JSON documents (polled through the shared polite HTTP client), explicit paths from `feeds ingest PATH…`,
and bodies pushed over HTTP (`ingest_units`, used by the web API).

What this module must not do: read, parse or store a release itself (the stages above do), or let an unreadable
folder or a failed remote source stop the other sources.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from feeds.config import FolderSource, RemoteJsonSource
from feeds.errors import ChangedMeanwhileError
from feeds.ingest import folder
from feeds.ingest.moving import BatchMover
from feeds.ingest.notices import picture_note
from feeds.ingest.parallel import units_in_batches
from feeds.ingest.picturemoves import settle_pictures
from feeds.ingest.pictures import is_picture_name, stored_digest, waiting_bytes
from feeds.ingest.save import Settle, save_units
from feeds.ingest.units import Unit, shown_path
from feeds.ingestreport import IngestOutcome, IngestReport
from feeds.records import replaced

if TYPE_CHECKING:
    from datetime import datetime

    from feeds.app import App

log = logging.getLogger("feeds.ingest")

BATCH = 200
"""Files per transaction: large enough to amortise the commit, small enough that a crash redoes little."""

Progress = Callable[[int, int], None]
"""`progress(done_now, total)`: called as work advances (the CLI draws a bar on a terminal)."""


def run_ingest(app: App, *, progress: Progress | None = None, remote: bool = True, quiet: float = 0.0) -> IngestReport:
    """Ingest every configured source once (remote sources only when due, unless `remote` is forced), and record
    in the database how the round went (`feeds.outcomes.record_run`: `feeds status` shows a failed `feeds ingest`
    from cron, on every machine).

    `quiet`: inbox files written in the last `quiet` seconds are left for a later run (the daemon's, which
    reacts to a file as soon as it appears, possibly before its writer is done); they are counted as waiting."""
    from feeds.outcomes import record_run

    try:
        report = _ingest_sources(app, progress=progress, remote=remote, quiet=quiet)
    except Exception as e:
        record_run(app, "ingest", e)
        raise
    record_run(app, "ingest", report.failure())
    return report


def _ingest_sources(app: App, *, progress: Progress | None, remote: bool, quiet: float) -> IngestReport:
    outcomes: list[IngestOutcome] = []
    waiting = 0
    unreadable: list[str] = []
    why: list[str] = []
    stuck: list[str] = []
    folders: list[str] = []
    read_in_part: list[str] = []
    for source in app.settings.sources:
        if isinstance(source, FolderSource) and source.enabled:
            try:
                found, left, kept, notes = ingest_folder(app, source, progress=progress, quiet=quiet)
            except OSError as e:  # the folder is unreadable, or gone with its mount: the other sources still run
                reason = e.strerror or str(e)
                if source.path.exists() and not source.path.is_dir():  # (a typo: `path = "inbox.txt"`)
                    reason = "it is a file, not a folder: give the source's `path` a folder"
                error = f"{source.path}: cannot read the folder of source {source.name!r}: {reason}"
                # Reported by whoever ran the round: the command as `error: …` (in --json, `sources_failed`), the
                # daemon as the round's failure, logged once and then reminded; an error line here said it twice,
                # and every minute whatever the reminders said.
                log.debug("%s", error, extra={"source": source.name})
                unreadable.append(source.name)  # (a source, not a file: not counted as a rejected file)
                why.append(error)
                continue
            outcomes += found
            waiting += left
            stuck += kept
            folders += notes
        elif isinstance(source, RemoteJsonSource) and remote and source.enabled:
            from feeds.ingest.remote_json import document_error, poll_remote

            found = poll_remote(app, source, notes=read_in_part)
            if (failed := document_error(source, found)) is not None:  # (an HTTP error, not JSON): for cron
                unreadable.append(source.name)
                why.append(failed)
                found = [o for o in found if o.error != failed]  # the source's failure, not a rejected release
            outcomes += found
    return IngestReport(
        outcomes=tuple(outcomes),
        waiting=waiting,
        unreadable=tuple(unreadable),
        why=tuple(why),
        stuck=tuple(stuck),
        folders=tuple(folders),
        read_in_part=tuple(read_in_part),
    )


def ingest_folder(
    app: App, source: FolderSource, *, progress: Progress | None = None, quiet: float = 0.0
) -> tuple[list[IngestOutcome], int, list[str], list[str]]:
    """(outcomes, files left waiting because they were written in the last `quiet` seconds, why files that were
    read stayed in the drop folder, a note for each folder in it, whose files are not read)."""
    if not source.path.is_dir():
        if not source.move:  # a folder read in place is never made up: a typo must not read as "0 files"
            raise FileNotFoundError(errno.ENOENT, "no such folder", str(source.path))
        source.path.mkdir(parents=True, exist_ok=True)  # a drop folder exists from the first run on
        # (info, not a warning: a fresh install makes its drop folder this way; `check-config` warns of it)
        log.info("created the drop folder %s of source %r: it did not exist", source.path, source.name)
    skipped: list[Path] = []
    files = folder.scan(source.path, skipped=skipped)
    pictures = [f for f in files if is_picture_name(f.name)]  # (read with the release that shows them)
    files = [f for f in files if not is_picture_name(f.name)]
    changing = folder.still_changing([*files, *pictures], quiet, time.time()) if quiet > 0 else set()
    if any(p in changing for p in pictures):  # a picture still being copied: its release, whichever, waits with it
        changing |= set(files)
    if changing:  # (a Path hashes its parts: not for every file of every scan when nothing is changing)
        files = [f for f in files if f not in changing]
    move_in = source.path if source.move else None
    outcomes, stuck = _ingest_files(app, files, source=source.name, move_in=move_in, progress=progress, hold=changing)
    notes = [folder.folder_note(p, source.path) for p in skipped]
    if source.move and not changing:  # a picture no release took: said at every run (logged once), never rejected
        notes += _waiting_pictures(app, [p for p in pictures if os.path.lexists(p)])
    return outcomes, len(changing), stuck, notes


def _waiting_pictures(app: App, pictures: Sequence[Path]) -> list[str]:
    """A note for each picture in the drop folder that no release there showed this run: waiting for its release,
    or, when its bytes are stored already (moved with none after a crash between moving its release and it, or
    dropped twice), published already."""
    folder.forget_gone(_PICTURES_SAID)
    if not pictures:
        return []
    digests: dict[Path, str] = {}
    for p in pictures:
        # (unreadable, larger, a link or a pipe: said as waiting, never followed nor read; its release's ingest
        # will name why; hashed as stored: without its metadata)
        if (data := waiting_bytes(p)) is not None and (digest := stored_digest(data)):
            digests[p] = digest
    stored = app.store.pictures_stored(list(digests.values()))
    notes = []
    for p in pictures:
        notes.append(note := picture_note(p, stored=digests.get(p) in stored))
        if str(p) not in _PICTURES_SAID:  # (logged once a process: the daemon scans every minute)
            _PICTURES_SAID.add(str(p))
            log.warning("%s", note, extra={"file": str(p)})
    return notes


_PICTURES_SAID: set[str] = set()
"""The pictures waiting in a drop folder said in the log, while they are there (`folder.forget_gone`)."""


def ingest_paths(app: App, paths: Sequence[Path], *, progress: Progress | None = None) -> IngestReport:
    """`feeds ingest PATH…`: files and folders (recursively), now. Files that sit directly in a drop folder are
    attributed to that source and moved like any dropped file; everything else is read in place as source `cli`.

    A file of source `cli` found in a subfolder of a named folder is known by its path in that folder
    (`2025/release.txt`), not by its base name: an archive with a `release.txt` in each year's folder is as many
    releases. Two files that would still be one release by their names (`x/release.txt` and `y/release.txt`
    named one by one, or at the top of two named folders) are never merged in one run: the second is refused,
    naming the first, and stays where it is."""
    outcomes: list[IngestOutcome] = []
    drop = {s.path.resolve(): s for s in app.settings.inboxes}
    groups: dict[tuple[str, Path | None, bool], list[Path]] = {}
    keys: dict[Path, str] = {}
    first_of: dict[tuple[str, str], Path] = {}  # (source, name in it) → the first file of this run so named
    for p in paths:
        if not p.exists():
            outcomes.append(IngestOutcome(origin=str(p), status="rejected", error=f"{p}: no such file or folder"))
            continue
        # A link named on the command line is followed on purpose; links met inside folders are not (see
        # `unit_from_file`).
        named = not p.is_dir()
        files = folder.scan(p, recursive=True) if not named else [p.resolve() if p.is_symlink() else p]
        if not named:  # (a folder's pictures are read with the releases that show them)
            files = [f for f in files if not is_picture_name(f.name)]
        for f in files:
            src = drop.get(f.resolve().parent)
            place = (src.name, src.path) if src and src.move else (src.name if src else "cli", None)
            key = _path_in(f, p) if src is None and not named else None
            first = first_of.setdefault((place[0], key or f.name), f)
            if first != f and first.resolve() != f.resolve():
                outcomes.append(IngestOutcome(origin=str(f), status="rejected", error=_same_name(f, first)))
                continue
            if key is not None:
                keys[f] = key
            groups.setdefault((*place, named), []).append(f)
    stuck: list[str] = []
    for (name, move_in, named), files in groups.items():
        found, kept = _ingest_files(app, files, source=name, move_in=move_in, progress=progress, named=named, keys=keys)
        outcomes += found
        stuck += kept
    return IngestReport(outcomes=tuple(outcomes), stuck=tuple(stuck))


def _path_in(f: Path, named: Path) -> str | None:
    """The path of `f` in the folder `named` on the command line when `f` is in a subfolder of it
    (`2025/release.txt`); None for a file at its top, which keeps its base name, as before there were subfolders
    to tell apart (so releases stored by earlier versions are found under their names)."""
    try:
        parts = f.relative_to(named).parts
    except ValueError:
        return None
    return "/".join(parts) if len(parts) > 1 else None


def _same_name(f: Path, first: Path) -> str:
    return (
        f"{shown_path(str(f))}: another file of this run, {shown_path(str(first))}, has the same name, and the two "
        "would be one release (the second replacing the first); it was not read. Name the folder holding both "
        "(its files are known by their path in it), or give the releases a `slug` or `source_key`"
    )


def _ingest_files(
    app: App,
    files: Sequence[Path],
    *,
    source: str,
    move_in: Path | None,
    progress: Progress | None,
    named: bool = False,
    keys: dict[Path, str] | None = None,
    hold: Collection[Path] = (),
) -> tuple[list[IngestOutcome], list[str]]:
    """(outcomes, why files that were read stayed in the drop folder `move_in`). `hold`: files of the drop folder
    left unread (still being written): the pictures read stay for them (`settle_pictures`)."""
    outcomes: list[IngestOutcome] = []
    stayed = folder.Settled()  # why files stayed in the drop folder, and the pictures to move, over all batches
    # A batch's files move while the next batch is stored (`BatchMover`); its outcomes, which name where each file
    # went, are logged once they have.
    mover: BatchMover[tuple[list[IngestOutcome], int]] = BatchMover(move_in, threaded=len(files) > BATCH)

    def settled(batches: Iterator[tuple[tuple[list[IngestOutcome], int], folder.Settled]]) -> None:
        for (batch_outcomes, read), moves in batches:
            stayed.add(moves)
            for o in batch_outcomes:
                _log_outcome(o)
                outcomes.append(_with_move(o, moves.moved, moves.requeued))
            if progress:
                progress(read, len(files))

    try:
        for now, units in units_in_batches(app, files, BATCH, source=source, named=named, keys=keys):
            settled_units, batch_outcomes = _store_batch(app, units, now, source)
            settled(mover.add(settled_units, now, (batch_outcomes, len(units))))
    finally:  # (also when a batch could not be stored: the batches before it committed, and their files move)
        settled(mover.close())
        if move_in is not None:  # (the pictures last: a release of any batch may show one)
            settle_pictures(stayed, move_in, hold=bool(hold))
    return outcomes, stayed.problems(move_in) if move_in is not None else []


def _store_batch(app: App, units: list[Unit], now: datetime, source: str) -> tuple[list[Unit], list[IngestOutcome]]:
    """`save_units` of one batch, read again and retried when another writer got in first (`_another_writer`)."""
    attempt = 1
    while True:
        try:
            return save_units(app.store, units, app.settings, now)
        except Exception as e:  # (the database refused): say which files wait, untouched, for the next run
            if attempt < STORE_ATTEMPTS and _another_writer(e):
                log.info("another writer stored one of these releases meanwhile; reading the batch again")
                attempt += 1
                continue
            first = shown_path(units[0].origin) if units else "?"
            e.add_note(f"storing {len(units)} file(s) of source {source!r}, from {first}; they stay where they are")
            raise


STORE_ATTEMPTS = 3
"""Tries of a batch that meets another writer's insert of one of its releases (a push to another daemon sharing a
PostgreSQL database, between the batch's read and its insert): then an update or unchanged, as the push API does."""


def _another_writer(error: Exception) -> bool:
    """Whether storing a batch failed on a unique key another writer took meanwhile, or on a withdrawal another
    process made meanwhile (`ChangedMeanwhileError`); the transaction is rolled back whole. (SQLAlchemy is
    imported here, not at the top: worker processes import this package to read files.)"""
    from sqlalchemy.exc import IntegrityError

    return isinstance(error, IntegrityError | ChangedMeanwhileError)


def ingest_units(
    app: App,
    units: Sequence[Unit],
    *,
    settle: Settle | None = None,
    told: Callable[[IngestOutcome], bool] | None = None,
) -> list[IngestOutcome]:
    """Store already-built units (pushed bodies, remote items) in one transaction, with what `settle` writes in it
    (see `save.Settle`). A withdrawal made by another process meanwhile has the units stored again, read
    afresh (`ChangedMeanwhileError`); other conflicts are the caller's to retry (the push API's key).

    An outcome `told` says the log said lately (a remote source's document read again, still listing a release
    withdrawn by hand) has its warning logged at debug level; the outcome keeps it."""
    for attempt in range(STORE_ATTEMPTS):
        try:
            _, outcomes = save_units(app.store, units, app.settings, app.clock(), settle=settle)
            break
        except ChangedMeanwhileError:
            if attempt == STORE_ATTEMPTS - 1:
                raise
            log.info("a release was withdrawn or restored meanwhile; reading the units again")
    for o in outcomes:
        _log_outcome(o, told=told is not None and told(o))
    return outcomes


def _with_move(o: IngestOutcome, moved: dict[str, str], requeued: Collection[str] = ()) -> IngestOutcome:
    """The outcome with where its file went. Every outcome of a file, each of its releases', is named by the file's
    own path (a `#` in it is part of the name: `Statement #2.txt`)."""
    if o.origin in requeued:
        return replace(o, warning=_joined(o.warning, f"{shown_path(o.origin)} {folder.PUT_BACK}"))
    return replaced(o, moved_to=moved[o.origin]) if o.origin in moved else o


def _joined(first: str | None, second: str) -> str:
    return f"{first}; {second}" if first else second


def _log_outcome(o: IngestOutcome, *, told: bool = False) -> None:
    """Log what happened to one input. `told`: its warning was said lately, and is logged at debug level."""
    extra = {"origin": o.origin, "release": o.release_id}
    warning = _joined(o.warning, o.slug_kept) if o.slug_kept else o.warning
    if warning:  # (a normalising warning names its input already: the line names it once)
        warning = warning.removeprefix(f"{o.origin}: ")
    if o.status == "rejected":
        log.warning("rejected %s", o.error, extra=extra)
    elif o.status in ("created", "updated"):
        log.info("%s %s (%s)", o.status, o.release_id, o.origin, extra=extra)
        if warning:
            log.warning("%s: %s", o.origin, warning, extra=extra)
    elif warning:  # (a copy withdrawn by hand, or asking for another slug: unchanged, but the office must hear of it)
        log.log(logging.DEBUG if told else logging.WARNING, "%s: %s", o.origin, warning, extra=extra)
    else:
        log.debug("unchanged %s (%s)", o.release_id, o.origin, extra=extra)
