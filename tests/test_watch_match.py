"""feeds.watch.match: which rules an item matches, where, and why; checked against a brute-force reference."""

from __future__ import annotations

import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import feeds.watch.match as match_module
from feeds.errors import RuleError
from feeds.watch.match import MatchInput, RuleHit, TermHit, compile_rules
from feeds.watch.matchexplain import explain
from feeds.watch.query import parse_query
from feeds.watch.querytree import And, Node, Not, Or, satisfying_terms
from feeds.watch.text import fold_words


def item(key: str = "k", **fields: str) -> MatchInput:
    return MatchInput(key, **fields)


def matches(query: str, **fields: str) -> bool:
    return bool(compile_rules([("rule", query)]).match(item(**fields)))


def reference(node: Node, it: MatchInput, memo: dict[object, object] | None = None) -> bool:
    """The obvious, slow definition: evaluate the tree, looking for each term in each of its fields."""
    memo = {} if memo is None else memo
    if isinstance(node, Not):
        return not reference(node.child, it, memo)
    if isinstance(node, And):
        return all(reference(c, it, memo) for c in node.children)
    if isinstance(node, Or):
        return any(reference(c, it, memo) for c in node.children)
    key = (node.words, node.prefix, node.fields)
    if key not in memo:
        for f in node.fields:
            if f not in memo:
                memo[f] = fold_words(getattr(it, f))
        memo[key] = any(_contains(memo[f], node.words, node.prefix) for f in node.fields)  # type: ignore[arg-type]
    return memo[key]  # type: ignore[return-value]


def _contains(words: list[str], phrase: tuple[str, ...], prefix: bool) -> bool:
    n = len(phrase)
    if n == 1 and not prefix:
        return phrase[0] in words
    for i in range(len(words) - n + 1):
        last = words[i + n - 1]
        if list(phrase[:-1]) == words[i : i + n - 1] and (
            last.startswith(phrase[-1]) if prefix else last == phrase[-1]
        ):
            return True
    return False


