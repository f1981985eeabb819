"""Release files → `RawRelease` records: pick the format by extension, decode, parse. Pure.

    bytes ──decode_text──► str ──by extension──► .txt/.text   textfile.release_from_text
                                                .md/.markdown markdownfile.release_from_markdown (front matter:
                                                              frontmatter.py)
                                                .html/.htm    htmlpage.release_from_html (article extraction)
                                                .json         our schema (schema.py) or a GOV.UK content item
                                                              (govuk.py); one object or a list of them

A file is all or nothing: the first problem raises `InvalidReleaseError` naming the file (and, for a list,
the item: `path#2`), the field and, where known, the line. Nothing here raises anything else for bad input:
an exception of another type is a bug.

What this module must not do: any I/O (the caller hands us the bytes and the name), read the clock, or
normalise (dates, HTML, slugs and summaries are `feeds.normalise`'s job).
"""

from __future__ import annotations

import io
import json
import re
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import replace

from feeds.errors import FeedsError, InvalidReleaseError
from feeds.ingest.decode import decode_text
from feeds.ingest.govuk import is_govuk_content_item, release_from_govuk
from feeds.ingest.htmlpage import release_from_html
from feeds.ingest.markdownfile import release_from_markdown
from feeds.ingest.schema import JSON_SCHEMA_FIELDS, FieldSpec, release_from_json
from feeds.ingest.textfile import release_from_text
from feeds.model import RawRelease
from feeds.normalise.ids import identity_of, release_slug, under_any_form

__all__ = [
    "EXTENSIONS",
    "JSON_SCHEMA_FIELDS",
    "DuplicateKeys",
    "FieldSpec",
    "decode_text",
    "parse_release_file",
    "release_from_json",
    "release_from_object",
    "releases_from_json_text",
    "releases_from_json_value",
]

EXTENSIONS: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
}
"""Accepted file extensions (lower case) and the format each one means."""
_DOCUMENTS = frozenset({".rtf", ".rtfd", ".doc", ".docx", ".odt", ".pages", ".wpd"})
"""Word processors' own formats, refused with a word on how to export the release instead."""
_ADVICE = {
    **dict.fromkeys(
        (".mht", ".mhtml"),
        "a single-file web page (Word's 'Single File Web Page'): save it as 'Web Page, Filtered' (.htm) instead",
    ),
    **dict.fromkeys(
        (".msg", ".eml"),
        "an e-mail message as its mail program keeps it (Outlook's, dragged out of it): open it and save it as HTML"
        " (Outlook: File > Save As > HTML), or copy the release into a file of its own",
    ),
    ".pdf": "a PDF, made for print: drop the document it was made from, saved as a web page (.html) or plain text",
}
"""Other files a press office drops by mistake, refused saying what to drop instead."""


def parse_release_file(
    data: bytes, name: str, *, source: str, origin: str, saved_folder: str | None = None
) -> tuple[RawRelease, ...]:
    """Parse one release file. `name` (its file name) picks the format; `origin` names it in errors.
    `saved_folder`: for a web page, the name of its `<name>_files/` folder when it was dropped beside it (its
    images there are pictures dropped with the release, not left out)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = base.rpartition(".")
    extension = f".{suffix.lower()}" if dot and stem else ""
    kind = EXTENSIONS.get(extension)
    if kind is None:
        accepted = ", ".join(EXTENSIONS)
        what = f"the extension '{extension}' is not a release format" if extension else "the name has no extension"
        if extension in _DOCUMENTS:
            what += (
                " (a word processor's document: save it as a web page (.html) or as plain text (.txt) and drop that"
                " file: Word: File > Save As > Web Page, Filtered; LibreOffice: File > Save As > HTML Document;"
                " Google Docs: File > Download > Web page, and drop the .zip as it downloaded; TextEdit: Format > Make"
                " Plain Text)"
            )
        elif extension == ".zip":
            what = zip_advice(data)
        elif extension in _ADVICE:
            what += f" ({_ADVICE[extension]})"
        raise InvalidReleaseError(
            f"cannot read '{base}': {what}; accepted extensions are {accepted}",
            origin=origin,
            source=source,
        )
    text = decode_text(data, origin, html=kind == "html")
    if kind == "text":
        return (release_from_text(text, source=source, origin=origin),)
    if kind == "markdown":
        return (release_from_markdown(text, source=source, origin=origin),)
    if kind == "html":
        return (release_from_html(text, source=source, origin=origin, saved_folder=saved_folder),)
    return releases_from_json_text(text, source=source, origin=origin)


def zip_advice(data: bytes) -> str:
    """What to do with a zip archive dropped as a release that is no Google Docs web page export (one is read as
    its page, with its pictures: `zipexport`, before this module is asked): unzip it. A page is named, to be
    dropped with the pictures it shows beside it. Only the archive's list of names is read (nothing is unpacked)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        return "not a zip archive that can be read (its name ends in .zip): drop the release itself"
    pages = [n for n in names if "/" not in n and n.lower().endswith((".html", ".htm"))]
    if len(pages) == 1:
        return (
            f"a zip archive holding the page '{pages[0]}', but not as Google Docs' File > Download > Web page (.html,"
            " zipped) makes one (only such a zip is read, as it downloaded): unzip it and drop the page it holds,"
            " with the pictures it shows beside it"
        )
    return "a zip archive: unzip it and drop the releases it holds"


