"""Checks of a published out/ folder, shared by the chaos tests and bench/bench_load.py.

`problems_in(out)` lists every file that is not complete and valid for its kind: XML that does not parse, an
Atom document that breaks the structure RFC 4287 requires (our own structural check, below), RSS without its
channel elements, JSON (Feed) that does not parse, HTML cut short, and leftovers of an interrupted write.

`executable_markup(out)` lists everything that a browser or a feed reader could run: script and other active
elements, event-handler attributes, `javascript:`/`data:`/`vbscript:` URLs in any URL-bearing attribute, CSS
expressions, `<meta http-equiv=refresh>`; in HTML pages, in the HTML carried inside feeds (Atom `type="html"`
and XHTML, RSS item and channel `description`, `content:encoded`, JSON Feed `content_html`), and in attributes of
the XML documents themselves.

`listing_problems(out, ids)` checks that the main feed and its RFC 5005 archives, together, list exactly the
releases `ids`: each archive page once, and every release in one archive or in the current document.

All return lists of strings (empty: all good), each naming the file, so an assertion shows what failed where.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree, html

ATOM_NS = "http://www.w3.org/2005/Atom"
A = "{" + ATOM_NS + "}"
XHTML_NS = "http://www.w3.org/1999/xhtml"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ACTIVE_ELEMENTS = frozenset(
    {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "form", "svg", "math", "portal"}
)
URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "data", "poster", "background", "cite", "longdesc", "srcset", "ping"}
)
BAD_SCHEMES = ("javascript:", "data:", "vbscript:", "livescript:")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


# --- completeness and validity ------------------------------------------------------------------------------


def problems_in(out: Path) -> list[str]:
    problems: list[str] = []
    files = sorted(p for p in out.rglob("*") if p.is_file())
    if not files:
        return [f"{out}: no files at all"]
    for path in files:
        rel = path.relative_to(out).as_posix()
        if any(part.startswith(".") for part in rel.split("/")) or rel.endswith(".tmp"):
            problems.append(f"{rel}: a leftover of an interrupted write")
            continue
        try:
            problems += [f"{rel}: {p}" for p in _check_file(path)]
        except Exception as e:  # a checker crash is a finding too, with the file named
            problems.append(f"{rel}: could not be checked ({type(e).__name__}: {e})")
    return problems


def listing_problems(out: Path, ids: Iterable[str]) -> list[str]:
    """What is wrong with how feed.json and archive/*/feed.json list the releases `ids`.

    Archives are cut in the order releases went public and never change; the current document shows the releases
    gone public since the last cut and, wherever they were archived, the newest by publication and by update
    (`current_entries`), as RFC 5005 §4 allows. So a release may be listed twice, once in an archive and once in
    the current document, but never twice in the archives, never twice in one document, and never nowhere."""
    problems: list[str] = []
    listed: dict[str, list[str]] = {}
    for doc in [out / "feed.json", *sorted(out.glob("archive/*/feed.json"))]:
        rel = doc.relative_to(out).as_posix()
        for item in json.loads(doc.read_bytes())["items"]:
            listed.setdefault(item["id"], []).append(rel)
    wanted = set(ids)
    for i, docs in sorted(listed.items()):
        archives = [d for d in docs if d.startswith("archive/")]
        if i not in wanted:
            problems.append(f"{', '.join(docs)}: lists {i}, which is not a stored release")
        if len(set(docs)) < len(docs):
            problems.append(f"{docs[0]}: lists {i} more than once")
        if len(archives) > 1:
            problems.append(f"{', '.join(archives)}: {i} is archived more than once")
    problems += [f"feed.json and its archives: {i} is listed nowhere" for i in sorted(wanted - listed.keys())]
    return problems


