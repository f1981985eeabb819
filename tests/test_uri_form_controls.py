"""A link with a tab or a line break inside it (a feed's `<link>` wrapped by its CMS, a release's JSON), or a control
character before it, is written in URI form as browsers and `urlsplit` read it: those left out, never a host
spelt with letters doubled (`https://a.example<TAB>b/x` was published as `https://a.examplebb/x`)."""

from __future__ import annotations

import pytest

from feeds.urls import absolute_uri, uri_form


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("https://a.example\tb/x", "https://a.exampleb/x"),
        ("https://a.ex\nample/path y", "https://a.example/path%20y"),
        ("\x01https://a.example/x y", "https://a.example/x%20y"),
        ("https://a.example/x\r\ny z", "https://a.example/xy%20z"),
        (" https://a.example/ü ", "https://a.example/%C3%BC"),
    ],
)
def test_tabs_line_breaks_and_leading_controls_are_left_out(given, written):
    assert absolute_uri(given, "link") == written
    assert uri_form(given) == written
