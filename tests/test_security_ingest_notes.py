"""A rejection's note (`rejected/<name>.error.txt`), read by an operator with `cat` in a terminal, carries no control
character from the dropped file's name or text: an escape sequence there could clear the screen, retitle the
window or hide lines (a name with a bidi override shows its letters in another order)."""

from __future__ import annotations

from feeds.ingest import run_ingest


def test_a_rejection_note_writes_the_control_characters_of_a_name_as_escapes(app, inbox):
    name = "ferry\x1b]0;owned\x07\x1b[2J\u202egnp.md"
    (inbox / name).write_text("---\ntitle: Ferry\nnot a key: [\n---\n\nThe ferry.\n", encoding="utf-8")
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "rejected"
    [note] = (inbox / "rejected").glob("*.error.txt")
    text = note.read_text(encoding="utf-8")
    assert not any(c in text for c in "\x1b\x07\u202e"), text
    assert "\\x1b" in text and "Fix the file and drop it into the inbox again." in text
    assert text.count("\n") >= 4, "the note keeps its lines"
