"""The coverage report (`feeds matches list --csv`, `--by release`): stored matches as a press office counts them.

One row per article a rule or release found (the copies of one story in several feeds, or under tracking
parameters, are one: `feeds.articles`), or one row per release (or rule) summing them up, and those rows as CSV a
spreadsheet opens as it should: LibreOffice, Google Sheets, and Excel where the list separator is a comma (in
German or French Excel it is `;`: `feeds.coveragesheet` writes the same rows as a workbook for those). Pure: the
matches, the releases and the site's time zone in, rows and text out. It must not read the store or decide what
matched (`feeds.watch`).

CSV (RFC 4180): UTF-8 with a byte order mark (without it Excel reads the file in the machine's code page, and
`Zürich` comes out as `ZÃ¼rich`), CRLF line ends, a field quoted when it holds a comma, quote or line break. Times
are the site's wall time as `2026-11-30 09:30:00` (no offset, no `T`), which every one of those reads as a date
and time whatever its locale; delays are hours as plain numbers (`2.5`), which sort and sum.

A title comes from outside (a watched feed): one starting with `=`, `+`, `-`, `@`, a tab or a carriage return
would be a formula in a spreadsheet (`=HYPERLINK(...)` offering a link, `=cmd|…` running a program on old Excel).
Such a text cell is written after a `'` (OWASP's advice for CSV injection), which the spreadsheet shows as the
text it is. Numbers we write ourselves (a negative delay) are left as numbers. The controls that drive a terminal
(ESC, a carriage return) are escaped in the cells, as everywhere the CLI prints another's text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from feeds.clock import ensure_utc
from feeds.logs import for_terminal
from feeds.model import MatchKind, Release, StoredMatch

_LONG_AGO = datetime.min.replace(tzinfo=UTC)  # (a release since deleted: its matches' row comes last)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet cell a formula (OWASP, "CSV Injection"): such a text is written after a `'`."""


@dataclass(frozen=True)
class ArticleRow:
    """An article a rule or release found, as `matches list` counts it: every copy's feed, the first found."""

    kind: MatchKind
    subject: str
    """The rule's name, or the release's id."""
    title: str
    link: str | None
    feeds: tuple[str, ...]
    found_at: datetime
    """When its first copy was found."""
    published: datetime
    """Its first copy's own date (or when first seen)."""
    delay: float | None
    """Seconds from the release's publication to its first copy (related and pickup), else None."""
    copies: tuple[StoredMatch, ...]


@dataclass(frozen=True)
class SubjectRow:
    """One release's (or rule's) coverage: its articles, how many reproduce it verbatim, in which feeds."""

    kind: str
    """`release` or `rule`."""
    subject: str
    """The release's id, or the rule's name."""
    release: Release | None
    articles: int
    pickups: int
    related: int
    feeds: tuple[str, ...]
    first_found: datetime | None
    last_found: datetime | None
    first_delay: float | None
    """Seconds from the release's publication to its first article (pickup or related)."""


def feed_name(m: StoredMatch) -> str:
    return m.item.feed_title or "unnamed feed"


def article_rows(matches: Sequence[StoredMatch]) -> list[ArticleRow]:
    """One row per (kind, rule or release, article), in the order of `matches` (its first copy's place)."""
    from feeds.publish.coverage import article_of, published_link

    copies: dict[tuple[str, str, str], list[StoredMatch]] = {}
    for m in matches:
        copies.setdefault((m.kind, m.subject, article_of(m)), []).append(m)
    rows = []
    for ms in copies.values():
        delays = [m.delay for m in ms if m.delay is not None]
        rows.append(
            ArticleRow(
                kind=ms[0].kind,
                subject=ms[0].subject,
                title=ms[0].item.item.title,
                link=published_link(ms),
                feeds=tuple(dict.fromkeys(feed_name(m) for m in ms)),
                found_at=min(m.found_at for m in ms),
                published=min(m.item.published for m in ms),
                delay=min(delays) if delays else None,
                copies=tuple(ms),
            )
        )
    return rows


def release_rows(
    articles: Sequence[ArticleRow], releases: dict[str, Release], quiet: Iterable[str]
) -> list[SubjectRow]:
    """One row per release with coverage among `articles`, and one (of nothing) per release id in `quiet` (those
    published in the report's weeks: a release nobody picked up is news to the director too); newest release
    first. An article found both as a pickup and as related counts once, as a pickup (the stronger evidence)."""
    by_release: dict[str, list[ArticleRow]] = {r: [] for r in quiet}
    for a in articles:
        if a.kind != "keyword":
            by_release.setdefault(a.subject, []).append(a)
    rows = []
    for subject, found in by_release.items():
        stories: dict[str, set[str]] = {}  # article -> kinds
        for a in found:
            stories.setdefault(_article_key(a), set()).add(a.kind)
        pickups = sum(1 for kinds in stories.values() if "pickup" in kinds)
        delays = [a.delay for a in found if a.delay is not None]
        rows.append(
            SubjectRow(
                kind="release",
                subject=subject,
                release=releases.get(subject),
                articles=len(stories),
                pickups=pickups,
                related=len(stories) - pickups,
                feeds=_feeds_of(found),
                first_found=min((a.found_at for a in found), default=None),
                last_found=max((a.found_at for a in found), default=None),
                first_delay=min(delays) if delays else None,
            )
        )
    rows.sort(key=lambda r: (r.release.published if r.release else _LONG_AGO, r.subject), reverse=True)
    return rows


