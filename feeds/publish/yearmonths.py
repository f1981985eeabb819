"""Which years' pages are listed by month (pure): a year past `MONTH_PAGES_FROM` releases.

    releases of a year ──months_of──► {month: releases} ──► years/<year>/ (its months) + years/<year>/<mm>/ …

A year page lists every release first published that year, so that every release is reachable from the site's
pages. A press office bringing in twelve years of its old website has some 3,000 releases a year: one page of
them is 1.9 MB of HTML with 3,000 links, which a phone loads slowly and a reader cannot scan. Such a year's page
names its months instead (with how many releases each has), and each month's page lists that month's releases
(a few hundred). A year with fewer keeps its one page, as it always had. Months are counted in the site's time
zone, as the years are.

What this module must not do: render, read the clock, the store or the disk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from feeds.model import Release

MONTH_PAGES_FROM = 400
"""A year with more releases than this is listed by month (a page of 400 cards is some 230 KB of HTML)."""


def months_of(releases: Sequence[Release], month_of: Callable[[Release], int]) -> Mapping[int, Sequence[Release]]:
    """The releases of one year by month (1-12, newest month first, each in the order given), when there are more
    than `MONTH_PAGES_FROM` of them; else {} (the year has one page). `month_of`: a release's month of publication
    in the site's time zone."""
    if len(releases) <= MONTH_PAGES_FROM:
        return {}
    by_month: dict[int, list[Release]] = {}
    for r in releases:
        by_month.setdefault(month_of(r), []).append(r)
    return {m: by_month[m] for m in sorted(by_month, reverse=True)}


def month_path(year: int, month: int) -> str:
    """The month page's folder in out/: `years/2021/05/`."""
    return f"years/{year}/{month:02d}/"
