"""Publish: turn the stored releases into the public site in out/.

    run_publish(app):  store.releases(), matches(), published_feeds() | plan_site (pure) | keep_published_feeds
                       | render what changed | SiteWriter → out/

Same store contents give the same bytes on every run and every machine (stable ETags); a publish with nothing
new writes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from feeds import __version__
from feeds.publish.coverage import EntryIds, entry_keys
from feeds.publish.entries import at_base
from feeds.publish.marks import PublishedFeeds
from feeds.publish.newsmap import news_ages_out_at, news_releases
from feeds.publish.pages import PageRenderer
from feeds.publish.pageviews import Direction, text_direction
from feeds.publish.pictures import picture_jobs
from feeds.publish.plan import plan_site
from feeds.publish.planmemo import PlanMemo
from feeds.publish.plansitemaps import news_of
from feeds.publish.searchpage import search_script
from feeds.publish.sitefeeds import CSS_PATH, XSL_PATH
from feeds.publish.spec import RenderedFile
from feeds.publish.stylesheet import feed_css, feed_stylesheet
from feeds.publish.writer import PublishReport, SiteWriter, StateCache

if TYPE_CHECKING:
    from feeds.app import App
    from feeds.config import Site
    from feeds.publish.i18n import Messages

__all__ = ["PublishReport", "run_publish"]

log = logging.getLogger("feeds.publish")

STATE_FILE = "publish-state.json"


def run_publish(
    app: App,
    *,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    verify: bool = True,
) -> PublishReport:
    """Publish, and record in the database how it went (`feeds.outcomes.record_run`: what `feeds status` shows on
    every machine, where a failed `feeds publish` from cron would otherwise leave no trace).

    `verify`: check every file in out/ against the record of what was written (a file deleted or edited by hand is
    written again); without it, only the files of the documents that changed are looked at, and the others are
    taken to be as written (the daemon's publishes after a change: `feeds.daemon.jobs`)."""
    from feeds.outcomes import record_run

    try:
        with _kept(app, _LOCK_KEY, threading.Lock):  # (one publish of an App at a time: they share its memo)
            report = _publish(app, dry_run=dry_run, progress=progress, verify=verify)
    except Exception as e:
        if not dry_run:
            record_run(app, "publish", e)
        raise
    if not dry_run:
        record_run(app, "publish")
    return report


def _publish(app: App, *, dry_run: bool, progress: Callable[[int, int], None] | None, verify: bool) -> PublishReport:
    settings = app.settings
    now = app.clock()
    stored = app.releases.current(app.store, now)
    # A release dated ahead (an embargo) stays off the site until its time: no page, no entry in any feed, no
    # topic, no coverage. The daemon publishes again when the first such time comes (`PublishReport.held_until`).
    # A release withdrawn before its publication (an embargoed statement cancelled) never goes public.
    stored = [r for r in stored if not r.never_public]
    # A release's address (and its body's links to the site) follow `site.base_url` as it is now, not as it was when
    # the release was stored: a site moved (the example's localhost to its public https:// address) went on linking
    # to the old one.
    releases = [at_base(r, settings.site.base_url) for r in stored if r.published <= now]
    held = [r.published for r in stored if r.published > now]
    shown = {r.id for r in releases}
    if not dry_run:  # each release shown keeps its place in the archives' order from its first publish on
        app.store.keep_went_public(now, archive_size=settings.publish.entries)
    order = app.store.release_archive_order(now, archive_size=settings.publish.entries)
    salt = _salt(app)
    renderer = _renderer(app, settings.site, salt)
    static = (
        *renderer.static_files(),
        search_script(),
        *_stylesheets(renderer.messages, text_direction(settings.site.language)),
    )
    if settings.publish.indexnow:  # (its key file, which the search engines read to trust the pings)
        from feeds.publish.indexnow import key_file

        static = (*static, key_file(settings))
    matches = [m for m in app.store.matches() if m.kind == "keyword" or m.subject in shown]
    rules = {r.name: r.updated_at for r in app.store.rules()}
    ids = EntryIds(app.store.entry_ids(entry_keys(matches)))
    published = PublishedFeeds(app.store.published_feeds())
    memo = _kept(app, _MEMO_KEY, PlanMemo)
    jobs = plan_site(
        releases,
        order,
        settings,
        renderer,
        now=now,
        salt=salt,
        static=static,
        matches=matches,
        rules=rules,
        entry_ids=ids,
        published=published,
        removed=app.store.removed_releases(),
        memo=memo,
    )
    # (the pictures the releases shown show, byte for byte from the store: one a release no longer shows is removed)
    index = memo.archive
    shown_pictures = index.pictures() if index is not None else None
    jobs += picture_jobs(
        releases, settings.site.base_url, app.store.stored_pictures, app.store.picture_data, shown_pictures
    )
    if ids.minted and not dry_run:  # kept before they are published: an id, once out, never changes
        app.store.keep_entry_ids(ids.minted, now)
    if published.changed and not dry_run:  # kept before too: a feed's `updated`, once out, never goes back
        app.store.keep_published_feeds(published.changed, now)
    writer = SiteWriter(settings.paths.out, settings.paths.state / STATE_FILE, _kept(app, _STATE_KEY, StateCache))
    report = writer.publish(jobs, dry_run=dry_run, progress=progress, verify=verify)
    report.fingerprinted, report.tokens_made = memo.fingerprinted, memo.tokens_made
    report.held, report.held_until = len(held), min(held, default=None)
    report.news_until = news_ages_out_at(news_of(index, now) if index is not None else news_releases(releases, now))
    return report


_RENDERER_KEY = "page_renderer"
_MEMO_KEY = "plan_memo"
_STATE_KEY = "publish_state"
_LOCK_KEY = "publish_lock"

_T = TypeVar("_T")


def _kept(app: App, key: str, make: Callable[[], _T]) -> _T:
    """What the App keeps from one publish to the next under `key` (a daemon publishes again and again: what the
    last plan worked out, and the record of what was written, as `PlanMemo` and `StateCache` say)."""
    kept = app.extras.get(key)
    if kept is None:  # (setdefault: two threads asking at once, the first publish's lock above all, get one)
        kept = app.extras.setdefault(key, make())
    return kept  # type: ignore[return-value]


def _renderer(app: App, site: Site, salt: str) -> PageRenderer:
    """The App's PageRenderer, kept while the salt (settings, code, templates) is unchanged: a daemon publishes
    again and again, and compiling the templates costs more than the pages of a small incremental publish."""
    cached = app.extras.get(_RENDERER_KEY)
    if isinstance(cached, tuple) and cached[0] == salt:
        renderer: PageRenderer = cached[1]
        return renderer
    renderer = PageRenderer(site, template_dir=app.settings.publish.templates)
    app.extras[_RENDERER_KEY] = (salt, renderer)
    return renderer


def _stylesheets(words: Messages, direction: Direction) -> tuple[RenderedFile, RenderedFile]:
    """feed.xsl and feed.css, the browser view of the feeds, in the site's language (as the pages are)."""
    return (
        RenderedFile(path=XSL_PATH, data=feed_stylesheet(words)),
        RenderedFile(path=CSS_PATH, data=feed_css(words, rtl=direction == "rtl")),
    )


def _salt(app: App) -> str:
    """Everything besides the data that shapes the output: code, templates and settings.

    When any of it changes, every document's fingerprint changes and the whole site is rendered again.
    """
    h = hashlib.sha256()
    h.update(__version__.encode())
    h.update(repr((app.settings.site, app.settings.publish)).encode())
    package = Path(__file__).resolve().parent.parent
    folders = [package / "publish", package / "templates", package / "static", package / "locale"]
    if app.settings.publish.templates:
        folders.append(app.settings.publish.templates)
    for folder in folders:
        if folder.is_dir():
            for f in sorted(folder.rglob("*")):
                if f.is_file() and f.suffix in (".py", ".html", ".css", ".js", ".xsl", ".xml", ".j2", ".po"):
                    h.update(str(f.relative_to(folder)).encode())
                    h.update(f.read_bytes())
    if app.settings.site.messages is not None:  # the office's own labels (`site.messages`): edited, all shown again
        with contextlib.suppress(OSError):  # (unreadable: the labels come from the packaged catalogue meanwhile)
            h.update(app.settings.site.messages.read_bytes())
    return h.hexdigest()
