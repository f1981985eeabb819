"""Item dates written with the month and weekday names of the site's language, which feedparser does not read:
`Di, 01 Dez 2026 10:00:00 +0100`, `1 décembre 2026 10:00`, `01 декабря 2026, 10:00`, `martes, 1 de diciembre de
2026`, `1 كانون الأول 2026`, `1 בדצמבר 2026`. Without this, such an item was dated when first seen: last week's
article became coverage of today's release.

    localized_date(text)   the date as a UTC struct_time (as feedparser gives dates), or None

Read: an optional weekday, the day (`1`, `01`, `1.`, `1er`, `1º`), the month's name, the year (four figures),
then an optional time (`10:00`, `10:00:00`, `10h00`, `10.00`, `10h`; `am`/`pm`, Arabic `ص`/`م`) and zone
(`+0100`, `+01:00`, `GMT`, `UTC`, `CET`, `MEZ`, `MSK`…), with the little words languages write between them
(`de`, `г.`, `року`, `à`, `um … Uhr`, `a las`, `o godz.`). Names are those of Russian, Ukrainian, German, French,
Spanish, Italian, Portuguese, Dutch, Polish, English, Arabic and Hebrew: nominative and genitive, abbreviated with
or without a dot, with or without their accents (`decembre`, `pazdziernika`). Arabic-Indic digits are digits.
Where no zone is written, the time is UTC, as feedparser reads such a date.

Any word it does not know, any figure out of place, refuses the whole date (None): a date is read in full or not
at all, never guessed. `feeds.watch.feeditems` asks only about a date feedparser could not read (feedparser stays
the reference for every date it reads), and `feeds.watch.foreigndates` about one in a script of its own.

What this module must not do: read the clock, or fill in a part of a date the feed did not write.
"""

from __future__ import annotations

import re
import time
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["localized_date", "without_direction_marks"]

_MONTHS: dict[int, str] = {
    # "_" joins the two words of a name (the Levantine Arabic months)
    1: "jan january januar jänner janvier janv enero ene gennaio gen janeiro januari styczeń stycznia sty "
    "январь января янв січень січня січ يناير جانفي كانون_الثاني ינואר",
    2: "feb february februar février févr fév febrero febbraio fevereiro fev februari luty lutego lut "
    "февраль февраля фев февр лютий лютого лют فبراير فيفري شباط פברואר",
    3: "mar march märz mär mrz mars marzo março maart mrt marzec marca "
    "март марта мар березень березня бер مارس آذار מרץ מרס",
    4: "apr april avril avr abril abr aprile kwiecień kwietnia kwi "
    "апрель апреля апр квітень квітня квіт أبريل أفريل نيسان אפריל",
    5: "may mai mayo maggio mag maio mei maj maja май мая травень травня трав مايو ماي أيار מאי",
    6: "jun june juni juin junio giugno giu junho czerwiec czerwca cze "
    "июнь июня июн червень червня черв يونيو يونيه جوان حزيران יוני",
    7: "jul july juli juillet juil julio luglio lug julho lipiec lipca lip "
    "июль июля июл липень липня лип يوليو يوليه جويلية يوليوز تموز יולי",
    8: "aug august août aoû agosto ago augustus sierpień sierpnia sie "
    "август августа авг серпень серпня серп أغسطس أوت غشت آب אוגוסט",
    9: "sep sept september septembre septiembre setiembre set settembre setembro wrzesień września wrz "
    "сентябрь сентября сен сент вересень вересня вер سبتمبر شتنبر أيلول ספטמבר",
    10: "oct october oktober octobre octubre ottobre ott outubro out październik października paź okt "
    "октябрь октября окт жовтень жовтня жовт أكتوبر تشرين_الأول אוקטובר",
    11: "nov november novembre noviembre novembro listopad listopada lis "
    "ноябрь ноября ноя нояб листопад листопада лист نوفمبر نونبر تشرين_الثاني נובמבר",
    12: "dec december dezember décembre déc diciembre dic dicembre dezembro dez grudzień grudnia gru "
    "декабрь декабря дек грудень грудня груд ديسمبر دجنبر كانون_الأول דצמבר",
}
_WEEKDAYS = (
    "mon monday tue tues tuesday wed wednesday thu thur thurs thursday fri friday sat saturday sun sunday "
    "mo montag di dienstag mi mittwoch do donnerstag fr freitag sa samstag sonnabend so sonntag "
    "lun lundi mar mardi mer mercredi jeu jeudi ven vendredi sam samedi dim dimanche "
    "lunes martes mié miércoles jue jueves vie viernes sáb sábado dom domingo "
    "lunedì martedì mercoledì gio giovedì venerdì sab sabato domenica "
    "seg segunda segunda-feira ter terça terça-feira qua quarta quarta-feira qui quinta quinta-feira "
    "sex sexta sexta-feira "
    "ma maandag dinsdag wo woensdag donderdag vr vrijdag za zaterdag zo zondag "
    "pn pon poniedziałek wt wtorek śr środa czw czwartek pt piątek sob sobota nd ndz niedz niedziela "
    "пн понедельник вт вторник ср среда чт четверг пт пятница сб суббота вс воскресенье "
    "понеділок вівторок середа четвер п'ятниця субота нд неділя "
    "الأحد الإثنين الاثنين الثلاثاء الأربعاء الخميس الجمعة السبت أحد اثنين ثلاثاء أربعاء خميس جمعة سبت "
    "ראשון שני שלישי רביעי חמישי שישי שבת א ב ג ד ה ו ש"
)
_FILLERS = (
    "de del da do d el le la den am um uhr à a às as las alle ore il h hs horas op om uur o godz godzina r roku "
    "г года год в р року о об يوم في الساعة م יום בשעה"
)
_AMPM = {"am": 0, "pm": 12, "ص": 0, "صباحا": 0, "م": 12, "مساء": 12, "مساءا": 12}
_ZONES = {
    **dict.fromkeys(("gmt", "utc", "ut", "z", "wet"), 0),
    **dict.fromkeys(("cet", "mez", "west", "bst"), 60),
    **dict.fromkeys(("cest", "mesz", "eet"), 120),
    **dict.fromkeys(("eest", "msk"), 180),
}
"""Zones by name: those of the countries whose languages are read here (a name feedparser does not know, it
takes as UTC; here a zone not in this table refuses the date)."""

