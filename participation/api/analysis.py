"""The analysis of a round in the JSON API: opinion groups, consensus, representativeness
(answers: ``analysis/schemas.py``)."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from .. import db, permissions
from ..analysis import schemas
from ..errors import json_error
from ..query import Choice
from .common import visible_round as _visible_round
from .endpoint import endpoint
from .views import bp

VERIFIED = Choice("verified", ("0", "1", "false", "true"), "0",
                  "1 or true: only participants who redeemed an invitation code")


@endpoint(bp, "GET", "/rounds/<int:round_id>/analysis",
          "Opinion groups, consensus and divisive items, representativeness",
          answer=schemas.RoundAnalysis, query=(VERIFIED,),
          errors={403: "Results are hidden until the round closes (results_hidden)"})
def round_analysis_json(round_id: int, query: dict):
    round_ = _visible_round(round_id)
    if not permissions.can_see_analysis(current_user, round_):
        return json_error(403, "results_hidden", _("The results of this round are shown once it has closed."))
    from ..analysis.services import round_analysis  # numpy and scikit-learn: only once asked for

    verified = query["verified"] in ("1", "true")
    return jsonify(round_analysis(db.session(), round_, verified_only=verified).as_json())


@endpoint(bp, "GET", "/rounds/<int:round_id>/analysis/membership",
          "Each participant's opinion group, by pseudonym (administrators only)",
          answer=schemas.AnalysisMembership, login=True,
          errors={403: "Not an administrator (forbidden)"})
def round_analysis_membership(round_id: int):
    round_ = _visible_round(round_id)
    if not permissions.can_see_group_membership(current_user):
        return json_error(403, "forbidden", _("Only administrators may see who is in which group."))
    from ..analysis.services import membership  # numpy and scikit-learn: only once asked for

    return jsonify({"round": round_.id, "participants": membership(db.session(), round_)})
