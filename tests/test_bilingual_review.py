"""A bilingual (English and Welsh) press office: catalogues that the standard gettext tools accept, the two
language versions of a release linked to each other, Welsh pages and feeds."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parent.parent / "feeds" / "locale"
PACKAGED = sorted(p.stem for p in LOCALE.glob("*.po"))


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
@pytest.mark.parametrize("language", PACKAGED)
def test_every_packaged_catalogue_passes_msgfmt_check(language: str, tmp_path: Path) -> None:
    """Translators compile and check catalogues with GNU msgfmt (Poedit runs it on save): a fatal error there
    means a catalogue they cannot work on."""
    done = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "out.mo"), str(LOCALE / f"{language}.po")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