@pytest.mark.parametrize(
    ("query", "fields", "expected"),
    [
        # folding and whole words
        ("lavrov", {"title": "Lavróv visits"}, True),
        ("lavrov", {"title": "LAVROV VISITS"}, True),
        ("Lavróv", {"summary": "lavrov said"}, True),
        ("strasse", {"summary": "an der Straße"}, True),
        ("iran", {"title": "Iranian envoy"}, False),
        ("iran", {"title": "Iran's envoy"}, True),
        ("iran*", {"title": "Iranian envoy"}, True),
        ("iran*", {"title": "Ira"}, False),
        ("korea", {"title": "Koreans"}, False),
        ("g7", {"title": "G7 summit"}, True),
        ("2024", {"title": "In 2024, a vote"}, True),
        ("20", {"title": "In 2024, a vote"}, False),
        # phrases: adjacent words, any separator, in one field
        ('"north korea"', {"title": "North Korea"}, True),
        ('"north korea"', {"title": "north\nkorea"}, True),
        ('"north korea"', {"title": "North-Korea talks"}, True),
        ('"north korea"', {"title": "North Korea's missiles"}, True),
        ('"north korea"', {"title": "north of Korea"}, False),
        ('"north korea"', {"title": "Korea north"}, False),
        ('"north korea"', {"title": "north", "summary": "korea"}, False),
        ('"north korea*"', {"title": "North Koreans"}, True),
        ("north-korea", {"title": "north korea"}, True),
        ('"korea s"', {"title": "Korea's"}, True),
        # AND, OR, NOT, parentheses
        ("iran syria", {"title": "Iran and Syria"}, True),
        ("iran syria", {"title": "Iran alone"}, False),
        ("iran AND syria", {"title": "Iran", "summary": "Syria"}, True),
        ("iran OR syria", {"title": "Syria"}, True),
        ("iran | syria", {"title": "Lebanon"}, False),
        ("iran -rumour", {"title": "Iran"}, True),
        ("iran -rumour", {"title": "Iran", "content": "a rumour"}, False),
        ("iran NOT rumour", {"title": "Iran", "content": "a Rumour"}, False),
        ("iran -(rumour OR gossip)", {"title": "Iran gossip"}, False),
        ("iran -(rumour gossip)", {"title": "Iran gossip"}, True),
        ("(iran OR syria) talks", {"title": "Syria talks"}, True),
        ("(iran OR syria) talks", {"title": "Syria"}, False),
        ("iran syria OR talks", {"title": "talks"}, True),
        ("NOT (-iran OR -syria)", {"title": "Iran Syria"}, True),
        ("NOT (-iran OR -syria)", {"title": "Iran"}, False),
        ("iran or syria", {"title": "iran syria"}, False),  # "or" is a word here
        ("iran or syria", {"title": "Iran or Syria"}, True),
        # scopes
        ("title:iran", {"title": "Iran"}, True),
        ("title:iran", {"summary": "Iran"}, False),
        ("summary:iran", {"summary": "Iran"}, True),
        ("content:iran", {"content": "Iran"}, True),
        ("iran", {"content": "Iran"}, True),
        ("iran", {"author": "Iran"}, False),  # unscoped terms look at title, summary and content only
        ("author:lavrov", {"author": "Sergei Lavrov"}, True),
        ("feed:tass", {"feed": "TASS russia politics"}, True),
        ("feed:politics", {"feed": "TASS russia politics"}, True),
        ("link:example", {"link": "https://www.example.com/news/1"}, True),
        ("link:example.com", {"link": "https://www.example.com/news/1"}, True),
        ("link:news", {"link": "https://www.example.com/news/1"}, True),
        ("link:exam*", {"link": "https://www.example.com/"}, True),
        ("title:(iran OR syria) -rumour", {"title": "Syria", "summary": "rumour"}, False),
        ("title:(iran OR syria) -title:rumour", {"title": "Syria", "summary": "rumour"}, True),
        ('title:"north korea"', {"title": "North Korea"}, True),
        # other scripts
        ("москва", {"title": "Москва́ сегодня"}, True),
        ("北京", {"title": "北京市长"}, True),
        ("京市", {"title": "北京市长"}, True),
        ("العربية", {"title": "اللغة العَرَبِيَّة"}, True),
        ("हिंदी", {"title": "हिंदी भाषा"}, True),
        # a voiced kana, a virama, a nukta make another letter, not an accent
        ("パリ", {"title": "パリで会談"}, True),
        ("パリ", {"title": "ﾊﾟﾘで会談"}, True),
        ("パリ", {"title": "ハ\u309aリで会談"}, True),
        ("パリ", {"title": "ハリケーンが接近"}, False),
        ("パリ", {"title": "ハリー王子"}, False),
        ("ガス", {"title": "カスタマー"}, False),
        ("क्षमा", {"title": "कषमा"}, False),
        ("क्षमा", {"title": "क्षमा करें"}, True),
        ("बड़ा", {"title": "बडा"}, False),
    ],
)
def test_matching(query: str, fields: dict[str, str], expected: bool) -> None:
    assert matches(query, **fields) is expected
    assert reference(parse_query(query), item(**fields)) is expected


def test_hits_point_into_the_original_text() -> None:
    matcher = compile_rules([("r", 'lavrov "north korea" sanction*')])
    it = item(title="Lavróv on North-Korea", summary="New SANCTIONS; lavrov\nagain; north\nKorea's sanctioned")
    (hit,) = matcher.match(it)
    assert hit == RuleHit(
        "r",
        (
            TermHit("lavrov", "title", 0, 6),
            TermHit('"north korea"', "title", 10, 21),
            TermHit("sanction*", "summary", 4, 13),
            TermHit("lavrov", "summary", 15, 21),
            TermHit('"north korea"', "summary", 29, 40),
            TermHit("sanction*", "summary", 43, 53),
        ),
    )
    texts = [getattr(it, h.field)[h.start : h.end] for h in hit.terms]
    assert texts == ["Lavróv", "North-Korea", "SANCTIONS", "lavrov", "north\nKorea", "sanctioned"]


