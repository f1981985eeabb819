"""Markdown (`.md`) release files → `RawRelease`.

A Markdown release may start with front matter (`frontmatter.py`: TOML between `+++` lines or YAML between `---`
lines, as Hugo and Jekyll write it). Without a `title` key the leading `# Heading` (or, from a Word-to-Markdown
converter, a first paragraph that is one bold line) is the title. The top of the text is read as in plain text
(`textfile.py`): an embargo line, a date line, a label ("Press release") and the office's reference above or
just below the headline are metadata, not text of the release. The body keeps its lines as written.

Line numbers matter here: these files are written by hand, so every error points at the line to fix, and
`RawRelease.lines` records where each field came from for the normaliser's errors.

Notes written in Obsidian or Typora are read as those editors show them: `[[wikilinks]]` are their text (the
vault's notes are not on the site), `![[embeds]]` and `%% comments %%` are left out, a callout's `[!note] Title`
is its title in bold, Typora's `[TOC]` line is dropped, and a line of tags (`#fisheries #quota`) at the top or
the bottom of the note gives the release's topics (with a front-matter `tags`' ones) and is not text.

What this module must not do: read front matter itself (`frontmatter.py`), parse dates, or render Markdown (a
`# Heading` taken as the title is read as the text it shows, nothing more: `feeds.normalise` renders the body).
"""

from __future__ import annotations

import dataclasses
import re

from feeds.errors import InvalidReleaseError
from feeds.ingest.embargo import embargo_at, is_embargo_line
from feeds.ingest.frontmatter import front_matter, named_as_written
from feeds.ingest.schema import check_release_fields, raw_release_from_fields
from feeds.ingest.textfile import NOT_A_TYPE, REFERENCE_LINE, embargo_further, next_line, release_body
from feeds.model import RawRelease
from feeds.normalise.datelines import date_line
from feeds.normalise.markdown import markdown_inline_text
from feeds.normalise.text import is_label

__all__ = ["release_from_markdown"]

