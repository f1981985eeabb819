"""HTML pages of the published site: the index, one page per topic, per year (and month), the 404 page.

    Release / FeedLink ──PageRenderer──► RenderedFile(path, bytes) ──writer──► out/

Pure: the renderer turns records into bytes through Jinja2 templates (the packaged `feeds/templates/`, or a
config-provided folder whose templates replace the packaged ones by name). Equal inputs give equal bytes. The
environment and its filters are `pagetemplates.py`'s; the view records the templates see, and the pure helpers that
make them, are `pageviews.py`'s: this module decides what each page shows and where it goes. A release's permalink
page, the one page in the release's own language, is `releasepage.py`'s (`release_page`), and the search page
`searchpage.py`'s: both are rendered with a `PageRenderer`'s templates, labels and topic links.

What this module must not do: read the clock, the store or `out/`; mark anything but `Release.body_html` safe
(it was sanitised by `normalise`); put a script on a page (the site works without JavaScript); link to any
scheme but http(s) from data that came from outside (coverage URLs, images, source links).

Topics are named as the feeds and topic pages name them (`topic_names`: one name per topic page, whatever
spelling a release gave it), never as a release happens to spell them.

Template context, the contract an override template can rely on (all pages extend `base.html`):
  every page   `site` (Site), `head` (Head), `feed_groups` (FeedGroup…); filters `date_text`,
               `date_time_text`, `rfc3339`, `with_alt`, `name_image_links`, `outline_headings`, `scroll_tables`;
               macros in `_macros.html`;
               `_` / `gettext` / `ngettext` (Jinja's i18n extension, new style: `_("Published by %(author)s",
               author=…)`), which give our labels in the site's language (`feeds.publish.i18n`); `head.ui_lang`
               is set where they are in another language than the page's text
  release.html rendered by `releasepage`: `release` (Release), `lede` (str | None: its summary, unless the body
               opens with it), `kind` (str), `topics` (TopicLink…), `history` (Change…, newest first, ending
               with first publication), `first_published` (the note of the line we add to it, in the page's
               language), `coverage` (CoverageView…), `source_link` (str | None), `translations`
               (LanguageLink…: the release's other language versions; `head.alternates` has them with this one);
               labels and dates in the release's language where a packaged catalogue covers it
  index.html   `releases` (ReleaseCard…, newest first), `opml_href`
  topic.html   `topic` (TopicLink), `releases` (ReleaseCard…, newest first)
  search.html  rendered by `searchpage` (the one page with a script): `years`, `topics` (TopicLink…),
               `script_url`, `index_url`, `found` and `so_far` (a count's sentence in each plural form)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment

from feeds.clock import ensure_utc
from feeds.config import Site
from feeds.errors import PublishError
from feeds.model import Release
from feeds.normalise.topics import topic_slug as default_topic_slug
from feeds.publish.i18n import Messages, messages_for, messages_in
from feeds.publish.pagetemplates import page_environment
from feeds.publish.pageviews import (
    Head,
    ReleaseCard,
    TopicLink,
    group_feeds,
    og_locale,
    text_direction,
)
from feeds.publish.sharing import (
    clip_text,
    collection_json_ld,
    website_json_ld,
    website_meta,
)
from feeds.publish.spec import FeedLink, RenderedFile, content_version

_UNSAFE_SLUG = re.compile(r"[/\\\x00-\x1f\x7f?#]")


@functools.cache
def _site_css() -> bytes:
    return resources.files("feeds").joinpath("static", "site.css").read_bytes()


def _same_language(a: str, b: str) -> bool:
    """Same primary language subtag: an `en` release needs no `lang` change on an `en-GB` site's chrome."""
    return a.split("-")[0].lower() == b.split("-")[0].lower()


def check_slug(slug: str, kind: str) -> str:
    """`slug` itself, when it is safe as the name of a page's folder (`<kind>s/<slug>/`); else a PublishError."""
    if not slug or slug in (".", "..") or _UNSAFE_SLUG.search(slug):
        raise PublishError(f"{kind} slug {slug!r} is not safe as a folder name", path=f"{kind}s/{slug}/index.html")
    return slug


def _newest_first(releases: Sequence[Release]) -> list[Release]:
    return sorted(releases, key=lambda r: (ensure_utc(r.published), r.id), reverse=True)


# --- the renderer -------------------------------------------------------------------------------------------


