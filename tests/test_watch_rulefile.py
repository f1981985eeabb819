"""`feeds.watch.rulefile`: the forms a file of keyword rules comes in, read by explicit rules, every bad line found
with where it is; and the file written back, read to the same rules."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime

import pytest

from feeds.model import Rule
from feeds.watch.rulefile import read_rule_file, write_rule_file

T = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "form", "encoding"),
    [
        (b"name,query\r\nx,lavrov\r\n", "comma", "UTF-8"),
        (codecs.BOM_UTF8 + b"name;query\nx;lavrov\n", "semicolon", "UTF-8 with BOM"),
        (codecs.BOM_UTF16_LE + "name\tquery\r\nx\tlavrov\r\n".encode("utf-16-le"), "tab", "UTF-16"),
        (codecs.BOM_UTF16_BE + "name\tquery\r\nx\tlavrov\r\n".encode("utf-16-be"), "tab", "UTF-16"),
        ("name\tquery\r\nx\tlavrov\r\n".encode("utf-16-le"), "tab", "UTF-16"),  # (no byte order mark)
        (b"name,query\rx,lavrov\r", "comma", "UTF-8"),  # (old Mac Excel: CR alone ends a line)
        (b"  Query , Name\nlavrov,x\n", "comma", "UTF-8"),  # (columns in any order, any case)
        (b"# watched\n\nQUERY;NAME\nlavrov;x\n", "semicolon", "UTF-8"),  # (a comment above the header)
    ],
)
def test_each_form_is_told_by_its_bytes_and_header(data, form, encoding):
    read = read_rule_file(data)
    assert (read.form, read.encoding, read.problems) == (form, encoding, ())
    assert [(r.name, r.query) for r in read.rows] == [("x", "lavrov")]


def test_a_file_without_a_query_header_is_one_query_per_line():
    read = read_rule_file(b"name, query and more\nlavrov\n")
    assert read.form == "text"
    assert [p.line for p in read.problems] == [1], "the first line read as a query (a comma in it: refused)"


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("name,query\nx,a,b\n", [(2, None, "3 cells, but the header names 2 columns")]),
        ("name,query\nx,lavrov,\n", []),  # (an empty cell past the last column, as spreadsheets write)
        ('name,query\nx,"lavrov" -rumour\n', [(2, None, "',' expected after '\"'")]),
        ("name,query,name\nx,y,z\n", [(1, None, "the header names the column 'name' twice")]),
        ("name,query\nx,\n", [(2, "B", "rule 'x' has no query")]),
        ("name,query\nx;y\n", [(2, "B", "has no query (is this line separated by another character")]),
        ("name,query\n\x01bad,lavrov\n", [(2, "A", "a rule's name must not contain")]),
        ("name,query\nx,lavrov\nX,lavrov*\n", [(3, None, "rule 'X' is on line 2 already, as 'x'")]),
        ("name,query\ndrone,drone\ndrone*,drone*\n", [(3, None, "would publish its matches in the folder of")]),
        ("query\n" + "a " * 150 + "\n", [(2, None, "give the rule a name (a `name` column)")]),
        ("lavrov\n\tiran )\n", [(2, 7, "")]),
    ],
)
def test_every_bad_line_is_found_with_where_it_is(text, problems):
    read = read_rule_file(text.encode("utf-8"))
    assert [(p.line, p.column) for p in read.problems] == [(line, column) for line, column, _ in problems]
    for p, (_, _, message) in zip(read.problems, problems, strict=True):
        assert message in p.message


def test_a_line_repeated_is_noted_not_refused():
    read = read_rule_file(b"name,query\nx,lavrov\nx,lavrov\n")
    assert (len(read.rows), read.problems) == (1, ())
    assert read.notes == ("line 3 repeats line 2 ('x')",)


def test_nul_bytes_that_are_no_utf16_are_refused():
    read = read_rule_file(b"lavrov\niran\x00\n")
    assert read.rows == ()
    assert [(p.line, p.message) for p in read.problems] == [(2, "not a text file (it holds NUL bytes)")]


def test_written_files_read_back_to_the_same_rules():
    rules = [
        Rule(n, q, "cli", T, T)
        for n, q in [
            ("Zürich", "zürich"),
            ("@handle", "+x -y"),
            ("Korea, North", '"north korea" OR 北朝鮮'),
            ("several lines", "iran\nOR syria"),
            ("aachen", "aachen"),
        ]
    ]
    data = write_rule_file(rules, "csv")
    read = read_rule_file(data)
    assert read.problems == ()
    assert [(r.name, r.query) for r in read.rows] == [  # (as `keywords list` orders them)
        ("@handle", "+x -y"),
        ("aachen", "aachen"),
        ("Korea, North", '"north korea" OR 北朝鮮'),
        ("several lines", "iran\nOR syria"),
        ("Zürich", "zürich"),
    ]
    assert write_rule_file(list(reversed(rules)), "csv") == data, "the same rules, the same bytes"
    with pytest.raises(ValueError, match="several lines"):
        write_rule_file(rules, "txt")
    plain = [Rule("lavrov", "lavrov", "cli", T, T), Rule('"wang yi"', '"wang yi"', "cli", T, T)]
    assert write_rule_file(plain, "txt") == b'"wang yi"\nlavrov\n'
    assert [r.name for r in read_rule_file(write_rule_file(plain, "txt")).rows] == ['"wang yi"', "lavrov"]


def test_broken_utf16_is_refused_at_its_line():
    data = codecs.BOM_UTF16_LE + "name\tquery\r\nx\tlavrov\r\n".encode("utf-16-le") + b"\x00\xd8" + b"a\x00"
    read = read_rule_file(data)
    assert [(p.line, p.message.split(" (")[0]) for p in read.problems] == [(3, "not UTF-16 text past this line")]
