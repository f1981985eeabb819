"""The test suite's own housekeeping: PostgreSQL databases that killed test runs left behind are dropped."""

from __future__ import annotations

from tests.conftest import left_behind


def test_only_databases_of_processes_that_are_gone_are_left_behind() -> None:
    names = [
        "feeds_test_101_0123abcd",  # its run is alive
        "feeds_test_202_89abcdef",  # its run was killed
        "feeds_test_303",  # not a name a run makes
        "feeds_test_404_0123abcd_copy",
        "feeds",  # the deployment's own
    ]
    assert left_behind(names, lambda pid: pid == 101) == ["feeds_test_202_89abcdef"]
