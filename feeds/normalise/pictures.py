"""Pictures a release shows by a path relative to its file: which ones it names, and their published addresses.

    local_picture_refs(raw)            the paths its body's images (and its lead `image`) name relative to its file
    with_pictures(body_html, raw, …)   the body with those images at their published addresses (`Picture.path`)
    lead_picture(raw, base_url)        the address of the picture its lead `image` names so (`image: arrival.jpg`)

A release without a `link` has its relative URLs resolved against the site (`body.render_body`): a picture saved
beside the release file (`![The Foreign Secretary at the airport](arrival.jpg)`) would be an address on the site
where nothing is published. To tell such a picture from the other images, the body is rendered once more against
a base of our own (`RELEASE_FOLDER`): an image found under it was named relative to the file; its path there is the
file to read. The two renderings come from the same input, so their images come in the same order, which is how
each picture's image is found in the body as published.

What this module must not do: read a file (the ingest reads the pictures), or change an image the release did not
name by a relative path (an absolute URL, one resolved against its `link`, a `data:` URL).
"""

from __future__ import annotations

import html
import re
from urllib.parse import unquote, urljoin, urlsplit

from feeds.model import RawRelease
from feeds.normalise.body import render_body
from feeds.normalise.text import nfc, xml_safe
from feeds.pictures import Picture

__all__ = ["RELEASE_FOLDER", "lead_picture", "local_picture_refs", "picture_url", "with_pictures"]

RELEASE_FOLDER = "https://release-folder.invalid/release/"
"""The base a body is rendered against to find the images named relative to its file (`.invalid`: RFC 2606, never
a real host). An image named from the site's root (`/media/map.png`) or above the file's folder (`../map.png`)
resolves outside its path: it is no file dropped with the release, and is left as it was."""

_IMG_SRC = re.compile(r'(<img\b[^>]*?\ssrc=")([^"]*)(")([^>]*>)')
"""An image's `src` in sanitised HTML (attributes always double-quoted there)."""


_IMG_TAG = re.compile("<img", re.IGNORECASE)


def _may_show_pictures(raw: RawRelease) -> bool:
    body = raw.body or ""
    # (`_IMG_TAG.search`, not `"<img" in body.lower()`: no copy of every body read; and only where a tag may be:
    # a search ignoring case is a regex scan of every character, a "<" is found at C speed)
    return (
        raw.link is None
        and raw.body_format != "text"
        and (("[" in body and "![" in body) or ("<" in body and _IMG_TAG.search(body) is not None))
    )


def local_picture_refs(raw: RawRelease) -> tuple[str, ...]:
    """The paths, relative to the release's file, of the images its body names so (`arrival.jpg`,
    `images/arrival.jpg`, `my%20photo.jpg` as `my photo.jpg`), each once, in the body's order. None for a release
    with a `link` (its relative URLs are the page's, resolved against it) or a plain-text body (which shows no
    images)."""
    found: dict[str, None] = {}
    for src in _image_sources(raw) if _may_show_pictures(raw) else ():
        if (path := _in_release_folder(src)) is not None:
            found.setdefault(path, None)
    if (lead := _image_ref(raw)) is not None:
        found.setdefault(lead, None)
    return tuple(found)


def _image_ref(raw: RawRelease) -> str | None:
    """The path the lead `image` names relative to the release's file (front matter `image: arrival.jpg`), or None
    (an absolute URL, or a release with a `link`, against which it is resolved)."""
    value = (raw.image or "").strip()
    if raw.link is not None or not value or urlsplit(value).scheme or value.startswith("//"):
        return None
    return _in_release_folder(urljoin(RELEASE_FOLDER, value))


def lead_picture(raw: RawRelease, base_url: str) -> str | None:
    """The published address of the picture the lead `image` names relative to the release's file, or None."""
    ref = _image_ref(raw)
    picture = next((p for p in raw.pictures if p.ref == ref), None) if ref is not None else None
    return picture_url(base_url, picture) if picture is not None else None


def _in_release_folder(src: str) -> str | None:
    """The path of the file an image's `src` (resolved against `RELEASE_FOLDER`) names in the release's folder, or
    None when it names none (an address elsewhere, the folder itself)."""
    if not src.startswith(RELEASE_FOLDER):
        return None
    path = unquote(src.removeprefix(RELEASE_FOLDER).partition("?")[0].partition("#")[0])
    return path if path and not path.endswith("/") else None


def _image_sources(raw: RawRelease) -> list[str]:
    body_html, _ = render_body(xml_safe(raw.body or ""), raw.body_format, None, RELEASE_FOLDER)
    return [html.unescape(m[2]) for m in _IMG_SRC.finditer(body_html)]


def picture_url(base_url: str, picture: Picture) -> str:
    """Where `picture` is published on the site at `base_url`."""
    return base_url + picture.path


def with_pictures(body_html: str, raw: RawRelease, base_url: str) -> tuple[str, str | None]:
    """`body_html` (rendered against `base_url`) with each of `raw.pictures` shown from its published address, and
    the address of the first picture it shows (the lead image when the release names none), or None."""
    if not raw.pictures or not _may_show_pictures(raw):
        return body_html, None
    # (by their names in NFC: the body is read in NFC before it is rendered, a file's name is as it is on disk,
    # which macOS writes decomposed, "Cafe" + U+0301)
    by_ref = {nfc(p.ref): p for p in raw.pictures}
    ours: list[Picture | None] = []
    for src in _image_sources(raw):
        path = _in_release_folder(src)
        ours.append(by_ref.get(nfc(path)) if path is not None else None)
    first: list[str] = []
    images = iter(ours)

    def published(m: re.Match[str]) -> str:
        picture = next(images, None)
        if picture is None:
            return m[0]
        url = picture_url(base_url, picture)
        if not first:
            first.append(url)
        # (its size in pixels, from its header: the page keeps its place while it loads, and the sharing tags
        # read it from here, as they read its `alt`)
        rest = m[4].removesuffix(">").removesuffix("/").rstrip()
        size = f' width="{picture.width}" height="{picture.height}"'
        return f"{m[1]}{html.escape(url, quote=True)}{m[3]}{rest}{size}>"

    return _IMG_SRC.sub(published, body_html), (first[0] if first else None)