def rule_rows(articles: Sequence[ArticleRow]) -> list[SubjectRow]:
    """One row per keyword rule that found something among `articles`, the most articles first (then by name)."""
    by_rule: dict[str, list[ArticleRow]] = {}
    for a in articles:
        if a.kind == "keyword":
            by_rule.setdefault(a.subject, []).append(a)
    rows = [
        SubjectRow(
            kind="rule",
            subject=name,
            release=None,
            articles=len(found),
            pickups=0,
            related=0,
            feeds=_feeds_of(found),
            first_found=min(a.found_at for a in found),
            last_found=max(a.found_at for a in found),
            first_delay=None,
        )
        for name, found in by_rule.items()
    ]
    rows.sort(key=lambda r: (-r.articles, r.subject.casefold(), r.subject))
    return rows


def _article_key(a: ArticleRow) -> str:
    from feeds.publish.coverage import article_of

    return article_of(a.copies[0])


def _feeds_of(found: Iterable[ArticleRow]) -> tuple[str, ...]:
    """The feeds that carried any of `found`, the most articles first (then by name): the outlets of a release."""
    counts: dict[str, int] = {}
    for a in found:
        for name in a.feeds:
            counts[name] = counts.get(name, 0) + 1
    return tuple(sorted(counts, key=lambda n: (-counts[n], n.casefold(), n)))


def spreadsheet_time(value: datetime | None, tz: tzinfo) -> str:
    """`2026-11-30 09:30:00`: the wall time in `tz`, in the one form Excel (whatever its locale), LibreOffice and
    Google Sheets all read as a date and time."""
    return ensure_utc(value).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def hours(seconds: float | None) -> str:
    """A delay in hours to two places (`2.5`, `-0.25`), a number any spreadsheet sums; empty when there is none."""
    if seconds is None:
        return ""
    text = f"{seconds / 3600:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def text_cell(value: str | None) -> str:
    """A text from outside as a cell that stays text: after a `'` when it would start a formula; the controls that
    drive a terminal escaped as the text list escapes them (`for_terminal`: the CSV may be printed on one), so a
    carriage return is `\\r`, while a tab stays, and so is written after a `'` when it starts the cell."""
    if not value:
        return ""
    value = for_terminal(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """RFC 4180 CSV for a spreadsheet: a byte order mark first, CRLF rows, fields quoted when they must be. The
    caller writes it as UTF-8, as is."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return "\ufeff" + out.getvalue()


ARTICLE_COLUMNS = (
    "found",
    "published",
    "delay_hours",
    "kind",
    "rule",
    "release",
    "release_id",
    "feeds",
    "title",
    "link",
)


def article_csv(articles: Sequence[ArticleRow], releases: dict[str, Release], tz: tzinfo) -> str:
    """The articles as CSV (`ARTICLE_COLUMNS`): a keyword match names its rule, a related or pickup match its
    release's title and id; times in `tz`; the feeds that carried an article joined by `; `."""
    rows = []
    for a in articles:
        release = releases.get(a.subject) if a.kind != "keyword" else None
        rows.append(
            (
                spreadsheet_time(a.found_at, tz),
                spreadsheet_time(a.published, tz),
                hours(a.delay),
                a.kind,
                text_cell(a.subject if a.kind == "keyword" else None),
                text_cell(release.title if release else None),
                text_cell(a.subject if a.kind != "keyword" else None),
                text_cell("; ".join(a.feeds)),
                text_cell(a.title),
                text_cell(a.link),
            )
        )
    return csv_text(ARTICLE_COLUMNS, rows)


RELEASE_COLUMNS = (
    "release",
    "release_id",
    "published",
    "articles",
    "pickups",
    "related",
    "first_found",
    "first_delay_hours",
    "feeds",
)
RULE_COLUMNS = ("rule", "articles", "first_found", "last_found", "feeds")


def summary_csv(rows: Sequence[SubjectRow], tz: tzinfo, *, by: str) -> str:
    """The summary rows as CSV: `RELEASE_COLUMNS` by release, `RULE_COLUMNS` by rule (the header either way)."""
    if by == "rule":
        return csv_text(
            RULE_COLUMNS,
            (
                (
                    text_cell(r.subject),
                    str(r.articles),
                    spreadsheet_time(r.first_found, tz),
                    spreadsheet_time(r.last_found, tz),
                    text_cell("; ".join(r.feeds)),
                )
                for r in rows
            ),
        )
    return csv_text(
        RELEASE_COLUMNS,
        (
            (
                text_cell(r.release.title if r.release else None),
                text_cell(r.subject),
                spreadsheet_time(r.release.published if r.release else None, tz),
                str(r.articles),
                str(r.pickups),
                str(r.related),
                spreadsheet_time(r.first_found, tz),
                hours(r.first_delay),
                text_cell("; ".join(r.feeds)),
            )
            for r in rows
        ),
    )
