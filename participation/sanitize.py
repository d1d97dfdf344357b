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
