"""Template globals and filters shared by every page."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Flask, current_app, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_timezone
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from . import permissions
from .i18n import current_language

# Names shown in the UI for keys stored in the database.
DISTRICT_LABELS = {
    "mitte": _l("Mitte"),
    "nord": _l("Nord"),
    "ost": _l("Ost"),
    "west": _l("West"),
    "suedost": _l("Südost"),
    "hiltrup": _l("Hiltrup"),
}
AGE_BRACKET_LABELS = {
    "16-24": _l("16 to 24 years"),
    "25-39": _l("25 to 39 years"),
    "40-59": _l("40 to 59 years"),
    "60+": _l("60 years and older"),
}
ROLE_LABELS = {
    "resident": _l("Participant"),
    "moderator": _l("Moderator"),
    "admin": _l("Administrator"),
}
KIND_LABELS = {
    "vision": _l("Vision"),
    "mission": _l("Mission statement"),
    "coordinate": _l("Guiding coordinate"),
    "field": _l("Field of action"),
    "target": _l("Target picture"),
}
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}


def paragraphs(text: str | None) -> Markup:
    """Plain text with blank lines between paragraphs, as escaped HTML paragraphs."""
    if not text:
        return Markup("")
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n")]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(escape(line) for line in block.split("\n")))
        for block in blocks
        if block
    )


# Date and time to the minute, as people write them ("20.11.2026, 09:00 Uhr").
MINUTE_PATTERNS = {"de": "dd.MM.yyyy, HH:mm 'Uhr'", "en": "d MMM yyyy, HH:mm"}


# The same patterns for strftime: a thread shows dozens of timestamps, and Babel's formatter costs
# many times as much per call (tests/test_page_cache.py checks that both agree).
MINUTE_STRFTIME = {"de": "%d.%m.%Y, %H:%M Uhr", "en": "{day} {month} %Y, %H:%M"}
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def local_datetime(value: datetime | None, fmt: str = "medium") -> str:
    """A UTC timestamp shown in Europe/Berlin, in the user's language."""
    if not value:
        return ""
    if fmt == "medium":
        language = current_language()
        if language in MINUTE_STRFTIME:
            local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(get_timezone())
            pattern = MINUTE_STRFTIME[language].format(day=local.day, month=MONTHS_EN[local.month - 1])
            return local.strftime(pattern)
        fmt = MINUTE_PATTERNS["en"]
    return format_datetime(value, fmt)


def html_datetime(value: datetime | None) -> str:
    """A UTC timestamp for ``<time datetime>``: to the second, no fraction (HTML allows at most three digits)."""
    if not value:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_date(value: datetime | None, fmt: str = "long") -> str:
    return format_date(value.astimezone(get_timezone()), fmt) if value else ""


def decimal(value: float, digits: int = 1) -> str:
    return format_decimal(value, format="#,##0." + "0" * digits) if digits else format_decimal(value, format="#,##0")


def percent(value: float) -> str:
    return format_percent(value, format="#,##0 %")


def is_safe_next(target: str | None) -> bool:
    """Only paths on this site may be redirected to (no open redirects)."""
    if not target:
        return False
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False  # browsers read "/\\evil.example" as "//evil.example" and drop tabs and newlines
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//")


def init_app(app: Flask) -> None:
    app.jinja_env.filters["paragraphs"] = paragraphs
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.filters["html_datetime"] = html_datetime
    app.jinja_env.filters["decimal"] = decimal
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.globals.update(
        can=_Predicates(),
        district_labels=DISTRICT_LABELS,
        age_bracket_labels=AGE_BRACKET_LABELS,
        role_labels=ROLE_LABELS,
        kind_labels=KIND_LABELS,
        language_names=LANGUAGE_NAMES,
        current_language=current_language,
    )

    @app.context_processor
    def _site() -> dict:
        return {
            "site_name": current_app.config["SITE_NAME"],
            "current_path": request.full_path.rstrip("?") if request else "/",
            "static_url": lambda filename: url_for("static", filename=filename),
        }


class _Predicates:
    """``can.rate(user, …)`` in templates calls ``permissions.can_rate(user, …)``."""

    def __getattr__(self, name: str):
        return permissions.TEMPLATE_PREDICATES["can_" + name]
