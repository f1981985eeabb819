"""Where each key is written in a TOML document: `find_line` gives the line a config error names.

tomllib keeps no positions, so the source is scanned again, as TOML is structured, when a problem is to be
reported: by `TableReader`, for a config error, and by `feeds.watch.manage`, when a command refuses to change a feed
that the config declares (the error points at what to edit instead).

What this module must not do: read values (only positions are kept; tomllib has parsed the document already), or
raise on a document it cannot follow: what came before the unexpected stands.
"""

from __future__ import annotations

import bisect
import contextlib
import re
import tomllib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feeds.config.reader import KeyPath  # (only named in annotations: the reader imports this module)


def find_line(lines: list[str], key: KeyPath) -> int | None:
    """The 1-based line of a key path in TOML source (tomllib keeps no positions), or of the nearest enclosing
    key or table written in it; None when not even the first part of the path is written (a missing section).

    The source is scanned as TOML is structured, not line by line, so that every way a key can be written is
    found: under its table's header (`[web]` then `port = …`), dotted (`web.port = …` with no `[web]` at all),
    in an inline table (`related = { min_terms = 1 }`), as an element of an array of tables (the integer right
    after the array's name counts its `[[alerts.email]]` headers, not any later integer such as the item of its
    `to` list), and as an item of an array value (the line where the item is written, which differs from its
    key's line in an array that spans lines).
    """
    written = _Positions(lines)
    # Not TOML from some point on (a file edited since it was read): what came before stands.
    with contextlib.suppress(ValueError, IndexError, RecursionError):
        written.scan()
    for n in range(len(key), 0, -1):
        line = written.at.get(key[:n], written.implied.get(key[:n]))
        if line is not None:
            return line
    return None


_BARE = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = re.compile(r"[,\]}\n#]")


class _Positions:
    """Where each key path is written in a TOML document: `at` for keys, tables and array items written there,
    `implied` for tables only named on the way to them (`alerts` in `[[alerts.email]]`, `web` in `web.port`).

    Paths are resolved as tomllib resolves them: `[[a]]` adds an element to the array `a`, and a later `[a.b]` or
    `[[a.b]]` belongs to its last element. Only positions are kept, not values; the document is valid TOML (it
    was parsed before any error about it is raised); anything unexpected ends the scan, keeping what came before."""

    def __init__(self, lines: list[str]):
        self.text = "\n".join(lines)
        self.starts = [0]
        for line in lines[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)
        self.i = 0
        self.at: dict[KeyPath, int] = {}
        self.implied: dict[KeyPath, int] = {}
        self.elements: dict[KeyPath, int] = {}  # array of tables → elements so far

    def line(self) -> int:
        return bisect.bisect_right(self.starts, self.i)

    def note(self, path: KeyPath, line: int) -> None:
        self.at.setdefault(path, line)
        for n in range(1, len(path)):
            self.implied.setdefault(path[:n], line)

    def scan(self) -> None:
        table: KeyPath = ()
        while self.skip(newlines=True) is not None:
            line = self.line()
            if self.text.startswith("[", self.i):
                table = self.header(line)
            else:
                self.key_value(table, line)
            self.skip(newlines=False)
            if self.i < len(self.text) and self.text[self.i] != "\n":
                return  # not what valid TOML holds here

    def header(self, line: int) -> KeyPath:
        array = self.text.startswith("[[", self.i)
        self.i += 2 if array else 1
        names = self.key()
        self.expect("]]" if array else "]")
        path = (*self.resolve(names[:-1]), names[-1])
        if array:
            index = self.elements.get(path, 0)
            self.elements[path] = index + 1
            path = (*path, index)
        self.note(path, line)
        return path

    def resolve(self, names: list[str]) -> KeyPath:
        """A table name's parts as a key path: each array of tables on the way stands for its last element."""
        path: KeyPath = ()
        for name in names:
            path = (*path, name)
            if path in self.elements:
                path = (*path, self.elements[path] - 1)
        return path

    def key_value(self, table: KeyPath, line: int) -> None:
        path = (*table, *self.key())
        self.skip(newlines=False)
        self.expect("=")
        self.note(path, line)
        self.value(path)

    def key(self) -> list[str]:
        """A dotted key: `a`, `a.b`, `"a b".c`, with blanks around the dots."""
        names: list[str] = []
        while True:
            self.skip(newlines=False)
            char = self.text[self.i]
            if char in "\"'":
                start = self.i
                self.string()
                names.append(tomllib.loads(f"k = {self.text[start : self.i]}")["k"])
            else:
                m = _BARE.match(self.text, self.i)
                if m is None:
                    raise ValueError("no key here")
                names.append(m.group())
                self.i = m.end()
            self.skip(newlines=False)
            if not self.text.startswith(".", self.i):
                return names
            self.i += 1

    def value(self, path: KeyPath) -> None:
        self.skip(newlines=False)
        char = self.text[self.i]
        if char == "[":
            self.i += 1
            index = 0
            while self.skip(newlines=True) is not None and self.text[self.i] != "]":
                self.note((*path, index), self.line())
                self.value((*path, index))
                self.skip(newlines=True)
                if self.text.startswith(",", self.i):
                    self.i += 1
                    index += 1
            self.expect("]")
        elif char == "{":
            self.i += 1
            while self.skip(newlines=True) is not None and self.text[self.i] != "}":
                self.key_value(path, self.line())
                self.skip(newlines=True)
                if self.text.startswith(",", self.i):
                    self.i += 1
            self.expect("}")
        elif char in "\"'":
            self.string()
        else:  # a number, date, time or boolean (a date and time may hold a space)
            m = _SCALAR_END.search(self.text, self.i)
            self.i = m.start() if m else len(self.text)

    def string(self) -> None:
        quote = self.text[self.i]
        triple = self.text.startswith(quote * 3, self.i)
        self.i += 3 if triple else 1
        while True:
            char = self.text[self.i]
            if char == "\\" and quote == '"':
                self.i += 2
            elif self.text.startswith(quote * 3 if triple else quote, self.i):
                self.i += 3 if triple else 1
                while triple and self.text.startswith(quote, self.i):  # `""""`: a quote ends the text
                    self.i += 1
                return
            else:
                self.i += 1

    def skip(self, *, newlines: bool) -> int | None:
        """Past blanks and comments (and line ends, with `newlines`); None at the end of the document."""
        while self.i < len(self.text):
            char = self.text[self.i]
            if char == "#":
                end = self.text.find("\n", self.i)
                self.i = len(self.text) if end < 0 else end
            elif char in " \t\r" or (newlines and char == "\n"):
                self.i += 1
            else:
                return self.i
        return None

    def expect(self, token: str) -> None:
        self.skip(newlines=False)
        if not self.text.startswith(token, self.i):
            raise ValueError(f"expected {token!r}")
        self.i += len(token)
