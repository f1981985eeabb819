"""README stays true: every CLI command is documented, and the Quickstart's test command is what CI runs."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import click

from feeds.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def command_paths(group: click.Group, prefix: str = "feeds") -> list[str]:
    paths = []
    for name, cmd in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        if isinstance(cmd, click.Group):
            paths += command_paths(cmd, path)
        else:
            paths.append(path)
    return paths


def test_every_command_is_documented_in_the_readme():
    missing = [p for p in command_paths(cli) if f"`{p}" not in README]
    assert missing == [], f"document these commands in README.md: {missing}"


def quickstart_commands() -> list[str]:
    section = README.split("## Quickstart", 1)[1]
    block = re.search(r"```(?:sh|bash)?\n(.*?)```", section, re.S)
    assert block, "the Quickstart needs a fenced code block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quickstart_has_exactly_two_commands_run_first_then_tests():
    run, tests = quickstart_commands()
    assert "pip install" in run and "feeds" in run and "pytest" not in run
    assert tests.rstrip().endswith("pytest") and "[test]" in tests


def test_ci_runs_the_quickstart_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert quickstart_commands()[1] in ci


# --- everything README names is real: commands and their options, config keys, environment variables, files ---

FENCED = re.compile(r"```[^\n]*\n(.*?)```", re.S)
COMMAND_LINE = re.compile(r"(?:^|[\s(;&])(?:\.venv/bin/)?feeds((?:[ \t]+[^\s`|;&)]+)*)")


def readme_code() -> list[str]:
    """Every code span and every line of a fenced block in README: where commands, keys and paths are written."""
    blocks = FENCED.findall(README)
    spans = re.findall(r"`([^`\n]+)`", FENCED.sub("", README))
    return [line for block in blocks for line in block.splitlines()] + spans


def command_problems(text: str) -> list[str]:
    """What is wrong with each `feeds …` command line in `text`: a command that does not exist, an option the
    command does not take. A span starting with a command and then an option, or a command of its group
    (`watch edit --disable`), is read as one too."""
    text = text.replace("\\|", " ")
    words = text.split(" ")
    command = cli.commands.get(words[0])
    if command and len(words) > 1 and (words[1].startswith("-") or words[1] in getattr(command, "commands", ())):
        text = "feeds " + text
    problems = []
    for found in COMMAND_LINE.finditer(text):
        cmd: click.Command = cli
        path = "feeds"
        for token in re.sub(r"[\[\]()…]", " ", found.group(1)).split():
            if token.startswith("-"):
                options = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)} | {"--help", "-h"}
                if token.split("=")[0] not in options and not re.fullmatch(r"-v+", token):
                    problems.append(f"{path}: no option {token.split('=')[0]} (in {text!r})")
            elif isinstance(cmd, click.Group) and token in cmd.commands:
                cmd, path = cmd.commands[token], f"{path} {token}"
            elif isinstance(cmd, click.Group) and cmd is not cli and re.fullmatch(r"[a-z-]+", token):
                problems.append(f"{path}: no command {token!r} (in {text!r})")
                break
            elif isinstance(cmd, click.Group):
                break
    return problems


def test_every_command_and_option_the_readme_names_exists():
    problems = sorted({p for text in readme_code() for p in command_problems(text)})
    assert problems == [], "\n".join(problems)


def test_the_command_checker_catches_a_wrong_command_or_option():
    assert command_problems("feeds run [--bogus]") == ["feeds run: no option --bogus (in 'feeds run [--bogus]')"]
    assert command_problems("feeds watch frob") == ["feeds watch: no command 'frob' (in 'feeds watch frob')"]
    assert command_problems("watch edit --bogus") == [
        "feeds watch edit: no option --bogus (in 'feeds watch edit --bogus')"
    ]
    assert command_problems("watch still failing: 3 runs") == []  # (a log line, not a command)
    assert command_problems("feeds check-config -q") != []  # (a global option goes before the command)
    assert command_problems("check-config --bogus") != []
    assert command_problems("feeds -q check-config") == []
    assert command_problems("feeds releases withdraw ID (--note TEXT \\| --undo) [--json]") == []


def schema_keys() -> set[str]:
    """Every key of the config as README writes it, `table.key` (`watch.related.min_terms`, `sources.move`)."""
    from feeds.config.schema import KEYS

    known = set()
    for header, keys in KEYS.items():
        table = re.match(r"\[+([\w.]+)\]+", header).group(1)  # type: ignore[union-attr]
        known |= {table} | {f"{table}.{key}" for key in keys}
    return known


def test_every_config_key_the_readme_names_exists():
    known = schema_keys()
    tables = "|".join(sorted({k.split(".")[0] for k in known}))
    key = re.compile(rf"(?<![\w./-])((?:{tables})\.[a-z_]+(?:\.[a-z_]+)?)(?![\w(/.])")
    named = {m.group(1) for span in re.findall(r"`([^`\n]+)`", README) for m in key.finditer(span)}
    unknown = sorted(k for k in named - known if not k.endswith(".py"))  # (`watch.py` is a module)
    assert unknown == [], f"README names config keys that do not exist: {unknown}"


def test_the_example_config_shows_every_key():
    """README: `config/feeds.toml` is the example deployment, every key commented: each key is set or shown in a
    comment under its table's header (a header commented out too, for a table the example leaves out)."""
    from feeds.config.schema import KEYS

    text = (ROOT / "config" / "feeds.toml").read_text(encoding="utf-8")
    shown: dict[str, set[str]] = {}
    table = ""
    for line in text.splitlines():
        line = line.lstrip("# ")
        if header := re.match(r"\[\[?([\w.]+)\]", line):
            table = header.group(1)
            parent, _, key = table.rpartition(".")
            shown.setdefault(parent, set()).add(key)  # (a table is a key of its parent: [watch.related])
        elif key := re.match(r"(\w+) *=", line):
            shown.setdefault(table, set()).add(key.group(1))
    missing = []
    for header, keys in KEYS.items():
        table = re.match(r"\[+([\w.]+)\]+", header).group(1)  # type: ignore[union-attr]
        missing += [f"{table}.{k}" for k in sorted(keys - shown.get(table, set()))]
    assert missing == [], f"config/feeds.toml shows none of these keys: {missing}"


