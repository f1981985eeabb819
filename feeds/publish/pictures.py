"""The pictures the site's releases show, as publish jobs: `out/pictures/<hash>.<ext>`, byte for byte as stored (as
dropped, less their private metadata: `feeds.picturemeta`).

    picture_jobs(releases, base_url, stored, load)  a job per picture a shown release's body or lead `image` names

A picture is named by its bytes (`Picture.path`), so its job's fingerprint is its hash: it is written once, and
again only when lost from out/. A picture no shown release names any more (its release taken down, or edited to
show another) has no job, and the writer removes it from out/ as it removes any file a publish no longer makes. Its
bytes come from the store (`load`), read only when the file must be written: every machine publishing from
one database writes the same files.

What this module must not do: read or write a file (the writer writes), or check a picture (the ingest did).
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Mapping, Sequence

from feeds.errors import PublishError
from feeds.model import Release
from feeds.pictures import PATH_HASH, PICTURE_EXTENSIONS, StoredPicture
from feeds.publish.planjobs import Job
from feeds.publish.spec import RenderedFile

__all__ = ["picture_jobs", "pictures_shown"]

_EXTENSIONS = "|".join(sorted(set(PICTURE_EXTENSIONS.values())))


def pictures_shown(releases: Sequence[Release], base_url: str) -> list[str]:
    """The published paths (`pictures/<hash>.<ext>`) of the pictures `releases` show in their bodies or as their
    lead image, each once, sorted (the same releases give the same jobs, in the same order)."""
    return sorted({path for r in releases for path in release_pictures(r, base_url)})


def release_pictures(r: Release, base_url: str) -> tuple[str, ...]:
    """The published paths of the pictures `r` shows (its body's, then its lead image), as `pictures_shown`
    finds them (`ArchiveIndex` keeps them per release, so that a plan does not search 40,000 bodies again)."""
    in_body, as_image = _patterns(base_url)
    found: list[str] = []
    if "pictures/" in r.body_html:
        found.extend(in_body.findall(r.body_html))
    if r.image and (m := as_image.fullmatch(r.image)):
        found.append(m[1])
    return tuple(found)


@functools.lru_cache(maxsize=8)
def _patterns(base_url: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    in_body = re.compile(
        rf'="{re.escape(html.escape(base_url, quote=True))}(pictures/[0-9a-f]{{{PATH_HASH}}}\.(?:{_EXTENSIONS}))"'
    )
    as_image = re.compile(rf"{re.escape(base_url)}(pictures/[0-9a-f]{{{PATH_HASH}}}\.(?:{_EXTENSIONS}))")
    return in_body, as_image


def picture_jobs(
    releases: Sequence[Release],
    base_url: str,
    stored: Callable[[], Mapping[str, StoredPicture]],
    load: Callable[[str], bytes | None],
    shown: Sequence[str] | None = None,
) -> list[Job]:
    """A job for each stored picture `releases` show (`stored()`: the stored pictures by the hash part of their
    name, asked only when a release shows one); `load(sha256)`: its bytes. A name no stored picture has (typed by
    hand into a release pushed as JSON) makes no job. `shown`: `pictures_shown(releases, base_url)` when the caller
    has it already (the plan's `ArchiveIndex.pictures`)."""
    shown = pictures_shown(releases, base_url) if shown is None else shown
    known = stored() if shown else {}
    jobs = []
    for path in shown:
        picture = known.get(path.removeprefix("pictures/")[:PATH_HASH])
        if picture is None:
            continue
        jobs.append(
            Job(
                key=f"picture:{path}",
                paths=(path,),
                fingerprint=picture.sha256,
                render=lambda path=path, sha=picture.sha256: _render(path, sha, load),  # type: ignore[misc]
            )
        )
    return jobs


def _render(path: str, sha256: str, load: Callable[[str], bytes | None]) -> tuple[RenderedFile, ...]:
    data = load(sha256)
    if data is None:  # (never deleted from the store: a database restored from an older copy)
        raise PublishError(f"the picture's bytes (SHA-256 {sha256}) are not in the database", path=path)
    return (RenderedFile(path=path, data=data),)
