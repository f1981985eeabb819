"""Google Docs' web page export, read from the .zip it downloads: the page and the pictures of its `images/` folder.

    exported_page(data, origin)   the page and pictures of a Google Docs export, None for any other zip (refused
                                  with advice by `formats`), InvalidReleaseError for a hostile or damaged one

Google Docs' only HTML download ("File > Download > Web page (.html, zipped)") is a .zip of `<Title>.html` and an
`images/` folder of the pictures it shows (`images/image1.png`, `images/image2.jpg`…). Dropped as it downloaded,
it is that page, with those pictures dropped with it (`pictures.with_picture_files(…, archive=…)`: checked,
cleaned and stored as any), and never the pictures of an `images/` folder of the drop folder, which every such
export would name alike. Recognised by its shape (one page at the top, nothing but pictures beside it, in
`images/`) and by Google Docs' marks in the page (`htmlmeta.is_google_docs`); any other zip is no export.

The same export unzipped and zipped again on macOS is that export too: Finder's "Compress" adds, for each file and
folder, its resource fork as `__MACOSX/<its path>/._<its name>` (an AppleDouble file) and `__MACOSX/` folders to
hold them, which are ignored (never decompressed, nor counted towards `MAX_MEMBERS`: `MAX_ZIP_MEMBERS` bounds
them) when each is the twin of a member of the archive, and zips the folder Archive Utility unzipped the download
into when that folder is what was compressed (one folder holding the whole export, read as its top).

An archive is whoever made it's description of files: everything is read in memory (nothing is unpacked on
disk), and what it declares is checked before anything is decompressed: its size and number of members (from its
end record, before `zipfile` reads the directory), each member's name (nothing outside the archive, no backslash,
no name twice), kind (no link, no zip inside, nothing encrypted, deflate or stored only: a bzip2 or LZMA member
is decompressed by `zipfile` without a bound on each step) and declared size, the pictures' total, the ratio of
sizes (a bomb); then each member is read in steps, never past its limit nor its compressed size's hundredfold,
whatever its header said.

What this module must not do: write a file, or decompress a member past its limit.
"""

from __future__ import annotations

import io
import re
import stat
import struct
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

from feeds.errors import FeedsError, InvalidReleaseError
from feeds.ingest.decode import decode_text
from feeds.ingest.htmlchrome import EXPORT_IMAGES
from feeds.ingest.htmlmeta import is_google_docs
from feeds.ingest.htmlpage import parse_html
from feeds.ingest.pictures import MAX_PICTURE_BYTES, MAX_SHOWN_BYTES, is_picture_name

__all__ = [
    "EXPORT_IMAGES",
    "MAX_MEMBERS",
    "MAX_PAGE_BYTES",
    "MAX_RATIO",
    "MAX_ZIP_MEMBERS",
    "ExportedPage",
    "exported_page",
]

MAX_MEMBERS = 200
"""An export is a page and its pictures: a document of a few dozen pictures is a long one. Finder's `__MACOSX/`
members do not count (`MAX_ZIP_MEMBERS` bounds them)."""

MAX_ZIP_MEMBERS = 2 * MAX_MEMBERS + 8
"""The zip's members, `__MACOSX/` ones included, at most: Finder adds a fork for each file, a fork and a twin
folder for each folder, and `__MACOSX/` itself, so an export of `MAX_MEMBERS` zipped again by Finder holds some
twice as many. Counted from the end record before `zipfile` reads the directory, so a zip of 100,000 forks is
refused unread: the forks are never decompressed, but reading a directory of so many costs memory."""

MAX_PAGE_BYTES = 20 * 1024 * 1024
"""The page, at most as large as a release file (`units.MAX_FILE_BYTES`, which this module cannot import)."""

MAX_RATIO = 100
"""A member that decompresses to more than this many times its compressed size, past `_RATIO_FROM` bytes, is a
bomb: pictures are compressed already (a ratio near 1) and Google Docs' page about 5 to 10 times."""

_RATIO_FROM = 1024 * 1024
_DIRECTORY_ENTRY = 46 + 1024
"""The most a member's entry in the central directory takes (its fixed part, a name, extra fields) to count."""
_STEP = 64 * 1024
_DRIVE = re.compile(r"[A-Za-z]:")


@dataclass(frozen=True, slots=True)
class ExportedPage:
    """A Google Docs export: its page's name and bytes, and the bytes of its pictures by their path in the zip
    (`images/image1.png`), as the page names them."""

    page_name: str
    page: bytes
    pictures: Mapping[str, bytes]


