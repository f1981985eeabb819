"""The writer's record of what it wrote into out/: a snapshot and a journal of the changes since, so that a
publish after one new release writes a few lines, not the record of 40,000 files.

    publish-state.json      {"files": {path: {"fp", "size", "mtime"[, "hand"]}}, "generation": G, "version": 1}
    publish-state.journal   one line per change: "<sha256 of the rest, 32 hex> {"generation": G, "removed": [...],
                            "set": {path: record}}"

A publish that renders anything first appends the paths it is about to write, each with an empty record ("being
written": its fingerprint unknown), then writes the files, then appends their records (and the paths it
removed). A crash between the two leaves those paths unsettled: the next publish renders them again and compares
the bytes, whatever it would otherwise have trusted. When the journal has grown past a quarter of the snapshot,
the record is compacted: a new snapshot with a new generation (temporary file, fsync, rename, the folder synced),
then an empty journal put in place the same way. A crash between those leaves a journal of the old generation,
which the new snapshot already holds: its lines are skipped.

A journal line that is cut short or does not match its checksum (a crash while appending, a disk that lies) makes
the record untrusted from there on: the writer then verifies every file (as `verify=True`) and compacts the
record afterwards. A snapshot that is missing or spoilt is no record at all, as before: every document is rendered
and compared with what is on disk.

What this module must not do: write into out/ (only `writer` does), or decide what is stale.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path

from feeds.atomicfile import replace_whole
from feeds.errors import PublishError

__all__ = ["COMPACT_FROM", "STATE_VERSION", "PublishRecord", "StateCache"]

STATE_VERSION = 1

COMPACT_FROM = 64 * 1024
"""A journal is compacted past this many bytes, or a quarter of the snapshot's, whichever is larger."""

Files = dict[str, dict[str, object]]


class StateCache:
    """The record as this process read or wrote it, kept while both files are as it left them (same size,
    modification time and inode): reading and writing 40,000 records as JSON on every publish was a large part of
    a daemon's publish after one new release."""

    def __init__(self) -> None:
        self.signature: tuple[object, object] | None = None
        self.files: Files = {}
        self.trusted = True
        """False when the journal had a damaged line: the next publish verifies every file and compacts."""
        self.generation: str | None = None
        self.snapshot_bytes = 0
        self.journal_bytes = 0
        self.encoded: dict[str, tuple[dict[str, object], str]] = {}
        """Each record's JSON in the snapshot, by path, with the record it was made from (records are never changed
        in place)."""

    def encode(self, files: Files, generation: str) -> bytes:
        """`files` as the snapshot's JSON (what `json.dumps(..., sort_keys=True)` writes), each record's part made
        again only when the record is not the one encoded last time."""
        encoded: dict[str, tuple[dict[str, object], str]] = {}
        for path, record in files.items():
            seen = self.encoded.get(path)
            if seen is None or seen[0] is not record:
                seen = (record, f"{json.dumps(path)}: {json.dumps(record, sort_keys=True)}")
            encoded[path] = seen
        self.encoded = encoded
        body = ", ".join(encoded[p][1] for p in sorted(encoded))
        return f'{{"files": {{{body}}}, "generation": {json.dumps(generation)}, "version": {STATE_VERSION}}}'.encode()


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


