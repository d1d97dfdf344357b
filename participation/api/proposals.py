"""Consolidation in the JSON API: proposals, their review workflow, comment outcomes, my comments.

Declared with ``endpoint()``; request bodies and answers are the pydantic models of
``proposals/schemas.py``. A refused use case (``ProposalError``) becomes
``{"error": {"code", "message"}}`` with its status.
"""

from __future__ import annotations

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import db, permissions
from ..comments.discussion import get_comment
from ..errors import json_error
from ..proposals import schemas, services
from ..proposals.models import CommentOutcome, Proposal
from ..proposals.schemas import texts_of
from ..proposals.services import ProposalData, ProposalError
from ..rounds.models import Round
from ..rounds.services import get_round
from .common import visible_round as _visible_round
from .endpoint import endpoint
from .views import bp, localized_json


def _texts(proposal: Proposal, name: str) -> dict[str, str | None]:
    return {"de": getattr(proposal, f"{name}_de"), "en": getattr(proposal, f"{name}_en")}


def proposal_json(proposal: Proposal, round_: Round) -> dict:
    staff = permissions.can_use_workbench(current_user, round_)
    evidence = proposal.evidence or {}
    data = {
        "id": proposal.id,
        "round": proposal.round_id,
        "kind": proposal.kind,
        "state": proposal.state,
        "item": proposal.item.key if proposal.item else None,
        "place": {"kind": proposal.place_kind,
                  "parent": proposal.place_parent.key if proposal.place_parent else None,
                  "position": proposal.place_position} if proposal.kind == "add" else None,
        "title": _texts(proposal, "title"),
        "summary": _texts(proposal, "summary"),
        "body": _texts(proposal, "body"),
        "current": {name: localized_json(proposal.item, name) for name in ("title", "summary", "body")}
        if proposal.item else None,
        "rationale": _texts(proposal, "rationale"),
        "author": proposal.author.display_name if proposal.author else None,
        "comments": proposal.comment_ids,
        "evidence": {
            "ratings": evidence.get("ratings"),
            "ratings_verified": evidence.get("ratings_verified"),
            "analysis": evidence.get("analysis"),
            "snapshot_at": proposal.snapshot_at.isoformat() if proposal.snapshot_at else None,
        },
        "decision": {
            "state": proposal.state,
            "reason": proposal.decision_reason,
            "decided_at": proposal.decided_at.isoformat() if proposal.decided_at else None,
        } if proposal.is_decided else None,
        "created_at": proposal.created_at.isoformat(),
        "updated_at": proposal.updated_at.isoformat(),
        "url": url_for("proposals.public_list", round_id=proposal.round_id, _external=True,
                       _anchor=f"vorschlag-{proposal.id}"),
    }
    if staff:
        data["reviewer"] = proposal.reviewer.display_name if proposal.reviewer else None
        data["review_note"] = proposal.review_note
    return data


def outcome_json(outcome: CommentOutcome | None) -> dict | None:
    if outcome is None:
        return None
    return {"code": outcome.outcome, "explanation": outcome.explanation, "proposal": outcome.proposal_id,
            "explicit": outcome.explicit, "version": outcome.version}


def _error(error: ProposalError):
    db.session().rollback()
    return json_error(error.status, error.code, error.message)


def _proposal_not_found():
    return json_error(404, "proposal_not_found", _("There is no such proposal."))


def _visible_proposal(proposal_id: int) -> tuple[Proposal, Round] | None:
    session = db.session()
    proposal = services.get_proposal(session, proposal_id, lock=request.method == "POST")
    if proposal is None:
        return None
    round_ = get_round(session, proposal.round_id)
    if not permissions.can_view_proposal(current_user, proposal, round_):
        return None
    return proposal, round_


@endpoint(bp, "GET", "/rounds/<int:round_id>/proposals",
          "Proposals of a round: all for moderators, decided ones for everybody once published",
          answer=schemas.ProposalList)
def round_proposals(round_id: int):
    round_ = _visible_round(round_id)
    proposals = services.visible_proposals(db.session(), round_, current_user)
    return jsonify({"round": round_.id, "proposals": [proposal_json(p, round_) for p in proposals]})


@endpoint(bp, "POST", "/rounds/<int:round_id>/proposals",
          "Write a proposal (moderators and admins); it starts as a draft",
          body=schemas.ProposalIn, answer=schemas.ProposalEnvelope, status=201, login=True,
          errors={403: "Not a moderator, or the round takes no proposals (not_allowed)",
                  422: "unknown_kind, unknown_item, place_required, bad_position, title_required, no_text, "
                       "rationale_required, invalid_comments, comment_not_in_round, too_many_comments, "
                       "unknown_comments, invalid_<field>"})