def exported_page(data: bytes, origin: str) -> ExportedPage | None:
    """The Google Docs web page export the zip `data` (the file `origin`) holds; None when it holds anything
    else, or cannot be read as a zip. InvalidReleaseError, naming the zip and the member, for one refused."""
    if (count := _declared_members(data)) is None:
        return None
    if count > MAX_ZIP_MEMBERS:
        raise _refused(_too_many(f"more than {MAX_ZIP_MEMBERS}"), origin)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        return None  # (refused by `formats` as a zip that cannot be read)
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise _refused(_too_many(f"{len(infos)}, more than {MAX_ZIP_MEMBERS},"), origin)
        if (own := sum(not info.filename.startswith(_FORKS) for info in infos)) > MAX_MEMBERS:
            raise _refused(_too_many(f"{own}, more than {MAX_MEMBERS},", forks=own < len(infos)), origin)
        _no_hostile_member(infos, origin)
        shape = _shape(_within_top_folder(_without_forks(infos)))
        if shape is None:
            return None
        (page_info, page_name), pictures_named = shape
        picture_infos = [info for info, _ in pictures_named]
        _no_size_past_limits(page_info, picture_infos, origin)
        page = _read(archive, page_info, MAX_PAGE_BYTES, origin)
        if not _by_google_docs(page, origin):
            return None
        pictures: dict[str, bytes] = {}
        total = 0
        for info, name in pictures_named:
            pictures[name] = picture = _read(archive, info, MAX_PICTURE_BYTES, origin)
            total += len(picture)
            if total > MAX_SHOWN_BYTES:
                raise _refused(_past_total(), origin)
    return ExportedPage(page_name=page_name, page=page, pictures=pictures)


def _declared_members(data: bytes) -> int | None:
    """The number of members the zip's end record declares, or how many its central directory's size could hold
    if more (`zipfile` reads the directory by its size, whatever the count); None without an end record (no
    zip). A record deferring to a Zip64 one (0xFFFF, 0xFFFFFFFF) is read through that one."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65535))
    if at < 0 or at + 22 > len(data):
        return None
    entries: int
    size: int
    entries, size = struct.unpack("<HI", data[at + 10 : at + 16])
    if entries == 0xFFFF or size == 0xFFFFFFFF:
        locator = at - 20
        if locator < 0 or data[locator : locator + 4] != b"PK\x06\x07":
            return None  # (zipfile cannot read it either)
        (record,) = struct.unpack("<Q", data[locator + 8 : locator + 16])
        if record + 56 > len(data) or data[record : record + 4] != b"PK\x06\x06":
            record = locator - 56  # (the record just before its locator: an archive with data before its start)
            if record < 0 or data[record : record + 4] != b"PK\x06\x06":
                return None
        entries, size = struct.unpack("<QQ", data[record + 32 : record + 48])
    return max(entries, -(-size // _DIRECTORY_ENTRY))


def _no_hostile_member(infos: list[zipfile.ZipInfo], origin: str) -> None:
    """InvalidReleaseError for the first member that could not be unpacked safely, whatever the archive is."""
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        parts = name.rstrip("/").split("/")
        if "\\" in name:
            raise _refused("its name holds a backslash (a Windows path): not a name in a web page export", origin, name)
        if name.startswith("/") or _DRIVE.match(name) or ".." in parts or "" in parts or "." in parts:
            raise _refused("its name leads outside the archive's folder", origin, name)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _refused("a symbolic link, never followed", origin, name)
        if info.flag_bits & 0x1:
            raise _refused("encrypted (protected by a password): zip it again without one", origin, name)
        if name.lower().endswith(".zip"):
            raise _refused("a zip archive inside the zip: drop the releases themselves", origin, name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refused("compressed by another method than deflate: zip it again as usual", origin, name)
        key = unicodedata.normalize("NFC", name).casefold()
        if key in seen:
            raise _refused("this name is in the archive twice (unpacked, one would replace the other)", origin, name)
        seen.add(key)


_Named = tuple[zipfile.ZipInfo, str]
"""A member and its name within the export (its path in the zip, less the folder holding the export, if any)."""
_FORKS = "__MACOSX/"


def _without_forks(infos: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    """The members but the resource forks Finder adds (`__MACOSX/a/._b`, the fork of the member `a/b`, and the
    `__MACOSX/` folders of those); a `__MACOSX/` member that is no member's twin is kept (and so no export)."""
    own: set[str] = set()
    for info in infos:
        if not info.filename.startswith(_FORKS):
            parts = info.filename.rstrip("/").split("/")
            own.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    kept = []
    for info in infos:
        name = info.filename
        if name.startswith(_FORKS):
            path = name[len(_FORKS) :].rstrip("/")
            folder, _, base = path.rpartition("/")
            if info.is_dir() and (not path or path in own):
                continue
            if not info.is_dir() and base.startswith("._") and f"{folder}/{base[2:]}".lstrip("/") in own:
                continue
        kept.append(info)
    return kept