def releases_from_json_text(text: str, *, source: str, origin: str) -> tuple[RawRelease, ...]:
    """Parse JSON text holding one release object or a list of them."""
    if not text.strip().strip("\ufeff"):
        raise InvalidReleaseError("the file is empty: it should hold a release object or a list of them", origin=origin)
    reading = _READING  # (this thread's decoder)
    duplicates = reading.duplicates
    duplicates.found = False
    try:
        if text.startswith("\ufeff"):  # (what `json.loads` refuses before decoding)
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        value = reading.decoder.decode(text)
    except json.JSONDecodeError as e:
        if (comma := _trailing_comma(text, e.pos)) is not None:
            line = text.count("\n", 0, comma) + 1
            raise InvalidReleaseError(
                f"not valid JSON: a comma after the last item (column {comma - text.rfind(chr(10), 0, comma)}): "
                "JSON allows none before a closing '}' or ']'",
                origin=origin,
                line=line,
            ) from e
        raise InvalidReleaseError(f"not valid JSON: {e.msg} (column {e.colno})", origin=origin, line=e.lineno) from e
    except InvalidReleaseError as e:  # from the constants' hook (it is also a ValueError), which knows no file
        raise InvalidReleaseError(e.message, origin=origin) from e
    except ValueError as e:  # an integer beyond Python's limit of 4,300 digits
        raise InvalidReleaseError("not usable JSON: it holds a number thousands of digits long", origin=origin) from e
    except RecursionError as e:
        raise InvalidReleaseError("not usable JSON: nested too deeply", origin=origin) from e
    if (twice := duplicates.first(value)) is not None:
        index, key = twice
        where = origin if index is None else f"{origin}#{index}"
        raise InvalidReleaseError("appears twice in one object", origin=where, field=key)
    try:
        return releases_from_json_value(value, source=source, origin=origin)
    except InvalidReleaseError as e:
        raise at_json_line(e, text) from None


def releases_from_json_value(value: object, *, source: str, origin: str) -> tuple[RawRelease, ...]:
    """One release for an object; one per item, with origins `origin#0`, `origin#1`…, for a list."""
    if isinstance(value, list):
        if not value:
            raise InvalidReleaseError("the JSON list holds no release", origin=origin)
        raws = tuple(
            release_from_object(item, source=source, origin=f"{origin}#{index}") for index, item in enumerate(value)
        )
        _no_twins(raws, origin)
        return _named_by_title(raws)
    return (release_from_object(value, source=source, origin=origin),)


def at_json_line(error: InvalidReleaseError, text: str) -> InvalidReleaseError:
    """`error`, about a field of a release of the JSON `text`, with that field's line in the text when it had none.
    Found only for an error: reading every key's line (`json_key_lines`) costs a sixth of reading a release."""
    if error.field is None or error.line is not None or error.origin is None:
        return error
    _, mark, index = error.origin.rpartition("#")  # `origin#3`: the fourth object of a list
    line = json_key_lines(text).get(int(index) if mark and index.isdigit() else None, {}).get(error.field)
    if line is None:
        return error
    return InvalidReleaseError(error.message, origin=error.origin, field=error.field, line=line, source=error.source)


def located(error: FeedsError, data: bytes, name: str) -> FeedsError:
    """`error`, met reading or normalising the release file `name` (its bytes `data`), with the line of the field
    it names when the file is JSON and the error had none (`at_json_line`): the normaliser's errors (a date, a
    language) are found after the text is gone."""
    if not isinstance(error, InvalidReleaseError) or not name.lower().endswith(".json"):
        return error
    try:
        text = decode_text(data, error.origin or name)
    except FeedsError:
        return error
    return at_json_line(error, text)


def _trailing_comma(text: str, position: int) -> int | None:
    """The offset of the comma before a closing bracket where the JSON parser stopped, as JavaScript and Python
    allow it and hand-written JSON has it; None for another mistake."""
    if text[position : position + 1] not in ("}", "]"):
        return None
    before = text[:position].rstrip()
    return len(before) - 1 if before.endswith(",") else None


# A string as one run of plain characters between escapes (not one alternation per character: Python's engine
# keeps state for each repetition of a group, 360 MiB for a 4 MB string, against 3 MiB for this form).
_JSON_TOKEN = re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"|[{}\[\],:\n]')


def json_key_lines(text: str) -> dict[int | None, dict[str, int]]:
    """The 1-based line of each key of the release objects in valid JSON `text`: a top-level object's under None,
    the objects of a top-level list under their index (the first line of a key written twice)."""
    found: dict[int | None, dict[str, int]] = {}
    stack: list[str] = []
    line, index = 1, 0
    previous: str | None = None  # (a string token waiting to see whether a ':' makes it a key)
    for token in _JSON_TOKEN.finditer(text):
        t = token.group()
        if t == ":" and previous is not None:
            if stack == ["{"]:
                found.setdefault(None, {}).setdefault(json.loads(previous), line)
            elif stack == ["[", "{"]:
                found.setdefault(index, {}).setdefault(json.loads(previous), line)
        previous = None
        if t == "\n":
            line += 1
        elif t in "{[":
            stack.append(t)
        elif t in "}]" and stack:
            stack.pop()
        elif t == "," and stack == ["["]:
            index += 1
        elif t.startswith('"'):
            previous = t
    return found


