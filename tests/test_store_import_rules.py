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
