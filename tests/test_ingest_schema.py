"""feeds.ingest.schema: our JSON release schema, its table, and the errors that name the field."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.errors import InvalidReleaseError
from feeds.ingest.schema import JSON_SCHEMA_FIELDS, release_from_json

ORIGIN = "push:42"
BASE = {"title": "Ferry timetable published", "body": "The summer timetable is out."}


def test_every_field_in_the_table_is_accepted() -> None:
    obj: dict[str, object] = {name: f"value of {name}" for name in JSON_SCHEMA_FIELDS}
    del obj["body_html"]
    obj["link"] = "https://www.example.gov.uk/news/ferry"
    obj["topics"] = ["Transport", "Islands"]
    raw = release_from_json(obj, source="push", origin=ORIGIN)
    assert raw.title == "value of title"
    assert raw.body == "value of body"
    assert raw.body_format == "markdown"
    assert raw.topics == ("Transport", "Islands")
    for name in (
        *("summary", "published", "updated", "slug", "organisation", "source_key", "language"),
        *("withdrawn_note", "withdrawn_at", "change_note"),
    ):
        assert getattr(raw, name) == f"value of {name}"
    assert raw.document_type == "value of document_type"
    assert raw.image == "value of image"
    assert raw.source == "push"
    assert raw.origin == ORIGIN


def test_table_documents_every_field() -> None:
    assert JSON_SCHEMA_FIELDS["title"].required is True
    assert [name for name, spec in JSON_SCHEMA_FIELDS.items() if spec.required] == ["title"]
    for name, (type_description, _required, doc) in JSON_SCHEMA_FIELDS.items():
        assert type_description and doc, name


def test_body_html_gives_html_format_and_strings_are_stripped() -> None:
    raw = release_from_json(
        {"title": "  Ferry  ", "body_html": "<p>Out now</p>\n", "summary": "   ", "topics": " A , ,B,A "},
        source="push",
        origin=ORIGIN,
    )
    assert (raw.title, raw.body, raw.body_format) == ("Ferry", "<p>Out now</p>", "html")
    assert raw.summary is None
    assert raw.topics == ("A", "B")


def test_null_counts_as_absent() -> None:
    raw = release_from_json({**BASE, "summary": None, "topics": None}, source="push", origin=ORIGIN)
    assert raw.summary is None and raw.topics == ()


def test_a_numeric_source_key_names_the_release_as_its_digits_do() -> None:
    # A CMS's ids are often numbers: `"source_key": 4711` and `"source_key": "4711"` are the same release.
    assert release_from_json({**BASE, "source_key": 4711}, source="push", origin=ORIGIN).source_key == "4711"
    assert release_from_json({**BASE, "source_key": "4711"}, source="push", origin=ORIGIN).source_key == "4711"


@pytest.mark.parametrize(
    ("obj", "field", "fragments"),
    [
        ({"body": "text"}, "title", ["required"]),
        ({**BASE, "title": "   "}, "title", ["required"]),
        ({**BASE, "titel": "typo"}, "titel", ["unknown field 'titel'", "did you mean 'title'?"]),
        ({**BASE, "date": "2025-01-01"}, "date", ["did you mean 'published'?"]),
        ({**BASE, "organization": "DfT"}, "organization", ["did you mean 'organisation'?"]),
        ({**BASE, "auther": "DfT"}, "auther", ["did you mean 'organisation'?"]),  # (not 'date': a review)
        ({**BASE, "title": 42}, "title", ["must be a string, not number"]),
        ({**BASE, "source_key": 47.11}, "source_key", ["must be a string, not number"]),
        ({**BASE, "source_key": True}, "source_key", ["must be a string, not boolean"]),
        ({**BASE, "summary": ["a"]}, "summary", ["must be a string, not array"]),
        ({**BASE, "published": {"at": "x"}}, "published", ["not object"]),
        ({**BASE, "body_html": "<p>x</p>"}, "body_html", ["either 'body' or 'body_html', not both"]),
        ({"title": "No body"}, "body", ["'body'", "'body_html'"]),
        ({**BASE, "topics": 3}, "topics", ["array of strings or a comma-separated string"]),
        ({**BASE, "topics": ["ok", 3]}, "topics", ["item 1 must be a string, not number"]),
        ({**BASE, "link": "/news/ferry"}, "link", ["absolute http(s) URL"]),
        ({**BASE, "link": "javascript:alert(1)"}, "link", ["absolute http(s) URL"]),
        ({**BASE, "link": "http://[broken"}, "link", ["absolute http(s) URL"]),
        ({**BASE, "link": "https://example.org:99999/news"}, "link", ["absolute http(s) URL"]),
    ],
)
def test_schema_errors_name_the_field(obj: dict[str, object], field: str, fragments: list[str]) -> None:
    with pytest.raises(InvalidReleaseError) as info:
        release_from_json(obj, source="push", origin=ORIGIN)
    assert info.value.field == field
    assert info.value.origin == ORIGIN
    message = str(info.value)
    assert message.startswith(f"{ORIGIN}: field '{field}': ")
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize(("obj", "kind"), [([BASE], "array"), ("text", "string"), (None, "null"), (3, "number")])
def test_a_release_must_be_an_object(obj: object, kind: str) -> None:
    with pytest.raises(InvalidReleaseError, match=f"must be a JSON object, not {kind}"):
        release_from_json(obj, source="push", origin=ORIGIN)


@pytest.mark.parametrize("field", ["link", "image"])
def test_a_url_with_a_space_is_accepted_for_the_normaliser_to_encode(field: str) -> None:
    # A space (or a letter other than ASCII) can be percent-encoded: the file is not refused for it.
    raw = release_from_json({**BASE, field: "https://example.org/press kit/hafen ü.jpg"}, source="push", origin=ORIGIN)
    assert getattr(raw, field) == "https://example.org/press kit/hafen ü.jpg"


_TEXT_FIELDS = [
    "summary", "published", "updated", "slug", "organisation", "link", "source_key", "language", "document_type",
    "image", "translation_of", "withdrawn_at", "withdrawn_note", "change_note",
]  # fmt: skip


@given(
    st.dictionaries(
        st.sampled_from([*_TEXT_FIELDS, "title", "body", "body_html", "topics"]),
        st.one_of(st.none(), st.text(max_size=3), st.tuples(st.text(max_size=3))),
    )
)
def test_raw_release_from_fields_copies_each_text_as_one_get_for_each_would(fields) -> None:
    from feeds.ingest.schema import raw_release_from_fields
    from feeds.model import RawRelease

    def text(name: str) -> str | None:
        value = fields.get(name)
        return value if isinstance(value, str) else None

    topics = fields.get("topics")
    expected = RawRelease(
        origin="o", source="s", title="T", body="B", body_format="markdown",
        topics=topics if isinstance(topics, tuple) else (), lines=(("title", 2),),
        **{name: text(name) for name in _TEXT_FIELDS},
    )  # fmt: skip
    built = raw_release_from_fields(
        fields, origin="o", source="s", title="T", body="B", body_format="markdown", lines=(("title", 2),)
    )
    assert built == expected
    assert [getattr(built, n) for n in _TEXT_FIELDS] == [getattr(expected, n) for n in _TEXT_FIELDS]