def _check_file(path: Path) -> list[str]:
    data = path.read_bytes()
    if not data:
        return ["empty file"]
    name = path.name
    if name.endswith((".xml", ".opml", ".xsl")):
        try:
            root = etree.fromstring(data, _safe_parser())
        except etree.XMLSyntaxError as e:
            return [f"XML does not parse: {e}"]
        if name == "atom.xml":
            return atom_problems(root)
        if name == "rss.xml":
            return rss_problems(root)
        return []
    if name.endswith(".json"):
        try:
            doc = json.loads(data)
        except ValueError as e:
            return [f"JSON does not parse: {e}"]
        if name == "feed.json":
            return json_feed_problems(doc)
        return []
    if name.endswith(".html"):
        text = data.decode("utf-8")
        if not text.rstrip().lower().endswith("</html>"):
            return ["HTML page does not end with </html> (cut short?)"]
        html.document_fromstring(text)
        return []
    return []


def _is_iri(value: str | None) -> bool:
    if not value:
        return False
    parts = urlsplit(value)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme in ("urn", "tag"))


def _date_ok(value: str | None) -> bool:
    if not value or not RFC3339.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _one(parent: etree._Element, tag: str, where: str, problems: list[str]) -> etree._Element | None:
    found = parent.findall(A + tag)
    if len(found) != 1:
        problems.append(f"{where}: {len(found)} atom:{tag} elements, RFC 4287 wants exactly one")
        return None
    return found[0]


def _text_construct(el: etree._Element | None, where: str, problems: list[str]) -> None:
    if el is None:
        return
    kind = el.get("type", "text")
    if kind not in ("text", "html", "xhtml"):
        problems.append(f"{where}: type {kind!r} is not text, html or xhtml")
    if kind == "xhtml" and el.find("{" + XHTML_NS + "}div") is None:
        problems.append(f"{where}: xhtml without its xhtml:div")


def atom_problems(root: etree._Element) -> list[str]:
    """The structure RFC 4287 §4.1 requires of a feed document (what every reader relies on)."""
    problems: list[str] = []
    if root.tag != A + "feed":
        return [f"root element is {root.tag}, not atom:feed"]
    fid = _one(root, "id", "feed", problems)
    if fid is not None and not _is_iri(fid.text):
        problems.append(f"feed: atom:id {fid.text!r} is not an absolute IRI")
    _text_construct(_one(root, "title", "feed", problems), "feed title", problems)
    updated = _one(root, "updated", "feed", problems)
    if updated is not None and not _date_ok(updated.text):
        problems.append(f"feed: atom:updated {updated.text!r} is not an RFC 3339 date")
    feed_author = root.find(A + "author") is not None
    selfs = [link for link in root.findall(A + "link") if link.get("rel") == "self"]
    if len(selfs) != 1:
        problems.append(f"feed: {len(selfs)} rel=self links (one expected)")
    for link in root.findall(A + "link"):
        if not _is_iri(link.get("href")):
            problems.append(f"feed: link href {link.get('href')!r} is not absolute")
    ids: set[str] = set()
    for n, entry in enumerate(root.findall(A + "entry")):
        where = f"entry {n}"
        eid = _one(entry, "id", where, problems)
        if eid is not None:
            if not _is_iri(eid.text):
                problems.append(f"{where}: atom:id {eid.text!r} is not an absolute IRI")
            if eid.text in ids:
                problems.append(f"{where}: atom:id {eid.text!r} appears twice in the feed")
            ids.add(eid.text or "")
        _text_construct(_one(entry, "title", where, problems), f"{where} title", problems)
        e_updated = _one(entry, "updated", where, problems)
        if e_updated is not None and not _date_ok(e_updated.text):
            problems.append(f"{where}: atom:updated {e_updated.text!r} is not an RFC 3339 date")
        links = entry.findall(A + "link")
        alternates = [link for link in links if link.get("rel", "alternate") == "alternate"]
        # (An entry may have no link at all when it has content: a matched item without a web address.)
        if not alternates and entry.find(A + "content") is None:
            problems.append(f"{where}: neither a rel=alternate link nor content (RFC 4287 §4.1.1)")
        if not all(_is_iri(link.get("href")) for link in links):
            problems.append(f"{where}: a link href is not absolute")
        if not feed_author and entry.find(A + "author") is None:
            problems.append(f"{where}: no atom:author, and the feed has none (RFC 4287 §4.1.1)")
        for tag in ("summary", "content"):
            _text_construct(entry.find(A + tag), f"{where} {tag}", problems)
    return problems


