"""Writing the site into out/: atomically, only when bytes change, restoring what was lost, removing what is stale.

The only module that writes into `out/`. For every planned job:
- if its fingerprint equals the last publish's and each of its files is on disk exactly as written then (same
  size and modification time as recorded), nothing is rendered or written;
- otherwise it is rendered and each file is compared with the bytes on disk: a file is written only when they
  differ, through a temporary file in the same folder, flushed to disk, then renamed over the old one (a
  reader sees the old file or the new one, never a partial one);
- files written by an earlier publish and not produced now (a custom feed removed from the config) are removed
  (a topic or an organisation never disappears unless forgotten: `feeds.publish.marks`, `retire`).

The record of what was written (`publish-state.json` and its journal, `record`) lives in the private state folder,
never in `out/`.
A file deleted or edited by hand in `out/` no longer matches its record and is restored by the next publish that
verifies (`verify`, every publish but the daemon's after a change: those look only at the files of the documents
that changed, so that their cost follows what changed, not the size of the site; the daemon's periodic publish
verifies).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from feeds.atomicfile import replace_whole
from feeds.errors import PublishError
from feeds.publish.planjobs import Job
from feeds.publish.record import PublishRecord, StateCache

log = logging.getLogger("feeds.publish")

__all__ = ["PublishReport", "SiteWriter", "StateCache", "atomic_write", "safe_relative"]


@dataclass
class PublishReport:
    written: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    """The files of `written` that were not in out/ before: new addresses, which no one can have subscribed to or
    cached yet (WebSub pings none of its archive documents, `feeds.publish.websub.changed_topics`)."""
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    rendered: int = 0
    """Jobs actually rendered (the others were skipped by fingerprint)."""
    checked: int = 0
    """Files whose size and modification time were compared with the record (every file when verifying; else
    only those of the documents whose fingerprint changed)."""
    fingerprinted: int = 0
    """Documents whose fingerprint the plan worked out (the others it reused from the process's last plan)."""
    tokens_made: int = 0
    """Releases whose token (what every document showing one fingerprints) the plan worked out."""
    held: int = 0
    """Releases dated ahead (embargoed), kept off the site for now."""
    kept: list[str] = field(default_factory=list)
    """Files an office put into out/ itself where feeds would write its own (`Job.yields`): left as they are."""
    held_until: datetime | None = None
    """When the first of them is due: the site must be published again then."""
    news_until: datetime | None = None
    """When the first release `sitemap-news.xml` lists ages out of it (two days after its publication): the site
    must be published again then for that file to stay true."""

    @property
    def changed(self) -> list[str]:
        return self.written + self.removed


def _lines_to_add(data: bytes) -> list[str]:
    """What an office's own file lacks of ours, said in the log: a `robots.txt`'s `Sitemap:` lines (else the
    file's last line)."""
    lines = data.decode("utf-8", "replace").strip().splitlines()
    return [line for line in lines if line.startswith("Sitemap:")] or lines[-1:]


def safe_relative(path: str) -> PurePosixPath:
    """Refuse any output path that could escape out/ (absolute, `..`, NUL, backslashes)."""
    p = PurePosixPath(path)
    if not path or p.is_absolute() or ".." in p.parts or "\x00" in path or "\\" in path or path.startswith("."):
        raise PublishError("refusing an output path outside out/", path=path)
    return p


def _relative_str(path: str) -> str:
    """`str(safe_relative(path))` without building a path object when `path` is already plain and canonical."""
    if (
        not path
        or path[0] in "./"
        or path[-1] == "/"
        or "//" in path
        or "\x00" in path
        or "\\" in path
        or "." in path.split("/")
        or ".." in path.split("/")
    ):
        return str(safe_relative(path))  # normalises what is harmless, raises on what is not
    return path


class SiteWriter:
    def __init__(self, out: Path, state_file: Path, cache: StateCache | None = None):
        self.out = out
        self.state_file = state_file
        self.cache = cache if cache is not None else StateCache()

    def _inside(self, folder: str, checked: set[str]) -> None:
        """Refuse to write or remove anything through a symbolic link planted in out/ that leads outside it (the
        configured out/ may itself be a link: only where it resolves counts)."""
        if folder in checked:
            return
        root = os.path.realpath(self.out)
        real = os.path.realpath(folder)
        if real != root and not real.startswith(root + os.sep):
            raise PublishError(f"refusing to write there: a symbolic link in out/ leads to {real}", path=folder)
        checked.add(folder)

    def publish(
        self,
        jobs: Sequence[Job],
        *,
        dry_run: bool = False,
        progress: Callable[[int, int], None] | None = None,
        verify: bool = True,
    ) -> PublishReport:
        """Write `jobs` (see the module's docstring). `verify`: compare every file's size and modification time
        with the record; without it, a job whose fingerprint is the recorded one is taken to be on disk as written."""
        report = PublishReport()
        record = PublishRecord(self.state_file, self.cache)
        old, trusted = record.load()
        verify = verify or not trusted  # (a damaged journal: nothing recorded is taken on trust)
        new: dict[str, dict[str, object]] = {}
        changed: dict[str, dict[str, object]] = {}
        if not dry_run:
            make_out(self.out)
            if self.out not in _swept:  # once per process: a crash that leaves one behind ends its process
                sweep_temporaries(self.out)
                open_folders(self.out, (p for p, r in old.items() if not r.get("hand")))
                _swept.add(self.out)
        root = os.fspath(self.out)
        checked: set[str] = set()  # folders seen to lie inside out/ (once each per publish)
        todo: list[tuple[Job, list[str]]] = []
        for job in jobs:
            first = job.paths[0] if len(job.paths) == 1 else None
            if not verify and first is not None and _recorded(seen := old.get(first), job.fingerprint):
                # (the common case, a page as recorded: its path is a key of the record, so it is canonical)
                new[first] = seen  # type: ignore[assignment]
                report.unchanged += 1
                if progress:
                    progress(1, len(jobs))
                continue
            # Plain strings on this path, which runs for every file of the site on every publish (pathlib
            # objects cost more than the stat calls themselves at 10,000 files).
            paths = [_relative_str(p) for p in job.paths]
            if verify or not all(_recorded(old.get(p), job.fingerprint) for p in paths):
                report.checked += len(paths)
                same = all(_matches(old.get(p), os.path.join(root, p), job.fingerprint) for p in paths)
            else:
                same = True
            if same:
                for p in paths:
                    new[p] = old[p]
                report.unchanged += len(paths)
                if progress:
                    progress(1, len(jobs))
            else:
                todo.append((job, paths))
        if todo and not dry_run:  # (recorded as being written first: see `record`)
            record.unsettle((p for job, paths in todo for p in paths if not (job.yields and p not in old)), old)
        for job, _ in todo:
            report.rendered += 1
            for f in job.render():
                rel = safe_relative(f.path)
                target = self.out / rel
                hand_made = str(rel) not in old or bool(old[str(rel)].get("hand"))
                if job.yields and hand_made and target.exists() and not _same_bytes(target, f.data):
                    report.kept.append(str(rel))
                    if not dry_run:  # (recorded as the office's: said once, never removed as stale)
                        st = target.stat()
                        new[str(rel)] = changed[str(rel)] = {
                            "fp": job.fingerprint,
                            "size": st.st_size,
                            "mtime": st.st_mtime_ns,
                            "hand": True,
                        }
                    log.warning(
                        "%s was not written by feeds: left as it is (add what feeds would write to it yourself: %s)",
                        target,
                        " / ".join(_lines_to_add(f.data)),
                        extra={"file": str(target)},
                    )
                    continue
                if _same_bytes(target, f.data):
                    report.unchanged += 1
                else:
                    report.written.append(str(rel))
                    if not os.path.lexists(target):
                        report.new.append(str(rel))
                    if not dry_run:
                        self._inside(os.path.dirname(target), checked)
                        atomic_write(target, f.data)
                if dry_run:
                    new[str(rel)] = {}  # produced by this publish, so not stale (the state is not saved)
                else:
                    st = target.stat()
                    new[str(rel)] = changed[str(rel)] = {
                        "fp": job.fingerprint,
                        "size": st.st_size,
                        "mtime": st.st_mtime_ns,
                    }
            if progress:
                progress(1, len(jobs))
        for stale in sorted(p for p in set(old) - set(new) if not old[p].get("hand")):
            target = self.out / safe_relative(stale)
            if target.exists():
                report.removed.append(stale)
                if not dry_run:
                    self._inside(os.path.dirname(target), checked)
                    try:
                        target.unlink()
                        _prune_empty_dirs(target.parent, self.out)
                    except OSError as e:
                        raise PublishError(f"cannot remove stale file: {e.strerror or e}", path=str(target)) from e
        if not dry_run:  # a publish with nothing new writes nothing, not even its record
            gone = old.keys() - new.keys()
            if changed or gone or not trusted:
                record.save(new, changed, gone)
        return report


def _recorded(record: dict[str, object] | None, fingerprint: str) -> bool:
    """Same inputs as last time, as recorded (the file on disk is not looked at)."""
    return record is not None and record.get("fp") == fingerprint


def _matches(record: dict[str, object] | None, path: str, fingerprint: str) -> bool:
    """Same inputs as last time, and the file still exactly as written then (size and mtime as recorded)."""
    if not record or record.get("fp") != fingerprint:
        return False
    try:
        st = os.stat(path)
    except OSError:
        return False
    return st.st_size == record.get("size") and st.st_mtime_ns == record.get("mtime")


def _same_bytes(target: Path, data: bytes) -> bool:
    try:
        if target.stat().st_size != len(data):
            return False
        return target.read_bytes() == data
    except OSError:
        return False


# `.<target name>.<pid>.<mkstemp's 8 random characters>.tmp`: the pid says whose write it is (see sweep_temporaries).
_TEMPORARY = re.compile(r"^\..+?\.(?:(\d+)\.)?[a-z0-9_]{8}\.tmp$")


_swept: set[Path] = set()
"""The out/ folders this process has swept already (walking a large site costs tens of milliseconds)."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, under another user
        return True
    return True


def sweep_temporaries(out: Path) -> list[str]:
    """Remove the temporary files of writes whose process died between creating and renaming them (SIGKILL,
    power loss: no `except` ran). Nothing else ever would, and a deploy that copies out/ would ship them.

    A temporary file is stale when the process named in it is gone; one of this process is never in flight
    here (a publish sweeps before it writes). Dot-folders (`.well-known`) are not entered. Run by the first
    publish of each process into `out` (a process killed mid-write is replaced by a new one, whose first publish
    clears up after it). Returns the paths removed, relative to `out`.
    """
    removed: list[str] = []
    me = os.getpid()
    for folder, dirs, files in os.walk(out):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            m = _TEMPORARY.match(name) if name.startswith(".") else None
            if m is None:
                continue
            pid = int(m.group(1)) if m.group(1) else None
            if pid is not None and pid != me and _alive(pid):
                continue  # another publisher's write in progress (a CLI publish beside the daemon)
            path = os.path.join(folder, name)
            with contextlib.suppress(OSError):
                os.unlink(path)
                removed.append(os.path.relpath(path, out))
    if removed:
        log.warning("removed %d temporary file(s) left by an interrupted publish: %s", len(removed), removed[:5])
    return removed


def atomic_write(target: Path, data: bytes) -> None:
    """Write `data` to `target` so that readers see the old bytes or the new, never a mix (`replace_whole`), with
    `FILE_MODE`, its folders made as needed.

    On failure (disk full, read-only folder) the old file stays in place and a PublishError names the path.
    """
    try:
        make_folders(target.parent)
        replace_whole(target, data, mode=FILE_MODE)
    except OSError as e:
        raise PublishError(f"cannot write: {e.strerror or e}", path=str(target)) from e


FILE_MODE = 0o644
FOLDER_MODE = 0o755
"""What everything published is given, whatever the umask: a web server reads out/ as another user, and a service
run with systemd's `UMask=0077` (or a container's `umask 077`) would otherwise make every new folder 0700, which
it cannot enter (403 for every page of a new release or topic, its files 0644 inside all the same)."""


def make_folders(folder: Path) -> None:
    """`folder` and its missing parents, each new one `FOLDER_MODE` (mkdir's mode is cut by the umask: chmod).
    Folders already there are left as they are (out/ itself is the operator's, and see `open_folders`)."""
    if os.path.isdir(folder):
        return
    if folder.parent != folder:
        make_folders(folder.parent)
    try:
        os.mkdir(folder)
    except FileExistsError:
        if os.path.isdir(folder):  # made meanwhile by another publisher (a CLI publish beside the daemon)
            return
        raise
    os.chmod(folder, FOLDER_MODE)


def open_folders(out: Path, published: Iterable[str]) -> list[str]:
    """Give `FOLDER_MODE` back to the folders of the files published earlier that no one but their owner may enter
    (0700: made under `umask 077` by a version that left mkdir's mode to the umask), as those files are never
    written again unless they change. A folder that others may read in part (0750: a web server in the group) is
    someone's choice and left. Run by the first publish of each process; returns the folders opened."""
    folders: set[str] = set()
    for path in published:
        folder = os.path.dirname(path)
        while folder and folder not in folders:
            folders.add(folder)
            folder = os.path.dirname(folder)
    opened: list[str] = []
    for folder in sorted(folders):
        full = os.path.join(out, folder)
        try:
            st = os.stat(full, follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode) and not st.st_mode & 0o077 and st.st_uid == os.geteuid():
                os.chmod(full, FOLDER_MODE)
                opened.append(folder)
        except OSError:
            continue
    if opened:
        log.warning(
            "made %d folder(s) of %s readable by the web server again (they were 0700): %s",
            len(opened),
            out,
            opened[:5],
        )
    return opened


def make_out(out: Path) -> None:
    """out/ made if missing (deleted while the daemon runs: the next publish writes it whole again); one that is
    a file, or cannot be made, is a PublishError naming it."""
    try:
        make_folders(out)
    except FileExistsError as e:
        raise PublishError("the published folder is not a folder: move the file away", path=str(out)) from e
    except OSError as e:
        raise PublishError(f"cannot create the published folder: {e.strerror or e}", path=str(out)) from e


def _prune_empty_dirs(folder: Path, root: Path) -> None:
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
