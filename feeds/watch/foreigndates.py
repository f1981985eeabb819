"""Item dates written in a language's own way, which feedparser reads wrongly: Chinese, Japanese and Korean
(`2026年11月30日 09:00`, `2026년 11월 30일 오후 3:20`, `2026. 11. 30. 오전 9:00`), and the Korean, Greek and Hungarian
forms feedparser has readers for but tries after its ISO 8601 reader. That one reads the start of such a string
(`2026`, `2004-05-25`) and takes what it lacks from the machine's clock: `2026年11月30日` read on 1 December was
2026-12-01, an item of last spring was dated today (and so could be coverage of today's release).

Only a date holding a character outside ASCII is read here (`feeds.watch.feeditems` asks for no other): an English
feed's dates never reach this module. A date it cannot read in full is None (the item is dated when first seen).

What this module must not do: read the clock, or fill in a part of a date the feed did not write.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone

from feedparser.datetimes import _parse_date  # type: ignore[import-untyped]
from feedparser.datetimes.greek import _parse_date_greek  # type: ignore[import-untyped]
from feedparser.datetimes.hungarian import _parse_date_hungarian  # type: ignore[import-untyped]
from feedparser.datetimes.korean import _parse_date_nate, _parse_date_onblog  # type: ignore[import-untyped]

from feeds.watch.localdates import localized_date, without_direction_marks

__all__ = ["written_date"]

_CJK_DATE = re.compile(
    r"\s*(\d{4})\s*[年년.]\s*(\d{1,2})\s*[月월.]\s*(\d{1,2})\s*[日일.]?"
    r"(?:\s*(上午|下午|午前|午後|오전|오후)?\s*(\d{1,2})\s*[:時时시]\s*(\d{1,2})\s*(?:[:分분]\s*(\d{1,2}))?)?"
)
_AFTERNOON = frozenset({"下午", "午後", "오후"})
_KOREAN = re.compile("[\uac00-\ud7a3]")
_JAPANESE = re.compile("[\u3040-\u30ff時]|午前|午後")
_KOREA_JAPAN = timezone(timedelta(hours=9))
_CHINA = timezone(timedelta(hours=8))
"""Where no zone is written: Korea's and Japan's for Korean and Japanese, else China's, which is never earlier
than the true time of a Japanese or Korean date (a date after its time of sight is dated when seen anyway)."""
_ISO_DAY = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?(?![\d:])")


def written_date(text: str) -> time.struct_time | None:
    """`text` (a date holding non-ASCII characters) as a UTC struct_time, as feedparser gives dates; None when
    it cannot be read in full. Direction marks (Arabic and Hebrew sites') are no part of it: a date that is ASCII
    without them is feedparser's, or `localdates`' when feedparser cannot read it."""
    text = without_direction_marks(text)
    if "".join(text.split()).isascii():
        return _parse_date(text) or localized_date(text)
    for reader in (_parse_date_nate, _parse_date_onblog, _parse_date_greek, _parse_date_hungarian):
        try:
            parsed = reader(text)
        except (ValueError, OverflowError, IndexError, KeyError):
            parsed = None
        if parsed is not None:
            return parsed  # type: ignore[no-any-return]
    return _east_asian(text) or _iso_day(text) or localized_date(text)


def _east_asian(text: str) -> time.struct_time | None:
    m = _CJK_DATE.match(text)
    if m is None or not (m.group(5) or "年" in text or "년" in text):
        return None  # (dots alone with no time: "2026.11.30" is not written this way only)
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    hour, minute, second = (int(g) if g else 0 for g in m.group(5, 6, 7))
    if m.group(4) in _AFTERNOON and hour < 12:
        hour += 12
    zone = _KOREA_JAPAN if _KOREAN.search(text) or _JAPANESE.search(text) else _CHINA
    return _utc(year, month, day, hour, minute, second, zone)


def _iso_day(text: str) -> time.struct_time | None:
    """A date that starts with a whole ISO 8601 day (`2026-11-30 à 9h`): that day (and time, when written), with
    no zone, as UTC, as feedparser reads a date without one."""
    m = _ISO_DAY.match(text)
    if m is None:
        return None
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    hour, minute, second = (int(g) if g else 0 for g in m.group(4, 5, 6))
    return _utc(year, month, day, hour, minute, second, UTC)


def _utc(
    year: int, month: int, day: int, hour: int, minute: int, second: int, zone: timezone
) -> time.struct_time | None:
    try:
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=zone).astimezone(UTC).timetuple()
    except ValueError:
        return None
