"""`Store.import_rules`: a file's rules added, changed and removed in one transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feeds.errors import ExistsError, NotFoundError

T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_rules_are_added_changed_and_removed_together(store):
    store.add_rule("old", "old", origin="file:a.csv", now=T)
    store.add_rule("kept", "kept", origin="cli", now=T)
    store.mark_rules_applied(["kept"], T)
    store.import_rules(
        add=[("new", "new*")], change=[("kept", "kept OR held")], remove=["old"], origin="file:a.csv", now=T
    )
    got = {r.name: (r.query, r.origin, r.applied_at) for r in store.rules()}
    assert got == {"kept": ("kept OR held", "cli", None), "new": ("new*", "file:a.csv", None)}


@pytest.mark.parametrize(
    ("add", "change", "error"),
    [
        ([("fresh", "fresh"), ("Drone", "drone")], [], ExistsError),  # (a clash stored meanwhile)
        ([("fresh", "fresh")], [("gone", "x")], NotFoundError),  # (a rule removed meanwhile)
    ],
)
def test_one_refusal_writes_nothing(store, add, change, error):
    store.add_rule("drone*", "drone*", origin="cli", now=T)
    store.add_rule("old", "old", origin="file:a.csv", now=T)
    with pytest.raises(error):
        store.import_rules(add=add, change=[("drone*", "uav"), *change], remove=["old"], origin="file:a.csv", now=T)
    assert {r.name: r.query for r in store.rules()} == {"drone*": "drone*", "old": "old"}


def test_a_rule_imported_under_a_name_dismissals_are_kept_under_but_for_case_takes_them(store):
    """As `add_rule` does (`test_store_curation`), once for the whole file: the rules that clash with no kept name
    (the other 200) take nothing."""
    from feeds.model import Match
    from tests.store_watch_helpers import add, item

    one = add(store)
    (a, _, _), (b, _, _) = store.upsert_items(one.id, [item("a"), item("b")], T)
    found = [
        (x, Match("keyword", "lavrov", k, one.id, (), 1.0, "matched 'lavrov'"), None) for x, k in ((a, "a"), (b, "b"))
    ]
    assert store.add_matches(found, T) == 2
    dismissed = {m.item.id: m.id for m in store.matches()}[a]
    store.dismiss_matches([dismissed], T, by=None, reason=None)

    store.import_rules(add=[(f"rule {i}", f"rule{i}") for i in range(200)] + [("Lavrov", "lavrov")], origin="f", now=T)
    assert [(m.subject, m.item.id) for m in store.matches(dismissed=True)] == [("Lavrov", a)]
    assert [(m.subject, m.item.id) for m in store.matches()] == [("lavrov", b)]
