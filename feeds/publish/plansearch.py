"""Planning the site's search (pure): its page, a shard of the index per year's (or month's) page, and the list of
shards, as jobs of a `Planner` (`searchindex` says what the files hold).

    plan_search(plan, index, …) ──► page:search/, search:<year>[-<mm>] …, search:manifest

A shard is planned again only when its releases' tokens or the topics' names changed (`PlanMemo.worked_out`): a
daemon's publish after one new release works out the version of the shard that shows it and of no other, and the
list of shards, which names every shard's version, is made again from those kept. A shard's releases come from
the archive's groups (`ArchiveIndex`), newest first as the year and month pages list them.

What this module must not do: read the clock, the store or the disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from feeds import __version__
from feeds.config.settings import Site
from feeds.publish.archiveindex import ArchiveIndex
from feeds.publish.pages import PageRenderer
from feeds.publish.planjobs import Job, Planner, one
from feeds.publish.planpages import year_months
from feeds.publish.searchindex import (
    MANIFEST_PATH,
    SEARCH_PAGE,
    SearchShard,
    render_manifest,
    render_shard,
    search_salt,
    shard_version,
)
from feeds.publish.searchpage import script_version, search_page, search_topics
from feeds.publish.sitefeeds import FeedGroup
from feeds.publish.spec import RenderedFile

__all__ = ["plan_search"]


def plan_search(
    plan: Planner,
    index: ArchiveIndex,
    renderer: PageRenderer,
    site: Site,
    *,
    groups: Sequence[FeedGroup],
    years: Sequence[int],
    css: str,
) -> None:
    """Add the search page's, the shards' and the list of shards' jobs to `plan` (the shards before the list that
    names their versions). `years`: those with a page, newest first; `css`: the stylesheet as the index links it."""
    topics = search_topics(groups, site.title)
    on_search = partial(one, search_page, renderer, years=years, topics=topics, stylesheet_url="../" + css)
    plan.add("page:search/", [SEARCH_PAGE], (years, topics, css, script_version()), on_search)

    memo, keys = plan.memo, plan.keys
    names_epoch = memo.epoch("search-names", plan.names)
    salt = search_salt(__version__, site.base_url, site.tz, site.language)  # (not the plan's: what entries show)
    render = partial(render_shard, base_url=site.base_url, tz=site.tz, language=site.language, topic_names=plan.names)
    listed: list[tuple[SearchShard, str]] = []
    for shard in _shards(plan, index, years):
        tokens = [keys[r.id] for r in shard.releases]

        def make(shard: SearchShard = shard, tokens: list[str] = tokens) -> tuple[str, Job]:
            inputs = "\n".join([*tokens, *plan.named(shard.releases)])
            version = shard_version(salt, shard, inputs)
            job = plan.add(f"search:{shard.name}", [shard.path], inputs, partial(_shard_file, render, shard, version))
            return version, job

        (version, job), made = memo.worked_out(f"search:{shard.name}", (tokens, names_epoch), make)
        if not made:
            plan.jobs.append(job)
        listed.append((shard, version))
    manifest = RenderedFile(path=MANIFEST_PATH, data=render_manifest(listed))
    plan.add("search:manifest", [MANIFEST_PATH], manifest.data.decode(), partial(tuple, (manifest,)))


def _shards(plan: Planner, index: ArchiveIndex, years: Sequence[int]) -> list[SearchShard]:
    """The shards, newest first: a year's releases, or a month's for a year listed by month (`yearmonths`)."""
    shards: list[SearchShard] = []
    for year in years:
        months = year_months(plan, index, year)
        if months:
            shards += [SearchShard(year, month, tuple(of_month)) for month, of_month in months.items()]
        else:
            shards.append(SearchShard(year, None, tuple(index.group(f"y:{year}"))))
    return shards


def _shard_file(render: partial[bytes], shard: SearchShard, version: str) -> tuple[RenderedFile, ...]:
    return (RenderedFile(path=shard.path, data=render(shard, version=version)),)
