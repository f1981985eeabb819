"""The search page, `search/index.html`, and the script it runs, `static/search.js` (the index is `searchindex`).

    PageRenderer + years + topics ──search_page──► search/index.html
    feeds/static/search.js ──search_script──► static/search.js (named by its version: `search.js?v=…`)

The page is a form, an empty list of results and a status line read out by screen readers (`role="status"`); the
script fills them in the site's language from the words the page hands it (`data-*` of the status line: the
result count in each plural form, `plural_table`). Without the script (turned off, or blocked by a server's
Content-Security-Policy) the form stays hidden and the page says that search needs JavaScript, and links the year
and topic pages, where every release is listed. The page asks not to be listed by search engines (`noindex`, and
it is not in the sitemap): it shows nothing until a visitor types.

What this module must not do: read the clock, the store or `out/`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import replace
from importlib import resources
from urllib.parse import quote

from feeds.publish.i18n import Messages
from feeds.publish.pages import PageRenderer
from feeds.publish.pageviews import TopicLink
from feeds.publish.searchindex import MANIFEST_PATH, SCRIPT_PATH, SEARCH_FOLDER, SEARCH_PAGE
from feeds.publish.sitefeeds import FeedGroup
from feeds.publish.spec import RenderedFile, content_version

PLURAL_SPAN = 200
"""Counts whose plural form the page gives (0-199); the script takes a larger count's as that of 100 plus its
last two digits, which is what every language's plural rule turns on (CLDR: Polish 2-4 but 12-14, Welsh, Arabic)."""


@functools.cache
def _script() -> bytes:
    return resources.files("feeds").joinpath("static", "search.js").read_bytes()


def search_script() -> RenderedFile:
    """The packaged script, as `static/search.js`."""
    return RenderedFile(path=SCRIPT_PATH, data=_script())


def script_version() -> str:
    """The script's version (`content_version`), which the search page names in its address (`search.js?v=…`)."""
    return content_version(_script())


def plural_table(words: Messages, singular: str, plural: str) -> str:
    """A count's sentence in every plural form of the site's language, as the script reads it: JSON
    `{"forms": [sentence…], "of": "0111…"}`, where the n-th digit of `of` is the form of the count n (0 to
    `PLURAL_SPAN` - 1) and `%(num)d` in a form stands for the count. Made from the catalogue's own plural rule,
    whatever its language, so the script needs none."""
    forms: list[str] = []
    of = []
    for n in range(PLURAL_SPAN):
        sentence = words.ngettext(singular, plural, n)
        if sentence not in forms:
            forms.append(sentence)
        of.append(str(forms.index(sentence)))
    return json.dumps({"forms": forms, "of": "".join(of)}, ensure_ascii=False, separators=(",", ":"))


def search_topics(groups: Sequence[FeedGroup], site_title: str) -> list[tuple[str, str]]:
    """(name, slug) of every topic with releases, by name: the topic pages a page without the script links."""
    topics = [
        (g.title.removeprefix(f"{site_title}: "), g.key.removeprefix("topic:"))
        for g in groups
        if g.key.startswith("topic:") and g.releases
    ]
    return sorted(topics, key=lambda t: (t[0].casefold(), t[1]))


def search_page(
    renderer: PageRenderer,
    *,
    years: Sequence[int],
    topics: Sequence[tuple[str, str]],
    stylesheet_url: str,
) -> RenderedFile:
    """`search/index.html`: the form, the script (`static/search.js?v=…`, relative, as the stylesheet is) and,
    for a browser without it, the `years` (newest first) and `topics` ((name, slug), as the page lists them)
    whose pages list every release."""
    site, words = renderer.site, renderer.messages
    title = words.gettext("Search the releases")
    head = renderer.section_head(
        f"{title} – {site.title}",
        words.say("Search the releases of %(author)s.", author=site.author),
        site.base_url + SEARCH_FOLDER,
        stylesheet_url,
        (),
        crumb=title,
    )
    head = replace(head, home="../", robots="noindex", json_ld=None)
    html = renderer.env.get_template("search.html").render(
        site=site,
        head=head,
        years=years,
        topics=[TopicLink(name=name, slug=slug, href=f"../topics/{quote(slug)}/") for name, slug in topics],
        script_url=f"../{SCRIPT_PATH}?v={script_version()}",
        index_url=MANIFEST_PATH.removeprefix(SEARCH_FOLDER),
        found=plural_table(words, "%(num)d release found", "%(num)d releases found"),
        so_far=plural_table(
            words,
            "%(num)d release found so far; searching older releases…",
            "%(num)d releases found so far; searching older releases…",
        ),
    )
    return RenderedFile(path=SEARCH_PAGE, data=html.encode("utf-8"))
