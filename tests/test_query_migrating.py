"""Saved searches pasted from other monitoring tools (Meltwater, Talkwalker, LexisNexis, Cision, Google Alerts):
each means what was meant, or is refused pointing at the character with what to write instead; never a query that
silently looks for something else (`iran or syria` needing the word "or", `site:bbc.co.uk` the words "site bbc")."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.errors import RuleError
from feeds.watch.match import MatchInput, compile_rules
from feeds.watch.query import check_query, parse_query
from feeds.watch.querytree import describe
from tests.cli_watch_helpers import run

_PROXIMITY = 'is not supported (there is no proximity search): write the words as a "quoted phrase", or with AND'
_CASE = "is not an operator unless in capitals: write"
_COMMA = "does not separate alternatives: write OR between them (russia OR ukraine)"


# What other tools write, and means the same here.
@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("iran && syria", "AND(iran, syria)"),
        ("iran || syria", "OR(iran, syria)"),
        ("(iran||syria) talks", "AND(OR(iran, syria), talks)"),
        ("+iran +syria", "AND(iran, syria)"),  # '+' is punctuation, and every word is required anyway
        ("iran AND NOT rumour", "AND(iran, NOT(rumour))"),
        ("iran AND -rumour", "AND(iran, NOT(rumour))"),
        ("title:(iran OR syria) -rumour", "AND(OR(title:iran, title:syria), NOT(rumour))"),
        ("\u201cnorth korea\u201d", '"north korea"'),  # Word's quotes
        ("\u201enorth korea\u201c", '"north korea"'),  # German
        ("\u00abnorth korea\u00bb", '"north korea"'),  # French
        ("\u2018north korea\u2019", '"north korea"'),  # British single quotes
        ("\"he said 'no deal'\"", '"he said no deal"'),  # quotes of another kind inside a phrase are punctuation
        ("sanction*", "sanction*"),
        ("1,000 jobs", 'AND("1 000", jobs)'),  # a comma between digits is a number's
        ("at&t", '"at t"'),
        ("iran -(-rumour)", "AND(iran, rumour)"),  # spelt out with parentheses, a double exclusion is meant
        ("iran near russia", "AND(iran, near, russia)"),  # "near" in lower case is a word
        ("l'or", '"l or"'),  # French: an apostrophe, not the operator
        ('iran "or"', "AND(iran, or)"),  # the word itself, quoted
    ],
)
def test_what_other_tools_write_and_means_the_same_here(query: str, tree: str) -> None:
    assert describe(check_query(query)) == tree


# What other tools write and would mean something else here: refused, at the character, with our way to say it.
@pytest.mark.parametrize(
    ("query", "position", "message"),
    [
        # operators not in capitals (Google Alerts, a sentence's capital)
        ("iran or syria", 5, f"'or' {_CASE} OR; to look for the word, quote it: \"or\""),
        ("iran and syria", 5, f"'and' {_CASE} AND"),
        ("iran Or syria", 5, f"'Or' {_CASE} OR"),
        ("not rumour iran", 0, f"'not' {_CASE} NOT"),
        ("iran aNd syria nOT talks", 5, f"'aNd' {_CASE} AND"),
        # '!' excludes in other search boxes, and truncates in LexisNexis
        ("!rumour iran", 0, "'!' does not exclude here: write -rumour (a '-' touching what it excludes)"),
        ("iran !(rumour OR gossip)", 5, "'!' does not exclude here: write -(…)"),
        ('iran !"north korea"', 5, "'!' does not exclude here: write -\"…\""),
        ("iran ! syria", 5, "'!' does not exclude here: write -word"),
        ("sanction! iran", 8, "'!' does not end a word here: write sanction* for the words that start with it"),
        ("+(iran OR syria)", 0, "'+' is not needed: every word is required; leave it out"),
        ('+"north korea"', 0, "'+' is not needed"),
        # '&' alone, or glued
        ("marks & spencer", 6, "'&' is not an operator: write AND (or just a space); a name with '&' is a phrase"),
        ("iran&&syria", 4, "put spaces around '&&' (or write AND)"),
        # proximity (Meltwater, Talkwalker, LexisNexis, Factiva)
        ("iran NEAR/3 russia", 5, f"NEAR/3 {_PROXIMITY}"),
        ("iran near/10 russia", 5, f"near/10 {_PROXIMITY}"),
        ("iran NEAR russia", 5, f"NEAR {_PROXIMITY}"),
        ("iran ONEAR/2 russia", 5, f"ONEAR/2 {_PROXIMITY}"),
        ("iran ONEAR russia", 5, f"ONEAR {_PROXIMITY}"),
        ("iran W/5 russia", 5, f"W/5 {_PROXIMITY}"),
        ("iran w/s russia", 5, f"w/s {_PROXIMITY}"),
        ("iran PRE/2 russia", 5, f"PRE/2 {_PROXIMITY}"),
        ('"iran russia"~3', 13, f"'~3' after a phrase (proximity) {_PROXIMITY}"),
        ('"iran russia" ~3', 14, "'~' is not supported (there is no proximity or fuzzy search)"),
        ("iran~", 4, "'~' is not supported (there is no proximity or fuzzy search)"),
        # fields of other search boxes
        ("site:bbc.co.uk iran", 0, "there is no 'site:' field: write link:bbc.co.uk, which finds the items whose"
         " address (URL) has the words of bbc.co.uk in it, in order"),
        ("inurl:opinion", 0, "there is no 'inurl:' field: write link:opinion"),
        ("intitle:(iran OR syria)", 0, "there is no 'intitle:' field: write title:(…)"),
        ("headline:iran", 0, "there is no 'headline:' field: write title:iran"),
        ("HLEAD:iran", 0, "there is no 'hlead:' field: write title:iran"),
        ("source:reuters iran", 0, "there is no 'source:' field: write feed:reuters"),
        ("byline:smith", 0, "there is no 'byline:' field: write author:smith"),
        ("titel:iran", 0, "unknown field 'titel:' (did you mean 'title:'?)"),
        # wildcards
        ("wom?n", 3, "'?' is not a wildcard: write each spelling with OR (woman OR women)"),
        ("iran?", 4, "'?' is not a wildcard"),
        ("sanc*ons", 4, "'*' can only end a word: write sanc* for the words that start with it"),
        ("*ism", 0, "a word cannot start with '*' (words are found by how they start): write each word in full"),
        ('"nor* korea"', 4, "'*' is only allowed at the end of a word, and in a phrase, only at the end of its last"),
        # quotes inside quotes
        ('"the "big" deal"', 6, 'a phrase ends at the next quote, so quotes inside one split it: write it with one'
         ' pair of quotes, "the big deal"'),
        ("\u201cthe \u201cbig\u201d deal\u201d", 6, "a phrase ends at the next quote"),
        # lists
        ("russia, ukraine", 6, f"',' {_COMMA}"),
        ("russia,ukraine", 6, f"',' {_COMMA}"),
        ("russia ,ukraine", 7, f"',' {_COMMA}"),
        ("russia; ukraine", 6, f"';' {_COMMA}"),
        ("iran*, syria", 5, f"',' {_COMMA}"),
        ("russia , ukraine", 7, f"',' {_COMMA}"),
        # brackets
        ("[iran OR syria] talks", 0, "'[' does not group: use ( and )"),
        ("{iran OR syria} talks", 0, "'{' does not group: use ( and )"),
        # an exclusion written twice
        ("iran --rumour", 5, "'--' excludes twice, so it looks for what follows: write one '-' (or NOT)"),
        ("iran NOT -rumour", 5, "'NOT -' excludes twice"),
        ("iran -\u2013rumour", 5, "'-\u2013' excludes twice"),
        # nothing to look for
        ("-sport", 0, "the query can match items that contain none of its words (it only excludes)"),
        ("NOT sport", 0, "the query can match items that contain none of its words"),
        ("()", 1, "empty parentheses"),
        ("iran ()", 6, "empty parentheses"),
        ("title:()", 7, "empty parentheses"),
        ("\u2014", 0, "write '-' directly before the word it excludes (-rumour); a dash between words, leave it out"),
        ("iran \u2014 syria", 5, "write '-' directly before the word it excludes"),
        ("\U0001f1fa\U0001f1e6", 0, "\U0001f1fa\U0001f1e6 has no letters or digits to match: leave it out"),
        ("iran \U0001f525", 5, "\U0001f525 has no letters or digits to match: leave it out, or write a word"),
        ("iran ||", 5, "OR needs something to match after it"),
        ("&& iran", 0, "AND needs something to match before it"),
    ],
)  # fmt: skip
def test_what_would_mean_something_else_here_is_refused_at_the_character(
    query: str, position: int, message: str
) -> None:
    with pytest.raises(RuleError) as caught:
        check_query(query)
    assert caught.value.message.startswith(message), caught.value.message
    assert caught.value.position == position
    assert caught.value.rule == query


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("iran or syria", "AND(iran, or, syria)"),
        ("!rumour iran", "AND(rumour, iran)"),
        ("iran NEAR/3 russia", 'AND(iran, "near 3", russia)'),
        ("russia, ukraine", "AND(russia, ukraine)"),
    ],
)
def test_a_rule_saved_before_the_check_keeps_its_meaning_in_the_matcher(query: str, tree: str) -> None:
    """Refusing them now must not stop the daemon matching every rule, nor change a saved rule's matches."""
    assert describe(parse_query(query)) == tree
    assert compile_rules([("old", query)]).rules[0].name == "old"


