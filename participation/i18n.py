"""Language choice: the user's profile, then the remembered choice, then the browser."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import get_locale
from flask_login import current_user

LANGUAGE_COOKIE = "lang"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    remembered = request.cookies.get(LANGUAGE_COOKIE)
    if remembered in languages:
        return remembered
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    return str(get_locale() or "de")
