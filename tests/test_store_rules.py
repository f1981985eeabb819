"""Store contract for keyword rules (`feeds/store/rules.py`: added, imported, applied, names unique but for case and
by feed folder) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from feeds.errors import ExistsError
from tests.store_watch_helpers import NOW


def test_rules(store):
    r = store.add_rule("iran", "iran* sanction*", origin="cli", now=NOW)
    assert r.applied_at is None
    with pytest.raises(ExistsError):
        store.add_rule("iran", "x", origin="cli", now=NOW)
    store.mark_rules_applied(["iran"], NOW)
    assert store.rule("iran").applied_at == NOW
    _, changed = store.import_rule("cfg", "lavrov", origin="config", now=NOW)
    assert changed
    _, changed = store.import_rule("cfg", "lavrov", origin="config", now=NOW)
    assert not changed
    rule, changed = store.import_rule("cfg", "lavrov OR putin", origin="config", now=NOW + timedelta(hours=1))
    assert changed and rule.applied_at is None and rule.query == "lavrov OR putin"
    store.remove_rule("iran")
    assert [x.name for x in store.rules()] == ["cfg"]


@pytest.mark.parametrize(
    ("first", "second", "why"),
    [
        ("Russia", "russia", "a rule named 'Russia' exists already, the same name but for case"),
        ("Москва", "МОСКВА", "a rule named 'Москва' exists already, the same name but for case"),
        ("drone*", "Drone!", "rule 'drone*' publishes its matches at matches/rules/drone/ already"),
    ],
)
def test_the_database_holds_rule_names_apart_but_for_case_and_by_feed_folder(store, first, second, why):
    """Two people adding the same rule in two spellings at once: whoever comes second is refused by the database
    itself (no check of the rules listed beforehand can see a rule being added meanwhile)."""
    store.add_rule(first, "moscow", origin="cli", now=NOW)
    with pytest.raises(ExistsError) as refused:
        store.add_rule(second, "moscow", origin="cli", now=NOW)
    assert why in str(refused.value)
    with pytest.raises(ExistsError, match="exists already \\(remove it first"):
        store.add_rule(first, "moscow", origin="config", now=NOW)
    assert [r.name for r in store.rules()] == [first]
    store.remove_rule(first)
    assert store.add_rule(second, "moscow", origin="cli", now=NOW).name == second  # free again


def test_former_rule_names_are_the_keyword_subjects_no_rule_has(store):
    """Watch review: a former rule (gone from the config, its matches kept) was found by loading every keyword
    match; the store answers the names in one query."""
    from feeds.model import Match
    from tests.store_watch_helpers import add, item

    f = add(store)
    rows = store.upsert_items(f.id, [item("a", "Lavrov"), item("b", "Korea")], NOW)
    store.add_rule("lavrov", "lavrov", origin="cli", now=NOW)
    found = [
        (rows[0][0], Match("keyword", "lavrov", "a", f.id, (), 1.0, "w"), None),
        (rows[1][0], Match("keyword", "North Korea", "b", f.id, (), 1.0, "w"), None),
        (rows[0][0], Match("keyword", "North Korea", "a", f.id, (), 1.0, "w"), None),
        (rows[1][0], Match("keyword", "dprk", "b", f.id, (), 1.0, "w"), None),
        (rows[1][0], Match("related", "tag:x,2026:r", "b", f.id, (), 0.7, "related"), None),
    ]
    store.add_matches(found, NOW)
    assert store.former_rule_names() == ["North Korea", "dprk"]
    store.remove_former_rule_matches("dprk")
    assert store.former_rule_names() == ["North Korea"]
    rule, gone = store.remove_rule("lavrov")
    assert (rule.name, gone) == ("lavrov", 1), "its one match went with it"
    assert store.former_rule_names() == ["North Korea"]
