"""The language versions of a release, found from what the inputs say (pure).

    releases ──translations_of──► {release id: (Translation, …)}: the release's other language versions

A release names the version it translates with `translation_of` (JSON, front matter and remote sources give it; a
GOV.UK translation names its English page): that version's `source_key`, `slug` or `link`. The versions that name
one another, directly or through a third (English ← Welsh, English ← French), are one document in several
languages, and each of them links to the others: on its page (`<link rel="alternate" hreflang>` and a visible
link) and in its feed entries (Atom `link rel="alternate" hreflang`).

What this module must not do: link to a release that is not published, link two versions in the same language
(the first published of them stands for its language), or fail a publish over a name that matches nothing (the
version named may come later; until then the release links to nothing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from feeds.model import Release

__all__ = ["Translation", "hreflang_alternates", "translations_of"]


@dataclass(frozen=True, slots=True)
class Translation:
    """Another language version of a release: its language (`hreflang`), its page and its title."""

    language: str
    url: str
    title: str


def translations_of(releases: Sequence[Release]) -> Mapping[str, tuple[Translation, ...]]:
    """Each release that has other language versions among `releases`, by id: those versions, one per language,
    in the order of their language tags. Releases without any are left out."""
    named = [r for r in releases if r.translation_of]
    if not named:
        return {}
    by_name: dict[str, Release] = {}
    for r in sorted(releases, key=lambda r: (r.published, r.id), reverse=True):  # (the first published wins)
        for name in (r.identity.removeprefix("key:") if r.identity.startswith("key:") else None, r.slug, r.link):
            if name:
                by_name[name] = r
    parent: dict[str, str] = {}

    def root(release_id: str) -> str:
        while parent.get(release_id, release_id) != release_id:
            release_id = parent[release_id]
        return release_id

    for r in named:
        other = by_name.get(r.translation_of or "")
        if other is not None and other.id != r.id:
            a, b = root(r.id), root(other.id)
            if a != b:
                parent[max(a, b)] = min(a, b)
    linked = set(parent) | set(parent.values())
    groups: dict[str, dict[str, Release]] = {}
    for r in sorted((r for r in releases if r.id in linked), key=lambda r: (r.published, r.id)):
        groups.setdefault(root(r.id), {}).setdefault(_primary(r.language), r)
    found: dict[str, tuple[Translation, ...]] = {}
    for versions in groups.values():
        for language, r in versions.items():
            others = [versions[k] for k in sorted(versions) if k != language]
            if others:
                found[r.id] = tuple(Translation(o.language, o.permalink, o.title) for o in others)
    return found


def hreflang_alternates(
    language: str, url: str, translations: Sequence[Translation], site_language: str
) -> tuple[tuple[str, str], ...]:
    """(hreflang, URL) of each language version of a release in `language` at `url`, this one first, then
    `x-default`: the version in `site_language`, for a reader whose language none is. Empty for a release with no
    other version. The page's `<link rel="alternate" hreflang>` and the sitemap's `xhtml:link` are both this."""
    if not translations:
        return ()
    versions = ((language, url), *((t.language, t.url) for t in translations))
    default = next((u for lang, u in versions if _primary(lang) == _primary(site_language)), None)
    return (*versions, ("x-default", default)) if default else versions


def _primary(language: str) -> str:
    """`en-GB` → `en`: an `en` and an `en-GB` version are the same language to a reader."""
    return language.split("-")[0].lower()