def test_hits_name_only_the_terms_that_made_the_rule_true() -> None:
    matcher = compile_rules([("r", "(iran syria) OR lebanon -rumour")])
    (hit,) = matcher.match(item(title="Iran and Lebanon"))
    assert [h.term for h in hit.terms] == ["lebanon"]


def test_hits_show_the_term_as_each_rule_wrote_it() -> None:
    matcher = compile_rules([("a", "IRAN"), ("b", "iran talks")])
    hits = matcher.match(item(title="Iran talks"))
    assert [(h.rule, [t.term for t in h.terms]) for h in hits] == [("a", ["IRAN"]), ("b", ["iran", "talks"])]


def test_results_are_sorted_by_rule_name_whatever_the_input_order() -> None:
    rules = [("zeta", "iran"), ("alpha", "iran*"), ("mid", '"iran talks"'), ("none", "syria")]
    it = item(title="Iran talks")
    expected = ("alpha", "mid", "zeta")
    assert tuple(h.rule for h in compile_rules(rules).match(it)) == expected
    assert tuple(h.rule for h in compile_rules(rules[::-1]).match(it)) == expected
    assert compile_rules(rules).rule_names == ("alpha", "mid", "none", "zeta")
    assert len(compile_rules(rules)) == 4


def test_no_rules_match_nothing() -> None:
    assert compile_rules([]).match(item(title="anything")) == ()
    assert compile_rules([("r", "iran")]).match(item()) == ()


def test_a_bad_rule_is_named_in_the_error() -> None:
    with pytest.raises(RuleError) as caught:
        compile_rules([("good", "iran"), ("iran-watch", "iran (syria")])
    assert caught.value.message == "rule 'iran-watch': this '(' is never closed"
    assert caught.value.rule == "iran (syria"
    assert caught.value.position == 5


def test_duplicate_rule_names_are_refused() -> None:
    with pytest.raises(RuleError, match="rule 'x' is defined twice"):
        compile_rules([("x", "iran"), ("x", "syria")])


def test_ten_thousand_rules_compile_and_match_exactly_the_right_ones() -> None:
    rng = random.Random(3)
    words = [f"w{i}" for i in range(3000)]
    shapes = [
        lambda: rng.choice(words),
        lambda: f"{rng.choice(words)} {rng.choice(words)}",
        lambda: f'"{rng.choice(words)} {rng.choice(words)}"',
        lambda: f"({rng.choice(words)} OR {rng.choice(words)}) -{rng.choice(words)}",
        lambda: f"title:{rng.choice(words)} OR summary:{rng.choice(words)}",
        lambda: f"{rng.choice(words)[:3]}1*",
        lambda: f"{rng.choice(words)} NOT ({rng.choice(words)} | {rng.choice(words)})",
    ]
    rules = [(f"r{n:05d}", rng.choice(shapes)()) for n in range(10_000)]
    matcher = compile_rules(rules)
    trees = {name: parse_query(query) for name, query in rules}
    total = 0
    for n in range(60):
        it = item(
            str(n),
            title=" ".join(rng.choices(words, k=8)),
            summary=" ".join(rng.choices(words, k=40)),
        )
        got = [h.rule for h in matcher.match(it)]
        memo: dict[object, object] = {}
        assert got == [name for name, tree in trees.items() if reference(tree, it, memo)]
        total += len(got)
    assert total > 60  # the check above compared real matches, not only empty lists


def test_a_full_word_memo_is_cleared_without_changing_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(match_module, "_CACHE_LIMIT", 3)
    matcher = compile_rules([("a", "alpha beta*"), ("b", '"gamma delta"')])
    for _ in range(3):
        assert [h.rule for h in matcher.match(item(title="one two alpha betas three gamma delta"))] == ["a", "b"]
        assert matcher.match(item(title="four five six seven alpha")) == ()
        # (the memo counts its entries rather than summing its sizes: the count stays true across clearings)
        remembered = sum(map(len, matcher._memo)) + sum(map(len, matcher._unused))
        assert remembered == matcher._remembered <= 3


