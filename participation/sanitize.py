"""The one place where HTML from people (admins today, residents later) is cleaned.

Everything that is stored or shown as HTML and did not come from our own templates passes
through here; templates never mark other strings safe.
"""

from __future__ import annotations

import bleach
from markupsafe import Markup

# Information pages written by administrators.
PAGE_TAGS = frozenset(
    {"h2", "h3", "h4", "p", "ul", "ol", "li", "a", "strong", "em", "address", "br", "blockquote"}
)
PAGE_ATTRIBUTES = {"a": ["href", "title"]}
PROTOCOLS = frozenset({"https", "http", "mailto"})


def clean_page_html(html: str) -> str:
    """Allow the few structural tags an information page needs; drop everything else."""
    return bleach.clean(
        html,
        tags=PAGE_TAGS,
        attributes=PAGE_ATTRIBUTES,
        protocols=PROTOCOLS,
        strip=True,
        strip_comments=True,
    )


def safe_page_html(html: str) -> Markup:
    return Markup(clean_page_html(html))  # noqa: S704 - cleaned by bleach just above


# --- comments: a small Markdown subset -------------------------------------------------------
# Paragraphs, emphasis, lists and links. Markdown is rendered without raw HTML, then the
# result is cleaned again by bleach, so even a parser bug cannot let markup through.
COMMENT_TAGS = frozenset({"p", "br", "em", "strong", "ul", "ol", "li", "a"})
COMMENT_ATTRIBUTES = {"a": ["href", "rel"]}
LINK_PROTOCOLS = frozenset({"https", "http", "mailto"})
LINK_REL = "nofollow ugc noopener"


def _markdown():
    from markdown_it import MarkdownIt

    md = MarkdownIt("zero", {"html": False, "linkify": False, "breaks": True})
    md.enable(["emphasis", "list", "link", "newline", "escape", "backticks"])
    return md


def _set_rel(attrs: dict, new: bool = False) -> dict:
    href_key = (None, "href")
    href = attrs.get(href_key, "")
    if not href or href.lower().startswith(("javascript:", "data:", "vbscript:")):
        return None  # drop the link, keep its text
    attrs[(None, "rel")] = LINK_REL
    return attrs


def render_comment(text: str) -> str:
    """Markdown subset → safe HTML with rel="nofollow ugc noopener" on every link."""
    html = _markdown().render(text)
    html = html.replace("<code>", "").replace("</code>", "")  # inline code shows as plain text
    cleaned = bleach.clean(
        html, tags=COMMENT_TAGS, attributes=COMMENT_ATTRIBUTES, protocols=LINK_PROTOCOLS,
        strip=True, strip_comments=True,
    )
    return bleach.linkify(cleaned, callbacks=[_set_rel], skip_tags=None, parse_email=False).strip()
