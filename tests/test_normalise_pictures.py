"""Which images a release names relative to its file, and their published addresses (pure)."""

from __future__ import annotations

import hashlib

import pytest

from feeds.model import RawRelease
from feeds.normalise.pictures import local_picture_refs, with_pictures
from feeds.pictures import Picture

BASE = "https://press.example.org/"


def raw(body: str, body_format: str = "markdown", link: str | None = None, pictures=()) -> RawRelease:
    return RawRelease(
        origin="/inbox/r.md",
        source="inbox",
        title="T",
        body=body,
        body_format=body_format,
        link=link,
        pictures=pictures,
    )


@pytest.mark.parametrize(
    ("body", "body_format", "refs"),
    [
        ("Text.\n\n![The minister](arrival.jpg)", "markdown", ("arrival.jpg",)),
        ("![a](images/arrival.jpg) and ![b](./images/arrival.jpg)", "markdown", ("images/arrival.jpg",)),
        ("![a](<my photo.jpg>) ![b](my%20photo.jpg)", "markdown", ("my photo.jpg",)),
        ("![a](arrival.jpg?v=2 'A title')", "markdown", ("arrival.jpg",)),
        ('<p>Text <img src="arrival.jpg" alt="x"></p>', "html", ("arrival.jpg",)),
        # Not files dropped with the release: the site's root, above its folder, elsewhere, inline, a plain link.
        ("![a](/media/map.png)", "markdown", ()),
        ("![a](../map.png)", "markdown", ()),
        ("![a](https://cdn.example.com/map.png)", "markdown", ()),
        ("![a](data:image/png;base64,iVBORw0KGgo=)", "markdown", ()),
        ("[the map](map.png)", "markdown", ()),
        ("![a](arrival.jpg)", "text", ()),
    ],
)
def test_the_images_a_release_names_relative_to_its_file(body, body_format, refs):
    assert local_picture_refs(raw(body, body_format)) == refs


def test_a_release_with_a_link_names_none_its_images_are_its_pages():
    assert local_picture_refs(raw("![a](arrival.jpg)", link="https://www.gov.uk/news/x")) == ()


def picture(ref: str, data: bytes = b"x", width: int = 40, height: int = 30) -> Picture:
    sha = hashlib.sha256(data).hexdigest()
    return Picture(ref=ref, sha256=sha, media_type="image/jpeg", width=width, height=height, data=data)


def test_each_picture_is_shown_from_its_published_address_with_its_size_and_alt():
    arrival, talks = picture("arrival.jpg", b"1"), picture("images/talks.jpg", b"2", 800, 600)
    body = "![Arrival](arrival.jpg)\n\n![Hosted](https://cdn.example.com/x.jpg)\n\n![Talks](images/talks.jpg)"
    release = raw(body, pictures=(arrival, talks))
    html = "\n".join(
        (
            f'<p><img src="{BASE}arrival.jpg" alt="Arrival"></p>',
            '<p><img src="https://cdn.example.com/x.jpg" alt="Hosted"></p>',
            f'<p><img src="{BASE}images/talks.jpg" alt="Talks"></p>',
        )
    )
    shown, first = with_pictures(html, release, BASE)
    assert first == BASE + arrival.path
    assert f'<img src="{BASE}{arrival.path}" alt="Arrival" width="40" height="30">' in shown
    assert '<img src="https://cdn.example.com/x.jpg" alt="Hosted">' in shown, "an image hosted elsewhere is kept"
    assert f'<img src="{BASE}{talks.path}" alt="Talks" width="800" height="600">' in shown
    assert arrival.path == f"pictures/{arrival.sha256[:32]}.jpg"


def test_without_pictures_the_body_is_as_rendered():
    html = f'<p><img src="{BASE}arrival.jpg" alt="Arrival"></p>'
    assert with_pictures(html, raw("![Arrival](arrival.jpg)"), BASE) == (html, None)


@pytest.mark.parametrize(
    ("image", "link", "ref"),
    [
        ("portrait.jpg", None, "portrait.jpg"),
        ("images/my photo.jpg", None, "images/my photo.jpg"),
        ("https://cdn.example.com/portrait.jpg", None, None),
        ("//cdn.example.com/portrait.jpg", None, None),
        ("/media/portrait.jpg", None, None),
        ("portrait.jpg", "https://www.gov.uk/news/x", None),
    ],
)
def test_a_lead_image_named_relative_to_the_file_is_a_picture_to_read(image, link, ref):
    release = RawRelease(origin="/inbox/r.txt", source="inbox", title="T", body="Text.", image=image, link=link)
    assert local_picture_refs(release) == ((ref,) if ref else ())