_ATX_H1 = re.compile(r"^ {0,3}#[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_H1 = re.compile(r"^ {0,3}=+[ \t]*$")


def release_from_markdown(text: str, *, source: str, origin: str) -> RawRelease:
    """Optional front matter, then Markdown; title from front matter or a leading `# Heading`.

    An embargo line at the top ("**EMBARGOED UNTIL 00:01 1 DECEMBER 2026**", above or just below the `# Heading`,
    or opening the text under a front-matter title) is read as in plain text and is not text of the release: its
    time is the publication time, ahead of a front-matter `date` (an embargo written in the text is what holds the
    release back). The body keeps its lines as written: two trailing spaces are a hard line break in CommonMark.
    """
    lines = text.split("\n")
    values, key_lines, body_start = front_matter(lines, origin=origin)
    _editor_marks(lines, body_start)
    try:
        fields = check_release_fields(values, origin=origin, line_of=key_lines.get, quote_hint=True)
    except InvalidReleaseError as e:
        raise named_as_written(e, key_lines.items()) from None
    tags, tag_line = _take_tag_lines(lines, body_start)  # (blanks their lines)
    if tags and tag_line is not None:
        given = fields.get("topics")
        known = given if isinstance(given, tuple) else ()
        seen = {t.casefold() for t in known}
        fields = {**fields, "topics": (*known, *(t for t in tags if t.casefold() not in seen))}
        key_lines = {"topics": tag_line, **key_lines}  # (a front-matter `tags` key keeps its line)
    embargo, dated, label = _take_embargo(lines, body_start, origin=origin)  # (blanks their lines)
    if label is not None and "document_type" not in fields:
        fields = {**fields, "document_type": label}  # ("Press release" above the `# Heading`)
    if embargo is None:
        embargo = embargo_further(lines, body_start, origin=origin, text=_without_block_marks(lines))
    embargoed = embargo is not None  # (a not-before time: `RawRelease.embargoed`)
    if embargo is None and "published" not in fields:
        embargo = dated  # (a date line above the `# Heading`: "3 June 2026", "FOR IMMEDIATE RELEASE: 3 June 2026")
    if embargo is not None:
        fields = {**fields, "published": embargo[0]}
        key_lines = {**key_lines, "published": embargo[1]}
    title = fields.get("title")
    recorded = dict(key_lines)
    heading = _leading_heading(lines, body_start)
    if heading is None and "title" not in fields:
        heading = _bold_headline(lines, body_start)
    if heading is not None:
        heading_title, heading_line, after = heading
        if not isinstance(title, str) or title.casefold() == heading_title.casefold():
            title, body_start = heading_title, after
            recorded["title"] = heading_line
    if not (isinstance(title, str) and title.strip()) and "title" in key_lines:
        raise InvalidReleaseError(
            "the front matter's 'title' is empty: give the headline there (or remove it and start the text with a "
            "'# Heading' line)",
            origin=origin,
            field="title",
            line=key_lines["title"],
        )
    if not isinstance(title, str):
        raise InvalidReleaseError(
            "no title: add a 'title' to the front matter or start the text with a '# Heading' line",
            origin=origin,
            field="title",
            line=body_start + 1,
        )
    body, body_line = release_body(lines, body_start, origin=origin, keep_trailing=True)
    recorded["body"] = body_line
    raw = raw_release_from_fields(
        fields,
        origin=origin,
        source=source,
        title=title,
        body=body,
        body_format="markdown",
        lines=tuple(recorded.items()),
    )
    return dataclasses.replace(raw, embargoed=True) if embargoed else raw


# A line's Markdown block markers, which are not text: "# EMBARGOED UNTIL …", "> Embargoed until …".
_BLOCK_MARK = re.compile(r"^ {0,3}(?:#{1,6}(?:[ \t]+|$)|>[ \t]?)")
_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")


def _without_block_marks(lines: list[str]) -> list[str]:
    """Each line's text without its Markdown block markers ("# EMBARGOED UNTIL …", "> Embargoed until …")."""
    return [_BLOCK_MARK.sub("", line) for line in lines]


def _take_embargo(
    lines: list[str], start: int, *, origin: str
) -> tuple[tuple[str, int] | None, tuple[str, int] | None, str | None]:
    """(time, 1-based line) of the first embargo line at the top of the text, as plain text finds one: above the
    headline (around a label such as "Press release") or just below it; with a front-matter title the text's
    first lines are below it. Every embargo line found there is blanked in `lines` (line numbers stay). Second,
    the same for a line above the `# Heading` that is only a date ("3 June 2026", "FOR IMMEDIATE RELEASE: …");
    third, the label above it ("Press release", "**PRESS RELEASE**"). Those lines, and the office's reference
    ("Ref: PR 2026/114"), are blanked when a heading follows them (else they are the text under a front-matter
    title)."""
    text = _without_block_marks(lines)
    found: tuple[str, int] | None = None
    dates: list[tuple[str, int]] = []
    above: list[int] = []
    label: str | None = None
    index = next_line(lines, start)
    heading = False
    while index is not None:
        embargo = embargo_at(text, index, origin=origin)
        if embargo is not None:
            when, last = embargo
            found = found or (when, index + 1)
            lines[index : last + 1] = [""] * (last + 1 - index)
            index = next_line(lines, last + 1)
            continue
        if heading:
            break  # only the line just below the headline
        plain = text[index].strip().strip("*_").strip()
        if not _ATX_HEADING.match(lines[index]) and (date := date_line(text[index])) is not None:
            dates.append((date, index))
            above.append(index)
            index = next_line(lines, index + 1)
        elif label is None and is_label(plain):
            label = " ".join(plain.split()).rstrip(":")
            above.append(index)
            index = next_line(lines, index + 1)
        elif REFERENCE_LINE.fullmatch(text[index]):
            above.append(index)
            index = next_line(lines, index + 1)
        elif _ATX_HEADING.match(lines[index]):
            heading, index = True, next_line(lines, index + 1)
        elif index + 1 < len(lines) and _SETEXT_UNDERLINE.match(lines[index + 1]) and lines[index].strip():
            heading, index = True, next_line(lines, index + 2)
        else:
            break
    if not heading:
        return found, None, None
    for at in above:
        lines[at] = ""
    label = None if label is None or label.casefold() in NOT_A_TYPE else label
    return found, ((dates[0][0], dates[0][1] + 1) if dates else None), label


def _leading_heading(lines: list[str], start: int) -> tuple[str, int, int] | None:
    """(title, 1-based line, index after it) of a level-1 heading that opens the body, if any; the title is the text
    the heading shows (`# Fares *frozen*[^1]` is "Fares frozen": a headline is plain text in every feed)."""
    found = _heading_at(lines, start)
    if found is None:
        return None
    title, line, after = found
    return markdown_inline_text(_FOOTNOTE_REF.sub("", title)) or title, line, after


_FOOTNOTE_REF = re.compile(r"\[\^[^\]\s]+\]")
_BOLD_LINE = re.compile(r"\s{0,3}(\*\*|__)(?P<text>[^*_\n]{1,200}?)\1\s*")


def _bold_headline(lines: list[str], start: int) -> tuple[str, int, int] | None:
    """(title, 1-based line, index after it) of a first paragraph that is one bold line ("**Winter ferry
    timetable**"), as Word-to-Markdown converters write a headline in bold, when the text has no `# Heading`."""
    first = next_line(lines, start)
    if first is None or (first + 1 < len(lines) and lines[first + 1].strip()):
        return None
    bold = _BOLD_LINE.fullmatch(lines[first])
    if bold is None or is_embargo_line(bold["text"]) or is_label(bold["text"]):
        return None
    return markdown_inline_text(bold["text"]) or bold["text"].strip(), first + 1, first + 1


def _heading_at(lines: list[str], start: int) -> tuple[str, int, int] | None:
    i = start
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines):
        return None
    atx = _ATX_H1.match(lines[i])
    if atx and atx.group(1).strip():
        return " ".join(atx.group(1).split()), i + 1, i + 1
    if i + 1 < len(lines) and _SETEXT_H1.match(lines[i + 1]) and not lines[i].startswith("    "):
        return " ".join(lines[i].split()), i + 1, i + 2
    return None


