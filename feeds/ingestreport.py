"""What an ingest round reports: each input's outcome (`IngestOutcome`) and the round's (`IngestReport`).

    RawRelease ──normalise──► Release ──store──► IngestOutcome… ──► IngestReport ──► `feeds ingest`, push API, status

Made by `feeds.ingest`, read by `feeds ingest` (`feeds.cli.releases`) and the push API (`feeds.web.api`, its
answers' JSON by `feeds.serialise`). Part of the vocabulary, like `feeds.model` (the records of the
releases themselves, the watch's records), kept apart to keep that module small: this module imports nothing of
ours but `feeds.records`, and holds no behaviour beyond naming and summing up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from feeds.records import pickled_by_fields

IngestStatus = Literal["created", "updated", "unchanged", "rejected"]


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What happened to one input (a file, a pushed body, a remote item)."""

    origin: str
    status: IngestStatus
    release_id: str | None = None
    slug: str | None = None
    error: str | None = None
    moved_to: str | None = None
    warning: str | None = None
    """Stored, but worth a look (a release replaced by one that looks like another release)."""
    slug_kept: str | None = None
    """Why the release's slug is not the `slug` this version asked for (a release keeps its slug once assigned):
    said once per version sent, apart from `warning`, so that the push API answers it under the field `slug`."""
    held_since: datetime | None = None
    """When the release was withdrawn by hand, when this copy from its source left it withdrawn (which `warning`
    says): a remote source reminds of it at most once a day (`feeds.ingest.remote_json`)."""


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class IngestReport:
    outcomes: tuple[IngestOutcome, ...] = field(default_factory=tuple)
    waiting: int = 0
    """Inbox files left for a later run because they were still changing (`run_ingest`'s `quiet`)."""
    unreadable: tuple[str, ...] = ()
    """Sources that could not be read at all (a folder missing or refused, a remote source's document failing
    with an HTTP error or not being JSON): not rejected files (no outcome), but `feeds ingest` exits 1."""
    why: tuple[str, ...] = ()
    """Why, for each of `unreadable`: what a failed round reports."""
    stuck: tuple[str, ...] = ()
    """Files read (stored or rejected) that could not be moved out of their drop folder, one line per folder and
    reason, saying what to do: a drop folder that does not empty fails the round, and `feeds ingest` exits 1."""
    folders: tuple[str, ...] = ()
    """Folders found in a folder source `run_ingest` read, whose files are therefore not read, one line each
    saying what to do (`feeds.ingest.folder.folder_note`): a warning, not a failure; the folder stays where it is."""
    read_in_part: tuple[str, ...] = ()
    """Remote sources whose document lists more results than their `max_pages` pages held, one line each saying so
    (`feeds.ingest.remote_pages`): a warning, not a failure."""

    def count(self, status: IngestStatus) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def changed(self) -> bool:
        return any(o.status in ("created", "updated") for o in self.outcomes)

    def failure(self) -> str | None:
        """Why the round failed (a source not read at all, a drop folder that does not empty), one line, or None.
        Each source named once: a folder's reason names its source already, a remote source's HTTP error does not."""
        failures = [
            why if f"source {name!r}" in why else f"could not read source {name!r}: {why}"
            for name, why in zip(self.unreadable, self.why, strict=True)
        ]
        failures += self.stuck
        return "; ".join(failures) or None
