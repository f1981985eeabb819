"""Pickup recall: an item reproducing a passage of a release is its pickup, whatever the script's letter forms.

Arabic and Urdu are typed with interchangeable letter forms (a final ي written ى, a final ة written ه, the Urdu ی
and ک typed as the Arabic ي and ك, a line justified with tatweel, digits in Arabic-Indic form): a paper printing
our sentence in its own typing still prints our sentence. And every release of the corpus, its opening or second
paragraph printed as wire copy, is found as a pickup.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from feeds.ingest.formats import parse_release_file
from feeds.model import Release
from feeds.normalise import normalise_release
from feeds.watch.profiles import build_profiles
from feeds.watch.related import RelatedMatcher, RelatedSettings
from feeds.watch.shingles import spelled_alike
from feeds.watch.text import fold_words
from tests.test_watch_related_precision import NOW, SETTINGS, SITE, TOPICS
from tests.test_watch_related_precision import release as new_release

# Releases of our own writing, in Arabic and in Urdu, each in its standard letters and Western digits.
ARABIC = (
    "أعلنت وزارة الخارجية يوم الاثنين عن برنامج جديد لدعم المدارس في القرى الجبلية، وقال الوزير في مؤتمر "
    "صحفي إن البرنامج الذي يبدأ في الربيع القادم سيكلف 20 مليون جنيه وسيشمل 150 مدرسة ريفية."
)
URDU = (
    "وزیر تعلیم نے کہا ہے کہ حکومت اگلے سال ملک بھر کے دیہی اسکولوں میں کتابیں اور کمپیوٹر فراہم کرے گی "
    "تاکہ بچے بہتر تعلیم حاصل کر سکیں اور اپنے مستقبل کی تیاری کر سکیں۔"
)
ENGLISH = (
    "Coastal communities will receive new flood barriers this winter, the Environment Agency announced today.",
    "The agency will install demountable barriers at twelve harbour towns between Padstow and Penzance.",
)

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _arabic_as_typed_elsewhere(text: str) -> str:
    """`text` as many Arabic papers type it: a final ي as ى, a final ة as ه, digits Arabic-Indic, and a word
    stretched with tatweel where the line is justified."""
    text = re.sub(r"ي\b", "ى", text)
    text = re.sub(r"ة\b", "ه", text)
    return text.replace("البرنامج", "البرنـــامج").translate(ARABIC_INDIC)


def _urdu_as_typed_elsewhere(text: str) -> str:
    """`text` typed on an Arabic keyboard: the Urdu ی, ک and ہ as the Arabic ي, ك and ه."""
    return text.replace("ی", "ي").replace("ک", "ك").replace("ہ", "ه")


def _matcher() -> tuple[RelatedMatcher, dict[str, Release]]:
    releases = {
        "ar": new_release("school-programme-ar", "برنامج لدعم المدارس الريفية", ARABIC, "ar"),
        "ur": new_release("rural-schools-ur", "دیہی اسکولوں کے لیے کتابیں", URDU, "ur"),
        "en": new_release("flood-barriers", "Flood barriers for harbour towns", "\n\n".join(ENGLISH)),
    }
    return RelatedMatcher(build_profiles(tuple(releases.values()), NOW, 14), SETTINGS), releases


def _kinds(matcher: RelatedMatcher, release: Release, text: str) -> list[str]:
    found = matcher.match("item", 1, "Wire copy", "", text, "https://news.example/wire")
    return [m.kind for m in found if m.subject == release.id]


@pytest.mark.parametrize(
    ("language", "retyped"),
    [("ar", _arabic_as_typed_elsewhere(ARABIC)), ("ur", _urdu_as_typed_elsewhere(URDU))],
    ids=["arabic-letter-forms-tatweel-digits", "urdu-on-an-arabic-keyboard"],
)
def test_our_sentence_in_another_typing_of_the_script_is_a_pickup(language: str, retyped: str) -> None:
    matcher, releases = _matcher()
    assert _kinds(matcher, releases[language], retyped) == ["pickup"]


def test_the_letter_forms_compare_alike_in_quotations_only_where_they_are_one_letter() -> None:
    assert spelled_alike(fold_words(_arabic_as_typed_elsewhere(ARABIC))) == spelled_alike(fold_words(ARABIC))
    assert spelled_alike(fold_words(_urdu_as_typed_elsewhere(URDU))) == spelled_alike(fold_words(URDU))
    # Letters that are others stay apart: the Urdu ے (bari ye) and ھ (do chashmi he), a word's ی in the middle.
    assert spelled_alike(["ہے", "بھی"]) != spelled_alike(["ہی", "بہی"])


def test_another_arabic_sentence_of_the_same_words_is_no_pickup() -> None:
    matcher, releases = _matcher()
    words = ARABIC.split()
    shuffled = " ".join(words[i] for i in range(0, len(words), 2)) + " " + " ".join(words[1::2])
    assert "pickup" not in _kinds(matcher, releases["ar"], shuffled)


def test_a_stock_phrase_stays_no_pickup() -> None:
    matcher, releases = _matcher()
    item = "The Prime Minister said the agency announced today. For more information, contact the press office."
    assert "pickup" not in _kinds(matcher, releases["en"], item)
    assert _kinds(matcher, releases["en"], ENGLISH[1]) == ["pickup"]


# --- the corpus ----------------------------------------------------------------------------------------------


def _corpus(corpus_releases: Path) -> list[Release]:
    releases = []
    for path in sorted(corpus_releases.iterdir()):
        if path.name == "INDEX.tsv":
            continue
        for raw in parse_release_file(path.read_bytes(), path.name, source="corpus", origin=str(path)):
            releases.append(normalise_release(raw, SITE, TOPICS, NOW))
    return releases


def _wire_copies(release: Release, tokens: int) -> list[str]:
    """The release's first two paragraphs of `tokens` words or more, each cut to 600 characters after a word: what
    wire copy or a regional paper prints (a heading, "The minister said:" or a standfirst line alone is shorter
    than any pickup)."""
    paragraphs = [p.strip() for p in release.body_text.split("\n\n") if len(fold_words(p)) >= tokens]
    return [p if len(p) <= 600 else p[: p.rfind(" ", 0, 600)] for p in paragraphs[:2]]


def test_every_corpus_release_printed_as_wire_copy_is_a_pickup(corpus_releases: Path) -> None:
    releases = _corpus(corpus_releases)
    latest = max(r.published for r in releases)
    settings = RelatedSettings(window_days=100_000)
    matcher = RelatedMatcher(build_profiles(releases, latest + timedelta(hours=1), 100_000), settings)
    missed = []
    for release in {r.id: r for r in releases}.values():
        copies = _wire_copies(release, settings.pickup_tokens)
        if release.language in ("ar", "ur"):
            copies += [_arabic_as_typed_elsewhere(_urdu_as_typed_elsewhere(c)) for c in copies]
        for text in copies:
            found = matcher.match("wire", 1, "Wire copy", "", text, "https://news.example/wire", release.published)
            if release.id not in {m.subject for m in found if m.kind == "pickup"}:
                missed.append((release.id, text[:60]))
    assert missed == []


def test_our_headline_in_another_typing_or_spelling_is_a_pickup() -> None:
    """A wire item under our headline, as its desk types or spells it (an Arabic final ة as ه; "programme" as
    "program"), is a pickup, as the passage of our text in its body is."""
    programme = new_release("defence-programme", "New defence programme for the harbour towns", ENGLISH[0])
    arabic = new_release("school-programme-ar", "برنامج جديد لدعم المدارس الريفية", ARABIC, "ar")
    matcher = RelatedMatcher(build_profiles((programme, arabic), NOW, 14), SETTINGS)
    for release, title in (
        (programme, "New defense program for the harbor towns | Wire"),
        (arabic, _arabic_as_typed_elsewhere("برنامج جديد لدعم المدارس الريفية") + ": وكالة"),
    ):
        found = matcher.match("item", 1, title, "", "", "https://news.example/wire")
        assert [(m.kind, m.subject) for m in found] == [("pickup", release.id)]


@pytest.mark.corpus
def test_a_photo_credit_is_no_name_of_the_release(corpus_releases: Path) -> None:
    # A European Parliament page whose figure caption ends with the picture's credit (photographer / agency).
    path = corpus_releases / "europarl-press-release-20221014IPR43206.html"
    (raw,) = parse_release_file(path.read_bytes(), path.name, source="corpus", origin=str(path))
    release = normalise_release(raw, SITE, TOPICS, NOW)
    (profile,) = build_profiles((release,), release.published + timedelta(hours=1), 1)
    credit = release.body_text.split("©", 1)[1].split("\n", 1)[0]
    assert not {t.text for t in profile.terms} & {w.strip() for w in credit.split("/")}
