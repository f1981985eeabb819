"""The words of the published site in its language: the pages' labels, the feeds' own sentences, and dates.

    messages_for(site) → Messages: gettext / ngettext of our labels, `date` / `date_time` of a moment, `language`
    messages_in(site, language) → Messages | None: the same in a release's own language, where it is not the site's
    read_in(language) → `Read in English`, `Darllenwch yn Gymraeg`: the link to a release's version in `language`

The packaged catalogues (`feeds/locale/<language>.po`, gettext's format, which translators' tools such as Poedit
read) give the labels in a few languages; `site.messages` names a catalogue of the office's own, whose
translations come first (its own wording, or a language we ship none for). A label translated by neither stays
English. A site whose language has no catalogue at all gets English labels, and says so: `Messages.language` is
then `en`, which the pages set as `lang` on them, so that a screen reader reads them as English amid the site's
text.

Dates are written in the labels' language: `2 November 2017` in English (our own format, the same in every English,
as before there were catalogues), the language's long date format from CLDR otherwise (`2 novembre 2017`), via
Babel, which holds those formats for every language.

A release's own page speaks the release's language where a packaged catalogue covers it (a Welsh release on an
English site: `Cyhoeddwyd`, `30 Tachwedd 2026`), so that a bilingual office's reader sees one language on it; the
office's own catalogue (`site.messages`) is for the site's language only.

Only the words that the site publishes are here (pages, the browser view of the feeds, feed titles and notices,
a release's coverage and the match feeds, with why each item matched: `feeds.publish.explain`). What the office
reads elsewhere (alerts, the command line, `feeds matches list`) stays English.

What this module must not do: depend on the process locale, or let a missing or broken translation fail a publish
(an untranslated label stays English; a catalogue that cannot be read is an error of the config, found by
`check-config` and at start).
"""

from __future__ import annotations

import functools
import gettext
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date as calendar_day
from datetime import datetime, tzinfo
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from feeds.clock import ensure_utc, rfc3339_in

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

    from feeds.config import Site

__all__ = [
    "N_",
    "CatalogueError",
    "Labels",
    "Messages",
    "labels_of",
    "language_name",
    "messages_for",
    "messages_in",
    "read_catalogue",
    "read_in",
    "template",
]

ENGLISH = "en"

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def N_(message: str) -> str:  # (gettext's name for "marked for translation, translated later")
    """Marks a label that is translated where it is shown (a group's name, a document type), so that `template`
    finds it."""
    return message


GROUP_NAMES = (
    N_("Main"), N_("Topics"), N_("Organisations"), N_("Collections"), N_("Archive"), N_("Feeds"), N_("Matches"),
    N_("Coverage"), N_("Languages"),
)  # fmt: skip
"""The names of the groups feeds are offered in (`FeedLink.group`), which stay English where they are keys."""
KINDS = (
    N_("News"),
    N_("Press release"),
    N_("News story"),
    N_("Speech"),
    N_("Statement"),
    N_("Oral statement"),
    N_("Written statement"),
    N_("Government response"),
    N_("Authored article"),
    N_("Correspondence"),
    N_("Notice"),
)
"""Labels of the common document types (GOV.UK's among them), as a release page heads itself."""
READ_IN = N_("Read in English")
"""The link to a release's version in another language, in that language: each catalogue translates it as "Read
in <its own language>" (`Darllenwch yn Gymraeg`), not word for word (`read_in`)."""
STORED = (N_("It should no longer be relied on."),)
"""Sentences of ours stored with a release (`normalise.release.DEFAULT_WITHDRAWN_NOTE`, the note of a withdrawal sent
without one): shown in the site's language, as the labels around them are."""


class CatalogueError(ValueError):
    """A catalogue that cannot be read: the file and line say where."""

    def __init__(self, message: str, *, path: str, line: int | None = None) -> None:
        super().__init__(message)
        self.path, self.line = path, line

    def __str__(self) -> str:
        where = f"{self.path}, line {self.line}" if self.line else self.path
        return f"{where}: {self.args[0]}"


