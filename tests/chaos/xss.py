"""A corpus of script-injection vectors, written for this suite: each one, if it ever ran, would change the
document's title to `PWNED-<n>` and ask the trap server on 127.0.0.1 for `/xss/<n>`, so a browser test can see
it from both sides.

The families: script elements (plain, upper case, with src, split and nested to fool naive filters), event
handlers on every kind of element, `javascript:`/`data:`/`vbscript:` URLs (with tabs, newlines, entities and
NULs inside the scheme), SVG and MathML, CSS expressions and `url(javascript:)`, `<meta refresh>`, `<base>`,
frames and objects, mutation-XSS shapes (markup that changes meaning when re-parsed), attribute and element
breakouts (`"><`, `</title>`), entity-encoded variants (once and twice), template syntax, and Markdown links.
"""

from __future__ import annotations

from html import escape


def payload(n: int, port: int) -> str:
    return f"document.title='PWNED-{n}';fetch('http://127.0.0.1:{port}/xss/{n}')"


_TEMPLATES = [
    "<script>{js}</script>",
    "<SCRIPT>{js}</SCRIPT>",
    "<script src=http://127.0.0.1:{port}/xss/{n}.js></script>",
    "<scr<script>ipt>{js}</scr</script>ipt>",
    "<<script>script>{js}<</script>/script>",
    "<script\x0c>{js}</script>",
    '<img src=x onerror="{js}">',
    "<img src=x onerror={js_noquote}//",
    "<IMG SRC=x OnErRoR='{js}'>",
    "<img src=x one\x00rror='{js}'>",
    '<svg onload="{js}"></svg>',
    "<svg><script>{js}</script></svg>",
    '<svg><a xlink:href="javascript:{js}"><text x=0 y=20>x</text></a></svg>',
    '<svg><animate onbegin="{js}" attributeName=x dur=1s></svg>',
    '<math><mtext><table><mglyph><style><img src=x onerror="{js}">',
    '<noscript><p title="</noscript><img src=x onerror=\\"{js}\\">"></noscript>',
    '<body onload="{js}">',
    '<details open ontoggle="{js}"><summary>x</summary></details>',
    '<video><source onerror="{js}"></video>',
    '<input autofocus onfocus="{js}">',
    '<div onmouseover="{js}" style="position:fixed;inset:0">cover</div>',
    '<a href="javascript:{js}">click</a>',
    '<a href="JaVaScRiPt:{js}">click</a>',
    '<a href="jav&#x09;ascript:{js}">click</a>',
    '<a href="jav\nascript:{js}">click</a>',
    '<a href=" &#14; javascript:{js}">click</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;{js}">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    "<img src=\"data:image/svg+xml,<svg onload='{js}'/>\">",
    '<iframe src="javascript:{js}"></iframe>',
    '<iframe srcdoc="<script>{js}</script>"></iframe>',
    '<object data="data:text/html,<script>{js}</script>"></object>',
    '<embed src="data:text/html,<script>{js}</script>">',
    '<form action="javascript:{js}"><button>go</button></form>',
    '<button formaction="javascript:{js}">go</button>',
    '<meta http-equiv="refresh" content="0;url=javascript:{js}">',
    '<base href="javascript:/{n}/">',
    '<div style="background:url(javascript:{js})">x</div>',
    '<div style="width:expression({js})">x</div>',
    "<style>body{{background:url('javascript:{js}')}}</style>",
    '<link rel="stylesheet" href="javascript:{js}">',
    "<template><script>{js}</script></template>",
    '<x onclick="{js}">x</x>',
    '"><script>{js}</script>',
    '\'><svg onload="{js}">',
    "</title><script>{js}</script>",
    "</textarea><script>{js}</script>",
    "--><script>{js}</script><!--",
    "]]><script>{js}</script>",
    "&lt;script&gt;{js}&lt;/script&gt;",
    "&amp;lt;script&amp;gt;{js}&amp;lt;/script&amp;gt;",
    "&#60;img src=x onerror=&#34;{js}&#34;&#62;",
    "\\u003cscript\\u003e{js}\\u003c/script\\u003e",
    "<ſcript>{js}</ſcript>",
    "{{{{ 7777*7777 }}}} {{% raw %}}",
    "[click](javascript:{js})",
    "![img](javascript:{js})",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:{js}>",
]


def vectors(port: int) -> list[str]:
    """Every vector with its own number `n` (its position) in the payload."""
    out = []
    for n, template in enumerate(_TEMPLATES):
        js = payload(n, port)
        out.append(template.format(js=js, js_noquote=js.replace("'", "`"), n=n, port=port))
    return out


def escaped_once(vector: str) -> str:
    """The vector as it sits inside XML/HTML text when a feed carries HTML as escaped text."""
    return escape(vector, quote=False)


TEMPLATE_PRODUCT = "60481729"
"""7777 * 7777: if this appears in out/, a template evaluated text it was given."""
