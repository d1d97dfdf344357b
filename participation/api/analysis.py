"""The analysis of a round in the JSON API: opinion groups, consensus, representativeness."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import db, permissions
from ..analysis.services import membership, round_analysis
from ..errors import json_error
from .common import visible_round as _visible_round
from .views import bp


@bp.get("/rounds/<int:round_id>/analysis")
def round_analysis_json(round_id: int):
    round_ = _visible_round(round_id)
    if not permissions.can_see_analysis(current_user, round_):
        return json_error(403, "results_hidden", _("The results of this round are shown once it has closed."))
    verified = request.args.get("verified") in ("1", "true")
    return jsonify(round_analysis(db.session(), round_, verified_only=verified).as_json())


@bp.get("/rounds/<int:round_id>/analysis/membership")
def round_analysis_membership(round_id: int):
    round_ = _visible_round(round_id)
    if not current_user.is_authenticated:
        return json_error(401, "not_logged_in", _("Please log in first."))
    if not permissions.can_see_group_membership(current_user):
        return json_error(403, "forbidden", _("Only administrators may see who is in which group."))
    return jsonify({"round": round_.id, "participants": membership(db.session(), round_)})
