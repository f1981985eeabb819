"""Every error `feeds` raises on purpose, under one root.

Callers catch `FeedsError` to tell "bad input or a broken resource" (print it, exit non-zero, mark the file
or feed as failed) from a bug (anything else: keep the traceback). Each error names the resource it is about
(file, key, line, URL, field) in `str(e)`, and chains the third-party cause with ``raise ... from e``.
Expected outcomes (not modified, unchanged, duplicate) are return values, never exceptions.

    FeedsError
    ├── ConfigError(path, key, line)            also ValueError
    ├── IngestError(source, origin)
    │   └── InvalidReleaseError(origin, field)  also ValueError
    ├── FetchError(url)
    │   ├── HTTPStatusError(url, status, retry_after)
    │   └── BlockedAddressError(url, address)  a private/loopback/link-local target refused
    ├── FeedParseError(url)
    ├── RuleError(rule, position)              also ValueError
    ├── RuleFileError(path, problems)          a file of keyword rules with bad lines: every one listed
    ├── StoreError
    │   ├── NotFoundError
    │   ├── ExistsError
    │   ├── ChangedMeanwhileError                another process changed what was read: read again
    │   ├── MigrationError
    │   └── LockTimeoutError(lock, holder, waited)  another process held a single-runner lock too long
    └── PublishError(path)
"""

from __future__ import annotations

import unicodedata
from datetime import datetime


class FeedsError(Exception):
    """Root of every error raised on purpose by `feeds`."""


_LONGEST = 500
"""The longest config error message kept whole (a list of keys, two long paths and a fix fit)."""


class ConfigError(FeedsError, ValueError):
    """The configuration is invalid: names the file, the key path and (when known) the line."""

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None, line: int | None = None):
        if len(message) > _LONGEST:  # (a value pasted by mistake, quoted whole: its start and the fix are kept)
            left_out = len(message) - _LONGEST
            message = f"{message[: _LONGEST // 2]} … ({left_out:,} characters left out) … {message[-_LONGEST // 2 :]}"
        self.message = message
        self.path = path
        self.key = key
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path or "<config>"
        if self.line is not None:
            where += f":{self.line}"
        if self.key:
            where += f": {self.key}"
        return f"{where}: {self.message}"


class ConfigErrors(ConfigError):
    """Several problems in one config file (one per section at most: a section stops at its first), reported
    together so that one run of `feeds check-config` shows them all. Reads as one line per problem."""

    def __init__(self, errors: list[ConfigError]):
        self.errors = errors
        first = errors[0]
        super().__init__(first.message, path=first.path, key=first.key, line=first.line)

    def __str__(self) -> str:
        return "\nerror: ".join(str(ConfigError(e.message, path=e.path, key=e.key, line=e.line)) for e in self.errors)


class IngestError(FeedsError):
    """A release could not be read from its source (a file, a URL, a pushed body)."""

    def __init__(self, message: str, *, source: str | None = None, origin: str | None = None):
        self.message = message
        self.source = source
        self.origin = origin
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.origin}: {self.message}" if self.origin else self.message


class InvalidReleaseError(IngestError, ValueError):
    """A release is missing a field or has one that cannot be understood; names the field (and line)."""

    def __init__(
        self,
        message: str,
        *,
        origin: str | None = None,
        field: str | None = None,
        line: int | None = None,
        source: str | None = None,
    ):
        self.field = field
        self.line = line
        super().__init__(message, source=source, origin=origin)

    def __str__(self) -> str:
        where = self.origin or "<release>"
        if self.line is not None:
            where += f":{self.line}"
        if self.field:
            where += f": field '{self.field}'"
        return f"{where}: {self.message}"


class FetchError(FeedsError):
    """An HTTP fetch failed (network, timeout, size cap, bad redirect)."""

    def __init__(self, message: str, *, url: str):
        self.message = message
        self.url = url
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.url}: {self.message}"


class HTTPStatusError(FetchError):
    """The server answered with a status we treat as failure (4xx/5xx)."""

    def __init__(self, message: str, *, url: str, status: int, retry_after: datetime | None = None):
        self.status = status
        self.retry_after = retry_after
        super().__init__(message, url=url)


