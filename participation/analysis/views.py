"""The analysis page of a round: items by consensus and by division, groups, representativeness."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from .. import db, permissions
from ..results.services import VERIFIED
from ..rounds.services import code_counts
from ..rounds.views import _round_or_404

bp = Blueprint("analysis", __name__, template_folder="templates")


@bp.get("/runden/<int:round_id>/analyse")
def overview(round_id: int):
    # numpy and scikit-learn (about 145 MB) are loaded when an analysis is first asked for, not
    # when the app starts: a process that never analyses (an export, a worker) stays small.
    from . import compute
    from .services import MIN_CELL, round_analysis

    round_ = _round_or_404(round_id)
    if not permissions.can_see_analysis(current_user, round_):
        return render_template("rounds/results_hidden.html", round=round_), 403
    session = db.session()
    verified_only = VERIFIED.read(request.args, blank_is_default=True) == "1"
    analysis = round_analysis(session, round_, verified_only=verified_only)
    total_codes, redeemed = code_counts(session, round_)
    rows = [
        {"item": item, "figures": analysis.result.items[index], "weighted": analysis.weighted[index]}
        for index, item in enumerate(analysis.matrix.items)
    ]
    by_consensus = sorted(rows, key=lambda row: (
        not row["figures"].consensus, -(row["figures"].share_agree or -1), row["figures"].index))
    by_division = sorted(
        (row for row in rows if row["figures"].divisive is not None),
        key=lambda row: (-row["figures"].divisive, row["figures"].index))
    items_by_index = analysis.matrix.items
    return render_template(
        "analysis/overview.html", round=round_, analysis=analysis, result=analysis.result,
        by_consensus=by_consensus, by_division=by_division, items_by_index=items_by_index,
        verified_only=verified_only, has_verified=redeemed > 0 or total_codes > 0,
        parameters=compute.parameters(), min_cell=MIN_CELL,
        min_ratings=min(compute.MIN_RATINGS, len(items_by_index)),
    )
