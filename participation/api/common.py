"""Helpers that every part of the JSON API shares (rounds, comments, strategy)."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from .. import db, permissions
from ..rounds.models import Round
from ..rounds.services import get_round, get_round_only


def localized_json(obj: object, field: str) -> dict[str, str | None]:
    german = getattr(obj, f"{field}_de")
    return {"de": german, "en": getattr(obj, f"{field}_en") or german}


def visible_round(round_id: int, with_version: bool = True) -> Round:
    """The round, or 404 when it does not exist or the caller may not see it (drafts).

    ``with_version=False``: without its strategy version, for writes that do not show it."""
    round_ = (get_round if with_version else get_round_only)(db.session(), round_id)
    if round_ is None or not permissions.can_view_round(current_user, round_):
        abort(404)
    return round_


def require_login():
    """An error answer for callers without a log-in, else None (for routes not declared with endpoint())."""
    from flask_babel import gettext as _

    from ..errors import json_error

    if not current_user.is_authenticated:
        return json_error(401, "not_logged_in", _("Please log in first."))
    return None
