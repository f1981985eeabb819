"""Front matter of a Markdown release file: TOML between `+++` lines or YAML between `---` lines, as Hugo and
Jekyll write it, read into the JSON schema's fields (by their names or the aliases those tools use: `date`,
`tags`, `type`) with the line each one stands on.

Line numbers matter here: front matter is written by hand, so every error (a parser's, an unknown or repeated
key, fences left open or pushed down by blank lines) names the line *in the file* to fix, and the line of each
key goes on to `RawRelease.lines` for the normaliser's errors (an alias's key too, so that an error names the key
as written: `named_as_written`). PyYAML runs with a safe loader that refuses
aliases and keys written twice.

What this module must not do: parse dates (YAML and TOML dates are turned back into ISO 8601 strings), check
the fields' values (`schema.check_release_fields` does, for every format), or read the text below the front
matter (`markdownfile.py`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time

import yaml

from feeds.errors import InvalidReleaseError
from feeds.ingest.schema import json_type, unknown_field_error

__all__ = ["FRONT_MATTER_KEYS", "front_matter", "named_as_written"]

FRONT_MATTER_KEYS: Mapping[str, str] = {
    "title": "title",
    "summary": "summary",
    "date": "published",
    "published": "published",
    "updated": "updated",
    "slug": "slug",
    "topics": "topics",
    "tags": "topics",
    "organisation": "organisation",
    "link": "link",
    "source_key": "source_key",
    "language": "language",
    "document_type": "document_type",
    "type": "document_type",
    "image": "image",
    "translation_of": "translation_of",
    "withdrawn_note": "withdrawn_note",
    "withdrawn_at": "withdrawn_at",
    "change_note": "change_note",
}
"""Front-matter key → schema field."""
_EDITOR_KEYS = frozenset({"aliases", "cssclasses", "cssclass"})
"""Keys Markdown editors write for themselves (Obsidian's other names for a note and its styles; Typora's
`typora-root-url`, `typora-copy-images-to`… by prefix): ignored, where any other unknown key is refused."""

_FENCES = {"+++": ("toml", ("+++",)), "---": ("yaml", ("---", "..."))}
_TOML_KEY = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*=""")
_YAML_KEY = re.compile(r"""^(?:"([^"]+)"|'([^']+)'|([^\s#"'{}\[\]:,-][^:#]*?))\s*:(?:\s|$)""")
_KEY = {"toml": _TOML_KEY, "yaml": _YAML_KEY}
"""A top-level key's line in front matter of each kind."""
_TOML_SHORT_TIME = re.compile(r"=\s*\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?!:)")
_TOML_LINE = re.compile(r"\s*\(at line (\d+)(?:, column (\d+))?\)")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)")


def front_matter(lines: list[str], *, origin: str) -> tuple[dict[str, object], dict[str, int], int]:
    """(fields by schema name, 1-based line of each field, index of the first body line) of the front matter that
    opens `lines`; nothing, and the first line (past a `---` rule opening the text), when none does."""
    fence = lines[0].rstrip() if lines else ""
    if fence not in _FENCES:
        _refuse_late_front_matter(lines, origin=origin)
        return {}, {}, 0
    kind, closers = _FENCES[fence]
    end = _closing(lines, 0, closers)
    if end is None and fence == "---" and (len(lines) < 2 or not lines[1].strip()):
        return {}, {}, 1  # a horizontal rule opening the text (decoration), not front matter: it starts with a key
    if end is None:
        raise InvalidReleaseError(
            f"the {kind.upper()} front matter opened with '{fence}' is never closed", origin=origin, line=1
        )
    source_text = "\n".join(lines[1:end])
    parsed = _load(kind, source_text, origin=origin)
    key_lines = _key_lines(kind, lines[1:end])
    values: dict[str, object] = {}
    field_lines: dict[str, int] = {}
    given_as: dict[str, str] = {}
    for key, value in parsed.items():
        line = key_lines.get(str(key))
        if not isinstance(key, str):
            raise InvalidReleaseError(f"front matter key {key!r} is not a name", origin=origin, line=line)
        field = FRONT_MATTER_KEYS.get(key)
        if field is None and (key in _EDITOR_KEYS or key.startswith("typora-")):
            continue  # (the editor's own setting for the note, not a field of the release)
        if field is None:
            raise unknown_field_error(key, FRONT_MATTER_KEYS, origin=origin, line=line, what="front matter key")
        if field in given_as:
            raise InvalidReleaseError(
                f"'{given_as[field]}' and '{key}' both set {field}: keep one", origin=origin, field=key, line=line
            )
        given_as[field] = key
        values[field] = _plain(value)
        if line is not None:
            field_lines[field] = line
            if key != field:  # (`date:`: an error names the key as written, `named_as_written`)
                field_lines[key] = line
    return values, field_lines, end + 1