def test_site_as_link_finds_the_items_of_that_site() -> None:
    """What the error for `site:` says to write does what `site:` did."""
    matcher = compile_rules([("bbc", "link:bbc.co.uk iran")])
    bbc = MatchInput("a", title="Iran talks", link="https://www.bbc.co.uk/news/world-1")
    other = MatchInput("b", title="Iran talks", link="https://example.com/bbc/co")
    assert [bool(matcher.match(i)) for i in (bbc, other)] == [True, False]


def test_a_meltwater_query_of_300_ored_terms_is_read_and_matched_quickly() -> None:
    terms = [f"brand{i}" if i % 3 else f'"product line {i}"' for i in range(300)]
    query = "(" + " OR ".join(terms) + ") -(rumour OR gossip OR horoscope) -title:sport"
    assert len(query) > 4000
    started = time.perf_counter()
    node = check_query(query)
    matcher = compile_rules([("big", query), *((f"r{i}", f"word{i} OR other{i}") for i in range(200))])
    assert time.perf_counter() - started < 2.0  # (about 0.02 s here; parsing is not the hot path)
    assert len(node.children) == 3  # type: ignore[union-attr]
    hit = MatchInput("a", title="News", summary="The product line 150 launches with brand299.")
    miss = MatchInput("b", title="News", summary="brand299 rumour")
    assert [h.rule for h in matcher.match(hit)] == ["big"] and not matcher.match(miss)


