"""Plain-text (`.txt`) release files → `RawRelease`; and the conventions of a release's opening lines as typed,
which the Markdown reader (`markdownfile.py`) reads the same way.

Plain text is what a press officer pastes from an e-mail: the first non-empty line is the headline, the
rest is the body, kept exactly as typed (the normaliser reads its conventions: wrapped lines, lists, `said:`
quotations, addresses, "ENDS"; `feeds.normalise.plaintext`), but for an embargo line and, from a GOV.UK page
copied as text, the list of facts under its headline ("From:", "Published"), which are metadata. So are an
e-mail's headers pasted above the release, a date line, a label ("Press release") and the office's reference.

Line numbers matter here: these files are written by hand, so every error points at the line to fix, and
`RawRelease.lines` records where each field came from for the normaliser's errors.

What this module must not do: parse dates (a date line goes to the normaliser as written), read the body's
conventions (`feeds.normalise.plaintext` does), or know Markdown (front matter, headings and block markers are
`frontmatter.py`'s and `markdownfile.py`'s).
"""

from __future__ import annotations

import re

from feeds.errors import InvalidReleaseError
from feeds.ingest.embargo import embargo_at
from feeds.model import RawRelease
from feeds.normalise.datelines import date_line, without_history_link
from feeds.normalise.text import is_label

__all__ = [
    "EMBARGO_SCAN",
    "NOT_A_TYPE",
    "REFERENCE_LINE",
    "embargo_further",
    "is_email_headers",
    "next_line",
    "release_body",
    "release_from_text",
]


def release_from_text(text: str, *, source: str, origin: str) -> RawRelease:
    """First non-empty line = title, the rest = body (format "text"). An embargo line ("EMBARGOED UNTIL 00:01
    THURSDAY 3 DECEMBER 2026", "FOR RELEASE AT 00:01 ON 3 DECEMBER 2026", or "EMBARGOED" over a line with the
    time) above the headline, around a label, or just below the headline is not text of the release: its time
    is the publication time (a release dated ahead is held back from the site until then)."""
    lines = _undo_quoted_printable(text).split("\n")
    first = next_line(lines, 0)
    if first is not None and (headers_end := _email_headers(lines, first)) is not None:
        first = next_line(lines, headers_end)
        if first is None:
            raise InvalidReleaseError(
                "the file holds only an e-mail's headers (From:, To:, Subject:): paste the release below them",
                origin=origin,
                field="title",
                line=headers_end,
            )
    embargo: tuple[str, int] | None = None
    dated: tuple[str, int] | None = None
    label = None
    while first is not None:
        found = embargo_at(lines, first, origin=origin)
        if found is not None:
            when, last = found
            embargo = embargo or (when, first + 1)
            first = next_line(lines, last + 1)
            continue
        following = next_line(lines, first + 1)
        if REFERENCE_LINE.fullmatch(lines[first]) and following is not None:  # "Ref: PR 2026/114": the office's filing
            first = following
            continue
        if (date := date_line(lines[first])) is not None and following is not None:
            # "3 June 2026" or "FOR IMMEDIATE RELEASE: 3 June 2026" above the headline: the date, never a headline
            dated, first = dated or (date, first + 1), following
            continue
        if label is None and is_label(lines[first]) and following is not None:
            # "Press release" on a line of its own, the headline below it (its document type, unless it only
            # says when it may be published: "FOR IMMEDIATE RELEASE")
            label, first = " ".join(lines[first].split()).rstrip(":"), following
            label = None if label.casefold() in NOT_A_TYPE else label
            continue
        break
    if first is None:
        raise InvalidReleaseError("the file is empty: the first line should be the title", origin=origin, field="title")
    start = first + 1
    below = next_line(lines, start)
    if below is not None and is_label(lines[below]) and next_line(lines, below + 1) is not None:
        # "FOR IMMEDIATE RELEASE" (or "Press release") on the line below the headline, the story under it
        below_label = " ".join(lines[below].split()).rstrip(":")
        label = label or (None if below_label.casefold() in NOT_A_TYPE else below_label)
        start = below + 1
        below = next_line(lines, start)
    found = embargo_at(lines, below, origin=origin) if below is not None else None
    if found is not None:
        embargo = embargo or (found[0], (below or 0) + 1)
        start = found[1] + 1
    if embargo is None:
        embargo = embargo_further(lines, start, origin=origin)
    header = _reference_block(lines, start)
    if header is not None:
        dated, start = dated or header[0], header[1]
    facts, start = _page_facts(lines, start)
    body, body_line = release_body(lines, start, origin=origin)
    published = embargo or dated or facts.get("published")
    found_lines = [("title", first + 1), ("body", body_line), *((("published", published[1]),) if published else ())]
    found_lines += [(field, line) for field, (_, line) in facts.items() if field != "published"]
    return RawRelease(
        origin=origin,
        source=source,
        title=" ".join(lines[first].split()),
        body=body,
        body_format="text",
        document_type=label,
        published=published[0] if published else None,
        embargoed=embargo is not None,
        updated=facts["updated"][0] if "updated" in facts else None,
        organisation=facts["organisation"][0] if "organisation" in facts else None,
        lines=tuple(found_lines),
    )


