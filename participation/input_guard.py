"""Refuse NUL characters (U+0000) in URLs, the one place no form field can report them.

PostgreSQL cannot hold U+0000 in text, so a NUL in a path or a query parameter would end in a
database error on whichever page passes it on. One check in front of every view answers instead:
a path with a NUL is an unknown page (404), a query parameter with one a clear 400 in the user's
language (``{"error": {"code": "invalid_characters", …}}`` under ``/api/``).

The free texts people write — a comment, a report, a display name — are left to their forms: a
NUL there is refused by the field itself with the message of ``participation.text`` (422, next to
the field, so the person knows what to fix). Every other form field with a NUL gets the same 400
as a query parameter, so nothing stores it (SQLite would). JSON bodies are refused by their schema
with the same code (``control_characters``).
"""

from __future__ import annotations

from flask import Flask, abort, request
from flask_babel import gettext as _

from .service_errors import ServiceError

FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


class InputError(ServiceError):
    status = 400


# Form fields whose own validation reports a NUL next to the field (participation.text).
FIELDS_CHECKED_BY_THEIR_FORM = frozenset({"body", "text", "display_name"})


def _has_nul(values, skip: frozenset[str] = frozenset()) -> bool:
    return any("\x00" in key or ("\x00" in value and key not in skip) for key, value in values.items(multi=True))


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_nul() -> None:
        if "\x00" in request.path:
            abort(404)
        if _has_nul(request.args) or (
                request.method == "POST" and request.mimetype in FORM_TYPES
                and _has_nul(request.form, FIELDS_CHECKED_BY_THEIR_FORM)):
            raise InputError("invalid_characters", _("The input contains a NUL character, which cannot be stored."))
