"""The shortcuts of normalising a release give exactly what the general code they stand in for gives: the content
hash built around the body's JSON, a summary's paragraphs found one by one, quotation marks in ASCII text, the
fields not given left uncleaned."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.config import Site, TopicSettings
from feeds.model import RawRelease
from feeds.normalise import normalise_release
from feeds.normalise import release as release_module
from feeds.normalise import text as text_module
from feeds.normalise.fields import changes_of, url_of
from feeds.normalise.ids import slugify
from feeds.normalise.plaintext import left_open
from feeds.normalise.text import collapse, iter_paragraphs, one_line_text, xml_safe

_AWKWARD = st.text(alphabet=st.sampled_from('ab "\\\n\r\t\x00\x01\x08\x0c\x1f\x7fé€“”’😀\u2028'), max_size=40)


def _hash_as_specified(fields: dict[str, object]) -> str:
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@settings(max_examples=500)
@given(body=_AWKWARD | st.text(), title=_AWKWARD, note=st.none() | _AWKWARD, topics=st.lists(_AWKWARD, max_size=3))
def test_the_content_hash_is_the_hash_of_the_canonical_json(body, title, note, topics):
    fields: dict[str, object] = {
        "v": 1,
        "title": title,
        "summary": None,
        "body_html": body,
        "topics": topics,
        "changes": [["2026-11-02T09:30:00Z", "x"]],
        "withdrawn_note": note,
        **({"change_note": note} if note else {}),
        **({"translation_of": title} if title else {}),
    }
    assert release_module._content_hash(dict(fields)) == _hash_as_specified(fields)


def test_body_html_sorts_before_every_key_hashed():
    source = release_module.__loader__.get_source(release_module.__name__)  # type: ignore[union-attr]
    hashed = source[source.index("content_hash = _content_hash(") : source.index("warning = ")]
    keys = [line.strip().split('"')[1] for line in hashed.splitlines() if line.strip().startswith(('"', '**({"'))]
    keys = [k for k in keys if k] + ["change_note", "translation_of"]
    assert len(keys) > 15 and min(keys) == "body_html"


@settings(max_examples=1000)
@given(st.text(alphabet=st.sampled_from("ab \n\r\t\xa0\f\v\u2028"), max_size=40))
def test_a_summary_reads_the_paragraphs_iter_paragraphs_reads(text):
    assert list(iter_paragraphs(text)) == list(_paragraphs_split_at_once(text))


def _paragraphs_split_at_once(text):
    """What `iter_paragraphs` did before it read lazily: the whole text split at its blank lines first."""
    text = xml_safe(text).replace("\r\n", "\n").replace("\r", "\n")
    for block in re.split(r"\n[ \t\f\v\xa0]*\n", text):
        lines = [line for line in (collapse(line) for line in block.split("\n")) if line]
        if lines:
            yield lines


@settings(max_examples=1000)
@given(st.text(alphabet=st.sampled_from("ab '\".,!?:`-"), max_size=30), st.integers(0, 2), st.booleans())
def test_quotation_marks_left_open_in_ascii_text_as_in_any_text(text, double, single):
    # (a letter beyond ASCII, which is no quotation mark, sends the text through the regex scan)
    assert left_open(text, (double, single)) == left_open(text + "é", (double, single))


@settings(max_examples=2000)
@given(
    st.text(alphabet=st.sampled_from("aZ09 -_'`&.,!\t\x00\x7f/:CONconLPTlpt1"), max_size=30),
    st.sampled_from([80, 5, 3]),
)
def test_an_ascii_text_is_slugified_as_any_text_is(text, max_length):
    # (a symbol beyond ASCII at the end, which only separates words, sends the text through the general steps)
    assert slugify(text, max_length) == slugify(text + " ☃", max_length)


@settings(max_examples=1000)
@given(st.text(alphabet=st.sampled_from("ab  \t\x0b\x0c\r\x1c\x1f\x85\xa0é"), min_size=60, max_size=120), st.booleans())
def test_a_summary_line_is_collapsed_as_collapse_does(text, collapsed_already):
    line = collapse(text) if collapsed_already else text
    assert text_module._collapsed(line) == collapse(line)


def test_a_field_not_given_is_what_cleaning_it_would_give():
    """`normalise_release` skips cleaning a text, a link or the changes not given: what cleaning them would give."""
    bare = RawRelease(origin="/inbox/a.json", source="inbox", title="A", body="Text.")
    assert one_line_text("") == ""
    assert url_of(bare, "link", None, None) is None
    assert changes_of(bare, ZoneInfo("Europe/London")) == []


def test_fields_given_blank_are_as_not_given():
    site = Site(
        title="Office",
        base_url="https://press.example.org/",
        author="Office",
        language="en-GB",
        timezone="Europe/London",
    )
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

    def norm(**fields: object):
        raw = RawRelease(origin="/inbox/a.json", source="inbox", title="A", body="Text.", **fields)  # type: ignore[arg-type]
        return normalise_release(raw, site, TopicSettings(), now)

    plain = norm()
    for blank in ("", " \n", "\x00"):
        got = norm(change_note=blank, translation_of=blank, organisation=blank, withdrawn_note=blank)
        assert (got.change_note, got.translation_of, got.organisation, got.withdrawn_note) == (
            None,
            None,
            "Office",
            None,
        )
        assert got.content_hash == plain.content_hash
    given = norm(change_note=" a \n b ", translation_of="x", organisation=" Sea\tOffice ", withdrawn_note="Old.")
    assert (given.change_note, given.translation_of, given.organisation) == ("a b", "x", "Sea Office")
    assert given.withdrawn_note == "Old." and given.withdrawn_at == now


_TEXT_OR_NONE = st.none() | _AWKWARD | st.text()


@settings(max_examples=1000)
@given(
    texts=st.fixed_dictionaries(
        {key: _TEXT_OR_NONE for key in release_module._PLAIN_KEYS - {"changes", "topics", "v"}}
    ),
    topics=st.lists(_AWKWARD | st.text(), max_size=3) | st.sampled_from([[1], ("a", "b"), "ab", None]),
    v=st.integers() | st.sampled_from([True, 1.0]),
    changes=st.sampled_from([[], [["2026-11-02T09:30:00Z", "x"]]]),
    extra=st.sampled_from([{}, {"change_note": "a"}, {"translation_of": "b"}]),
)
def test_the_hashed_fields_json_is_the_canonical_json(texts, topics, v, changes, extra):
    fields = {"v": v, **texts, "topics": topics, "changes": changes, **extra}
    plain = release_module._plain_fields_json(fields)
    if plain is not None:
        assert plain == release_module._CANONICAL_JSON.encode(fields)
    plain_shape = type(topics) in (list, tuple) and all(isinstance(t, str) for t in topics)
    if (changes, extra, type(v)) == ([], {}, int) and plain_shape:
        assert plain is not None  # (the shortcut is taken whenever it may be)


def test_the_hashed_fields_of_a_release_take_the_shortcut():
    fields = {
        "v": 1, "title": 'Talks "now" (1)', "summary": None, "topics": ["Climate", "Trade"], "organisation": "Office",
        "language": "en", "document_type": "press_release", "slug": None, "link": None, "image": None,
        "published": "2026-11-02T09:30:00Z", "updated": None, "withdrawn_at": None, "withdrawn_note": "é\n\\",
        "changes": [],
    }  # fmt: skip
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert release_module._plain_fields_json(dict(fields)) == canonical
