"""The rating form without JavaScript (the JSON API serves the enhanced form)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import db, permissions
from ..rounds.services import RoundError, get_round, scope_item
from . import scales
from .services import rate

bp = Blueprint("ratings", __name__)


def _parse(raw: str | None) -> int | None | str:
    """Form value → 0–5; "" when nothing was chosen; the raw text when it is no number."""
    if raw is None or raw == "":
        return ""
    try:
        return int(raw)
    except ValueError:
        return raw


@bp.post("/runden/<int:round_id>/bewertung/<path:key>")
@login_required
def submit(round_id: int, key: str):
    session = db.session()
    round_ = get_round(session, round_id)
    if round_ is None or not permissions.can_view_round(current_user, round_):
        abort(404)  # a draft round does not exist for the public, here as on its pages and the API
    item = scope_item(session, round_, key)
    withdraw = request.form.get("action") == "withdraw"
    messages = []
    try:
        for question in round_.questions:
            if withdraw:
                stored = rate(session, round_, item, current_user, question, None)
            else:
                value = _parse(request.form.get(question))
                if value == "":
                    continue  # not answered: leave any earlier rating as it is
                stored = rate(session, round_, item, current_user, question, value)
            messages.append(scales.saved_message(question, stored.value))
    except RoundError as error:
        session.rollback()
        flash(error.message, "error")
        status_target = url_for("rounds.item", round_id=round_id, key=key) if item else url_for(
            "rounds.show", round_id=round_id)
        return redirect(status_target)
    if not messages:
        flash(_("Please choose an answer before saving."), "error")
        return redirect(url_for("rounds.item", round_id=round_id, key=key) + "#rate")
    session.commit()
    for message in messages:
        flash(message, "success")
    return redirect(url_for("rounds.item", round_id=round_id, key=key, saved=1) + "#rate")