# A line of Obsidian tags only: "#fisheries #quota", "#fisheries/quota" (a tag has a character that is no digit:
# "#2026" is text, as Obsidian reads it).
_TAG_LINE = re.compile(r"[ \t]*#[\w/-]*[^\W\d][\w/-]*(?:[ \t,]+#[\w/-]*[^\W\d][\w/-]*)*[ \t]*")
_TAG = re.compile(r"#([\w/-]+)")


def _take_tag_lines(lines: list[str], start: int) -> tuple[list[str], int | None]:
    """(the tags, the 1-based line of the first) of the lines of Obsidian tags at the top of the text (above or just
    below a leading `# Heading`) and at its bottom, as the editor shows them: topics, not text. Those lines are
    blanked in `lines` (line numbers stay). A tag line anywhere else, and a `#` in a sentence, stay text."""
    found: list[int] = []
    index, heading = next_line(lines, start), False
    while index is not None:
        if _TAG_LINE.fullmatch(lines[index]):
            found.append(index)
        elif not heading and _ATX_H1.match(lines[index]):
            heading = True
        else:
            break
        index = next_line(lines, index + 1)
    last = next((i for i in range(len(lines) - 1, start - 1, -1) if lines[i].strip()), None)
    while last is not None and last not in found and _TAG_LINE.fullmatch(lines[last]):
        found.append(last)
        last = next((i for i in range(last - 1, start - 1, -1) if lines[i].strip()), None)
    tags: list[str] = []
    for at in sorted(found):
        tags.extend(t for t in _TAG.findall(lines[at]) if t.casefold() not in {k.casefold() for k in tags})
        lines[at] = ""
    return tags, (min(found) + 1 if found else None)


# What Obsidian and Typora write that CommonMark would publish as typed. A code span comes first, kept as it is.
_EDITOR_INLINE = re.compile(
    r"(?P<code>(?P<ticks>`+).*?(?P=ticks))|%%.*?%%|!\[\[[^[\]\n]*\]\]"
    r"|\[\[(?P<target>[^[\]|\n]*)(?:\|(?P<alias>[^[\]\n]*))?\]\]"
)
_CALLOUT = re.compile(r"(?P<quote> {0,3}(?:>[ \t]?)+)\[![\w-]+\][+-]?[ \t]*(?P<title>.*)")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_TOC = re.compile(r"[ \t]*\[toc\][ \t]*", re.IGNORECASE)


def _editor_marks(lines: list[str], start: int) -> None:
    """Read the editors' own marks in `lines[start:]` as the editor shows them (in place; every line stays, so line
    numbers do): a wikilink is its text, an embed and a comment (`%% … %%`, over lines, or to the end when never
    closed, as Obsidian hides it) are left out, a callout's marker line is its title in bold on a line of its own
    (or an empty line of the quotation), `[TOC]` is dropped. Fenced code and code spans are left as written."""
    if not any("[[" in line or "%%" in line or "[!" in line or _TOC.fullmatch(line) for line in lines[start:]):
        return
    fence: str | None = None
    in_comment = False
    for index in range(start, len(lines)):
        line = lines[index]
        if fence is not None:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = None
            continue
        if in_comment:
            closing = line.find("%%")
            if closing < 0:
                lines[index] = ""
                continue
            in_comment, line = False, line[closing + 2 :]
        if (opened := _FENCE.match(line)) is not None:
            fence = opened[1]
            continue
        line = _EDITOR_INLINE.sub(_as_shown, line)
        if (unclosed := _outside_code(line).find("%%")) >= 0:
            in_comment, line = True, line[:unclosed]
        if (callout := _CALLOUT.fullmatch(line)) is not None:
            title = callout["title"].strip()
            line = f"{callout['quote']}**{title}**  " if title else callout["quote"].rstrip()  # (a line of its own)
        lines[index] = "" if _TOC.fullmatch(line) else line


def _as_shown(match: re.Match[str]) -> str:
    if match["code"] is not None:
        return match["code"]
    if match["target"] is None:
        return ""  # (an embed or a comment)
    if match["alias"] is not None and match["alias"].strip():
        return match["alias"].strip()
    return " > ".join(part.strip().lstrip("^") for part in match["target"].split("#") if part.strip())


_CODE_SPAN = re.compile(r"(`+).*?\1")


def _outside_code(line: str) -> str:
    """`line` with its code spans blanked out (same length), to find what is outside them."""
    return _CODE_SPAN.sub(lambda m: " " * len(m[0]), line)