@dataclass(frozen=True)
class Messages:
    """Our labels and dates in one language (see the module docstring)."""

    language: str
    """The language the labels are in: the site's when a catalogue covers it, else `en`."""
    translations: gettext.NullTranslations
    tz: tzinfo

    def gettext(self, message: str) -> str:
        return _fillable(self.translations.gettext(message), message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _fillable(self.translations.ngettext(singular, plural, n), singular if n == 1 else plural)

    def say(self, message: str, **values: object) -> str:
        """`message` translated, its `%(name)s` placeholders filled: `say("Releases from %(author)s.", author=…)`."""
        return self.gettext(message) % values

    def decimal(self, value: str) -> str:
        """A decimal number as written in English (`0.44`, a score) as the language writes it: `0,44`."""
        if _is_english(self.language):
            return value
        from babel.numbers import get_decimal_symbol

        return value.replace(".", get_decimal_symbol(_babel_locale(self.language)))

    def date(self, value: datetime) -> str:
        """`2 November 2017` (English), `2 novembre 2017`: the calendar date in the site's time zone."""
        return self.day(ensure_utc(value).astimezone(self.tz).date())

    def day(self, value: calendar_day) -> str:
        """`2 November 2017`, `2 novembre 2017`: a calendar day, as `date` writes it."""
        if _is_english(self.language):
            return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
        from babel.dates import format_date

        return format_date(value, "long", locale=_babel_locale(self.language))

    def month(self, year: int, month: int) -> str:
        """`May 2021`, `mai 2021`: a month of a year, as a month's page is named."""
        if _is_english(self.language):
            return f"{_MONTHS[month - 1]} {year}"
        from babel.dates import format_skeleton

        return format_skeleton("yMMMM", calendar_day(year, month, 1), locale=_babel_locale(self.language))

    def stamp(self, value: datetime) -> str:
        """`2017-11-02T09:30:00Z`, `2026-06-03T00:00:00+01:00`: the machine-readable time of a `<time datetime>`,
        in the site's time zone with its offset (`rfc3339_in`), so that its date is the date the page shows."""
        return rfc3339_in(value, self.tz)

    def date_time(self, value: datetime) -> str:
        """`2 November 2017, 09:30 GMT`: 24-hour clock and the zone's abbreviation, so the reader knows whose
        09:30 (the abbreviation as the zone database writes it, in every language)."""
        local = ensure_utc(value).astimezone(self.tz)
        return f"{self.date(value)}, {local:%H:%M} {local.tzname() or ''}".rstrip()


_PLACEHOLDER = re.compile(r"%\((\w+)\)")


@functools.lru_cache(maxsize=4096)
def _fillable(text: str, english: str) -> str:
    """`text`, if the values of `english`'s placeholders fill it in (as `say` and the templates do); else `english`.
    A catalogue's syntax check lets through a translation naming a placeholder its label has not, or holding a
    lone `%`: it would fail every publish."""
    if text is english or text == english:
        return text
    try:
        text % dict.fromkeys(_PLACEHOLDER.findall(english), 0)
    except (KeyError, ValueError, TypeError):
        return english
    return text


def messages_for(site: Site) -> Messages:
    """The site's labels: its own catalogue (`site.messages`) over the packaged one for its language."""
    stamp = None
    if site.messages is not None:
        try:
            st = site.messages.stat()
            stamp = (st.st_mtime_ns, st.st_size)  # an edited catalogue is read again (a reload, the next publish)
        except OSError:
            pass  # (read_catalogue says what is wrong)
    return _messages(site.language, site.messages, stamp, site.tz)


def messages_in(site: Site, language: str) -> Messages | None:
    """Our labels in `language`, a release's own, for its page: the site's (`messages_for`) when it is the site's
    language, the packaged catalogue's when there is one (English needs none), else None (the page keeps the site's
    labels, marked as in their language)."""
    if _primary(language) == _primary(site.language):
        return messages_for(site)
    if not _is_english(language) and _packaged(language) is None:
        return None
    return _messages(language, None, None, site.tz)


@functools.lru_cache(maxsize=64)
def read_in(language: str) -> str:
    """The words of a link to a version in `language`, in that language: `Read in English`, `Darllenwch yn
    Gymraeg`; the language's own name (`اردو`, from CLDR via Babel) where no catalogue translates them."""
    if _is_english(language):
        return READ_IN
    packaged = _packaged(language)
    words = packaged.gettext(READ_IN) if packaged is not None else READ_IN
    if words != READ_IN:
        return words
    return language_name(language)


def language_name(language: str) -> str:
    """The language's name in itself, capitalised as a title: `Cymraeg`, `English`, `Français` (CLDR, via Babel);
    the tag where Babel knows no name."""
    from babel import Locale

    name = Locale.parse(_babel_locale(language)).language_name
    return name[:1].upper() + name[1:] if name else language


def _primary(language: str) -> str:
    return language.split("-")[0].lower()


@functools.lru_cache(maxsize=16)
def _messages(language: str, own: Path | None, _stamp: object, tz: tzinfo) -> Messages:
    packaged = _packaged(language)
    translations: gettext.NullTranslations | None = packaged
    if own is not None:
        mine = _compiled(read_catalogue(own))
        if translations is not None:
            mine.add_fallback(translations)
        translations = mine
    if translations is None:  # (an English site's labels are in its own English: `en-GB`)
        return Messages(language if _is_english(language) else ENGLISH, gettext.NullTranslations(), tz)
    return Messages(language, translations, tz)


@dataclass(frozen=True)
class Labels:
    """What `check-config` says of the site's labels: their language and where their words come from."""

    language: str
    """The labels' language (`Messages.language`)."""
    packaged: bool
    """A packaged catalogue covers the site's language (or it is English)."""
    total: int
    """How many labels there are (`feeds.pot`)."""
    own: int | None = None
    """How many of them the office's own catalogue (`site.messages`) translates; None without one."""

    def __str__(self) -> str:
        packaged = "the packaged catalogue" if self.packaged else "English"
        if self.own is not None:
            return f"{self.language}: {self.own} of {self.total} labels from site.messages, the rest from {packaged}"
        if _is_english(self.language):
            return f"{self.language}" if self.packaged else f"English (no catalogue for this language: {_HINT})"
        return f"{self.language} (the packaged catalogue)"


_HINT = 'set site.messages; README, "The site\'s language"'


def labels_of(site: Site) -> Labels:
    """The site's labels, described (see `Labels`)."""
    words = messages_for(site)
    packaged = _is_english(site.language) or _packaged(site.language) is not None
    with (resources.files("feeds") / "locale" / "feeds.pot").open("rb") as f:
        from babel.messages.pofile import read_po

        wanted = {_key(m.id) for m in read_po(f) if m.id}
    own = None
    if site.messages is not None:
        own = sum(_key(m.id) in wanted and _translated(m.string) for m in read_catalogue(site.messages) if m.id)
    return Labels(words.language, packaged, len(wanted), own)


def _key(msgid: str | Iterable[str]) -> str | tuple[str, ...]:
    """A message's id as a key: the text, or (singular, plural)."""
    return msgid if isinstance(msgid, str) else tuple(msgid)


def _translated(string: str | Iterable[str] | None) -> bool:
    return bool(string) if string is None or isinstance(string, str) else all(string)


def read_catalogue(path: Path) -> Catalog:
    """A gettext catalogue (`.po`), read strictly: a syntax error names its line."""
    from babel.messages.pofile import PoFileError, read_po

    try:
        with path.open("rb") as f:
            return read_po(f, abort_invalid=True)
    except PoFileError as e:
        raise CatalogueError(f"not a gettext catalogue (.po): {e}", path=str(path), line=e.lineno) from None
    except OSError as e:
        raise CatalogueError(f"cannot read the catalogue: {e.strerror or e}", path=str(path)) from None
    except (ValueError, UnicodeDecodeError) as e:  # a charset Babel cannot decode, a broken header
        raise CatalogueError(f"not a gettext catalogue (.po): {e}", path=str(path)) from None


@functools.lru_cache(maxsize=16)
def _packaged(language: str) -> gettext.NullTranslations | None:
    """The packaged catalogue for `language` (`fr-CA`: `fr-CA.po`, else `fr.po`), None when there is none (English
    needs none: the labels are written in it)."""
    if _is_english(language):
        return None
    folder = resources.files("feeds") / "locale"
    subtags = language.split("-")
    for n in range(len(subtags), 0, -1):
        candidate = folder / f"{'-'.join(subtags[:n])}.po"
        if candidate.is_file():
            from babel.messages.pofile import read_po

            with candidate.open("rb") as f:
                return _compiled(read_po(f, abort_invalid=True))
    return None


def _compiled(catalog: Catalog) -> gettext.GNUTranslations:
    """A catalogue as the standard library's translations (plural rules included), compiled in memory."""
    from babel.messages.mofile import write_mo

    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def _is_english(language: str) -> bool:
    return language.split("-")[0].lower() == ENGLISH


def _babel_locale(language: str) -> str:
    """`pt-BR` → `pt_BR` (Babel's spelling); a region or script Babel does not know falls back to the language."""
    from babel import Locale, UnknownLocaleError

    candidate = language.replace("-", "_")
    while candidate:
        try:
            Locale.parse(candidate)
            return candidate
        except (UnknownLocaleError, ValueError):
            candidate = candidate.rpartition("_")[0]
    return ENGLISH


def template() -> str:
    """The catalogue template (`feeds.pot`): every label of the templates and the code, to translate.
    tests/test_publish_i18n.py says how to write it again after a label changes."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import write_po

    catalog = Catalog(project="feeds", fuzzy=False, header_comment=_TEMPLATE_COMMENT)
    package = Path(__file__).resolve().parent.parent
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "say": None, "plural_table": (2, 3)}
    sources = sorted((package / "templates").glob("*.html")) + [
        package / "publish" / name
        for name in (
            "coverage.py",
            "entries.py",
            "explain.py",
            "i18n.py",
            "pages.py",
            "pageviews.py",
            "plan.py",
            "searchpage.py",
            "sitefeeds.py",
        )
    ]
    for source in sources:
        method = "jinja2" if source.suffix == ".html" else "python"
        options = {"extensions": "jinja2.ext.i18n", "trimmed": "false"} if method == "jinja2" else {}
        for lineno, message, comments, _ in extract_from_file(
            _JINJA if method == "jinja2" else "python", str(source), keywords=keywords, options=options
        ):
            catalog.add(message, locations=[(source.relative_to(package).as_posix(), lineno)], auto_comments=comments)
    from feeds.publish.stylesheet import labels

    for message in labels():  # the browser view of the feeds (static/feed.xsl)
        catalog.add(message, locations=[("static/feed.xsl", 0)])
    buf = io.BytesIO()
    write_po(buf, catalog, omit_header=False, sort_output=True, no_location=True, width=0)
    text = buf.getvalue().decode("utf-8")
    return re.sub(r'^"(POT-Creation-Date|Generated-By): .*\\n"\n', "", text, flags=re.MULTILINE)  # (same bytes)


_JINJA = "jinja2.ext:babel_extract"
_TEMPLATE_COMMENT = """\
# The labels of the pages and feeds that feeds publishes. For a site's own labels in its language:
#   pybabel init -i feeds.pot -l <language> -o <language>.po   (Babel comes with feeds)
# then translate each msgstr (Poedit, or any text editor) and name the file as `site.messages` in the
# config (see README: "The site's language")."""