# The headers of an e-mail pasted with the release it carried (forwarded, or copied from a reply), as mail clients
# show them: "From: Jane Smith <jane@…>", "Sent:", "To:", "Subject:", under "-----Original Message-----" or
# "---------- Forwarded message ---------".
_EMAIL_HEADER = re.compile(r"\s*(from|sent|date|to|cc|bcc|subject|reply-to|importance|attachments)\s*:.*", re.I)
_EMAIL_SEPARATOR = re.compile(r"\s*-{2,}\s*(?:original message|forwarded message)\s*-{2,}\s*", re.IGNORECASE)


def is_email_headers(text: str) -> bool:
    """Whether `text` (lines) is only an e-mail's headers, with a From and a To or Subject."""
    lines = [line for line in text.split("\n") if line.strip()]
    return bool(lines) and _email_headers([*lines, ""], 0) == len(lines)


def _email_headers(lines: list[str], start: int) -> int | None:
    """The index after the block of e-mail headers at `start`, when its lines are all headers (or its separator)
    and include a From and a To or Subject: metadata of a message, never the release's headline or text."""
    index, names = start, set()
    if _EMAIL_SEPARATOR.fullmatch(lines[index]):
        index += 1
    while index < len(lines) and (header := _EMAIL_HEADER.fullmatch(lines[index])) is not None:
        names.add(header[1].casefold())
        index += 1
    end_of_block = index >= len(lines) or not lines[index].strip()
    return index if end_of_block and "from" in names and names & {"to", "subject"} else None


# A character beyond ASCII as an e-mail's quoted-printable UTF-8 writes it (`=E2=80=99` for ’, `=C2=A3` for £):
# a lead byte, then its continuation bytes. Text that holds one was copied from a message's source undecoded.
_QP_CHARACTER = re.compile(
    r"=[CD][0-9A-F](?:=[89AB][0-9A-F])|=E[0-9A-F](?:=[89AB][0-9A-F]){2}|=F[0-4](?:=[89AB][0-9A-F]){3}"
)
_QP_SOFT_BREAK = re.compile(r"=[ \t]*\n")
_QP_BYTES = re.compile(r"(?:=[0-9A-F]{2})+")


def _undo_quoted_printable(text: str) -> str:
    """`text` as the quoted-printable e-mail it was copied from says (RFC 2045 §6.7): `=E2=80=99` is ’, a `=` at
    the end of a line joins it to the next. Only text holding an encoded UTF-8 character is decoded (a lone `a=BC`
    or a line ending in `=` is text), and a run of codes that is no UTF-8 is left as written. Lines joined at a
    soft break make the lines after it count one fewer, as they do in the message itself."""
    if _QP_CHARACTER.search(text) is None:
        return text

    def decode(match: re.Match[str]) -> str:
        try:
            return bytes.fromhex(match.group().replace("=", "")).decode("utf-8")
        except UnicodeDecodeError:
            return match.group()

    return _QP_BYTES.sub(decode, _QP_SOFT_BREAK.sub("", text))


# The office's reference for a release, on a line of its own: "Ref: PR 2026/114", "Our ref: DCA/PR/114", "Press
# release no. 114/26". (A colon, "no." or "#" says it is one: "Reference libraries to open" is a headline.)
REFERENCE_LINE = re.compile(
    r"\s*[*_]*\s*(?:(?:our\s+|your\s+)?ref(?:erence)?(?:\s+(?:no|number)\.?)?\s*[:#]"
    r"|(?:(?:press|news)\s+)?release\s+(?:no\.|number|#)\s*:?)\s*\S.*",
    re.IGNORECASE,
)


def _reference_block(lines: list[str], start: int) -> tuple[tuple[str, int] | None, int] | None:
    """(the date it gives and its 1-based line, or None; the index after it) for the paragraph at `start` when it is
    only the release's reference and date lines ("Ref: PR 2026/114" / "Issued: 26 November 2026"), else None."""
    first = next_line(lines, start)
    if first is None:
        return None
    end = next((i for i in range(first, len(lines)) if not lines[i].strip()), len(lines))
    dated: tuple[str, int] | None = None
    references = 0
    for i in range(first, end):
        if REFERENCE_LINE.fullmatch(lines[i]):
            references += 1
        elif (date := date_line(lines[i])) is not None:
            dated = dated or (date, i + 1)
        else:
            return None
    return (dated, end) if references and next_line(lines, end) is not None else None