class BlockedAddressError(FetchError):
    """The URL (or a redirect hop) resolves to an address we refuse to contact (SSRF guard)."""

    def __init__(self, message: str, *, url: str, address: str):
        self.address = address
        super().__init__(message, url=url)


class FeedParseError(FeedsError):
    """A fetched document is not a feed we can read at all."""

    def __init__(self, message: str, *, url: str):
        self.message = message
        self.url = url
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.url}: {self.message}"


class RuleError(FeedsError, ValueError):
    """A keyword query does not parse; `position` is the 0-based character offset of the problem."""

    def __init__(self, message: str, *, rule: str, position: int | None = None):
        self.message = message
        self.rule = rule
        self.position = position
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.position is None:
            return f"{self.message} in {self.rule!r}"
        # The line of the query that holds the position, and a caret under the character as a terminal shows
        # it: wide (CJK) characters take two columns, combining accents none, a tab stays a tab.
        start = self.rule.rfind("\n", 0, self.position) + 1
        end = self.rule.find("\n", self.position)
        line = self.rule[start : end if end >= 0 else len(self.rule)]
        caret = "".join(_blank(ch) for ch in self.rule[start : self.position]) + "^"
        return f"at character {self.position + 1}: {self.message}\n  {line}\n  {caret}"


class RuleFileError(FeedsError):
    """A file of keyword rules (`keywords import`) has lines that cannot be imported: `problems` holds each as
    (line, column or None, message, detail), and the message lists them all, one `FILE:LINE:` line each (at
    most `shown` of them; the rest counted), so that one run shows every line to fix."""

    def __init__(self, path: str, problems: list[tuple[int, int | str | None, str, str]], *, shown: int = 50):
        self.path = path
        self.problems = problems
        self.shown = shown
        super().__init__(str(self))

    def __str__(self) -> str:
        n = len(self.problems)
        bad, them = (f"{n} lines", "them") if n != 1 else ("1 line", "it")
        head = f"{self.path}: {bad} cannot be imported, so nothing was (fix {them} and import again):"
        lines = [head]
        for line, column, message, detail in self.problems[: self.shown]:
            where = f"{self.path}:{line}" + (f":{column}" if isinstance(column, int) else "")
            column_name = f" column {column}:" if isinstance(column, str) else ""
            lines.append(f"  {where}:{column_name} {message}")
            lines += [f"  {d}" for d in detail.splitlines()]
        if n > self.shown:
            lines.append(f"  … and {n - self.shown} more")
        return "\n".join(lines)


def _blank(ch: str) -> str:
    """What stands below `ch` in a caret line: as wide as the character is on screen."""
    if ch == "\t":
        return "\t"
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return ""
    return "  " if unicodedata.east_asian_width(ch) in ("W", "F") else " "


class StoreError(FeedsError):
    """The database refused or failed an operation."""


class NotFoundError(StoreError):
    """No such release, feed, rule…"""


class ExistsError(StoreError):
    """The thing being created exists already."""


class ChangedMeanwhileError(StoreError):
    """A row changed, in what the write depends on, after this transaction read it (another process committed in
    between: PostgreSQL reads committed rows without locking them). The transaction is rolled back; reading again
    and deciding again is safe."""


class MigrationError(StoreError):
    """The schema could not be brought up to date (or is newer than this code)."""


class LockTimeoutError(StoreError):
    """A single-runner lock (ingest, publish) was still held by another process after the wait's bound: names the
    lock, its holder as the lock records it (`pid 4242 on host web1, since …`; None when it does not say) and the
    seconds waited."""

    def __init__(self, lock: str, holder: str | None, waited: float):
        self.lock = lock
        self.holder = holder
        self.waited = waited
        took = f"{waited / 60:g} min" if waited >= 60 else f"{waited:g} s"
        super().__init__(
            f"gave up waiting for the {lock} lock after {took}: held by {holder or 'another process'} "
            f"(if that process is hung, stop it; to wait longer, raise daemon.lock_wait)"
        )


class PublishError(FeedsError):
    """A published file could not be written."""

    def __init__(self, message: str, *, path: str):
        self.message = message
        self.path = path
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"
