"""What a web server running as another user can read of out/ when feeds runs hardened: systemd's `UMask=0077`,
a container's `umask 077`. Every file is 0644 and every folder feeds makes 0755, whatever the umask; folders left
0700 by a version that let the umask decide are opened again by the next process's first publish."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from feeds.publish import writer as writer_module
from tests.test_publish_site import Site, make_site  # noqa: F401  (make_site: a fixture)


@pytest.fixture
def umask_077() -> Iterator[None]:
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def modes(out: Path) -> dict[str, int]:
    return {p.relative_to(out).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in sorted(out.rglob("*"))}


def test_under_umask_077_every_published_folder_is_0755_and_every_file_0644(make_site, umask_077) -> None:  # noqa: F811
    site: Site = make_site()
    site.publish()
    found = modes(site.out)
    folders = {p: m for p, m in found.items() if (site.out / p).is_dir()}
    files = {p: m for p, m in found.items() if p not in folders}
    assert {"releases", "topics", "static"} <= set(folders)
    assert {p: m for p, m in folders.items() if m != 0o755} == {}
    assert {p: m for p, m in files.items() if m != 0o644} == {}
    assert stat.S_IMODE(site.out.stat().st_mode) == 0o755, "out/ made by the publish too"


def test_a_release_published_later_gets_a_folder_others_may_enter(make_site, umask_077) -> None:  # noqa: F811
    site: Site = make_site()
    site.publish()
    site.drop("later", "Minister answers questions on Syria", ["Syria"], "2026-11-28T09:00:00Z")
    site.ingest()
    written = site.publish().written
    new_folders = {os.path.dirname(p) for p in written if p.startswith("releases/")}
    assert new_folders
    for folder in new_folders:
        assert stat.S_IMODE((site.out / folder).stat().st_mode) == 0o755, folder


def test_folders_left_0700_by_an_earlier_publish_are_opened_by_the_next_process_and_chosen_modes_kept(
    make_site,  # noqa: F811
    umask_077,
    monkeypatch,
) -> None:
    site: Site = make_site()
    site.publish()
    release = next(p for p in (site.out / "releases").iterdir() if p.is_dir())
    os.chmod(release, 0o700)  # as mkdir left it under umask 077
    os.chmod(site.out / "topics", 0o750)  # an operator's choice: a web server in the group
    monkeypatch.setattr(writer_module, "_swept", set())  # a new process (a restarted daemon)
    assert site.publish().written == []  # nothing changed: no file written, which is why the folder stayed 0700
    assert stat.S_IMODE(release.stat().st_mode) == 0o755
    assert stat.S_IMODE((site.out / "topics").stat().st_mode) == 0o750
