"""Information pages: the operator's text when saved, otherwise the shipped draft."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, abort, render_template
from flask_babel import lazy_gettext as _l

from .. import db
from ..i18n import current_language
from ..sanitize import safe_page_html
from .models import Page

bp = Blueprint("pages", __name__, template_folder="templates")
DRAFTS = Path(__file__).parent / "drafts"
SLUGS = {
    "impressum": _l("Imprint"),
    "datenschutz": _l("Privacy notice"),
    "barrierefreiheit": _l("Accessibility statement"),
    "netiquette": _l("Netiquette"),
}


def draft_html(slug: str, language: str) -> str:
    path = DRAFTS / f"{slug}.{language}.html"
    if not path.exists():
        path = DRAFTS / f"{slug}.de.html"
    return path.read_text(encoding="utf-8")


@bp.get("/seite/<slug>")
def show(slug: str):
    if slug not in SLUGS:
        abort(404)
    language = current_language()
    page = db.session().scalars(sa.select(Page).where(Page.slug == slug)).first()
    body_lang = language
    if page is not None:
        body = page.body_en if language == "en" and page.body_en else page.body_de
        body_lang = "en" if language == "en" and page.body_en else "de"
        title = (page.title_en if language == "en" and page.title_en else page.title_de)
    else:
        body = draft_html(slug, language)
        title = str(SLUGS[slug])
    return render_template(
        "pages/page.html", title=title, body=safe_page_html(body), body_lang=body_lang,
        updated_at=page.updated_at if page else None,
    )