def named_as_written(error: InvalidReleaseError, lines: Iterable[tuple[str, int]]) -> InvalidReleaseError:
    """`error` naming the front-matter key as the person wrote it when its field was given by an alias on its
    line (`date:` read as published, `tags:` as topics): "field 'date': (read as published) …". `lines`: the
    field and key lines of the release (`RawRelease.lines`; `front_matter` records an alias's key beside its
    field). Any other error is returned as it is."""
    if error.field is None or error.line is None:
        return error
    for key, line in lines:
        if line == error.line and key != error.field and FRONT_MATTER_KEYS.get(key) == error.field:
            return InvalidReleaseError(
                f"(read as {error.field}) {error.message}",
                origin=error.origin,
                field=key,
                line=error.line,
                source=error.source,
            )
    return error


class _FrontMatterLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing aliases (`*name`): nobody writes them in a release's front matter, and
    nested ones make a few hundred bytes stand for billions of values ("billion laughs")."""

    def construct_timestamp_as_written(self, node: yaml.ScalarNode) -> object:
        """YAML's timestamps as PyYAML reads them (`2026-11-20 9:30:00 -5` too), but an impossible one
        (`2026-13-45`) as the text written: the normaliser then says which field and line holds it, where PyYAML's
        own failure named neither."""
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError:
            return str(self.construct_scalar(node))

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        """A mapping, refusing a key written twice: YAML says keys are unique, but PyYAML keeps the last one
        silently, so a second `date:` (or `title:`) left in a template would win unseen (as JSON's and TOML's
        front ends refuse it too). The error points at the second one and names the first one's line."""
        seen: dict[object, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.setdefault(key, key_node)
            except TypeError:  # (an unhashable key: PyYAML's own error says so below)
                continue
            if first is not key_node:
                raise yaml.constructor.ConstructorError(
                    problem=f"the key {key!r} is written twice (first on line {first.start_mark.line + 2}): keep one",
                    problem_mark=key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.MarkedYAMLError(
                problem="aliases (*name) are not accepted in front matter: write the value out",
                problem_mark=event.start_mark,  # type: ignore[arg-type]
            )
        return super().compose_node(parent, index)


_FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _FrontMatterLoader.construct_timestamp_as_written)


def _load(kind: str, text: str, *, origin: str) -> Mapping[object, object]:
    """Parse front matter; errors carry the line in the *file* (front matter starts on line 2)."""
    loaded: object
    try:
        if kind == "toml":
            return {key: value for key, value in tomllib.loads(text).items()}
        loaded = yaml.load(_TAB_AFTER_KEY.sub(r"\g<key> ", text), Loader=_FrontMatterLoader)  # (SafeLoader, no aliases)
    except tomllib.TOMLDecodeError as e:
        found = _TOML_LINE.search(str(e))
        line = int(found.group(1)) + 1 if found else None
        message = _TOML_LINE.sub("", str(e))
        if _TOML_AT_END.search(message) and (left_open := _toml_value_left_open(text)) is not None:
            key, line = left_open  # ("at end of document" names no place the writer sees)
            message = _TOML_AT_END.sub("", message) + f" (the front matter ends inside the value of '{key}')"
        written = text.splitlines()[line - 2] if line is not None and 2 <= line <= len(text.splitlines()) + 1 else ""
        if _TOML_SHORT_TIME.search(written):  # (what YAML and JSON take, and TOML's parser names only by position)
            message += "; a TOML date and time needs its seconds (2026-11-20 09:00:00), or write it in quotes"
        raise InvalidReleaseError(f"invalid TOML front matter: {message}", origin=origin, line=line) from e
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 2 if mark is not None else None
        problem = e.problem or e.context or "syntax error"
        if problem == "mapping values are not allowed here" and mark is not None:
            problem += _quote_hint(text.splitlines()[mark.line : mark.line + 1], mark.column)
        elif "'\\t'" in problem:
            problem += " (indent front matter with spaces: YAML does not take tabs there)"
        raise InvalidReleaseError(f"invalid YAML front matter: {problem}", origin=origin, line=line) from e
    except (yaml.YAMLError, ValueError, RecursionError) as e:
        # ValueError: from TOML's own dates (an impossible one, "2024-02-30"); YAML's stay text (see the loader).
        raise InvalidReleaseError(f"invalid {kind.upper()} front matter: {e}", origin=origin, line=2) from e
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise InvalidReleaseError(
            f"front matter must be a mapping of keys to values, not {json_type(loaded)}", origin=origin, line=2
        )
    return loaded


# A tab between a top-level key and its value (`date:<Tab>2026-11-20`, values aligned in Notepad): YAML 1.2 takes
# it as the space it stands for (s-separate-in-line), PyYAML refuses it ("found character '\t' that cannot start any
# token"). A key at the start of its line is never inside a block scalar (whose lines are indented).
_TAB_AFTER_KEY = re.compile(r"^(?P<key>[^\s#:\-?\[\]{}'\"][^:\n]*:)[ \t]*\t[ \t]*(?=\S)", re.MULTILINE)
_KEY_AND_VALUE = re.compile(r"(?P<key>[A-Za-z_][\w-]*):\s+(?P<value>\S.*?)\s*")


def _toml_value_left_open(text: str) -> tuple[str, int] | None:
    """(key, line in the file) of the TOML value never closed (an array, an inline table, a multi-line string),
    which swallows the rest of the front matter: the first key whose lines, up to the next line that looks like a
    key, do not parse. (The last line that looks like a key may be inside the value: a multi-line string's.)"""
    lines = text.splitlines()
    keys = sorted(_key_lines("toml", lines).items(), key=lambda item: item[1])
    for (key, line), after in zip(keys, [*(at for _, at in keys[1:]), len(lines) + 2], strict=True):
        try:
            tomllib.loads("\n".join(lines[: after - 2]))
        except tomllib.TOMLDecodeError:
            return key, line
    return None


def _quote_hint(line: list[str], column: int) -> str:
    """What to write instead of `title: Minister: we will act`, when YAML stopped at a second ": " in the value of
    a key (a headline, a summary), which reads as a mapping unless the value is quoted; "" for another mistake."""
    m = _KEY_AND_VALUE.fullmatch(line[0]) if line else None
    if m is None or column <= m.start("value"):
        return ""
    value = m["value"].replace("\\", "\\\\").replace('"', '\\"')
    return f' (a value holding ": " must be in quotes: {m["key"]}: "{value}")'


def _refuse_late_front_matter(lines: list[str], *, origin: str) -> None:
    """Refuse front matter that blank lines push down from the first line, where it is not read (nor by Hugo or
    Jekyll): the file was rejected for having "no title" though its front matter gave one. Only when the lines
    between the fences are keys with values (and their lists), so a text opening with a rule under a blank line
    is read on."""
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if not start or (fence := lines[start].rstrip()) not in _FENCES:
        return
    kind, closers = _FENCES[fence]
    end = _closing(lines, start, closers)
    inside = [line for line in lines[start + 1 : end] if line.strip()] if end is not None else []
    pattern = _KEY[kind]
    if inside and pattern.match(inside[0]) and all(pattern.match(line) or line[:1] in " \t-" for line in inside):
        blank = f"{start} blank line{'s' if start > 1 else ''}"
        raise InvalidReleaseError(
            f"the {kind.upper()} front matter opened with '{fence}' on line {start + 1} is not read: front matter "
            f"starts on the first line; remove the {blank} above it",
            origin=origin,
            line=start + 1,
        )


def _closing(lines: list[str], opening: int, closers: tuple[str, ...]) -> int | None:
    """The index of the line that closes front matter opened at `opening`, if one does."""
    return next((i for i in range(opening + 1, len(lines)) if lines[i].rstrip() in closers), None)


def _key_lines(kind: str, lines: list[str]) -> dict[str, int]:
    """Best-effort line of each top-level key (the parsers do not report positions)."""
    pattern = _KEY[kind]
    found: dict[str, int] = {}
    for offset, line in enumerate(lines):
        if kind == "toml" and line.lstrip().startswith("["):
            break  # a [table]: later keys are not top-level
        match = pattern.match(line)
        if match:
            key = next(g for g in match.groups() if g is not None).strip()
            found.setdefault(key, offset + 2)
    return found


def _plain(value: object) -> object:
    """Dates and times from YAML/TOML back to ISO 8601 strings; the normaliser reads dates."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
