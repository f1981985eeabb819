"""The writer's record of what it wrote (`feeds.publish.record`): a snapshot and a journal of the changes since.

A change costs a line or two of journal, not the record of every file; a new process reads the same record back;
the journal is compacted into a new snapshot once it has grown. A crash at any point leaves a record the next
publish can trust, or one it sees is damaged (and then verifies every file): forced failures between the writes
show it, each followed by a publish from a fresh process's cache whose files must be exactly the jobs' bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from feeds.errors import PublishError
from feeds.publish import record as record_module
from feeds.publish import writer as writer_module
from feeds.publish.planjobs import Job
from feeds.publish.record import PublishRecord, StateCache
from feeds.publish.spec import RenderedFile
from feeds.publish.writer import SiteWriter


def jobs(version: str, names: Sequence[str] = ("a", "b", "c")) -> list[Job]:
    """One file per name, `<name>.txt` holding `<name> <version>`, fingerprinted by its version."""

    def job(name: str) -> Job:
        data = f"{name} {version}\n".encode()
        return Job(f"page:{name}", (f"{name}.txt",), version, lambda: (RenderedFile(f"{name}.txt", data),))

    return [job(n) for n in names]


def on_disk(out: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(out.iterdir()) if p.is_file()}


@pytest.fixture
def place(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "out", tmp_path / "state" / "publish-state.json"


def writer(place: tuple[Path, Path], cache: StateCache | None = None) -> SiteWriter:
    """A writer with its own cache: a fresh one is what another process (a restarted daemon) has."""
    return SiteWriter(place[0], place[1], cache or StateCache())


def test_a_change_appends_to_the_journal_and_another_process_reads_the_same_record(place) -> None:
    state = place[1]
    cache = StateCache()
    writer(place, cache).publish(jobs("1", [f"p{i}" for i in range(200)]))
    snapshot = state.read_bytes()
    journal = state.with_suffix(".journal")
    assert journal.read_bytes() == b""
    report = writer(place, cache).publish(jobs("2", ["p7"]) + jobs("1", [f"p{i}" for i in range(200) if i != 7]))
    assert report.written == ["p7.txt"]
    assert state.read_bytes() == snapshot, "the snapshot is left as it was"
    lines = journal.read_bytes().splitlines()
    assert len(lines) == 2, "the path being written, then its record"
    assert len(journal.read_bytes()) < len(snapshot) // 20
    again = PublishRecord(state, StateCache()).load()
    assert again == (cache.files, True)
    assert json.loads(lines[1][33:])["set"]["p7.txt"]["fp"] == "2"


def test_a_grown_journal_is_compacted_into_a_new_snapshot(place, monkeypatch) -> None:
    out, state = place
    monkeypatch.setattr(record_module, "COMPACT_FROM", 1024)
    cache = StateCache()
    writer(place, cache).publish(jobs("0"))
    first = json.loads(state.read_text())["generation"]
    for n in range(1, 40):
        writer(place, cache).publish(jobs(str(n)))
        if json.loads(state.read_text())["generation"] != first:
            break
    else:
        pytest.fail("never compacted")
    assert state.with_suffix(".journal").read_bytes() == b""
    assert json.loads(state.read_text())["files"] == cache.files
    assert PublishRecord(state, StateCache()).load() == (cache.files, True)
    assert on_disk(out) == {"a.txt": f"a {n}\n", "b.txt": f"b {n}\n", "c.txt": f"c {n}\n"}


def test_a_crash_between_the_files_and_their_record_leaves_them_to_be_rendered_again(place, monkeypatch) -> None:
    """A publish wrote a.txt's new bytes and failed at b.txt; the next one (another process) plans a.txt as it was
    before (the change undone): the record must not vouch for a.txt, whose bytes on disk are the failed publish's."""
    out = place[0]
    writer(place).publish(jobs("1"))
    real = writer_module.atomic_write

    def fails_at_b(target: Path, data: bytes) -> None:
        if target.name == "b.txt":
            raise PublishError("disk full", path=str(target))
        real(target, data)

    monkeypatch.setattr(writer_module, "atomic_write", fails_at_b)
    with pytest.raises(PublishError, match="disk full"):
        writer(place).publish(jobs("2"))
    monkeypatch.setattr(writer_module, "atomic_write", real)
    assert on_disk(out)["a.txt"] == "a 2\n"
    report = writer(place).publish(jobs("1"), verify=False)
    assert report.written == ["a.txt"]
    assert on_disk(out) == {"a.txt": "a 1\n", "b.txt": "b 1\n", "c.txt": "c 1\n"}