def test_explain_a_match() -> None:
    it = item(title="Lavróv in Tehran", summary="Talks on sanctions")
    result = explain("lavrov sanction*", it)
    assert result.matched
    assert result.parsed == "AND(lavrov, sanction*)"
    assert result.reasons == (
        'found: lavrov in title: "[Lavróv] in Tehran"',
        'found: sanction* in summary: "Talks on [sanctions]"',
    )
    assert [(t.term, t.excluded, len(t.hits)) for t in result.terms] == [("lavrov", False, 1), ("sanction*", False, 1)]
    assert str(result).splitlines()[2] == "result: MATCH"


def test_explain_a_veto_and_a_missing_term() -> None:
    it = item(title="Iran talks", summary="only a rumour")
    vetoed = explain("title:(iran OR syria) -rumour", it)
    assert not vetoed.matched
    assert vetoed.reasons == ('vetoed: excluded term rumour found in summary: "only a [rumour]"',)
    assert [(t.term, t.fields, t.excluded) for t in vetoed.terms] == [
        ("iran", ("title",), False),
        ("syria", ("title",), False),
        ("rumour", ("title", "summary", "content"), True),
    ]
    missing = explain('iran "nuclear deal"', it)
    assert missing.reasons == ('missing: "nuclear deal" (looked in title, summary, content)',)


def test_explain_shows_each_place_in_its_words_not_as_offsets() -> None:
    """`keywords test` said `content[1843:1852] "sanctions"`: character offsets a press officer cannot use, and the
    word alone. Each field now shows the words around its first hit, the hit in [brackets], and how many more."""
    content = "Ministers met in Brussels on Monday.\n\nThe new sanctions package targets\tshipping. " + "x " * 100
    content += "Further sanctions are expected; sanctions relief is not on the table."
    it = item(title="Sanctions: what next", content=content)
    result = explain("sanction*", it)
    assert result.reasons == (
        'found: sanction* in title: "[Sanctions]: what next", '
        'content: "…Brussels on Monday. The new [sanctions] package targets shipping. x…" (and 2 more)',
    )


def test_explain_reports_syntax_errors_about_the_query() -> None:
    with pytest.raises(RuleError) as caught:
        explain("iran (", item(title="x"))
    assert caught.value.message == "this '(' is never closed"


# --- properties -----------------------------------------------------------------------------------------------

_VOCAB = ["iran", "syria", "north", "korea", "talks", "sanctions", "lavrov", "or", "a"]
_WORD = st.sampled_from(_VOCAB)
_TERM = st.one_of(
    _WORD,
    st.builds(lambda a, b: f'"{a} {b}"', _WORD, _WORD),
    _WORD.filter(lambda w: len(w) >= 3).map(lambda w: w[:3] + "*"),
    st.builds(lambda f, w: f"{f}:{w}", st.sampled_from(["title", "summary", "author", "feed", "link"]), _WORD),
)


@st.composite
def _queries(draw: st.DrawFn, depth: int = 2) -> str:
    parts = draw(st.lists(_TERM if depth == 0 else st.one_of(_TERM, _queries(depth - 1)), min_size=1, max_size=3))
    parts = [p if " " not in p or p.startswith('"') else f"({p})" for p in parts]
    glue = draw(st.sampled_from([" ", " OR ", " AND ", " | "]))
    negate = draw(st.lists(st.booleans(), min_size=len(parts), max_size=len(parts)))
    return glue.join(("-" + p if neg and not p.startswith("-") else p) for p, neg in zip(parts, negate, strict=True))


_TEXT = st.lists(st.sampled_from([*_VOCAB, "Iranian", "KOREA's", "north-korea", "Lavróv", "\n", ",", "x"])).map(
    " ".join
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_queries(), min_size=1, max_size=6), _TEXT, _TEXT, _TEXT, _TEXT)
def test_matcher_agrees_with_the_reference(
    queries: list[str], title: str, summary: str, author: str, feed: str
) -> None:
    rules = []
    for n, query in enumerate(queries):
        try:
            parse_query(query)
        except RuleError:
            continue
        rules.append((f"r{n}", query))
    assume(rules)
    it = item(title=title, summary=summary, author=author, feed=feed, link=f"https://{feed.replace(' ', '.')}/")
    hits = compile_rules(rules).match(it)
    assert [h.rule for h in hits] == [name for name, query in rules if reference(parse_query(query), it)]
    # each hit reports exactly the terms that made its rule true (all of an AND, the true branches of an OR)
    queries_by_name = dict(rules)
    for hit in hits:
        node = parse_query(queries_by_name[hit.rule])
        wanted = {t.text for t in satisfying_terms(node, lambda t: reference(t, it))}
        assert {t.term for t in hit.terms} == wanted


