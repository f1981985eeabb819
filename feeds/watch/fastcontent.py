"""feedparser's rules for text constructs, replayed by the fast path: titles, descriptions, summaries, content
(`content:encoded`, Atom content, XHTML bodies) and the other text constructs (subtitle, rights, info).

Part of the rules `feeds.watch.fastrules` gathers into `START` and `END`; the same conventions hold (one function
per feedparser handler, named after it, with the same effects on the reader's state), notably feedparser's "a
second summary becomes content".

What this module must not do: I/O, or decide anything feedparser would decide differently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from feeds.watch.fastbase import HTML_TYPES, XHTML, Attrs, Fallback, map_type

if TYPE_CHECKING:
    from feeds.watch.fastreader import Reader

__all__ = ["END", "START"]

_COPIED_TO_SUMMARY = HTML_TYPES | {"text/plain"}


def _start_title(r: Reader, attrs: Attrs) -> None:
    r.push_content("title", attrs, "text/plain", r.infeed or r.inentry or r.insource)


def _end_title(r: Reader) -> None:
    if r.pop_content("title"):
        r.title_depth = r.depth


def _end_media_title(r: Reader) -> None:
    kept = r.title_depth
    _end_title(r)
    r.title_depth = kept


def _start_description(r: Reader, attrs: Attrs) -> None:
    if "summary" in r.context() and not r.has_content:
        r.summary_key = "content"
        _start_content(r, attrs)
    else:
        r.push_content("description", attrs, "text/html", r.infeed or r.inentry or r.insource)


def _start_abstract(r: Reader, attrs: Attrs) -> None:
    r.push_content("description", attrs, "text/plain", r.infeed or r.inentry or r.insource)


def _end_description(r: Reader) -> None:
    if r.summary_key == "content":
        _end_content(r)
    else:
        r.pop_content("description")
    r.summary_key = None


def _start_summary(r: Reader, attrs: Attrs) -> None:
    if "summary" in r.context() and not r.has_content:
        r.summary_key = "content"
        _start_content(r, attrs)
    else:
        r.summary_key = "summary"
        r.push_content("summary", attrs, "text/plain", True)


def _end_summary(r: Reader) -> None:
    if r.summary_key == "content":
        _end_content(r)
    else:
        r.pop_content(r.summary_key or "summary")
    r.summary_key = None


def _start_content(r: Reader, attrs: Attrs) -> None:
    r.has_content = True
    r.push_content("content", attrs, "text/plain", True)
    if attrs.get("src"):
        r.params["src"] = attrs["src"]
    r.push("content", True)  # feedparser pushes twice here; the extra entry stays on its stack, and so on ours


def _start_body(r: Reader, attrs: Attrs) -> None:
    r.push_content("content", attrs, XHTML, True)


def _start_content_encoded(r: Reader, attrs: Attrs) -> None:
    r.has_content = True
    r.push_content("content", attrs, "text/html", True)


def _end_content(r: Reader) -> None:
    content_type = r.params.get("type")
    if content_type is None:
        raise Fallback
    copy_to_summary = map_type(content_type) in _COPIED_TO_SUMMARY
    value = r.pop_content("content")
    if copy_to_summary:
        r.save("summary", value)


def _text_construct(element: str) -> tuple[Callable[[Reader, Attrs], None], Callable[[Reader], None]]:
    def start(r: Reader, attrs: Attrs) -> None:
        r.push_content(element, attrs, "text/plain", True)

    def end(r: Reader) -> None:
        r.pop_content(element)

    return start, end


START: dict[str, Callable[[Reader, Attrs], None]] = {
    "description": _start_description,
    "dc_description": _start_description,
    "media_description": _start_description,
    "abstract": _start_abstract,
    "summary": _start_summary,
    "itunes_summary": _start_summary,
    "content": _start_content,
    "body": _start_body,
    "xhtml_body": _start_body,
    "content_encoded": _start_content_encoded,
    "fullitem": _start_content_encoded,
    **{k: _start_title for k in ("title", "dc_title", "media_title")},
}

END: dict[str, Callable[[Reader], None]] = {
    "media_title": _end_media_title,
    "abstract": _end_description,
    **{k: _end_title for k in ("title", "dc_title")},
    **{k: _end_description for k in ("description", "dc_description", "media_description")},
    **{k: _end_summary for k in ("summary", "itunes_summary")},
    **{k: _end_content for k in ("content", "body", "xhtml_body", "content_encoded", "fullitem")},
}

for _element, _names in {
    "subtitle": ("subtitle", "tagline", "itunes_subtitle"),
    "rights": ("rights", "copyright", "dc_rights"),
    "info": ("info", "feedburner_browserfriendly"),
}.items():
    _start, _end = _text_construct(_element)
    for _name in _names:
        START[_name], END[_name] = _start, _end
