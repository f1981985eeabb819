"""The Jinja2 environment of the HTML pages: where templates are found, how they escape, and the filters and
gettext callables every template may use (the filters on a release's body are here too).

    Messages (the site's words) + the template folder ──page_environment──► jinja2.Environment ──► pages.py

Templates are the packaged `feeds/templates/`, or a config-provided folder whose templates replace the packaged ones
by name. Autoescaping is on for HTML and XML, undefined names fail (StrictUndefined), and templates are compiled
once (no auto reload): a daemon keeps its renderer while settings, code and templates are unchanged.

What this module must not do: render a page or decide what it shows (`pages.py`); read the clock, the store or
`out/`; mark anything safe (the templates mark `Release.body_html` alone, which `normalise` sanitised).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)
from markupsafe import Markup

from feeds.publish.i18n import Messages
from feeds.publish.pageviews import FORMAT_LABELS, has_rtl

_IMG = re.compile(r"<img\b([^>]*)>")


def with_alt(body_html: str) -> str:
    """Sanitised HTML with an empty `alt` on every image that has none, as an HTML page requires (decorative,
    says an empty one), whatever other attributes it has (`lang`, `dir`): an image with neither had a screen reader
    read its file's name. An image with a `title` keeps it as its name. Done on the page only: the stored body,
    and so its content hash, stay as they were."""
    if "<img" not in body_html:
        return body_html

    def add(match: re.Match[str]) -> str:
        attributes = match.group(1)
        if ' alt="' in attributes or ' title="' in attributes:
            return match.group(0)
        return f'<img{attributes} alt="">'

    return _IMG.sub(add, body_html)


_IMAGE_ONLY_LINK = re.compile(r"<a\b([^>]*)>(\s*)<img\b([^>]*)>(\s*)</a>")
_HREF = re.compile(r' href="([^"]*)"')
_LINK_HREF = re.compile(r'<a\b[^>]* href="([^"]*)"')


def name_image_links(body_html: str) -> str:
    """Sanitised HTML (after `with_alt`) in which no link is made of an image with an empty `alt` alone, which
    leaves the link without a name: a screen reader reads its address, or nothing (WCAG 2.4.4, 1.1.1). GOV.UK's
    attachment thumbnails are such links, hidden from assistive technology at the source (`aria-hidden`, which the
    sanitiser does not keep) since the file's title links it next to them. A thumbnail whose address the body links
    otherwise too is shown unlinked, as the decoration it is; any other is named by the file it leads to (the last
    segment of its path, else its host). Done on the page only, as `with_alt` is."""
    if "<img" not in body_html or "<a" not in body_html:
        return body_html
    found = [(m, _HREF.search(m.group(1))) for m in _IMAGE_ONLY_LINK.finditer(body_html) if ' alt=""' in m.group(3)]
    if not found:
        return body_html
    links = Counter(_LINK_HREF.findall(body_html))
    alone = Counter(href.group(1) for _, href in found if href)
    parts, at = [], 0
    for m, href in found:
        if href is None:
            continue
        parts.append(body_html[at : m.start()])
        target = href.group(1)
        if links[target] > alone[target]:
            parts.append(f"<img{m.group(3)}>")
        else:
            path = urlsplit(html.unescape(target))
            name = unquote(path.path.rstrip("/").rsplit("/", 1)[-1]) or path.netloc or target
            named = m.group(3).replace(' alt=""', f' alt="{html.escape(name)}"', 1)
            parts.append(f"<a{m.group(1)}>{m.group(2)}<img{named}>{m.group(4)}</a>")
        at = m.end()
    parts.append(body_html[at:])
    return "".join(parts)


_HEADING_TAG = re.compile(r"<(/?)h([1-6])(?=[\s/>])", re.IGNORECASE)


def outline_headings(body_html: str) -> str:
    """Sanitised HTML whose headings fit under the page's <h1>: none is an <h1> and none skips a level below the
    heading it comes under (GOV.UK bodies open with <h3>; a screen reader's list of headings then jumps from
    the headline to level 3). Each heading is renumbered by how many of the headings before it it comes under
    (those of a higher source level), so an outline that starts at <h2> and skips nothing is kept as it is.
    Done on the page only, as `with_alt` is: the stored body and the feeds' content stay as the source gave
    them."""
    enclosing: list[int] = []  # the source levels of the headings the next one may be under
    open_levels: list[int] = []  # the new levels of the headings open at this point, for their end tags

    def relevel(match: re.Match[str]) -> str:
        if match.group(1):
            return f"</h{open_levels.pop() if open_levels else match.group(2)}"
        source = int(match.group(2))
        while enclosing and enclosing[-1] >= source:
            enclosing.pop()
        level = min(2 + len(enclosing), 6)
        enclosing.append(source)
        open_levels.append(level)
        return f"<h{level}"

    return _HEADING_TAG.sub(relevel, body_html)


_FRAME_TAG = re.compile(r"<(/?)(article|section)\b([^>]*)>(\s*<h[1-6][\s>])?", re.IGNORECASE)


def body_frames(body_html: str) -> str:
    """Sanitised HTML in which a body's `<article>`, and a `<section>` that does not open with a heading, are a
    `<div>` (attributes kept). A saved web page's text often sits in its own `<article>`: on the release page,
    already the release's `<article>`, it was an article in an article with no heading of its own, which screen
    readers announce as a second, nameless article (vnu: "Article lacks heading"). A section under a heading is
    kept. Done on the page only, as `with_alt` is."""
    if "<article" not in body_html and "<section" not in body_html:
        return body_html
    open_tags: list[str] = []  # what each open frame was written as, for its end tag

    def frame(match: re.Match[str]) -> str:
        closing, name, attrs, heading = match.groups()
        if closing:
            return f"</{open_tags.pop() if open_tags else name}>{heading or ''}"
        tag = "section" if name.lower() == "section" and heading else "div"
        open_tags.append(tag)
        return f"<{tag}{attrs}>{heading or ''}"

    return _FRAME_TAG.sub(frame, body_html)


_TABLE_TAG = re.compile(r"<(/?)table\b([^>]*)>", re.IGNORECASE)
_CAPTION = re.compile(r"\s*<caption\b[^>]*>(.*?)</caption>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def scroll_tables(body_html: str, label: str = "Table") -> str:
    """Sanitised HTML with each table in its own `<div class="table-scroll" role="region" tabindex="0"
    aria-label="…">`, which site.css lets scroll sideways: a table wider than a phone's screen scrolls within the
    page instead of breaking every cell's words ("20 / 26") or widening the page. Focusable, so a keyboard can
    scroll it; a region named by the table's caption, else "Table 2" (`label`, in the site's language, and the
    table's number in the body), so that a screen reader tabbing to it says what it is (WCAG 4.1.2) rather than
    nothing or every cell. Done on the page only, as `with_alt` is; a body without a table is returned as it is,
    unread."""
    if "<table" not in body_html and "<TABLE" not in body_html:
        return body_html
    tables = 0
    words = label.unescape() if isinstance(label, Markup) else label  # (a template's `_("Table")` is escaped)

    def wrap(match: re.Match[str]) -> str:
        nonlocal tables
        if match.group(1):
            return "</table></div>"
        tables += 1
        caption = _CAPTION.match(body_html, match.end())
        name = " ".join(html.unescape(_TAG.sub("", caption.group(1))).split()) if caption else ""
        name = html.escape(name or f"{words} {tables}")
        return f'<div class="table-scroll" role="region" tabindex="0" aria-label="{name}"><table{match.group(2)}>'

    return _TABLE_TAG.sub(wrap, body_html)


_TEXT_LINK = re.compile(r"<a\b([^>]*)>([^<]*)</a>")
_SCHEME = re.compile(r"^https?://", re.IGNORECASE)


def shows_its_address(text: str | None, href: str | None) -> bool:
    """Whether a link's text is its own address, as written or as a reader types it: `www.gov.uk/coast` for
    `https://www.gov.uk/coast`, with or without a final slash (the print stylesheet then does not print the address
    again after it). Plain strings, not HTML."""
    if not text or not href:
        return False
    text = text.strip().rstrip("/")
    href = href.strip().rstrip("/")
    return text == href or text == _SCHEME.sub("", href, count=1)


def mark_url_links(body_html: str) -> str:
    """Sanitised HTML in which a link whose text is its own address (`shows_its_address`; the normaliser's
    autolinks are such links) has `class="url"`, so that the print stylesheet does not print the address twice.
    Done on the page only, as `with_alt` is; a body without a link is returned as it is, unread."""
    if "<a" not in body_html:
        return body_html

    def mark(match: re.Match[str]) -> str:
        href = _HREF.search(match.group(1))
        if href is None or " class=" in match.group(1):
            return match.group(0)
        if not shows_its_address(html.unescape(match.group(2)), html.unescape(href.group(1))):
            return match.group(0)
        return f'<a class="url"{match.group(1)}>{match.group(2)}</a>'

    return _TEXT_LINK.sub(mark, body_html)


def page_environment(words: Messages, template_dir: Path | None = None) -> Environment:
    """The environment the pages render in: `template_dir`'s templates first (overrides by name), then the packaged
    ones; labels, dates and filters in the site's language (`words`)."""
    loaders: list[BaseLoader] = [PackageLoader("feeds", "templates")]
    if template_dir is not None:
        loaders.insert(0, FileSystemLoader(str(template_dir)))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml"), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        extensions=["jinja2.ext.i18n"],
    )
    # (`install_gettext_callables` is added by the i18n extension)
    env.install_gettext_callables(words.gettext, words.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["label"] = words.gettext  # (a label chosen by data: a group's name, a match's kind)
    env.filters["date_text"] = words.date
    env.filters["date_time_text"] = words.date_time
    env.filters["rfc3339"] = words.stamp  # (in the site's zone, with its offset: the date the page shows)
    env.filters["format_label"] = FORMAT_LABELS.__getitem__
    env.filters["with_alt"] = with_alt
    env.filters["outline_headings"] = outline_headings
    env.filters["name_image_links"] = name_image_links
    env.filters["scroll_tables"] = scroll_tables
    env.filters["body_frames"] = body_frames
    env.filters["mark_url_links"] = mark_url_links
    env.tests["its_own_address"] = shows_its_address
    env.tests["right_to_left"] = has_rtl
    return env