def test_a_journal_line_cut_short_makes_the_next_publish_verify_every_file_and_compact(place) -> None:
    out, state = place
    cache = StateCache()
    writer(place, cache).publish(jobs("1"))
    writer(place, cache).publish(jobs("2"))
    journal = state.with_suffix(".journal")
    journal.write_bytes(journal.read_bytes() + b'0123456789abcdef0123456789abcdef {"generation": ')  # (a crash)
    (out / "c.txt").write_text("defaced\n")  # (a file a trusted record would vouch for)
    fresh = StateCache()
    assert PublishRecord(state, fresh).load()[1] is False
    report = writer(place, fresh).publish(jobs("2"), verify=False)
    assert report.checked == 3, "every file checked"
    assert report.written == ["c.txt"]
    assert journal.read_bytes() == b"", "compacted"
    assert PublishRecord(state, StateCache()).load() == (fresh.files, True)


def test_a_line_whose_checksum_fails_is_not_trusted(place) -> None:
    state = place[1]
    cache = StateCache()
    writer(place, cache).publish(jobs("1"))
    writer(place, cache).publish(jobs("2"))
    journal = state.with_suffix(".journal")
    journal.write_bytes(journal.read_bytes().replace(b'"fp": "2"', b'"fp": "7"'))
    assert PublishRecord(state, StateCache()).load()[1] is False


def test_a_crash_while_compacting_leaves_a_record_that_holds(place, monkeypatch) -> None:
    """The new snapshot in place, the journal of the old generation not yet emptied: its lines are in the snapshot,
    and are skipped."""
    state = place[1]
    cache = StateCache()
    writer(place, cache).publish(jobs("1"))
    writer(place, cache).publish(jobs("2"))
    real = record_module.replace_file

    def fails_on_journal(target: Path, data: bytes) -> None:
        if target.suffix == ".journal":
            raise PublishError("power cut", path=str(target))
        real(target, data)

    monkeypatch.setattr(record_module, "replace_file", fails_on_journal)
    with pytest.raises(PublishError, match="power cut"):
        PublishRecord(state, cache).compact({**cache.files})
    monkeypatch.setattr(record_module, "replace_file", real)
    assert state.with_suffix(".journal").read_bytes() != b""
    fresh = StateCache()
    files, trusted = PublishRecord(state, fresh).load()
    assert trusted and {p: r["fp"] for p, r in files.items()} == {"a.txt": "2", "b.txt": "2", "c.txt": "2"}
    report = writer(place, fresh).publish(jobs("2"), verify=False)
    assert report.changed == [] and report.rendered == 0


def test_a_record_of_before_the_journal_is_read_and_given_a_generation(place) -> None:
    """A snapshot written by a version without a journal (no generation): read as it is, compacted at the next
    change."""
    out, state = place
    writer(place).publish(jobs("1"))
    data = json.loads(state.read_text())
    del data["generation"]
    state.write_text(json.dumps(data, sort_keys=True))
    state.with_suffix(".journal").unlink()
    assert writer(place).publish(jobs("1"), verify=False).rendered == 0
    writer(place).publish(jobs("2"), verify=False)
    assert "generation" in json.loads(state.read_text())
    assert on_disk(out) == {"a.txt": "a 2\n", "b.txt": "b 2\n", "c.txt": "c 2\n"}
