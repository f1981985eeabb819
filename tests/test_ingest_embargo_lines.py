"""Embargo lines at the top of a release, and headlines that only read like one ("Embargoed to protect the
fleet", "Embargo: what it means"): a headline stays the title in every format, a real embargo line dates the
release, and one giving no date is refused."""

from __future__ import annotations

import pytest

from feeds.errors import InvalidReleaseError
from feeds.ingest.embargo import is_embargo_line
from feeds.ingest.formats import parse_release_file
from feeds.model import RawRelease


@pytest.mark.parametrize(
    "headline",
    [
        "Embargoed to 2027, fishing fleet waits",
        "Embargoed until 2027, fishing fleet waits",
        "Embargo 2027, fishing fleet waits",
        "Embargoed to protect the fishing fleet",
        "Under embargo to 2030: the Iran fleet",
        "Embargoed until 1500 jobs are saved",
    ],
)
def test_a_headline_that_reads_like_an_embargo_is_the_title_not_an_embargo(headline: str) -> None:
    assert not is_embargo_line(headline)
    for name, raw in headline_in_every_format(headline):
        assert raw.title == headline and raw.published is None, name


@pytest.mark.parametrize(
    "line",
    ["EMBARGOED UNTIL 1000 EST", "Embargoed until 1000 Paris time", "Embargoed until 2027, time to be confirmed"],
)
def test_four_digits_then_a_zone_or_time_but_no_date_is_still_an_embargo_line(line: str) -> None:
    assert is_embargo_line(line)


@pytest.mark.parametrize(
    ("line", "when"),
    [
        ("Embargoed to 00:01 Thursday 3 December 2026", "00:01 Thursday 3 December 2026"),
        ("EMBARGOED TO 0001 THURSDAY 3 DECEMBER 2026", "00:01 THURSDAY 3 DECEMBER 2026"),
        ("Embargoed to Thursday 3 December 2026, 00:01", "Thursday 3 December 2026, 00:01"),
        ("Embargoed until 2230, 3 December 2026", "22:30, 3 December 2026"),
        ("EMBARGOED UNTIL 2230 ON 3 DECEMBER 2026", "22:30 3 DECEMBER 2026"),
        ("Embargoed until 2026-12-03 00:01", "2026-12-03 00:01"),
        ("EMBARGOED UNTIL 1000 EST 3 DECEMBER 2026", "10:00 EST 3 DECEMBER 2026"),
        ("Embargoed until 1000 +05:30 3 December 2026", "10:00 +05:30 3 December 2026"),
        ("Embargo 0930 GMT 3 December 2026", "09:30 GMT 3 December 2026"),
        ("Not for publication before 1000 CET 3 December 2026", "10:00 CET 3 December 2026"),
    ],
)
def test_real_embargo_lines_with_to_or_a_four_digit_time_are_still_taken(line: str, when: str) -> None:
    assert is_embargo_line(line)
    (raw,) = parse_release_file(
        f"{line}\n\nNew strategy\n\nThe plan.\n".encode(), "e.txt", source="inbox", origin="/srv/inbox/e.txt"
    )
    assert raw.title == "New strategy" and raw.published == when


@pytest.mark.parametrize(
    "headline",
    [
        "Embargo 2400 fishing boats",
        "Embargo 12 vessels in the harbour",
        "Embargo 3 ports over disease",
        "Embargo 1200 fishing boats",
        "Embargo 1500 jobs at risk",
        "Embargo lifted on Iranian oil",
    ],
)
def test_a_headline_opening_with_embargo_is_no_embargo_line(headline: str) -> None:
    assert not is_embargo_line(headline)
    for name, raw in headline_in_every_format(headline):
        assert raw.title == headline, name


def headline_in_every_format(headline: str) -> list[tuple[str, RawRelease]]:
    """(file name, what was read) for `headline` heading a short release as text, Markdown and HTML."""
    read = []
    for name, text in (
        ("h.txt", f"{headline}\n\nThe fleet is held in port today, the harbour said.\n"),
        ("h.md", f"# {headline}\n\nThe fleet is held in port today, the harbour said.\n"),
        ("h.html", f"<h1>{headline}</h1><p>The fleet is held in port today, the harbour said.</p>"),
    ):
        (raw,) = parse_release_file(text.encode(), name, source="inbox", origin=f"/srv/inbox/{name}")
        read.append((name, raw))
    return read


@pytest.mark.parametrize(
    "line",
    [
        "Embargo 00:01 Thursday 3 December",
        "Embargo 0001 Thursday 3 December 2026",
        "EMBARGO 00.01hrs 3 Dec 2026",
        "Embargo 10am 4 December 2026",
        "Embargo 3 December 2026",
        "Embargo 3/12/2026 00:01",
        "Embargo 2026-12-03T00:01:00Z",
        "EMBARGO 2400 HOURS 3 DECEMBER 2026",
        "EMBARGO 0001 THURSDAY 3 DECEMBER",
        "Embargo 2359 Wednesday",
        "EMBARGO 0001",
        "Embargo 1200 noon Friday",
        "Embargo 12 noon Friday",
        "Embargo 0930 GMT 3 December",
        "Embargo 0001, 3/12/2026",
    ],
)
def test_real_embargo_lines_with_a_time_after_embargo_are_still_taken(line: str) -> None:
    assert is_embargo_line(line)


@pytest.mark.parametrize(
    "headline",
    ["Embargo: what it means for fishermen", "Under embargo: the Iran fleet", "For release: new ferry timetable"],
)
def test_a_headline_with_a_colon_after_embargo_is_no_embargo_line(headline: str) -> None:
    (raw,) = parse_release_file(
        f"{headline}\n\nThe fleet stays in port today, the harbour said.\n".encode(),
        "h.txt",
        source="inbox",
        origin="/srv/inbox/h.txt",
    )
    assert raw.title == headline and raw.published is None


@pytest.mark.parametrize(
    "line",
    [
        "EMBARGO: UNTIL FURTHER NOTICE",
        "Embargoed: until further notice",
        "Embargo: Thursday, time to be confirmed",
        "Embargo: midnight tonight",
        "For release: TBC",
    ],
)
def test_an_embargo_line_with_a_colon_and_no_date_is_still_refused(line: str) -> None:
    assert is_embargo_line(line)
    with pytest.raises(InvalidReleaseError, match="gives no date"):
        parse_release_file(
            f"{line}\n\nNew strategy\n\nThe plan.\n".encode(), "e.txt", source="inbox", origin="/srv/inbox/e.txt"
        )