_DIRECTION_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
_FOLD = str.maketrans({"ł": "l", "’": "'", "ʼ": "'", "׳": "'", "\u0640": None})  # (Arabic's tatweel stretches)
_TOKEN = re.compile(
    r"(?P<zone>(?<![^\W\d_])[+-]\d{1,2}(?::?\d{2})?(?!\d))"
    r"|(?P<time>\d{1,2}(?:[:h.]\d{2}(?:[:.]\d{2})?|h)(?![\d:.]))"
    r"|(?P<number>\d+)(?:er|º|ª|\.)?"
    r"|(?P<word>[^\W\d_]+(?:['-][^\W\d_]+)*['.]?)"
)
_TIME = re.compile(r"(\d{1,2})(?:[:h.](\d{2})(?:[:.](\d{2}))?|h)")


def _fold(word: str) -> str:
    """A word as looked up: lower case, its trailing dot dropped, without accents or Arabic's hamza and vowel
    signs (so `décembre`, `Décembre` and `decembre` are one, and `أكتوبر` is `اكتوبر`)."""
    word = word.casefold().translate(_FOLD).rstrip(".'")
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


def _names(text: str) -> set[str]:
    return {_fold(name.replace("_", " ")) for name in text.split()}


_MONTH_OF: dict[str, int] = {name: month for month, names in _MONTHS.items() for name in _names(names)}
_MONTH_OF.update({"ב" + name: month for name, month in list(_MONTH_OF.items()) if "\u05d0" <= name[0] <= "\u05ea"})
# (Hebrew writes "in" onto the month: 1 בדצמבר)
_WEEKDAY = _names(_WEEKDAYS)
_FILLER = _names(_FILLERS)


def without_direction_marks(text: str) -> str:
    """`text` without the invisible marks of writing direction (U+200E, U+200F, Arabic's U+061C, embeddings and
    isolates) that Arabic and Hebrew sites put around or inside figures: no part of a date."""
    return text.translate(_DIRECTION_MARKS)


def localized_date(text: str) -> time.struct_time | None:
    """`text` as a UTC struct_time when it is a whole date with month names this module knows; else None."""
    tokens = [(m.lastgroup or "", m.group(m.lastgroup or 0)) for m in _TOKEN.finditer(text)]
    if not tokens:
        return None
    return _Reading(tokens).date()


class _Reading:
    """One date's tokens, read left to right: [weekday] day month year [time [am/pm]] [zone]."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.at = 0

    def date(self) -> time.struct_time | None:
        self.skip(_FILLER | _WEEKDAY)
        day = self.number(2)
        self.skip(_FILLER)
        month = self.month()
        self.skip(_FILLER)
        year = self.number(4)
        if day is None or month is None or year is None:
            return None
        self.skip(_FILLER)  # (Arabic's م after a year is its era, after a time the afternoon)
        hour = minute = second = 0
        if self.kind() == "time":
            clock = _TIME.fullmatch(self.take())
            assert clock is not None  # (the token's own pattern)
            hour, minute, second = (int(g) if g else 0 for g in clock.groups())
            if (shift := _AMPM.get(_fold(self.value()))) is not None and hour <= 12:
                self.at += 1
                hour = hour % 12 + shift
        self.skip(_FILLER)
        zone = self.zone()
        self.skip(_FILLER)
        if zone is None or self.at < len(self.tokens):
            return None
        try:
            when = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=zone)
        except ValueError:
            return None
        return when.astimezone(UTC).timetuple()

    def kind(self) -> str:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else ""

    def value(self) -> str:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else ""

    def take(self) -> str:
        self.at += 1
        return self.tokens[self.at - 1][1]

    def skip(self, words: set[str]) -> None:
        while self.kind() == "word" and _fold(self.value()) in words:
            self.at += 1

    def number(self, figures: int) -> int | None:
        if self.kind() != "number" or len(self.value()) > figures or (figures == 4 and len(self.value()) != 4):
            return None
        return int(self.take())

    def month(self) -> int | None:
        if self.kind() != "word":
            return None
        if self.at + 1 < len(self.tokens) and self.tokens[self.at + 1][0] == "word":
            two = _MONTH_OF.get(_fold(self.value()) + " " + _fold(self.tokens[self.at + 1][1]))
            if two is not None:
                self.at += 2
                return two
        month = _MONTH_OF.get(_fold(self.value()))
        if month is not None:
            self.at += 1
        return month

    def zone(self) -> timezone | None:
        """The zone written (UTC when none is): an offset or a name in `_ZONES`; None for an unknown one."""
        kind = self.kind()
        if kind == "zone":
            sign, figures = self.value()[0], self.take()[1:].replace(":", "")
            hours, minutes = (int(figures[:-2]), int(figures[-2:])) if len(figures) > 2 else (int(figures), 0)
            if hours > 14 or minutes > 59:
                return None
            offset = timedelta(hours=hours, minutes=minutes)
            return timezone(-offset if sign == "-" else offset)
        if kind == "word":
            named = _ZONES.get(_fold(self.take()))
            return None if named is None else timezone(timedelta(minutes=named))
        return UTC