def create_proposal(round_id: int, body: schemas.ProposalIn):
    round_ = _visible_round(round_id)
    if not permissions.can_moderate(current_user):
        return json_error(403, "not_allowed", _("Only moderators and administrators write proposals."))
    data = ProposalData(
        kind=body.kind, item_key=body.item, texts=texts_of(body), rationale_de=body.rationale.de,
        rationale_en=body.rationale.en, comment_ids=list(body.comments),
        place_kind=body.place.kind if body.place else None, place_parent_key=body.place.parent if body.place else None,
        place_position=body.place.position if body.place else None,
    )
    session = db.session()
    try:
        proposal = services.create_proposal(session, round_, current_user, data)
    except ProposalError as error:
        return _error(error)
    session.commit()
    return jsonify({"proposal": proposal_json(proposal, round_)}), 201


@endpoint(bp, "GET", "/proposals/<int:proposal_id>", "One proposal", answer=schemas.ProposalEnvelope,
          errors={404: "No such proposal, or not visible to the caller (proposal_not_found)"})
def proposal_detail(proposal_id: int):
    found = _visible_proposal(proposal_id)
    if found is None:
        return _proposal_not_found()
    return jsonify({"proposal": proposal_json(*found)})


@endpoint(bp, "POST", "/proposals/<int:proposal_id>/transitions",
          "Move a proposal on: submit, recommend, request changes, decide, withdraw",
          body=schemas.TransitionIn, answer=schemas.ProposalEnvelope, login=True,
          errors={403: "Wrong role, or the author recommending their own (not_allowed)",
                  404: "No such proposal, or not visible to the caller (proposal_not_found)",
                  409: "Not possible from the proposal's state (invalid_transition)",
                  422: "reason_required, unknown_state, invalid_<field>"})
def proposal_transition(proposal_id: int, body: schemas.TransitionIn):
    found = _visible_proposal(proposal_id)
    if found is None:
        return _proposal_not_found()
    proposal, round_ = found
    session = db.session()
    try:
        services.transition(session, proposal, current_user, body.to, body.reason, texts_of(body) or None)
    except ProposalError as error:
        return _error(error)
    session.commit()
    return jsonify({"proposal": proposal_json(proposal, round_)})


@endpoint(bp, "PUT", "/comments/<int:comment_id>/outcome",
          "Set (or with null clear) a comment's outcome (moderators and admins)",
          body=schemas.OutcomeIn, answer=schemas.OutcomeAnswer, login=True,
          errors={403: "Not a moderator, or the round is not in consolidation (not_allowed)",
                  404: "The comment does not exist (comment_not_found)",
                  422: "unknown_outcome, explanation_required, invalid_explanation"})
def put_outcome(comment_id: int, body: schemas.OutcomeIn):
    if not permissions.can_moderate(current_user):
        return json_error(403, "not_allowed", _("Only moderators and administrators set outcomes."))
    session = db.session()
    comment = get_comment(session, comment_id)
    if comment is None:
        return json_error(404, "comment_not_found", _("This comment no longer exists."))
    try:
        services.set_outcome(session, get_round(session, comment.round_id), [comment.id], current_user,
                             body.outcome, body.explanation)
    except ProposalError as error:
        return _error(error)
    session.commit()
    outcome = services.outcomes_for(session, [comment.id]).get(comment.id)
    return jsonify({"comment_id": comment.id, "outcome": outcome_json(outcome)})


@endpoint(bp, "GET", "/me/comments", "My comments with round, item, outcome and proposal",
          answer=schemas.MyComments, login=True)
def my_comments():
    rows = services.comments_of_user(db.session(), current_user)
    return jsonify({"comments": [
        {
            "id": comment.id,
            "round": round_.id,
            "item": item.key,
            "parent_id": comment.parent_id,
            "stance": comment.stance,
            "state": comment.state,
            "created_at": comment.created_at.isoformat(),
            "url": url_for("rounds.item", round_id=round_.id, key=item.key, _external=True,
                           _anchor=f"beitrag-{comment.id}"),
            "outcome": outcome_json(outcome) if permissions.can_see_outcomes(current_user, round_) else None,
        }
        for comment, round_, item, outcome in rows
    ]})