class PublishRecord:
    """The record at `state_file` (the snapshot; the journal beside it, `.journal` for `.json`)."""

    def __init__(self, state_file: Path, cache: StateCache) -> None:
        self.state_file = state_file
        self.journal = state_file.with_suffix(".journal")
        self.cache = cache

    def load(self) -> tuple[Files, bool]:
        """The files as recorded, and whether the record can be trusted (see the module's docstring)."""
        cache = self.cache
        signature = (_signature(self.state_file), _signature(self.journal))
        if signature == cache.signature:
            return cache.files, cache.trusted  # (as this process wrote or read it: another publisher changes them)
        files, generation = self._read_snapshot()
        cache.files, cache.generation, cache.trusted = files, generation, True
        cache.snapshot_bytes = signature[0][0] if signature[0] else 0
        cache.journal_bytes = signature[1][0] if signature[1] else 0
        if signature[1] is not None:
            cache.files, cache.trusted = self._replay(files, generation)
        cache.signature = signature
        return cache.files, cache.trusted

    def _read_snapshot(self) -> tuple[Files, str | None]:
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):  # (none yet, or spoilt: made anew)
            return {}, None
        except OSError as e:  # (EACCES, EIO): publishing without it would forget which files are stale for ever
            raise PublishError(
                f"cannot read the record of the last publish: {e.strerror or e}",
                path=str(e.filename or self.state_file),
            ) from e
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            return {}, None
        files, generation = data.get("files", {}), data.get("generation")
        return (files if isinstance(files, dict) else {}), (generation if isinstance(generation, str) else None)

    def _replay(self, files: Files, generation: str | None) -> tuple[Files, bool]:
        try:
            data = self.journal.read_bytes()
        except FileNotFoundError:
            return files, True
        except OSError as e:
            raise PublishError(
                f"cannot read the record of the last publish: {e.strerror or e}", path=str(self.journal)
            ) from e
        files = dict(files)
        for line in data.splitlines(keepends=True):
            change = _parsed(line)
            if change is None:  # (cut short or damaged: nothing after it can be trusted either)
                return files, False
            if change.get("generation") != generation or generation is None:
                continue  # (of a snapshot since replaced, which holds it; or of none: no record to add to)
            removed, changed = change.get("removed", ()), change.get("set", {})
            if not isinstance(removed, list) or not isinstance(changed, dict):
                return files, False
            for path in removed:
                files.pop(path, None)
            files.update(changed)
        return files, True

    def unsettle(self, paths: Iterable[str], old: Mapping[str, dict[str, object]]) -> None:
        """Record `paths` as being written (an empty record, or one that keeps `hand`), before they are: a crash
        before their records are appended leaves them to be rendered and compared again."""
        if self.cache.generation is None:  # (no snapshot, no record: everything is rendered and compared anyway)
            return
        marks: Files = {p: ({"hand": True} if (old.get(p) or {}).get("hand") else {}) for p in paths}
        if marks:
            self._append(marks, ())

    def save(self, files: Files, changed: Mapping[str, dict[str, object]], removed: Iterable[str]) -> None:
        """`files` is the record now: `changed` (set) and `removed` (gone) since the last load or save. Appended to
        the journal, or compacted into a new snapshot when the journal has grown (or could not be trusted)."""
        cache = self.cache
        removed = sorted(removed)
        if cache.generation is None or not cache.trusted or cache.journal_bytes > self._compact_from():
            self.compact(files)
        elif changed or removed:
            self._append(dict(changed), removed, files)

    def _compact_from(self) -> int:
        return max(COMPACT_FROM, self.cache.snapshot_bytes // 4)

    def compact(self, files: Files) -> None:
        """A new snapshot of `files` under a new generation, then an empty journal (each replaced atomically)."""
        cache = self.cache
        generation = secrets.token_hex(8)
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        data = cache.encode(files, generation)
        replace_file(self.state_file, data)
        replace_file(self.journal, b"")
        cache.files, cache.generation, cache.trusted = files, generation, True
        cache.snapshot_bytes, cache.journal_bytes = len(data), 0
        cache.signature = (_signature(self.state_file), _signature(self.journal))

    def _append(
        self, changed: Mapping[str, dict[str, object]], removed: Iterable[str], files: Files | None = None
    ) -> None:
        """One line onto the journal (fsynced); `files`: the record with it applied, when the caller has it."""
        cache = self.cache
        body = json.dumps(
            {"generation": cache.generation, "removed": list(removed), "set": changed}, sort_keys=True
        ).encode()
        line = hashlib.sha256(body).hexdigest()[:32].encode() + b" " + body + b"\n"
        before = _signature(self.journal)
        try:
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            raise PublishError(
                f"cannot write the record of the publish: {e.strerror or e}", path=str(self.journal)
            ) from e
        if files is None:
            files = dict(cache.files)
            for path in removed:
                files.pop(path, None)
            files.update(changed)
        cache.files = files
        cache.journal_bytes += len(line)
        if cache.signature is not None and cache.signature[1] == before:  # (no one else wrote it meanwhile)
            cache.signature = (cache.signature[0], _signature(self.journal))
        else:
            cache.signature = None


def _parsed(line: bytes) -> dict[str, object] | None:
    """A journal line's change, or None when it is cut short or damaged."""
    if not line.endswith(b"\n") or len(line) < 34 or line[32:33] != b" ":
        return None
    body = line[33:-1]
    if hashlib.sha256(body).hexdigest()[:32].encode() != line[:32]:
        return None
    try:
        change = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return change if isinstance(change, dict) else None


def replace_file(target: Path, data: bytes) -> None:
    """`target` replaced by `data` atomically and durably (`replace_whole`, the folder fsynced too: the rename
    survives a power cut), private to the state folder's owner. A failure leaves the old file and names the path."""
    try:
        replace_whole(target, data, sync_folder=True)
    except OSError as e:
        raise PublishError(f"cannot write: {e.strerror or e}", path=str(target)) from e
