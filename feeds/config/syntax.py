"""A config that is not valid TOML: tomllib's message, its line, and the fix it most likely needs.

`toml_problem` adds what tomllib leaves unsaid: the line where a quote, list or table was opened and never closed
(tomllib says "at end of document"), and, for the usual mistakes (JSON or YAML, curly quotes, a Windows path in
double quotes, a key given twice, text without quotes), how to write it.

What this module must not do: read the document's values, or reword tomllib's message (it is kept whole, and the
hint follows it).
"""

from __future__ import annotations

import re
import tomllib


def toml_problem(error: tomllib.TOMLDecodeError, text: str) -> tuple[str, int | None]:
    """tomllib's message for `error` with the fix it most likely needs, and its line. A quote, list or table left
    open is reported by tomllib "at end of document": its line is the one after the longest start of the file
    that is TOML (every later line is inside what was left open)."""
    message = str(error)
    lines = text.splitlines()
    m = re.search(r"line (\d+)", message)
    line = int(m.group(1)) if m else _first_unreadable_line(lines)
    here = lines[line - 1] if line is not None and 0 < line <= len(lines) else ""
    if m is not None and line is not None and _STATEMENT.match(here):
        # A [table] or key = value line read as an item of a list: the list above was never closed.
        opened = _first_unreadable_line(lines[: line - 1])
        if opened is not None:
            return f"not valid TOML: {message}: {_NOT_CLOSED}", opened
    hint = _NOT_CLOSED if m is None else _toml_hint(message.split(" (at ")[0], here, line, lines)
    return f"not valid TOML: {message}{f': {hint}' if hint else ''}", line


_STATEMENT = re.compile(r"\s*(\[|[\w\"'.-]+\s*=)")
"""A line that starts a table or a key: never an item of a list."""
_CURLY = ("\u201c", "\u201d", "\u2018", "\u2019", "\u201e", "\u00ab", "\u00bb")
"""Quotes a word processor or a mail program puts in for typed ones: to TOML, the start of an invalid value."""
_NOT_CLOSED = "a quote, [list] or {table} opened on this line is not closed (text ends with the quote it starts with)"


def _first_unreadable_line(lines: list[str]) -> int | None:
    """The line where a quote, list or inline table is opened and never closed (tomllib reports those "at end of
    document"): the text is walked once, as TOML nests them, outside comments."""
    opened: list[tuple[str, int]] = []  # (what closes it, its line), outermost first
    for number, line in enumerate(lines, 1):
        i = 0
        while i < len(line):
            closing = opened[-1][0] if opened else ""
            if closing in ('"', "'"):  # a one-line string: it ends here or nowhere
                end = _string_end(line, i, closing)
                if end < 0:
                    return opened[-1][1]
                opened.pop()
                i = end
            elif closing in ('"""', "'''"):
                end = _string_end(line, i, closing)
                if end < 0:
                    break
                opened.pop()
                i = end
            elif line[i] == "#":
                break
            elif line.startswith(('"""', "'''"), i):
                opened.append((line[i : i + 3], number))
                i += 3
            elif line[i] in "\"'[{":
                opened.append(({"[": "]", "{": "}"}.get(line[i], line[i]), number))
                i += 1
            elif opened and line[i] == closing:
                opened.pop()
                i += 1
            else:
                i += 1
    return opened[0][1] if opened else None


def _string_end(line: str, i: int, quote: str) -> int:
    """Where the string closed by `quote` ends on `line`, from `i` (after the quote); -1 if it does not."""
    while i < len(line):
        if line[i] == "\\" and quote[0] == '"':
            i += 2
        elif line.startswith(quote, i):
            return i + len(quote)
        else:
            i += 1
    return -1


def _toml_hint(message: str, here: str, line: int | None, lines: list[str]) -> str:
    key, _, value = (part.strip() for part in here.partition("="))
    first = next((s.strip() for s in lines if s.strip() and not s.strip().startswith("#")), "")
    if message in ("Invalid statement", "Expected '=' after a key in a key/value pair") and line == 1:
        if first.startswith(("{", "[{", '["')):
            return "this looks like JSON; the config is TOML: [table] headers, then key = value lines"
        if re.match(r"[\w-]+\s*:", first):
            return "this looks like YAML; the config is TOML: [table] headers, then key = value lines"
    if message.startswith(
        ("Illegal character '\\n'", "Found invalid character '\\n'", 'Expected "', "Unterminated", "Unclosed")
    ):
        return _NOT_CLOSED
    if message == "Cannot overwrite a value":
        return f"{key} is given twice in its table: keep one"
    if message.startswith("Cannot declare"):
        table = re.sub(r"[\s\[\]]", "", here.split("#")[0])
        return f"[{table}] is written twice (or its keys also as {table}.key = …): put its keys under one header"
    if message.startswith(("Unescaped '\\'", "Invalid hex value")) or "\\" in value:
        return "a backslash starts an escape in double quotes: write a Windows path in single quotes, 'C:\\Users\\…'"
    if message == "Invalid value" and value[:1] in _CURLY:
        text = value.split("#")[0].strip().strip("".join(_CURLY))
        return f'curly quotes: type straight ones, {key} = "{text}"'
    if message == "Invalid value" and "=" not in here:  # an item of a list that spans lines: `  Iran,`
        item = here.split("#")[0].strip().rstrip(",").strip()
        return f'text in a list goes in double quotes too: "{item}",' if item else ""
    if message == "Invalid value" and not value.split("#")[0].strip():
        return f"no value after '=': write {key} = \"…\" or leave the line out"
    if message == "Invalid value" and value.lower() in ("yes", "no", "on", "off"):
        return "true or false, without quotes"
    if message in ("Invalid value", "Expected newline or end of document after a statement") and key and value:
        return f'one value per line; text goes in double quotes: {key} = "{value.split("#")[0].strip()}"'
    return ""
