"""The browser view of the feeds (`static/feed.xsl`, and `static/feed.css` where XSLT is gone) in the site's
language.

    feed_stylesheet(words) → bytes: feed.xsl with its words and dates in the language of `words`
    feed_css(words, rtl) → bytes: feed.css with its words in that language, laid out right to left if `rtl`
    labels() → the words' msgids, for feeds.pot (`i18n.template`)

feed.css is the fallback for browsers that no longer run XSLT (Chromium turns it off from 2026; Gecko and WebKit
agreed to follow): each feed names it after feed.xsl. Its words are the `--label-…` custom properties at its top,
each one CSS string holding a msgid of feed.xsl's (so the catalogues translate both at once); `feed_css` writes
each again, translated and escaped as a CSS string.

feed.xsl is written in English. Its words are the top-level variables named `label-…`, each holding text and
`<xsl:value-of select="$name"/>` (written `%(name)s` in the catalogue), its dates come from the named template
`calendar-date`, and `words-lang` says what language they are in (English words on a site in another language are
marked `lang="en"`, as on the pages). For a site with a catalogue, each label is translated, `words-lang` set, and
`calendar-date` written again to give the language's long date, as the pages write it (`2 novembre 2017`, from
CLDR through Babel; the time after it stays `09:30 UTC`, as XSLT 1.0 cannot move it into the site's zone). A site
whose words are all English gets the file as it is.

What this module must not do: let a translation break the page (one naming a placeholder the label has not, or
leaving one out, is not used: the label stays English), or give different bytes for the same words.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from importlib import resources
from typing import TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:
    from feeds.publish.i18n import Messages

__all__ = ["feed_css", "feed_stylesheet", "labels"]

_X = "{http://www.w3.org/1999/XSL/Transform}"
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_VARIABLE = re.compile(r"\$(\w+)")
_TAG = re.compile(r"[A-Za-z0-9-]+")
# Sample days whose digits cannot be mistaken for each other in a formatted date (see `_calendar`).
_DAY, _YEAR = 28, 1999


@functools.cache
def _source() -> bytes:
    return resources.files("feeds").joinpath("static/feed.xsl").read_bytes()


@functools.cache
def _css_source() -> str:
    return resources.files("feeds").joinpath("static/feed.css").read_text(encoding="utf-8")


# One `--label-name: "text";` declaration per line (feed.css writes no escapes in them: the tests check it).
_CSS_LABEL = re.compile(r'^(  --label-[a-z]+: )"([^"\\\n]*)";$', re.MULTILINE)
_CSS_ROOT = "rss > channel, atom|feed {\n"


def _labels_of(root: etree._Element) -> list[tuple[etree._Element, str]]:
    """The `label-…` variables and their msgids."""
    found = []
    for variable in root.iterchildren(f"{_X}variable"):
        if not (variable.get("name") or "").startswith("label-"):
            continue
        parts = [variable.text or ""]
        for child in variable:
            name = _VARIABLE.fullmatch(child.get("select") or "")
            if child.tag != f"{_X}value-of" or name is None:  # (a mistake in feed.xsl: the tests find it)
                raise ValueError(f"feed.xsl: {variable.get('name')} holds more than text and variables")
            parts += [f"%({name[1]})s", child.tail or ""]
        found.append((variable, "".join(parts)))
    return found


def labels() -> list[str]:
    """The msgids of feed.xsl's words, in the file's order (feed.css's are among them)."""
    return [msgid for _, msgid in _labels_of(etree.fromstring(_source()))]


def css_labels() -> list[str]:
    """The msgids of feed.css's words, in the file's order."""
    return [m[2] for m in _CSS_LABEL.finditer(_css_source())]


def feed_css(words: Messages, *, rtl: bool = False) -> bytes:
    """feed.css in the language of `words`, laid out right to left when `rtl` (the site's direction); the file as
    written for English words on a left-to-right site. A translation with a placeholder is not used (none of
    these words has one: it would show as written)."""

    def label(m: re.Match[str]) -> str:
        text = words.gettext(m[2])
        if text == m[2] or _PLACEHOLDER.search(text):
            return m[0]
        return f"{m[1]}{_css_string(text)};"

    css = _CSS_LABEL.sub(label, _css_source())
    if rtl:
        css = css.replace(_CSS_ROOT, _CSS_ROOT + "  direction: rtl;\n", 1)
    return css.encode("utf-8")


def _css_string(text: str) -> str:
    """`text` as a CSS string: quotes and backslashes escaped, line breaks and other control characters written
    as escapes (a hex escape ends at a space, which CSS then drops)."""
    out = []
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch < " " or ch == "\x7f":
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def feed_stylesheet(words: Messages) -> bytes:
    """feed.xsl in the language of `words` (see the module docstring)."""
    root = etree.fromstring(_source())
    translated = False
    for variable, msgid in _labels_of(root):
        text = words.gettext(msgid)
        if text == msgid or set(_PLACEHOLDER.findall(text)) != set(_PLACEHOLDER.findall(msgid)):
            continue
        for child in list(variable):
            variable.remove(child)
        pieces = _PLACEHOLDER.split(text)  # text, name, text, name, …, text
        variable.text = pieces[0]
        for name, tail in zip(pieces[1::2], pieces[2::2], strict=True):
            etree.SubElement(variable, f"{_X}value-of", select=f"${name}").tail = tail
        translated = True
    calendar = _calendar(words)
    if calendar is not None:
        _write_calendar(root, calendar)
    if not translated and calendar is None:
        return _source()
    if not _TAG.fullmatch(words.language):  # (a validated BCP 47 tag: never so)
        raise ValueError(f"not a language tag: {words.language!r}")
    for variable in root.iterchildren(f"{_X}variable"):
        if variable.get("name") == "words-lang":
            variable.set("select", f"'{words.language}'")
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def _calendar(words: Messages) -> list[list[str]] | None:
    """Each month's long date as pieces (`["28", " novembre ", "1999"]`), `_DAY` and `_YEAR` standing for the
    day and year; None for English (feed.xsl's own dates) or a format these pieces cannot give (a day written
    with two digits, digits of another script)."""
    if words.language.split("-")[0].lower() == "en":
        return None
    months = []
    for month in range(1, 13):
        pieces = re.split(f"({_DAY}|{_YEAR})", words.day(date(_YEAR, month, _DAY)))
        if sorted(pieces[1::2]) != sorted([str(_DAY), str(_YEAR)]):
            return None
        first = "".join({str(_DAY): "1", str(_YEAR): "2006"}.get(p, p) for p in pieces)
        if first != words.day(date(2006, month, 1)):
            return None
        months.append(pieces)
    return months


def _write_calendar(root: etree._Element, months: list[list[str]]) -> None:
    """`calendar-date` giving the dates `months` describes: one branch a month."""
    template = next(t for t in root.iterchildren(f"{_X}template") if t.get("name") == "calendar-date")
    for child in list(template):
        if child.tag != f"{_X}param":
            template.remove(child)
    choose = etree.SubElement(template, f"{_X}choose")
    choose.text, choose.tail = "\n      ", "\n  "
    for month, pieces in enumerate(months, start=1):
        when = etree.SubElement(choose, f"{_X}when", test=f"$month = {month}")
        when.tail = "\n      " if month < len(months) else "\n    "
        for piece in pieces:
            if piece == str(_DAY):
                etree.SubElement(when, f"{_X}value-of", select="number($day)")
            elif piece == str(_YEAR):
                etree.SubElement(when, f"{_X}value-of", select="$year")
            elif piece:
                etree.SubElement(when, f"{_X}text").text = piece
