"""The search of the published site (pure): the releases as a compact JSON index, cut into shards.

    releases by year (by month for a year listed so) ──search_shards──► SearchShard … ──render_shard──►
        search/<year>.json, search/<year>-<mm>.json
    shards' versions and counts ──render_manifest──► search/shards.json
    static/search.js (the script, `searchpage`) + search/index.html (the page, `searchpage`)

A journalist on a static host has no server to ask: the search page's script (`static/search.js`) downloads the
index and searches it in the browser. A 40,000-release archive is some 13 MB of JSON (2.7 MB gzipped); one file
would make the first search wait for all of it. So the index is cut as the year pages are (a year per shard, and a
month per shard for a year of more than `MONTH_PAGES_FROM` releases, which `yearmonths` lists by month), and
`search/shards.json` lists the shards newest first, each with its count and its version (`?v=`). The script fetches
the newest shard first and shows its results while it fetches the older ones, one at a time, only once a visitor
is about to type; a shard asked for by its version may be cached for a year (`feeds serve` does so), so a second
search, or a second visit, downloads nothing but the manifest.

A shard's version is a digest of what its bytes are made of (feeds' version, the entries' `FORMAT` and
`SUMMARY_LIMIT`, the site's base URL, zone and language, its releases' tokens, its topics' names: not the whole
salt, so a setting that changes no entry, such as the news sitemap's publication name, rewrites no shard), written
at the head of the file too: so the manifest is written without rendering any shard (rendering all of a
40,000-release archive's took 1.9 s, which every publish after a change paid), and a server can tell that a file is
the version asked for from its first bytes (`version_of`). A change of code that changes an entry's bytes comes
with a new feeds version, or bumps `FORMAT`.

An entry holds only what a result shows and what is searched: the release's slug (its address is
`releases/<slug>/`; an address elsewhere is given whole), title, summary (cut between words at `SUMMARY_LIMIT`
characters), the day of its publication in the site's time zone, organisation, topics (named as the topic pages
name them), whether it is withdrawn, and its language where it is not the site's. A shard's bytes are a function
of its releases alone (newest first, no generation time), so an incremental publish rewrites only the shards whose
releases changed, and the manifest.

The releases given are the public ones, as for the sitemap: never one under embargo, withdrawn before its
publication or taken down (`run_publish` and the planner leave those out before anything is planned).

What this module must not do: read the clock, the store or the disk; decide which releases are public.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from functools import partial

from feeds.clock import ensure_utc
from feeds.model import Release
from feeds.publish.sharing import clip_text
from feeds.publish.topicnames import topic_slug

SEARCH_FOLDER = "search/"
SEARCH_PAGE = SEARCH_FOLDER + "index.html"
MANIFEST_PATH = SEARCH_FOLDER + "shards.json"
SCRIPT_PATH = "static/search.js"
SUMMARY_LIMIT = 160
"""Characters of a summary kept in the index (cut between words): what a result shows, and what is searched
besides the title, topics and organisation. Whole summaries made the index twice the size."""
FORMAT = 1
"""The version of the entries' layout, in every shard and in the manifest: a script of another version
refuses them rather than misreading them."""


@dataclass(frozen=True, slots=True)
class SearchShard:
    """The releases of one shard of the index, newest first: a year's, or a month's (`month`)."""

    year: int
    month: int | None
    releases: tuple[Release, ...]

    @property
    def name(self) -> str:
        return f"{self.year}" if self.month is None else f"{self.year}-{self.month:02d}"

    @property
    def path(self) -> str:
        return f"{SEARCH_FOLDER}{self.name}.json"


def search_shards(
    by_year: Mapping[int, Sequence[Release]], months_of_year: Mapping[int, Mapping[int, Sequence[Release]]]
) -> tuple[SearchShard, ...]:
    """The shards of the index, newest first: one per year of `by_year` (its releases newest first), or one per
    month of a year that `months_of_year` lists by month (`yearmonths.months_of`, as its pages are)."""
    shards: list[SearchShard] = []
    for year in sorted(by_year, reverse=True):
        months = months_of_year.get(year) or {}
        if months:
            shards += [SearchShard(year, m, tuple(_newest_first(rs))) for m, rs in months.items()]
        else:
            shards.append(SearchShard(year, None, tuple(_newest_first(by_year[year]))))
    return tuple(shards)


def _newest_first(releases: Sequence[Release]) -> list[Release]:
    return sorted(releases, key=lambda r: (ensure_utc(r.published), r.id), reverse=True)


def search_entry(
    r: Release, *, base_url: str, tz: tzinfo, language: str, topic_names: Mapping[str, str]
) -> list[object]:
    """One release as the script reads it: `[address, title, summary, day, organisation, [topics…], withdrawn,
    language]`, the address its slug where it is `<base_url>releases/<slug>/` (as every release's is), else the
    whole URL; the day `YYYY-MM-DD` in the site's zone (as the pages date it), withdrawn 1 or 0, and the language
    "" where it is the site's."""
    address = r.slug if r.permalink == f"{base_url}releases/{r.slug}/" else r.permalink
    day = ensure_utc(r.published).astimezone(tz).date().isoformat()
    topics = list(dict.fromkeys(topic_names.get(topic_slug(t), t) for t in r.topics))
    lang = r.language or ""
    if lang and lang.split("-")[0].lower() == language.split("-")[0].lower():
        lang = ""
    summary = clip_text(r.summary, SUMMARY_LIMIT)
    return [address, r.title, summary, day, r.organisation, topics, 1 if r.withdrawn_at else 0, lang]


def shard_version(salt: str, shard: SearchShard, inputs: str) -> str:
    """A shard's version: the first 12 hex digits of the SHA-256 of what its bytes are made of (`salt`: feeds'
    version and the settings an entry shows, `search_salt`; `inputs`: its releases' tokens and its topics' names,
    as its fingerprint)."""
    return hashlib.sha256(f"{FORMAT}\0{SUMMARY_LIMIT}\0{salt}\0{shard.name}\0{inputs}".encode()).hexdigest()[:12]


def search_salt(version: str, base_url: str, tz: tzinfo, language: str) -> str:
    """What besides its releases a shard's bytes depend on: feeds' `version` (its code), and the site's
    `base_url` (an address elsewhere is given whole), zone (the day) and `language` (an entry's own, where it is
    another)."""
    return repr((version, base_url, str(tz), language))


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_HEAD = '{{"format":{format},"version":"{version}","releases":[\n'
_VERSION_AT = re.compile(rb'\{"format":\d+,"version":"([0-9a-f]{12})"')


def version_of(data: bytes) -> str | None:
    """The version a shard's bytes say they are, from their head; None for other bytes."""
    found = _VERSION_AT.match(data)
    return found.group(1).decode() if found else None


def render_shard(
    shard: SearchShard, *, version: str, base_url: str, tz: tzinfo, language: str, topic_names: Mapping[str, str]
) -> bytes:
    """A shard's JSON: `{"format": 1, "version": …, "releases": [entry, …]}`, one entry a line, newest first, UTF-8
    as is but for `<`, `>` and `&`, written as `\\u003c` escapes (as the pages' JSON-LD is): a title holding
    `<script>` is no markup even to a host that served the file as HTML."""
    entry = partial(search_entry, base_url=base_url, tz=tz, language=language, topic_names=topic_names)
    lines = [_ENCODER.encode(entry(r)) for r in shard.releases]
    text = _HEAD.format(format=FORMAT, version=version) + ",\n".join(lines) + "\n]}\n"
    return re.sub("[<>&]", lambda m: f"\\u{ord(m.group(0)):04x}", text).encode()


def render_manifest(shards: Sequence[tuple[SearchShard, str]]) -> bytes:
    """`search/shards.json`: the shards (with their versions) newest first, each as `[file?v=version, count]`
    (the file relative to the manifest), and the total count."""
    listed = [[f"{s.name}.json?v={version}", len(s.releases)] for s, version in shards]
    total = sum(len(s.releases) for s, _ in shards)
    body = json.dumps({"format": FORMAT, "total": total, "shards": listed}, separators=(",", ":"))
    return (body + "\n").encode()