def test_every_environment_variable_the_readme_names_is_read():
    named = set(re.findall(r"\bFEEDS_[A-Z_]+\b", README))
    code = "".join(p.read_text(encoding="utf-8") for d in ("feeds", "tests", "bench") for p in (ROOT / d).rglob("*.py"))
    unread = sorted(v for v in named if v not in code)
    assert unread == [], f"README names environment variables nothing reads: {unread}"


def test_every_script_the_readme_names_imports_what_exists():
    """A benchmark README tells you to run finds every name it imports from this repository (one did not, after a
    helper it imported had moved). Read from its source, not run: the scripts take seconds to import."""
    scripts = sorted(set(re.findall(r"\bbench/\w+\.py\b", README)))
    assert scripts, "README names the benchmarks"
    missing = []
    for script in scripts:
        for node in ast.walk(ast.parse((ROOT / script).read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("feeds", "tests", "bench"):
                module = importlib.import_module(node.module or "")
                missing += [f"{script}: {node.module}.{a.name}" for a in node.names if not hasattr(module, a.name)]
    assert missing == [], f"these scripts import names that do not exist: {missing}"


def anchor(heading: str) -> str:
    """A heading's link target as GitHub makes it: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_contents_follow_the_quickstart_and_list_every_section_and_every_link_resolves():
    sections = re.findall(r"^## (.+)$", README, re.M)
    assert sections[:2] == ["Quickstart", "Contents"]
    contents = re.findall(r"^- \[(.+?)\]\(#([\w-]+)\)$", README.split("## Contents", 1)[1].split("\n## ", 1)[0], re.M)
    assert contents == [(s, anchor(s)) for s in sections[2:]], "the contents list every ## section, in order"
    headings = {anchor(h) for h in re.findall(r"^#{2,6} (.+)$", README, re.M)}
    broken = sorted(set(re.findall(r"\]\(#([^)]+)\)", README)) - headings)
    assert broken == [], f"README links to headings that do not exist: {broken}"


def test_every_option_of_every_command_is_in_its_row_of_the_commands_table():
    rows = {row.split("`")[1].split(" [")[0]: row for row in README.splitlines() if row.startswith("| `feeds ")}
    undocumented = []
    for path in command_paths(cli):
        command: click.Command = cli
        for name in path.split()[1:]:
            command = command.commands[name]  # type: ignore[attr-defined]
        row = next((r for p, r in rows.items() if p == path or p.startswith(f"{path} ")), "")
        for param in command.params:
            spellings = [o for o in (*param.opts, *param.secondary_opts) if o.startswith("-") and o != "--help"]
            if spellings and not any(re.search(rf"{re.escape(o)}\b", row) for o in spellings):
                undocumented.append(f"{path} {spellings[0]}")
    assert undocumented == [], f"document these options in README's table of commands: {undocumented}"
