"""The records of the pictures dropped with releases: a picture as read (`Picture`) and as stored (`StoredPicture`).

    picture file ──ingest──► Picture (in RawRelease, Release) ──store──► pictures table ──publish──► out/pictures/

Part of the vocabulary of `feeds.model` (which imports it), kept apart to keep that module small. Like it, this
module imports nothing of ours and holds no behaviour beyond naming.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from feeds.records import pickled_by_fields


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Picture:
    """A picture file dropped with its release and shown in its body (`![alt](arrival.jpg)`, `<img src=…>`): read
    and checked by the ingest (`feeds.ingest.pictures`), stored by its bytes, published under `out/pictures/`."""

    ref: str
    """Its path as the release names it, relative to the release file's folder (`images/arrival.jpg`)."""
    sha256: str
    media_type: str
    """`image/jpeg`, `image/png`, `image/gif` or `image/webp`: read from its bytes, never from its name."""
    width: int
    height: int
    data: bytes = field(repr=False, compare=False)
    read_as: tuple[int, int, int, int] | None = field(default=None, repr=False, compare=False)
    """The file as it was read (device, inode, size, modification time in ns), for the ingest's move: not stored."""

    @property
    def path(self) -> str:
        """Where it is published in out/: named by its bytes, so that a changed picture is a new address (caches
        and ETags never serve the old one under the new name)."""
        return f"pictures/{self.sha256[:PATH_HASH]}.{PICTURE_EXTENSIONS[self.media_type]}"


PATH_HASH = 32
"""Hex digits of a picture's SHA-256 in its published name (128 bits: no two pictures share one)."""


PICTURE_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}
"""The extension a picture is published under, by its type."""


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class StoredPicture:
    """A stored picture as the publish needs to know it, without its bytes (`Store.stored_pictures`)."""

    sha256: str
    media_type: str
    width: int
    height: int
