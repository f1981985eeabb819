"""feeds.records: the records that cross processes pickle by their fields' values, and come back the same.

Every field is compared, those `==` leaves out (`compare=False`) too; a record whose class checks its values in
`__post_init__` is checked again when it is unpickled, as its construction would; a worker process really
sends them back."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest

from feeds import model
from feeds.ingest.parallel import Batch
from feeds.ingest.units import Unit
from feeds.model import Change, Match, MatchedTerm, ParsedFeed, RawRelease, Release, WatchItem
from feeds.pictures import Picture, StoredPicture
from feeds.records import pickled_by_fields, replaced
from feeds.watch.parsejobs import Parsed

RECORDS = [
    *(
        c
        for _, c in inspect.getmembers(model, inspect.isclass)
        if dataclasses.is_dataclass(c) and c.__module__ == model.__name__
    ),
    # The records outside the model that cross processes too: a batch sent to an ingest worker and its units
    # back, a watch worker's answer, the pictures a release carries.
    Batch,
    Unit,
    Parsed,
    Picture,
    StoredPicture,
]


def _values(record: object) -> list[object]:
    return [getattr(record, f.name) for f in dataclasses.fields(record)]  # type: ignore[arg-type]


def _same(a: object, b: object) -> None:
    assert type(b) is type(a)
    assert _values(b) == _values(a)


def _filled(cls: type) -> object:
    """A record of `cls` whose every field holds a value of its own (dataclasses check no types)."""
    return cls(**{f.name: f"{cls.__name__}.{f.name}" for f in dataclasses.fields(cls)})


def _release() -> Release:
    at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    picture = Picture("images/a.jpg", "ab" * 32, "image/jpeg", 640, 480, b"\xff\xd8 bytes", (1, 2, 3, 4))
    return Release(
        id="tag:press.example.org,2026-03-01:talks",
        identity="key:talks",
        slug="talks",
        permalink="https://press.example.org/releases/talks/",
        title="Talks – à Genève",
        summary="Summary…",
        body_html="<p>Body</p>",
        body_text="Body",
        published=at,
        updated=at + timedelta(hours=1),
        organisation="Office",
        topics=("Iran", "Trade"),
        language="fr",
        document_type="press_release",
        source="inbox",
        origin="/inbox/talks.json",
        content_hash="0" * 64,
        withdrawn_at=at + timedelta(days=1),
        withdrawn_note="Withdrawn",
        changes=(Change(at, "Corrected"),),
        source_updated=at.astimezone(timezone(timedelta(hours=2))),
        change_note="A note",  # (compare=False: still carried)
        published_by_source=True,
        slug_asked=True,
        ingest_warning="A warning",
        pictures=(picture,),
    )


def _watch_records() -> list[object]:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    item = WatchItem("k", "Title", "https://x.example/1", None, "S", "Text", "A", None, at, ("t",), "h", "ru")
    term = MatchedTerm("iran", "title", 0, 4)
    return [
        ParsedFeed("Feed", None, "rss", (item, item), warning="bozo"),
        Match("keyword", "rule", "k", 7, (term, term), 1.5, "why"),
        RawRelease("/inbox/a.txt", "inbox", "T", "B", lines=(("title", 1),), changes=(("2026", "x"),)),
    ]  # fmt: skip


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_every_model_record_round_trips_with_every_field(cls):
    record = _filled(cls)
    for protocol in (2, 4, pickle.HIGHEST_PROTOCOL):
        _same(record, pickle.loads(pickle.dumps(record, protocol=protocol)))
    _same(record, copy.deepcopy(record))
    _same(record, copy.copy(record))


def test_real_records_round_trip_nested():
    records = [_release(), *_watch_records()]
    back = pickle.loads(pickle.dumps(records, protocol=4))
    for a, b in zip(records, back, strict=True):
        _same(a, b)
    release = back[0]
    assert release.published.tzinfo is UTC  # (the store keeps UTC datetimes as they are)
    assert release.pictures[0].data == b"\xff\xd8 bytes" and release.pictures[0].read_as == (1, 2, 3, 4)
    assert back[1].items[0] is back[1].items[1]  # (one object pickled once stays one)


def _identity(records: list[object]) -> list[object]:
    return records


def test_records_come_back_from_a_worker_process():
    records = [_release(), *_watch_records(), *(_filled(c) for c in RECORDS)]
    with ProcessPoolExecutor(1) as pool:
        back = pool.submit(_identity, records).result()
    for a, b in zip(records, back, strict=True):
        _same(a, b)


@pickled_by_fields
@dataclasses.dataclass(frozen=True, slots=True)
class Checked:
    """A record whose construction checks a value: unpickling must check it too."""

    n: int
    label: str = "x"

    def __post_init__(self) -> None:
        CHECKED.append(self.n)
        if self.n < 0:
            raise ValueError(f"negative: {self.n}")


CHECKED: list[int] = []


def test_unpickling_runs_the_validation_construction_runs():
    CHECKED.clear()
    record = Checked(3, "y")
    _same(record, pickle.loads(pickle.dumps(record)))
    assert CHECKED == [3, 3]  # constructed, then checked again when unpickled
    bad = Checked(1)
    object.__setattr__(bad, "n", -1)  # (what construction refuses)
    data = pickle.dumps(bad)
    with pytest.raises(ValueError, match="negative: -1"):
        pickle.loads(data)


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_model_records_are_rebuilt_by_their_constructor_when_it_is_the_quick_one(cls):
    rebuild, _ = _filled(cls).__reduce__()
    assert not hasattr(cls, "__post_init__")  # (had one been added: the constructor would rebuild it, checking)
    quick = hasattr(cls.__init__, "__wrapped__")
    assert quick == (not any(f.default_factory is not dataclasses.MISSING for f in dataclasses.fields(cls)))
    assert (rebuild is cls) == quick  # (else its slots' setters, without running `dataclasses`' constructor)
    assert (Checked(1).__reduce__()[0]) is Checked


def _given(cls: type, *args: object, **kwargs: object) -> object:
    """A record built by the constructor `dataclasses` wrote for `cls`, not the quick one."""
    record = object.__new__(cls)
    cls.__init__.__wrapped__(record, *args, **kwargs)  # type: ignore[misc]
    return record


QUICK = [c for c in RECORDS if hasattr(c.__init__, "__wrapped__")]


@pytest.mark.parametrize("cls", QUICK, ids=lambda c: c.__name__)
def test_the_quick_constructor_builds_what_the_dataclass_one_builds(cls):
    fields = dataclasses.fields(cls)
    values = {f.name: f"{cls.__name__}.{f.name}" for f in fields}
    _same(_given(cls, **values), cls(**values))
    _same(_given(cls, *values.values()), cls(*values.values()))
    required = {f.name: values[f.name] for f in fields if f.default is dataclasses.MISSING}
    built = cls(**required)  # (the defaults as `dataclasses` gives them)
    _same(_given(cls, **required), built)
    quick, given = cls.__init__.__code__, cls.__init__.__wrapped__.__code__
    assert quick.co_varnames[: quick.co_argcount] == given.co_varnames[: given.co_argcount]
    assert cls.__init__.__defaults__ == cls.__init__.__wrapped__.__defaults__ and type(built) is cls
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(built, fields[0].name, "changed")  # (still frozen once built)
    assert built == _given(cls, **required) and hash(built) == hash(_given(cls, **required))
    with pytest.raises(TypeError):
        cls(**values, extra=1)
    if required:
        with pytest.raises(TypeError, match=next(iter(required))):
            cls()


def test_the_quick_constructor_on_real_records():
    release = _release()
    again = Release(*_values(release))
    _same(release, again)
    assert again == release and hash(again.topics) == hash(release.topics)
    raw = _watch_records()[-1]
    _same(raw, RawRelease(**{f.name: getattr(raw, f.name) for f in dataclasses.fields(raw)}))
    assert dataclasses.replace(raw, title="U").title == "U"


def test_a_subclass_that_is_no_dataclass_is_built_by_the_dataclass_constructor():
    class Noted(Change):  # (a __dict__ of its own: no twin shares its layout)
        pass

    noted = Noted(datetime(2026, 1, 1, tzinfo=UTC), "n")
    assert type(noted) is Noted and noted.note == "n"
    with pytest.raises(dataclasses.FrozenInstanceError):
        noted.note = "m"  # type: ignore[misc]


def test_what_it_refuses():
    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        n: int

    with pytest.raises(TypeError, match="slots"):
        pickled_by_fields(NoSlots)

    @dataclasses.dataclass(frozen=True, slots=True)
    class Hidden:
        n: int
        m: int = dataclasses.field(default=0, init=False)

    with pytest.raises(TypeError, match="constructor"):
        pickled_by_fields(Hidden)

    @dataclasses.dataclass(frozen=True, slots=True)
    class More(Checked):
        extra: int = 0

    with pytest.raises(TypeError, match="More is not pickled_by_fields"):
        pickle.dumps(More(1, "a", 2))


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_replaced_is_dataclasses_replace(cls):
    record = _filled(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    for changes in ({}, {names[0]: "first"}, {names[-1]: "last", names[0]: None}):
        _same(dataclasses.replace(record, **changes), replaced(record, **changes))
    CHECKED.clear()
    with pytest.raises(ValueError, match="negative: -2"):
        replaced(Checked(1), n=-2)  # (built by its constructor: checked as construction checks)
    assert CHECKED == [1, -2]


@pickled_by_fields
@dataclasses.dataclass(frozen=True, slots=True)
class Shadowing:
    """Fields named as builtins the generated constructor might use."""

    type: str
    object: str = "o"
    self_: str = "s"


def test_fields_named_as_builtins_are_set_as_given():
    record = Shadowing("t", self_="x")
    assert (record.type, record.object, record.self_) == ("t", "o", "x") and type(record) is Shadowing
    assert pickle.loads(pickle.dumps(record)) == record and hasattr(Shadowing.__init__, "__wrapped__")
