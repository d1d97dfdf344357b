"""Refuse what no field, filter or path can store: NUL characters.

PostgreSQL cannot hold U+0000 in text, so a NUL anywhere in a query parameter or a form field
would end in a database error (a 500) on whichever page passes it on. One check in front of
every view answers 400 in the user's language instead; path segments with a NUL are unknown
pages (404, see ``participation.NoNulUnicodeConverter``), JSON bodies are refused by their schema.
"""

from __future__ import annotations

from flask import Flask, request
from flask_babel import gettext as _

from .service_errors import ServiceError


class InputError(ServiceError):
    status = 400


def _has_nul(values) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_nul() -> None:
        if _has_nul(request.args) or (request.method != "GET" and _has_nul(request.form)):
            raise InputError("invalid_characters", _("The input contains a NUL character, which cannot be stored."))