def rss_problems(root: etree._Element) -> list[str]:
    if root.tag != "rss" or root.get("version") != "2.0":
        return [f"root element is {root.tag} (version {root.get('version')}), not rss 2.0"]
    channel = root.find("channel")
    if channel is None:
        return ["no channel"]
    problems = [f"channel: no {tag}" for tag in ("title", "link", "description") if channel.find(tag) is None]
    guids: set[str] = set()
    for n, item in enumerate(channel.findall("item")):
        if item.find("title") is None and item.find("description") is None:
            problems.append(f"item {n}: neither title nor description")
        guid = item.findtext("guid")
        if guid in guids:
            problems.append(f"item {n}: guid {guid!r} appears twice")
        guids.add(guid or "")
    return problems


def json_feed_problems(doc: object) -> list[str]:
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith("https://jsonfeed.org/version/1"):
        return ["not a JSON Feed document (no version)"]
    if not isinstance(doc.get("title"), str) or not isinstance(doc.get("items"), list):
        return ["JSON Feed without title or items"]
    problems: list[str] = []
    ids: set[str] = set()
    for n, item in enumerate(doc["items"]):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            problems.append(f"item {n}: no string id")
            continue
        if item["id"] in ids:
            problems.append(f"item {n}: id {item['id']!r} appears twice")
        ids.add(item["id"])
        if "content_html" not in item and "content_text" not in item:
            problems.append(f"item {n}: neither content_html nor content_text")
    return problems


# --- executable markup ----------------------------------------------------------------------------------------


def bad_url(value: str) -> bool:
    """A URL a browser would run or inline: javascript:, data:, vbscript:, whatever spacing or case hides it."""
    squeezed = _INVISIBLE.sub("", value).lower()
    if any(squeezed.startswith(s) for s in BAD_SCHEMES):
        return True
    # srcset and ping hold several URLs
    return any(f" {s}" in " " + squeezed.replace(",", " ") for s in BAD_SCHEMES)


def _element_problems(el: etree._Element, where: str) -> Iterator[str]:
    tag = el.tag if isinstance(el.tag, str) else ""
    local = tag.rsplit("}", 1)[-1].lower()
    if local in ACTIVE_ELEMENTS:
        yield f"{where}: <{local}> element"
    if local == "meta" and (el.get("http-equiv") or "").lower() == "refresh":
        yield f"{where}: <meta http-equiv=refresh>"
    for name, value in el.attrib.items():
        attr = name.rsplit("}", 1)[-1].lower()
        if attr.startswith("on"):
            yield f"{where}: event handler {attr}= on <{local}>"
        if attr in URL_ATTRIBUTES and bad_url(value):
            yield f"{where}: {attr}={value!r} on <{local}>"
        if attr == "style" and re.search(r"expression\s*\(|javascript:|url\s*\(", value, re.IGNORECASE):
            yield f"{where}: style={value!r} on <{local}>"
    if local == "style" and re.search(r"expression\s*\(|javascript:|behavior\s*:", el.text or "", re.IGNORECASE):
        yield f"{where}: <style> with script"


def html_problems(markup: str, where: str) -> list[str]:
    """Executable markup in an HTML document or fragment (as a browser would parse it)."""
    if not markup.strip():
        return []
    try:
        root = html.fromstring(markup) if not markup.lstrip().lower().startswith(("<!doctype", "<html")) else None
        if root is None:
            root = html.document_fromstring(markup)
    except (etree.ParserError, ValueError):
        return []  # nothing that parses as elements (plain text): nothing to run
    problems: list[str] = []
    for el in root.iter():
        problems += _element_problems(el, where)
    return problems


# RSS 2.0 carries entity-encoded HTML in an item's description (and content:encoded carries HTML); readers render
# the channel's description as HTML too (feedparser reports it as text/html), so it is checked as HTML. Titles
# are plain text (RSS Advisory Board, "HTML titles and descriptions"; RSS Profile).
_HTML_CARRIERS_RSS = {"description", "{" + CONTENT_NS + "}encoded"}


