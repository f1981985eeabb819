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