# The facts a GOV.UK page lists under its headline, as they come out when the page is copied as text: "From:"
# and the organisations (on its line or the next), "Published 27 November 2026", "Last updated 28 November 2026".
_FACT = re.compile(r"(?P<label>from(?=:)|published|last updated|updated):?\s*(?P<value>.*)", re.IGNORECASE)
_YEAR = re.compile(r"\b\d{4}\b")
_FACT_FIELDS = {"from": "organisation", "published": "published", "last updated": "updated", "updated": "updated"}
# Where GOV.UK's "From:" list goes on to its next name: an "and" before a minister ("The Rt Hon …", "Lord …", a
# name ending "MP") or another department; an "and" inside a name ("Department for Work and Pensions") is not.
_NEXT_FROM = re.compile(
    r",?\s+and\s+(?=(?:The|Rt|Lord|Baroness|Sir|Dame|Dr|Professor|Department|Ministry|Office|HM|Cabinet|Home)\b"
    r"|(?:(?!\sand\s)[^,])*\b(?:MP|MSP|MS|MLA)$)"
)


def _page_facts(lines: list[str], start: int) -> tuple[dict[str, tuple[str, int]], int]:
    """The facts of a GOV.UK page's list pasted below the headline (field → (value, 1-based line)), and where
    the body starts after them; nothing, and `start` itself, unless the paragraph there is that list alone and
    says where the release is from. The organisation is the first one named (GOV.UK lists the department, then
    its minister: "Foreign, Commonwealth & Development Office and The Rt Hon …")."""
    first = next_line(lines, start)
    if first is None:
        return {}, start
    end = next((i for i in range(first, len(lines)) if not lines[i].strip()), len(lines))
    facts: dict[str, tuple[str, int]] = {}
    i = first
    while i < end:
        m = _FACT.fullmatch(" ".join(lines[i].split()))
        label = " ".join(m["label"].casefold().split()) if m else ""
        if m is None or _FACT_FIELDS[label] in facts:  # (each fact once: a second list is text)
            return {}, start
        value, line = m["value"], i + 1
        if not value and i + 1 < end:  # the value on the line below its label
            i += 1
            value, line = " ".join(lines[i].split()), i + 1
        if not value or (label != "from" and not _YEAR.search(value)):  # ("Published by…" is a sentence)
            return {}, start
        value = _first_from(value) if label == "from" else without_history_link(value)
        facts[_FACT_FIELDS[label]] = (value, line)
        i += 1
    return (facts, end) if "organisation" in facts else ({}, start)


def _first_from(value: str) -> str:
    """The first name of a "From:" list; unmarked, an "and" ends it unless inside a "… for/of …" name."""
    parts = _NEXT_FROM.split(value, 1)
    if len(parts) == 1:
        head, found, _ = value.partition(" and ")
        if found and not re.search(r"\b(?:for|of)\b", head):
            parts = [head]
    return parts[0].strip(" ,")


NOT_A_TYPE = frozenset({"for immediate release", "embargoed"})


def next_line(lines: list[str], start: int) -> int | None:
    return next((i for i in range(start, len(lines)) if lines[i].strip()), None)


EMBARGO_SCAN = 8
"""How many lines of the text, from the top, are looked through for an embargo line that stands further down than
its usual places (under an image, a standfirst, a byline)."""


def embargo_further(
    lines: list[str], start: int, *, origin: str, text: list[str] | None = None
) -> tuple[str, int] | None:
    """(time, 1-based line) of an embargo line among the first `EMBARGO_SCAN` non-empty lines from `start`, its
    lines blanked in `lines`. An "EMBARGOED UNTIL …" paragraph near the top is unmistakable wherever it stands: a
    release must never be published at once, its embargo printed in its first paragraphs (and summary). Only a
    paragraph of its own that says "embargo" or is written in capitals counts here ("NOT FOR PUBLICATION BEFORE
    …"): a wrapped sentence whose line happens to start "for release to schools from 1 December" is text. `text` is
    `lines` as read, when that differs (Markdown's without their block markers: "> EMBARGOED UNTIL …")."""
    text = lines if text is None else text
    index = next_line(lines, start)
    for _ in range(EMBARGO_SCAN):
        if index is None:
            return None
        line = text[index]
        opens_a_paragraph = index == 0 or not lines[index - 1].strip()
        says_so = "embargo" in line.casefold() or line.isupper()
        found = embargo_at(text, index, origin=origin) if opens_a_paragraph and says_so else None
        if found is not None:
            when, last = found
            lines[index : last + 1] = [""] * (last + 1 - index)
            return when, index + 1
        index = next_line(lines, index + 1)
    return None


def release_body(lines: list[str], start: int, *, origin: str, keep_trailing: bool = False) -> tuple[str, int]:
    """Lines from `start` (0-based) without surrounding blank lines, and the 1-based line where they begin; their
    trailing white space removed, unless `keep_trailing` (Markdown)."""
    end = len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    if start >= end:  # (named at the file's last written line, the title's as a rule: no line lies past it)
        last = max((i + 1 for i, line in enumerate(lines) if line.strip()), default=1)
        raise InvalidReleaseError("the release has a title but no text", origin=origin, field="body", line=last)
    kept = lines[start:end] if keep_trailing else [line.rstrip() for line in lines[start:end]]
    return "\n".join(kept), start + 1