def _parent_tag(el: etree._Element) -> str:
    parent = el.getparent()
    return parent.tag if parent is not None and isinstance(parent.tag, str) else ""


def _xml_problems(root: etree._Element, rel: str) -> list[str]:
    problems: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        problems += _element_problems(el, rel)
        if el.tag.startswith(A):
            kind = el.get("type")
            if kind == "html" and el.text:
                problems += html_problems(el.text, f"{rel} <{el.tag.rsplit('}', 1)[-1]} type=html>")
        elif el.tag in _HTML_CARRIERS_RSS and el.text and _parent_tag(el) in ("item", "channel"):
            problems += html_problems(el.text, f"{rel} <{el.tag.rsplit('}', 1)[-1]}>")
    return problems


def _json_strings(value: object, key: str = "") -> Iterable[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _json_strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _json_strings(v, key)
    elif isinstance(value, str):
        yield key, value


_JSON_URL_KEYS = frozenset({"url", "external_url", "home_page_url", "feed_url", "image", "banner_image", "avatar"})


_JSON_LD = re.compile(r'<script type="application/ld\+json">([^<]*)</script>\n')


def without_json_ld(text: str, rel: str, problems: list[str]) -> str:
    """A page's source without its JSON-LD data blocks (schema.org: data, never run), each of which must be JSON
    holding no `<` (so no `</script>` could end it early) and sit in <head>; a block that is not is a problem."""
    head_end = text.find("</head>")
    for block in _JSON_LD.finditer(text):
        try:
            json.loads(block.group(1))
        except ValueError:
            problems.append(f"{rel}: a JSON-LD block that is not JSON")
        if block.start() > head_end:
            problems.append(f"{rel}: a JSON-LD block outside <head>")
    return _JSON_LD.sub("", text)


def page_without_json_ld(data: bytes) -> bytes:
    """A published page's bytes without its JSON-LD data blocks, each checked as `without_json_ld` checks it: what
    is left must hold no `<script`, as it always did."""
    problems: list[str] = []
    text = without_json_ld(data.decode("utf-8"), "page", problems)
    assert not problems, problems
    return text.encode("utf-8")


_SEARCH_SCRIPT = re.compile(r'<script src="\.\./static/search\.js\?v=[0-9a-f]{12}" defer></script>\n')
_SEARCH_FORM = re.compile(r'<form id="search-form" class="search" role="search" action="\./" method="get"[^<>]*>')


def without_search_machinery(text: str, rel: str) -> str:
    """The search page (`search/index.html`) without what it alone has, from our own template, never from input:
    its one script element, the site's own file by its version (no inline script), and its form, which submits to
    the page itself. Any other page, or another script or form on it, is left to be found."""
    if rel != "search/index.html":
        return text
    text = _SEARCH_SCRIPT.sub("", text, count=1)
    text, forms = _SEARCH_FORM.subn("<div>", text, count=1)
    if forms:
        head, _, tail = text.partition('<div class="search-field">')
        text = head + '<div class="search-field">' + tail.replace("</form>", "</div>", 1)
    return text


def executable_markup(out: Path) -> list[str]:
    problems: list[str] = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        data = path.read_bytes()
        if path.suffix == ".html":
            text = without_search_machinery(without_json_ld(data.decode("utf-8"), rel, problems), rel)
            if re.search(r"<\s*script", text, re.IGNORECASE):
                problems.append(f"{rel}: '<script' in the page source")
            problems += html_problems(text, rel)
        elif path.suffix in (".xml", ".opml"):
            problems += _xml_problems(etree.fromstring(data, _safe_parser()), rel)
        elif path.suffix == ".json":
            for key, value in _json_strings(json.loads(data)):
                if key == "content_html":
                    problems += html_problems(value, f"{rel} content_html")
                elif key in _JSON_URL_KEYS and bad_url(value):
                    problems.append(f"{rel}: {key}={value!r}")
    return problems