_RULES = compile_rules(
    [
        ("word", "iran"),
        ("phrase", '"north korea*"'),
        ("wild", "sa*"),
        ("cjk", "北京 OR 東京"),
        ("scoped", "title:(ab* OR ba*) -link:zz"),
        ("accent", "éc*"),
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text(), st.text(), st.text())
def test_matching_arbitrary_text_never_raises_and_hits_are_valid(
    title: str, summary: str, link: str, feed: str
) -> None:
    it = item(title=title, summary=summary, link=link, feed=feed)
    for hit in _RULES.match(it):
        assert hit.terms
        for term in hit.terms:
            text = getattr(it, term.field)
            assert 0 <= term.start < term.end <= len(text)
            assert fold_words(text[term.start : term.end])


def test_a_keyword_matchs_explanation_names_each_term_once_with_how_often_and_where():
    """Watch review: every occurrence was listed ("kenya (summary), investment* (summary), kenya (summary)…")."""
    from feeds.watch.match import RuleHit, TermHit
    from feeds.watch.matching import keyword_match

    hits = (
        TermHit("kenya", "title", 0, 5),
        TermHit("kenya", "summary", 3, 8),
        TermHit("investment*", "summary", 10, 20),
        TermHit("kenya", "summary", 30, 35),
    )
    m = keyword_match(RuleHit("Kenya trade", hits))
    assert m.why == "matched rule 'Kenya trade': kenya ×3 (title, summary), investment* (summary)"
    assert len(m.terms) == 4, "every occurrence is still stored, with its offsets"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("onelongword twolongword threelongword with alpha beta", ["phrase", "prefix", "word"]),
        ("onelongword twolongword threelongword beta alpha", ["prefix", "word"]),
        ("onelongword twolongword threelongword", []),
        ("alpha beta betas with", ["known"]),
    ],
)
def test_terms_that_are_no_anchor_are_looked_for_on_asking(title: str, expected: list[str]) -> None:
    # Each long word anchors its rule: the phrase, prefix and word beside it are looked for only when asked
    # about, once the anchor is there; a term already known (an anchor) is answered without looking again.
    matcher = compile_rules(
        [
            ("phrase", 'onelongword "alpha beta"'),
            ("prefix", "twolongword bet*"),
            ("word", "threelongword alpha"),
            ("known", '"alpha beta betas" alpha -fourlongword'),
        ]
    )
    it = item(title=title)
    assert [h.rule for h in matcher.match(it)] == expected
    _, has = matcher.scan(it)
    anchored = {rule.name: {t.text for t, tid in rule.ids.items() if tid in matcher._anchors} for rule in matcher.rules}
    assert anchored == {
        "phrase": {"onelongword"},
        "prefix": {"twolongword"},
        "word": {"threelongword"},
        "known": {'"alpha beta betas"'},
    }
    for rule in matcher.rules:
        assert rule.predicate is not None and rule.predicate(has) == (rule.name in expected)


def test_a_rules_fixed_terms_are_what_it_would_work_out() -> None:
    matcher = compile_rules(
        [("term", "iran"), ("and", "iran sanction* -rumour"), ("or", "iran OR syria"), ("mixed", "(iran OR syria) x")]
    )
    fixed = {rule.name: rule.fixed for rule in matcher.rules}
    assert fixed["or"] is None and fixed["mixed"] is None  # they depend on the item
    _, has = matcher.scan(item(title="Iran sanctions x"))
    for rule in matcher.rules:
        if rule.fixed is not None:
            assert rule.fixed == rule.contributing(has)
    assert [t.term for t in matcher.match(item(title="Iran sanctions"))[0].terms] == ["iran", "sanction*"]