class PageRenderer:
    """Renders the site's HTML pages for one `Site` with the packaged templates (or a folder overriding them).

    `topic_slug` must be the function the planner uses for `topics/<slug>/`, so links land on the right pages.
    The release page (`releasepage.release_page`) and the search page (`searchpage.search_page`) are rendered with
    it too, through its public helpers (`speaking`, `labels_in`, `og_locale_of`, `topic_links`, `section_head`).
    """

    def __init__(
        self,
        site: Site,
        *,
        template_dir: Path | None = None,
        topic_slug: Callable[[str], str] = default_topic_slug,
    ) -> None:
        self.site = site
        self.topic_slug = topic_slug
        self.messages: Messages = messages_for(site)
        self.env = page_environment(self.messages, template_dir)
        self._template_dir = template_dir
        self._in_language: dict[str, tuple[Messages, Environment]] = {}

    # -- pages --

    def index_page(
        self,
        *,
        releases: Sequence[Release],
        feeds: Sequence[FeedLink],
        stylesheet_url: str,
        discover: Sequence[FeedLink] | None = None,
        topic_names: Mapping[str, str] | None = None,
        years: Sequence[int] = (),
    ) -> RenderedFile:
        """`index.html`: recent releases, newest first, every year's archive page (`years`, newest first), and
        every feed to subscribe to, grouped.

        `discover` lists the feeds announced in <head>; by default those of the `Main` group (or the first group).
        """
        site = self.site
        groups = group_feeds(feeds)
        if discover is None:
            main = [f for f in feeds if f.group.lower() == "main"] or [
                f for f in feeds if groups and (f.group or "Feeds") == groups[0].name
            ]
            discover = main
        description = clip_text(site.description)
        head = Head(
            title=site.title,
            description=description,
            lang=site.language,
            dir=text_direction(site.language),
            canonical=site.base_url,
            stylesheet_url=stylesheet_url,
            home="./",
            discover=tuple(discover),
            meta=website_meta(site, site.title, description, site.base_url, self.og_locale_of(site.language)),
            json_ld=website_json_ld(site, description),
            **self.labels_in(site.language),
        )
        html = self.env.get_template("index.html").render(
            site=site,
            head=head,
            feed_groups=groups,
            releases=self._cards(releases, root="", names=topic_names),
            opml_href="feeds.opml",
            years=years,
        )
        return RenderedFile(path="index.html", data=html.encode("utf-8"))

    def year_page(
        self,
        *,
        year: int,
        releases: Sequence[Release],
        years: Sequence[int],
        stylesheet_url: str,
        discover: Sequence[FeedLink] = (),
        topic_names: Mapping[str, str] | None = None,
        month: int | None = None,
        months: Sequence[tuple[int, int]] = (),
    ) -> RenderedFile:
        """`years/<year>/index.html`: every release first published in `year` (in the site's time zone), newest
        first, and links to the other years: the index lists only the newest, and a release must be reachable
        from the site's pages, not from the feed archives alone. A year listed by month (`yearmonths`) names its
        `months` ((month, releases), newest first) instead, and each `month`'s page, `years/<year>/<mm>/`, lists
        that month's releases, with links to the other months and years."""
        site, words = self.site, self.messages
        name = words.month(year, month) if month else str(year)
        folder = f"years/{year}/" + (f"{month:02d}/" if month else "")
        root = "../../../" if month else "../../"
        head = self.section_head(
            words.say("Releases of %(year)s – %(site)s", year=name, site=site.title),
            words.say("Every release %(author)s published in %(year)s.", author=site.author, year=name),
            site.base_url + folder,
            stylesheet_url,
            discover,
            crumb=name,
        )
        html = self.env.get_template("year.html").render(
            site=site,
            head=replace(head, home=root),
            year=year,
            name=name,
            month=month,
            months=[(m, words.month(year, m), n) for m, n in months],
            years=years,
            root=root,
            count=len(releases),
            releases=self._cards(releases, root=root, names=topic_names),
        )
        return RenderedFile(path=f"{folder}index.html", data=html.encode("utf-8"))

    def topic_page(
        self,
        *,
        name: str,
        slug: str,
        releases: Sequence[Release],
        feeds: Sequence[FeedLink],
        stylesheet_url: str,
        topic_names: Mapping[str, str] | None = None,
        total: int | None = None,
        older_years: Sequence[int] = (),
    ) -> RenderedFile:
        """`topics/<slug>/index.html`: the releases about one topic, newest first, and the topic's feeds. When
        `releases` are only the newest of `total`, the page says so and links the years (`older_years`, newest
        first) whose pages list the others. A topic with no release left (its feeds stay for their subscribers)
        says so, and asks search engines not to list the page (`noindex`)."""
        check_slug(slug, "topic")
        site, words = self.site, self.messages
        head = self.section_head(
            f"{name} – {site.title}",
            words.say("Releases from %(author)s about %(topic)s.", author=site.author, topic=name),
            f"{site.base_url}topics/{quote(slug)}/",
            stylesheet_url,
            feeds,
            crumb=name,
        )
        if not releases:
            head = replace(head, robots="noindex")
        html = self.env.get_template("topic.html").render(
            site=site,
            head=head,
            feed_groups=group_feeds(feeds),
            topic=TopicLink(name=name, slug=slug, href="./"),
            releases=self._cards(releases, root="../../", names=topic_names),
            total=total if total is not None and total > len(releases) else None,
            older_years=older_years,
        )
        return RenderedFile(path=f"topics/{slug}/index.html", data=html.encode("utf-8"))

    def section_head(
        self, title: str, description: str, url: str, stylesheet_url: str, discover: Sequence[FeedLink], *, crumb: str
    ) -> Head:
        """The <head> of a page listing releases two folders down (`topics/<slug>/`, `years/<year>/`), named `crumb`
        in its breadcrumb trail (the search page's too: `searchpage`)."""
        site = self.site
        description = clip_text(description)
        return Head(
            title=title,
            description=description,
            lang=site.language,
            dir=text_direction(site.language),
            canonical=url,
            stylesheet_url=stylesheet_url,
            home="../../",
            discover=tuple(discover),
            meta=website_meta(site, title, description, url, self.og_locale_of(site.language)),
            json_ld=collection_json_ld(site, crumb, title, description, url),
            **self.labels_in(site.language),
        )

    def not_found_page(self, *, years: Sequence[int], stylesheet_url: str) -> RenderedFile:
        """`404.html`: what `feeds serve` answers for an address with nothing there. It is served at any path, so
        every link in it is absolute."""
        site = self.site
        head = Head(
            title=self.messages.say("Page not found – %(site)s", site=site.title),
            description="",
            lang=site.language,
            dir=text_direction(site.language),
            canonical=None,  # (served for every missing address: it is the canonical page of none)
            stylesheet_url=stylesheet_url,
            home=site.base_url,
            discover=(),
            meta=(),
            robots="noindex",  # (as /404.html it answers 200: no search result should be "Page not found")
            **self.labels_in(site.language),
        )
        html = self.env.get_template("404.html").render(site=site, head=head, years=years)
        return RenderedFile(path="404.html", data=html.encode("utf-8"))

    @staticmethod
    def static_files() -> tuple[RenderedFile, ...]:
        """The packaged stylesheet, as `static/site.css`, for the planner to publish next to the pages."""
        return (RenderedFile(path="static/site.css", data=_site_css()),)

    @staticmethod
    def stylesheet_version() -> str:
        """The stylesheet's version (`content_version`), which the pages name in its address (`site.css?v=…`)."""
        return content_version(_site_css())

    # -- helpers (the release and search pages' too) --

    def speaking(self, lang: str) -> tuple[Messages, Environment]:
        """The labels and the template environment of a page in `lang`: that language's where a packaged catalogue
        covers it (`messages_in`), else the site's. Made once per language."""
        if lang not in self._in_language:
            words = messages_in(self.site, lang)
            if words is None or words is self.messages:
                self._in_language[lang] = (self.messages, self.env)
            else:
                self._in_language[lang] = (words, page_environment(words, self._template_dir))
        return self._in_language[lang]

    def labels_in(self, lang: str, words: Messages | None = None) -> dict[str, Any]:
        """`ui_lang` and `ui_dir` of a Head or card whose text is in `lang`: the labels' language where it differs
        (English labels on a site whose language has no catalogue; a release in another language than the site's
        whose language has none). `words`: the labels, the site's by default."""
        labels = (words or self.messages).language
        return {"ui_lang": None if _same_language(lang, labels) else labels, "ui_dir": text_direction(labels)}

    def og_locale_of(self, lang: str) -> str:
        """Open Graph's locale of a page in `lang`; the site's (`en_GB`) for a release in its language that names
        no region (`en`), as Open Graph locales name one."""
        return og_locale(self.site.language if "-" not in lang and _same_language(lang, self.site.language) else lang)

    def topic_links(
        self, topics: Sequence[str], *, root: str, names: Mapping[str, str] | None
    ) -> tuple[TopicLink, ...]:
        """Links to the pages of `topics` (as a release spells them), named by `names` (slug → name)."""
        links = []
        for topic in topics:
            slug = self.topic_slug(topic)
            name = (names or {}).get(slug, topic)
            links.append(TopicLink(name=name, slug=slug, href=f"{root}topics/{quote(slug)}/"))
        return tuple(links)

    def _site_href(self, url: str, *, root: str) -> str:
        """A URL inside the site, made relative to the page (root = way up to the site root); others unchanged."""
        base = self.site.base_url
        if url.startswith(base):
            return (root + url[len(base) :]) or "./"
        return url

    def _cards(
        self, releases: Sequence[Release], *, root: str, names: Mapping[str, str] | None
    ) -> tuple[ReleaseCard, ...]:
        cards = []
        for release in _newest_first(releases):
            lang = release.language or self.site.language
            same = _same_language(lang, self.site.language)
            cards.append(
                ReleaseCard(
                    release=release,
                    href=self._site_href(release.permalink, root=root),
                    topics=self.topic_links(release.topics, root=root, names=names),
                    lang=None if same else lang,
                    dir=text_direction(lang),
                    **self.labels_in(lang),
                )
            )
        return tuple(cards)