def _within_top_folder(infos: list[zipfile.ZipInfo]) -> list[_Named]:
    """The members by their names within the export: as they are, or, when one folder holds them all (the folder
    Archive Utility unzipped the download into, compressed again), without that folder's name."""
    tops = {info.filename.split("/", 1)[0] for info in infos}
    if len(tops) != 1 or not all("/" in info.filename for info in infos):
        return [(info, info.filename) for info in infos]
    cut = len(tops.pop()) + 1
    return [(info, info.filename[cut:]) for info in infos if info.filename[cut:]]


def _shape(members: list[_Named]) -> tuple[_Named, list[_Named]] | None:
    """(the page, the pictures) of an export's shape: one web page at the top, nothing else but pictures in
    `images/`; None for any other archive."""
    pages: list[_Named] = []
    pictures: list[_Named] = []
    for info, name in members:
        if info.is_dir():
            if name != f"{EXPORT_IMAGES}/":
                return None
        elif "/" not in name and name.lower().endswith((".html", ".htm")):
            pages.append((info, name))
        elif name.startswith(f"{EXPORT_IMAGES}/") and name.count("/") == 1 and is_picture_name(name):
            pictures.append((info, name))
        else:
            return None
    return (pages[0], pictures) if len(pages) == 1 else None


def _no_size_past_limits(page: zipfile.ZipInfo, pictures: list[zipfile.ZipInfo], origin: str) -> None:
    """InvalidReleaseError when a member's declared size, the pictures' together or a member's ratio of sizes is
    past its limit: checked before anything is decompressed."""
    for info, limit in [(page, MAX_PAGE_BYTES), *((p, MAX_PICTURE_BYTES) for p in pictures)]:
        if info.file_size > limit:
            raise _refused(_too_large(limit, info is page), origin, info.filename)
    if sum(p.file_size for p in pictures) > MAX_SHOWN_BYTES:
        raise _refused(_past_total(), origin)
    for info in (page, *pictures):
        if info.file_size > _RATIO_FROM and info.file_size > MAX_RATIO * info.compress_size:
            raise _refused(_bomb(info.file_size, info.compress_size), origin, info.filename)


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, origin: str) -> bytes:
    """The member's bytes, read in steps and stopped past `limit` or past `MAX_RATIO` times its compressed size
    (whatever its header declared: `zipfile` stops at the declared size, and its CRC then fails)."""
    chunks: list[bytes] = []
    got = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(_STEP):
                got += len(chunk)
                if got > limit:
                    raise _refused(_too_large(limit, limit == MAX_PAGE_BYTES), origin, info.filename)
                if got > _RATIO_FROM and got > MAX_RATIO * info.compress_size:
                    raise _refused(_bomb(got, info.compress_size), origin, info.filename)
                chunks.append(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError) as e:
        raise _refused(
            f"damaged, or its header does not tell its true size ({e}): download the document again",
            origin,
            info.filename,
        ) from e
    return b"".join(chunks)


def _by_google_docs(page: bytes, origin: str) -> bool:
    """Whether the page bears Google Docs' marks (its body's class, its lists' or fonts' style sheet)."""
    try:
        return is_google_docs(parse_html(decode_text(page, origin, html=True), origin))
    except FeedsError:
        return False  # (not Google's, which writes UTF-8 HTML: refused with the advice for any zip)


def _refused(why: str, origin: str, member: str | None = None) -> InvalidReleaseError:
    what = f"the member '{member}' of the zip archive" if member is not None else "the zip archive"
    return InvalidReleaseError(f"{what}: {why}; the archive was not unpacked", origin=origin)


def _too_many(count: str, forks: bool = False) -> str:
    besides = " besides the `__MACOSX/` ones macOS adds" if forks else ""
    return (
        f"it holds {count} files{besides}, too many for a web page and its pictures (a zip of releases: unzip it"
        " and drop the releases it holds)"
    )


def _too_large(limit: int, page: bool) -> str:
    what = "page" if page else "picture"
    advice = "" if page else ": resize it for the web"
    return f"larger than {limit // (1024 * 1024)} MiB, too large for a {what}{advice}"


def _past_total() -> str:
    return (
        f"its pictures add up to more than {MAX_SHOWN_BYTES // (1024 * 1024)} MiB; resize them for the web (a"
        " picture on a page needs a few hundred KB)"
    )


def _bomb(size: int, compressed: int) -> str:
    return (
        f"it would decompress to {size:,} bytes from {compressed:,}, more than {MAX_RATIO} times its compressed size:"
        " no picture or page is compressed so much (a zip bomb)"
    )
