"""feeds.watch.query: valid queries and the tree they mean; invalid ones and where the error points."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.errors import RuleError
from feeds.watch.query import parse_query
from feeds.watch.querytree import And, Not, Term, anchors, describe, terms_of


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("iran", "iran"),
        ("  Iran  ", "iran"),
        ("Lavróv", "lavrov"),
        ("iran syria", "AND(iran, syria)"),
        ("iran AND syria", "AND(iran, syria)"),
        ("iran OR syria", "OR(iran, syria)"),
        ("iran | syria", "OR(iran, syria)"),
        ("iran|syria", "OR(iran, syria)"),
        ("a OR b OR c", "OR(a, b, c)"),
        # precedence: NOT > AND > OR
        ("a b OR c d", "OR(AND(a, b), AND(c, d))"),
        ("a OR b c", "OR(a, AND(b, c))"),
        ("a | b AND c", "OR(a, AND(b, c))"),
        ("a -b OR c", "OR(AND(a, NOT(b)), c)"),
        ("NOT b a", "AND(NOT(b), a)"),
        ("a NOT b c", "AND(a, NOT(b), c)"),
        ("a -(b OR c)", "AND(a, NOT(OR(b, c)))"),
        ("a NOT(b c)", "AND(a, NOT(AND(b, c)))"),
        ("a --b", "AND(a, b)"),
        ("a NOT NOT b", "AND(a, b)"),
        ("(a OR b) (c OR d)", "AND(OR(a, b), OR(c, d))"),
        ("((a))", "a"),
        ("(a b) c", "AND(a, b, c)"),
        ("(a OR b) OR c", "OR(a, b, c)"),
        # operators not in capitals are words
        ("iran or syria", "AND(iran, or, syria)"),
        ("iran Or syria", "AND(iran, or, syria)"),
        ("iran And syria nOt x", "AND(iran, and, syria, not, x)"),
        # as Word and Outlook write them: dashes that exclude, typographic quotes around phrases
        ("iran \u2013rumour", "AND(iran, NOT(rumour))"),
        ("iran \u2014rumour \u2212denial", "AND(iran, NOT(rumour), NOT(denial))"),
        ("covid\u201319", '"covid 19"'),
        ("\u201cnorth korea\u201d", '"north korea"'),
        ("\u201enorth korea\u201c", '"north korea"'),
        ("\u00abnorth korea\u00bb", '"north korea"'),
        ('"north korea\u201d iran', 'AND("north korea", iran)'),
        ("title:\u201cnorth korea\u201d", 'title:"north korea"'),
        ("not and", "AND(not, and)"),
        # single quotes, as British style writes quotations, around a phrase: a phrase too
        ("'north korea'", '"north korea"'),
        ("\u2018north korea\u2019", '"north korea"'),
        ("iran -'north korea'", 'AND(iran, NOT("north korea"))'),
        ("title:'north korea' OR 'kim jong un'", 'OR(title:"north korea", "kim jong un")'),
        ("('north korea')", '"north korea"'),
        ("'north kor*'", '"north kor*"'),
        ("'north korea's' iran", 'AND("north korea s", iran)'),
        # …while an apostrophe is still an apostrophe, and a lone quote mark only separates words
        ("korea's lavrov's", 'AND("korea s", "lavrov s")'),
        ("rock 'n' roll", "AND(rock, n, roll)"),
        ("'rumour iran", "AND(rumour, iran)"),
        ("o'brien 'talks", 'AND("o brien", talks)'),
        # phrases and words with punctuation
        ('"north korea"', '"north korea"'),
        ('"North   Korea"', '"north korea"'),
        ('"iran"', "iran"),
        ("covid-19", '"covid 19"'),
        ("north-korea's", '"north korea s"'),
        ('iran "north korea"', 'AND(iran, "north korea")'),
        ('"a b"|"c d"', 'OR("a b", "c d")'),
        # wildcards
        ("北京ab*", '"北 京 ab*"'),
        ("sanction*", "sanction*"),
        ("ir*", "ir*"),
        ('"north korea*"', '"north korea*"'),
        ('"north kor* "', '"north kor*"'),
        ("covid-19*", '"covid 19*"'),
        # field scopes
        ("title:iran", "title:iran"),
        ("Title:Iran", "title:iran"),
        ('summary:"north korea"', 'summary:"north korea"'),
        ("title:(iran OR syria)", "OR(title:iran, title:syria)"),
        ("title:(iran -syria)", "AND(title:iran, NOT(title:syria))"),
        ("title:(a content:b)", "AND(title:a, content:b)"),
        ("-title:rumour iran", "AND(NOT(title:rumour), iran)"),
        ("author:lavrov feed:tass link:example.com", 'AND(author:lavrov, feed:tass, link:"example com")'),
        ("link:https://www.example.com/x", 'link:"https www example com x"'),
        ("title:re:publica", 'title:"re publica"'),
        ("title:sanction*", "title:sanction*"),
        ('"re:publica"', '"re publica"'),
        ("10:30", '"10 30"'),
        # non-Latin scripts
        ("Москва", "москва"),
        ("北京", '"北 京"'),
        ("title:東京", 'title:"東 京"'),
    ],
)
def test_valid_queries(query: str, tree: str) -> None:
    assert describe(parse_query(query)) == tree


_CJK_WILDCARD = (
    "a wildcard cannot follow a Chinese or Japanese character (each Han character and kana is a word of its own, "
    "and '{}' already matches inside longer words): write it without '*'"
)


@pytest.mark.parametrize(
    ("query", "position", "message"),
    [
        ("", 0, "the query is empty"),
        ("   ", 0, "the query is empty"),
        ("(", 0, "this '(' is never closed"),
        ("iran (syria", 5, "this '(' is never closed"),
        ("(a (b)", 0, "this '(' is never closed"),
        (")", 0, "this ')' has no matching '('"),
        ("iran)", 4, "this ')' has no matching '('"),
        ("(a) b)", 5, "this ')' has no matching '('"),
        ("()", 1, "empty parentheses"),
        ("a ( ) b", 4, "empty parentheses"),
        ('"north korea', 0, "this quote is never closed"),
        ('iran "north', 5, "this quote is never closed"),
        ('""', 0, "this phrase is empty"),
        ('"  "', 0, "this phrase is empty"),
        ('"!!"', 0, '"!!" has no letters or digits to match'),
        ("iran &", 5, "& has no letters or digits to match"),
        ("iran OR", 5, "OR needs something to match after it"),
        ("OR iran", 0, "OR needs something to match before it"),
        ("iran | ", 5, "OR needs something to match after it"),
        ("iran OR OR syria", 8, "OR needs something to match before it"),
        ("(OR iran)", 1, "OR needs something to match before it"),
        ("(iran OR)", 6, "OR needs something to match after it"),
        ("iran AND", 5, "AND needs something to match after it"),
        ("AND iran", 0, "AND needs something to match before it"),
        ("iran AND OR syria", 5, "AND needs something to match after it"),
        ("iran NOT", 5, "NOT needs a word, phrase or (group) to exclude after it"),
        ("NOT", 0, "NOT needs a word, phrase or (group) to exclude after it"),
        ("iran -", 5, "write '-' directly before the word it excludes"),
        ("iran - syria", 5, "write '-' directly before the word it excludes"),
        ("iran \u2013 syria", 5, "write '-' directly before the word it excludes"),
        ("\u201cnorth korea", 0, "this quote is never closed"),
        ("title:title:iran", 6, "a term has one field"),
        ("summary:title:iran", 8, "a term has one field"),
        ("titel:iran", 0, "unknown field 'titel:' (did you mean 'title:'?)"),
        ("iran sumary:x", 5, "unknown field 'sumary:' (did you mean 'summary:'?)"),
        ("foo:x", 0, "unknown field 'foo:' (fields are title:, summary:, content:, author:, feed:, link:)"),
        ("http://example.com", 0, "unknown field 'http:'"),
        ("title: iran", 6, "'title:' must be followed directly by a word, phrase or (group)"),
        ("title:", 6, "'title:' must be followed directly by a word, phrase or (group)"),
        ("(title:)", 7, "'title:' must be followed directly by a word, phrase or (group)"),
        ("title:OR x", 6, "'title:' must be followed directly by a word, phrase or (group)"),
        ("title:-iran x", 6, "put '-' before the field to exclude it"),
        ("a*", 1, "a wildcard needs at least 2 letters before '*'"),
        ("iran x*", 6, "a wildcard needs at least 2 letters before '*'"),
        ('"north k*"', 8, "a wildcard needs at least 2 letters before '*'"),
        ("covid-1*", 7, "a wildcard needs at least 2 letters before '*'"),
        # each Han character and kana is a word: a wildcard after one says so, rather than count letters
        ("北*", 1, "a wildcard cannot follow a Chinese or Japanese character (each Han character and kana is a word"),
        ("北京*", 2, _CJK_WILDCARD.format("北京")),
        ('"北京*"', 3, _CJK_WILDCARD.format("北京")),
        ("iran 東京タワー*", 10, _CJK_WILDCARD.format("東京タワー")),
        ("ﾊﾟﾘ*", 3, "a wildcard cannot follow a Chinese or Japanese character"),
        ("ab北*", 3, "a wildcard cannot follow a Chinese or Japanese character"),
        ("*", 0, "'*' must come straight after a letter or digit"),
        ("korea-*", 6, "'*' must come straight after a letter or digit"),
        ("*iran", 0, "'*' is only allowed at the end of a word"),
        ("ir*an", 2, "'*' is only allowed at the end of a word"),
        ("iran**", 4, "'*' is only allowed at the end of a word"),
        ('"north* korea"', 6, "'*' is only allowed at the end of a word"),
        ('"nor* korea"', 4, "'*' is only allowed at the end of a word, and in a phrase, only at the end of its last"),
        ("'nor* korea'", 4, "'*' is only allowed at the end of a word, and in a phrase, only at the end of its last"),
        ("-iran", 0, "the query can match items that contain none of its words"),
        ("NOT iran", 0, "the query can match items that contain none of its words"),
        ("-iran -syria", 0, "the query can match items that contain none of its words"),
        ("syria OR -iran", 9, "the query can match items that contain none of its words"),
        ("NOT (a b)", 0, "the query can match items that contain none of its words"),
        ("title:(-iran)", 7, "the query can match items that contain none of its words"),
        ("(" * 33 + "x" + ")" * 33, 32, "more than 32 levels of parentheses and NOTs"),
        ("x " + "-" * 40 + "y", 34, "more than 32 levels of parentheses and NOTs"),
    ],
)
def test_invalid_queries(query: str, position: int, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_query(query)
    error = caught.value
    assert error.message.startswith(message)
    assert error.position == position
    assert error.rule == query
    assert isinstance(error, ValueError)


def test_error_message_shows_a_caret_under_the_offending_character() -> None:
    with pytest.raises(RuleError) as caught:
        parse_query("iran (syria")
    assert str(caught.value).splitlines() == [
        "at character 6: this '(' is never closed",
        "  iran (syria",
        "       ^",
    ]


def test_unknown_field_tells_how_to_search_for_text_with_a_colon() -> None:
    with pytest.raises(RuleError, match=r'put it in "quotes"'):
        parse_query("re:publica")


def test_double_negation_inside_a_group_is_positive() -> None:
    assert describe(parse_query("NOT (-a OR -b)")) == "NOT(OR(NOT(a), NOT(b)))"
    assert anchors(parse_query("NOT (-a OR -b)")) is not None


def test_terms_keep_what_was_written_and_where() -> None:
    node = parse_query('Iran -title:"North Korea"')
    assert isinstance(node, And)
    assert [(t.text, t.position, t.field, excluded) for t, excluded in terms_of(node)] == [
        ("Iran", 0, None, False),
        ('"North Korea"', 12, "title", True),
    ]
    negation = node.children[1]
    assert isinstance(negation, Not) and negation.position == 5


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("iran", {"iran"}),
        ("iran syria", {"syria"}),  # one term of an AND suffices; the longer word looks rarer
        ('iran "north korea"', {'"north korea"'}),  # phrases look rarer than words
        ("iran OR syria", {"iran", "syria"}),  # every branch of an OR needs one
        ("(a OR b) zimbabwe", {"zimbabwe"}),
        ("feed:politics minister", {"minister"}),  # feed names recur on every item of the feed
        ("iran -syria", {"iran"}),
        ("NOT (-a OR -bb)", {"bb"}),
    ],
)
def test_anchors(query: str, expected: set[str]) -> None:
    found = anchors(parse_query(query))
    assert found is not None
    assert {t.text for t in found} == expected


def test_anchors_accept_a_cost_that_overrides_the_guess() -> None:
    node = parse_query("iran syria")
    found = anchors(node, lambda t: 0.0 if t.text == "iran" else 1.0)
    assert found is not None and {t.text for t in found} == {"iran"}


def test_terms_fold_like_text() -> None:
    node = parse_query('"LAVRÓV  said"')
    assert isinstance(node, Term)
    assert node.words == ("lavrov", "said") and node.prefix is False


_PIECES = st.sampled_from(
    ["iran", "Syria", '"north korea"', '"a', "OR", "AND", "NOT", "or", "-", "(", ")", "|", "*", "x*", "sanct*",
     "title:", "titel:", "link:", ":", " ", " ", "  ", '"', "é", "北京", "&", "-iran", "a-b", "\n"]
)  # fmt: skip


@given(st.lists(_PIECES, max_size=12).map("".join))
def test_query_like_text_parses_or_raises_rule_error(query: str) -> None:
    _parse_or_rule_error(query)


@given(st.text())
def test_any_text_parses_or_raises_rule_error(query: str) -> None:
    _parse_or_rule_error(query)


@pytest.mark.parametrize("query", ["(" * 5000, "-" * 5000 + "x", "NOT " * 5000 + "x", "x " * 20000, '"' * 999])
def test_pathological_queries_raise_rule_error_or_parse(query: str) -> None:
    _parse_or_rule_error(query)


def test_nesting_up_to_the_limit_parses() -> None:
    assert describe(parse_query("(" * 32 + "x" + ")" * 32)) == "x"


def _parse_or_rule_error(query: str) -> None:
    try:
        node = parse_query(query)
    except RuleError as e:
        assert e.rule == query
        assert e.position is not None and 0 <= e.position <= len(query)
        str(e)
    else:
        assert anchors(node) is not None
        describe(node)


@pytest.mark.parametrize(
    ("query", "line", "caret"),
    [
        ("北京 (東京", "北京 (東京", "     ^"),  # two columns per wide character
        ("cafe\u0301 )", "cafe\u0301 )", "     ^"),  # a combining accent takes no column
        ("iran\t(syria", "iran\t(syria", "    \t^"),  # a tab stays a tab
        ("iran\nand (syria", "and (syria", "    ^"),  # the line that holds the character
    ],
)
def test_the_caret_stands_under_the_character_as_a_terminal_shows_it(query: str, line: str, caret: str) -> None:
    with pytest.raises(RuleError) as info:
        parse_query(query)
    shown = str(info.value).split("\n")
    assert shown[1:] == [f"  {line}", f"  {caret}"]
