"""Hostile input: names that try to leave out/ or the inbox, or that no file system accepts.

Slugs, titles, topics and organisations with `..`, slashes, backslashes, NUL, percent-encoding, dots, reserved
device names, right-to-left overrides and thousands of characters go through the drop folder, the push API
and publishing. Every published file must stay inside out/, under names of plain path segments a file system
accepts (at most 255 bytes each); nothing may appear beside out/ or the inbox; and inbox files with odd names
(long, RTL, leading dashes, many dots) must end in processed/ or rejected/ like any other.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from feeds.ingest import run_ingest
from feeds.publish import run_publish
from feeds.web.api import PushApi
from tests.chaos.conftest import record
from tests.chaos.outcheck import problems_in

NAMES = [
    "../../../../etc/passwd",
    "..",
    ".",
    "./.hidden",
    "a/../../b",
    "a\\..\\..\\b",
    "/absolute/path",
    "%2e%2e%2f%2e%2e%2fescape",
    "..%252f..%252fescape",
    "nul\x00byte",
    "CON",
    "aux.txt",
    "\u202egnp.exe",
    "\u200f\u05e9\u05dc\u05d5\u05dd \u202b\u0627\u0644\u0633\u0644\u0627\u0645",
    "x" * 5000,
    "日本語" * 200,
    "~user",
    "-rf",
    "....//....//",
    "file:///etc/passwd",
    "\ufeff\u200b",
]


def snapshot(root: Path, skip: tuple[Path, ...]) -> set[str]:
    """Every path under `root`, except inside the folders the run is allowed to write."""
    found = set()
    for dirpath, _dirs, files in os.walk(root):
        here = Path(dirpath)
        if any(here == s or s in here.parents for s in skip):
            continue
        found |= {str(here / f) for f in files}
    return found


def check_out_tree(out: Path) -> None:
    real = out.resolve()
    for path in out.rglob("*"):
        assert real in path.resolve().parents, f"{path} resolves outside out/"
        for part in path.relative_to(out).parts:
            assert part not in (".", "..") and not part.startswith("."), f"{path}: segment {part!r}"
            assert "\x00" not in part and "\\" not in part and len(part.encode()) <= 255, f"{path}: segment {part!r}"


def test_odd_names_in_releases_never_leave_out(make_settings, make_app_for, tmp_path: Path) -> None:
    settings = make_settings("\n[publish]\norganisation_feeds = true\n")
    app = make_app_for(settings)
    inbox = settings.source("inbox").path
    for n, name in enumerate(NAMES):
        release = {
            "title": f"{name} title {n}",
            "body": f"Body {n}.",
            "slug": name,
            "topics": [name, f"{name}-{n}"],
            "organisation": name,
            "published": "2026-11-20T09:00:00Z",
            "source_key": f"path-{n}",
        }
        (inbox / f"path-{n}.json").write_text(json.dumps(release), encoding="utf-8")
    before = snapshot(tmp_path, (settings.paths.out, settings.paths.state, inbox))
    report = run_ingest(app)
    created = report.count("created")
    rejected = [o.error for o in report.outcomes if o.status == "rejected"]
    assert created + len(rejected) == len(NAMES)
    assert all("slug" in (e or "") for e in rejected), rejected  # only an unusable slug may be refused
    run_publish(app)
    check_out_tree(settings.paths.out)
    assert problems_in(settings.paths.out) == []
    assert snapshot(tmp_path, (settings.paths.out, settings.paths.state, inbox)) == before
    slugs = [r.slug for r in app.store.releases()]
    assert all(s and "/" not in s and s not in (".", "..") and len(s.encode()) <= 255 for s in slugs), slugs
    record("path names tried", len(NAMES))


def test_odd_names_pushed_through_the_api_never_leave_out(make_settings, make_app_for, tmp_path: Path) -> None:
    import io

    settings = make_settings('\n[web]\napi_token = "0123456789abcdef0123"\nrate_limit = 1000\n')
    app = make_app_for(settings)
    api = PushApi(app)
    codes = []
    for n, name in enumerate(NAMES):
        body = json.dumps({"title": f"{name} {n}", "body": "Text.", "slug": name, "topics": [name]}).encode()
        environ = {
            "PATH_INFO": "/api/releases",
            "REQUEST_METHOD": "POST",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_AUTHORIZATION": "Bearer 0123456789abcdef0123",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
        status: list[str] = []
        answer = b"".join(api(environ, lambda s, h, *a, status=status: status.append(s)))
        codes.append(int(status[0].split()[0]))
        if codes[-1] in (200, 201):  # 200: another name normalised to a slug pushed before (same identity)
            slug = json.loads(answer)["slug"]
            assert "/" not in slug and slug not in (".", "..")
        else:
            assert codes[-1] == 400 and b"slug" in answer, answer
    assert 201 in codes
    run_publish(app)
    check_out_tree(settings.paths.out)


ODD_FILES = [
    "x" * 240 + ".json",
    "\u202egnp.json",
    "-rf.json",
    "a..b...json",
    "space name .json",
    "new\nline.json",
    "quote'\".json",
    "日本語のリリース.json",
]


@pytest.mark.parametrize("twice", [False, True])
def test_inbox_files_with_odd_names_settle_once(make_settings, make_app_for, twice: bool) -> None:
    """Each file ends in processed/ (even when its name is taken there already and needs a suffix)."""
    settings = make_settings()
    app = make_app_for(settings)
    inbox = settings.source("inbox").path
    rounds = 2 if twice else 1
    for r in range(rounds):
        for n, name in enumerate(ODD_FILES):
            release = {"title": f"Odd file {n} round {r}", "body": "Text.", "source_key": f"odd-{n}-{r}"}
            (inbox / name).write_text(json.dumps(release), encoding="utf-8")
        report = run_ingest(app)
        assert report.count("created") == len(ODD_FILES), [o.error for o in report.outcomes]
        assert [p.name for p in inbox.iterdir() if p.is_file()] == [], "a file was left in the inbox"
    processed = [p.name for p in (inbox / "processed").iterdir()]
    assert len(processed) == rounds * len(ODD_FILES)
    assert all(len(n.encode()) <= 255 for n in processed)
    assert app.store.count_releases() == rounds * len(ODD_FILES)


def test_two_topics_with_one_slug_do_not_stop_publishing(make_settings, make_app_for) -> None:
    """Found here: "Harbours" and "harbours!" are two topic names with one slug; the topic feed listed the
    release twice and the renderer refused the feed with a ValueError, stopping every publish of the site."""
    settings = make_settings()
    app = make_app_for(settings)
    release = {"title": "Harbour works", "body": "Text.", "topics": ["Harbours", "harbours!", "HARBOURS."]}
    (settings.source("inbox").path / "a.json").write_text(json.dumps(release), encoding="utf-8")
    assert run_ingest(app).count("created") == 1
    run_publish(app)
    feed = json.loads((settings.paths.out / "topics" / "harbours" / "feed.json").read_bytes())
    assert len(feed["items"]) == 1
    assert problems_in(settings.paths.out) == []
