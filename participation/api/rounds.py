"""Rounds, results and one's own ratings in the JSON API."""

from __future__ import annotations

from flask import abort, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import cache, db, permissions
from ..errors import json_error
from ..ratings import scales
from ..ratings.services import rate, ratings_of
from ..results.services import CHANNELS, QuestionResult
from ..rounds.models import Round
from ..rounds.services import RoundError, get_round, is_verified, rounds_for, scope_items
from ..strategy.models import StrategyItem
from .views import bp, localized_json


def round_json(round_: Round, items: list[StrategyItem] | None = None) -> dict:
    data = {
        "id": round_.id,
        "title": localized_json(round_, "title"),
        "description": localized_json(round_, "description"),
        "state": round_.state,
        "version": round_.version.number,
        "opens_at": round_.opens_at.isoformat(),
        "closes_at": round_.closes_at.isoformat(),
        "questions": list(round_.questions),
        "results_visibility": round_.results_visibility,
        "participation": round_.participation,
        "url": url_for("rounds.show", round_id=round_.id, _external=True),
    }
    if items is not None:
        data["items"] = [
            {
                "key": item.key,
                "kind": item.kind,
                "title": localized_json(item, "title"),
                "field": item.parent.key if item.parent else None,
                "url": url_for("rounds.item", round_id=round_.id, key=item.key, _external=True),
            }
            for item in items
        ]
    return data


def _visible_round(round_id: int) -> Round:
    round_ = get_round(db.session(), round_id)
    if round_ is None or not permissions.can_view_round(current_user, round_):
        abort(404)
    return round_


@bp.get("/rounds")
def rounds():
    include_drafts = permissions.has_role(current_user, "admin", "moderator")
    return jsonify({"rounds": [round_json(r) for r in rounds_for(db.session(), include_drafts)]})


@bp.get("/rounds/<int:round_id>")
def round_detail(round_id: int):
    round_ = _visible_round(round_id)
    return jsonify(round_json(round_, scope_items(db.session(), round_)))


@bp.get("/rounds/<int:round_id>/results")
def round_results_json(round_id: int):
    round_ = _visible_round(round_id)
    if not permissions.can_see_results(current_user, round_):
        return json_error(403, "results_hidden", _("The results of this round are shown once it has closed."))
    verified = request.args.get("verified") in ("1", "true")
    channel = request.args.get("channel") or None
    if channel is not None and channel not in CHANNELS:
        return json_error(400, "unknown_channel", _("Choose the channel %(allowed)s, or none for both.",
                                                    allowed=" | ".join(CHANNELS)))
    session = db.session()
    items = cache.scope_items(session, round_)
    results = cache.results(session, round_, verified_only=verified, channel=channel)
    by_channel = cache.participation(session, round_, verified_only=verified)
    return jsonify({
        "round": round_.id,
        "verified_only": verified,
        "channel": channel,
        "participants": by_channel[channel] if channel else sum(by_channel.values()),
        "participants_by_channel": by_channel,
        "items": [
            {
                "key": item.key,
                "questions": {
                    question: (results.get(item.id, {}).get(question) or QuestionResult(question)).as_json()
                    for question in round_.questions
                },
            }
            for item in items
        ],
    })


def _require_login():
    if not current_user.is_authenticated:
        return json_error(401, "not_logged_in", _("Please log in first."))
    return None


@bp.get("/rounds/<int:round_id>/my-ratings")
def my_ratings(round_id: int):
    round_ = _visible_round(round_id)
    if (problem := _require_login()) is not None:
        return problem
    session = db.session()
    mine = ratings_of(session, round_, current_user)
    keys = {item.id: item.key for item in scope_items(session, round_)}
    return jsonify({
        "round": round_.id,
        "verified": is_verified(session, current_user, round_),
        "ratings": [
            {"key": keys[item_id], "question": question, "value": value}
            for item_id, answers in mine.items() if item_id in keys
            for question, value in sorted(answers.items())
        ],
    })


@bp.put("/rounds/<int:round_id>/items/<path:key>/rating")
def put_rating(round_id: int, key: str):
    round_ = _visible_round(round_id)
    if (problem := _require_login()) is not None:
        return problem
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or "question" not in payload or "value" not in payload:
        return json_error(400, "invalid_json", _("Send JSON with “question” and “value”."))
    session = db.session()
    # The scope as kept per process: no statement for the item (rate() only needs its id).
    item = next((entry for entry in cache.scope_items(session, round_) if entry.key == key), None)
    try:
        stored = rate(session, round_, item, current_user, payload["question"], payload["value"])
    except RoundError as error:
        session.rollback()
        status = 403 if error.code in ("round_not_open", "not_eligible", "blocked") else (
            404 if error.code == "item_not_in_round" else 422)
        return json_error(status, error.code, error.message)
    session.commit()
    return jsonify({
        "round": round_.id, "key": key, "question": stored.question, "value": stored.value,
        "message": scales.saved_message(stored.question, stored.value),
    })


# The discussion's routes join the same blueprint (imported last: they use the helpers above).
from . import comments as _comments  # noqa: E402, F401