@given(st.text())
def test_any_text_is_checked_or_refused_with_a_rule_error(query: str) -> None:
    try:
        check_query(query)
    except RuleError as e:
        assert e.rule == query and e.position is not None and 0 <= e.position <= len(query)
        str(e)


def test_a_config_rule_from_another_tool_is_refused_naming_its_key(config):
    config.write_text(config.read_text() + '\n[[watch.keywords]]\nname = "gulf"\nquery = "iran NEAR/3 russia"\n')
    r = run(config, "keywords", "list")
    assert r.exit_code == 1
    assert "watch.keywords[0].query" in r.output and "NEAR/3 is not supported" in r.output


def test_a_long_query_or_one_on_several_lines_asks_for_a_name_not_a_shorter_name(config):
    """A 4,000-character query saved without --name was refused as "a rule's name must be at most 200 characters",
    followed by the whole query."""
    query = "(" + " OR ".join(f"brand{i}" for i in range(300)) + ") -rumour"
    for pasted in (query, "iran OR syria\n-rumour"):
        r = run(config, "keywords", "add", pasted)
        assert r.exit_code == 1
        assert "give the rule a name with --name: the query cannot be its name, as a rule's name must" in r.output
    assert run(config, "keywords", "add", query, "--name", "brands").exit_code == 0


def test_keywords_list_notes_a_rule_saved_before_its_query_was_refused(config):
    """A rule saved as `iran or syria` (with a note, then) still needs the word "or": the list says so, once."""
    from feeds.app import make_app
    from feeds.config import load_settings

    app = make_app(load_settings(config, environ={}))
    try:
        app.store.add_rule("gulf", "iran or syria", origin="cli", now=app.clock())
        app.store.add_rule("fine", "iran OR syria", origin="cli", now=app.clock())
    finally:
        app.close()
    listed = run(config, "keywords", "list")
    assert listed.exit_code == 0 and "gulf: iran or syria" in listed.stdout
    assert listed.stderr.splitlines() == [
        "note: rule 'gulf' would be refused now (at character 6: 'or' is not an operator unless in capitals: write OR;"
        ' to look for the word, quote it: "or"): keywords edit it to say what is meant'
    ]
    assert json.loads(run(config, "keywords", "list", "--json").stdout)[0]["name"] == "fine"