def _named_by_title(raws: Sequence[RawRelease]) -> tuple[RawRelease, ...]:
    """The objects of a list that name no release (no `source_key`, `link` or `slug`), each named by its title
    (`RawRelease.item_key`) rather than by its index: a list kept newest first gets its new object at the top, and
    by index every release below it would take its neighbour's text under its own id. Two objects with one title
    are told apart by their order among themselves (`weekly-update`, `weekly-update#2`), which nothing else in the
    list moves; a title edited makes another release (the README recommends `source_key` for lists)."""
    seen: dict[str, int] = {}
    named: list[RawRelease] = []
    for raw in raws:
        if identity_of(raw).startswith("file:"):
            slug = release_slug(raw.title or "", None)
            seen[slug] = n = seen.get(slug, 0) + 1
            raw = replace(raw, item_key=slug if n == 1 else f"{slug}#{n}")  # (a slug never holds "#")
        named.append(raw)
    return tuple(named)


def twins(raws: Sequence[RawRelease]) -> tuple[int, int, str, str] | None:
    """The first pair of releases in one arrival that are the same release by the identity rules (the same
    `source_key`, the same canonical `link`, the same `slug` once made a slug): (first index, second index, the
    field, the value as the second gives it). Stored as one, the second would silently replace the first.

    A link is the same page in its other forms too (`link_aliases`: http or https, a slash at the end or not), as
    the store takes it: such a pair was stored as one release, the second replacing the first."""
    seen: dict[str, int] = {}
    for index, raw in enumerate(raws):
        identity = identity_of(raw)
        if identity.startswith("file:"):
            continue
        first = under_any_form(seen, identity)
        if first is not None:
            kind = identity.split(":", 1)[0]
            field = {"key": "source_key", "url": "link", "slug": "slug"}[kind]
            return first, index, field, str(getattr(raw, field))
        seen[identity] = index
    return None


def _no_twins(raws: Sequence[RawRelease], origin: str) -> None:
    found = twins(raws)
    if found is not None:
        first, second, field, value = found
        raise InvalidReleaseError(
            f"objects #{first} and #{second} have the same {field} ({value!r} as #{second} writes it): they would "
            "be one release",
            origin=origin,
            field=field,
        )


def release_from_object(obj: object, *, source: str, origin: str) -> RawRelease:
    """A GOV.UK content item or an object in our own schema (told apart by GOV.UK's required keys)."""
    if is_govuk_content_item(obj):
        return release_from_govuk(obj, source=source, origin=origin)
    return release_from_json(obj, source=source, origin=origin)


class DuplicateKeys:
    """An `object_pairs_hook` for `json.loads` that marks the objects holding a key twice (JSON parsers disagree
    on which one wins, RFC 8259 §4), so that the caller can refuse them naming the item of a list they are in
    (`first`) rather than only the key. One per document; the objects it returns are plain dicts."""

    __slots__ = ("found",)

    def __init__(self) -> None:
        self.found = False

    def __call__(self, pairs: list[tuple[str, object]]) -> dict[str, object]:
        out = dict(pairs)
        if len(out) == len(pairs):
            return out
        self.found = True
        marked = _Twice(out)
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                marked.key = key  # the first one repeated
                break
            seen.add(key)
        return marked

    def first(self, value: object) -> tuple[int | None, str] | None:
        """(the index of the item in a list, or None for a single object; the key) of the first object of
        `value` that held a key twice, nested objects included; None when none did."""
        if not self.found:
            return None
        items: list[tuple[int | None, object]] = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        for index, item in items:
            stack = [item]
            while stack:  # (not recursive: the decoder allows nesting deeper than Python's recursion limit)
                node = stack.pop()
                if isinstance(node, _Twice):
                    return index, node.key
                if isinstance(node, dict):
                    stack.extend(reversed(node.values()))
                elif isinstance(node, list):
                    stack.extend(reversed(node))
        return None


class _Twice(dict[str, object]):
    """A decoded object in which `key` appeared twice."""

    key: str


def _no_constant(name: str) -> object:
    """parse_constant hook: NaN and Infinity are not JSON (RFC 8259 §6), though Python's json accepts them."""
    raise InvalidReleaseError(f"not valid JSON: {name} is not a JSON value")


class _JsonReading(threading.local):
    """A JSON decoder with `DuplicateKeys` (reset for each document) and the constants refused, made once for each
    thread: `json.loads` with hooks builds one (its scanner, its hooks) for every call, ~17 k instructions, a third
    of decoding a bench release."""

    def __init__(self) -> None:
        self.duplicates = DuplicateKeys()
        self.decoder = json.JSONDecoder(object_pairs_hook=self.duplicates, parse_constant=_no_constant)


_READING = _JsonReading()
