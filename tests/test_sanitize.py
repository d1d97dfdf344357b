"""The sanitiser against a corpus of script-injection vectors.

Everything a person writes that becomes HTML passes through participation.sanitize; these
tests render every vector and check, with a real HTML parser, that no executable markup
survives: no script/style/iframe/object/embed/svg/math elements, no event-handler attributes,
no javascript:/data:/vbscript: URLs, no style attributes.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from participation.sanitize import clean_page_html, render_comment

VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<img src=`javascript:alert(1)`>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text x=20 y=20>XSS</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"https://ok.example\" onclick=\"alert(1)\">x</a>",
    "<a href=\"https://ok.example\" style=\"position:fixed;top:0\">x</a>",
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox)",
    "![img](javascript:alert(1))",
    "![img](https://evil.example/track.png)",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<link rel=stylesheet href=//evil.example/x.css>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"javascript:alert(1)//\">",
    "<form action=\"javascript:alert(1)\"><input type=submit></form>",
    "<button formaction=\"javascript:alert(1)\">x</button>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=\"alert(1)\">",
    "<input autofocus onfocus=alert(1)>",
    "<marquee onstart=alert(1)>",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "<<script>alert(1);//<</script>",
    "<script/xss src=//evil.example></script>",
    "<img \"\"\"><script>alert(1)</script>\">",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "<a href=\"https://ok.example\">ok</a><script>alert(1)</script>",
    "*<img src=x onerror=alert(1)>*",
    "- <script>alert(1)</script>\n- item",
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<template><script>alert(1)</script></template>",
    "<x onmouseover=alert(1)>hover</x>",
    "<a href=\"https://ok.example\"\nonmouseover=alert(1)>x</a>",
    "<a href=//evil.example>protocol-relative</a>",
]
FORBIDDEN_TAGS = {"script", "style", "iframe", "object", "embed", "svg", "math", "img", "link", "meta",
                  "base", "form", "input", "button", "video", "audio", "source", "template", "noscript",
                  "details", "marquee", "x", "body", "div"}
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def assert_safe(html: str, allowed_tags: set[str], prefixes=("https://", "http://", "mailto:")) -> None:
    parser = Collector()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag in allowed_tags and tag not in FORBIDDEN_TAGS, (tag, html)
        for name, value in attrs:
            assert not name.startswith("on"), (name, html)
            assert name not in ("style", "src", "srcdoc", "formaction", "action"), (name, html)
            if name == "href":
                compact = "".join((value or "").split()).lower()
                assert not compact.startswith(BAD_SCHEMES), (value, html)
                assert compact.startswith(prefixes), (value, html)
    # Whatever text remains, a browser cannot read it as a tag.
    assert "<script" not in html.lower()


@pytest.mark.parametrize("vector", VECTORS)
def test_comment_rendering_removes_every_vector(vector):
    html = render_comment(vector)
    assert_safe(html, {"p", "br", "em", "strong", "ul", "ol", "li", "a"})
    for tag, attrs in _tags(html):
        if tag == "a":
            assert dict(attrs).get("rel") == "nofollow ugc noopener"


@pytest.mark.parametrize("vector", VECTORS)
def test_page_html_cleaning_removes_every_vector(vector):
    html = clean_page_html(vector)
    # Information pages may link within the site (/konto) as well.
    assert_safe(html, {"h2", "h3", "h4", "p", "ul", "ol", "li", "a", "strong", "em", "address", "br", "blockquote"},
                prefixes=("https://", "http://", "mailto:", "/"))


def _tags(html):
    parser = Collector()
    parser.feed(html)
    return parser.tags


def test_the_markdown_subset_still_works():
    html = render_comment("Ein *wichtiger* Punkt und **sehr** klar:\n\n- eins\n- zwei\n\n[Stadt](https://www.stadt-muenster.de)")
    assert "<em>wichtiger</em>" in html and "<strong>sehr</strong>" in html
    assert "<ul>" in html and "<li>eins</li>" in html
    assert '<a href="https://www.stadt-muenster.de" rel="nofollow ugc noopener">Stadt</a>' in html


def test_bare_links_become_safe_links():
    html = render_comment("Mehr unter https://www.stadt-muenster.de/smartcity bitte")
    assert 'href="https://www.stadt-muenster.de/smartcity" rel="nofollow ugc noopener"' in html
