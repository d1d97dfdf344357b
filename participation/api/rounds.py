"""Rounds, results and one's own ratings in the JSON API."""

from __future__ import annotations

from flask import jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import cache, db, permissions
from ..errors import json_error
from ..ratings import scales
from ..ratings.services import rate, ratings_of
from ..results.services import CHANNEL, VERIFIED, QuestionResult
from ..rounds.models import Round
from ..rounds.services import is_verified, rounds_for, scope_items
from ..strategy.models import StrategyItem
from . import models
from .common import localized_json, visible_round
from .endpoint import endpoint
from .views import bp


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


@endpoint(bp, "GET", "/rounds", "Consultation rounds (drafts only for the administration)",
          answer=models.RoundList)
def rounds():
    include_drafts = permissions.has_role(current_user, "admin", "moderator")
    return jsonify({"rounds": [round_json(r) for r in rounds_for(db.session(), include_drafts)]})


@endpoint(bp, "GET", "/rounds/<int:round_id>", "One round: state, dates, questions and the items in scope",
          answer=models.Round)
def round_detail(round_id: int):
    round_ = visible_round(round_id)
    return jsonify(round_json(round_, scope_items(db.session(), round_)))


@endpoint(bp, "GET", "/rounds/<int:round_id>/results", "Results per item and question",
          answer=models.RoundResults, query=(VERIFIED, CHANNEL),
          errors={403: "Results are hidden until the round closes (results_hidden)"})
def round_results_json(round_id: int, query: dict):
    round_ = visible_round(round_id)
    if not permissions.can_see_results(current_user, round_):
        return json_error(403, "results_hidden", _("The results of this round are shown once it has closed."))
    verified = query["verified"] == "1"
    channel = query["channel"]
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


@endpoint(bp, "GET", "/rounds/<int:round_id>/my-ratings", "The logged-in participant's own ratings in the round",
          answer=models.MyRatings, login=True)
def my_ratings(round_id: int):
    round_ = visible_round(round_id)
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


@endpoint(bp, "PUT", "/rounds/<int:round_id>/items/<path:key>/rating",
          "Rate an item, change the rating, or withdraw it (value null)",
          body=models.RatingInput, answer=models.StoredRating, login=True,
          errors={403: "Round not open, or not eligible (round_not_open, not_eligible, blocked)",
                  404: "Unknown round, or item not in the round (item_not_in_round)",
                  422: "Unknown question or value out of range (unknown_question, value_out_of_range)"})
def put_rating(round_id: int, key: str, body: models.RatingInput):
    round_ = visible_round(round_id, with_version=False)
    session = db.session()
    # The scope as kept per process: no statement for the item (rate() only needs its id).
    item = next((entry for entry in cache.scope_items(session, round_) if entry.key == key), None)
    stored = rate(session, round_, item, current_user, body.question, body.value)
    session.commit()
    return jsonify({
        "round": round_.id, "key": key, "question": stored.question, "value": stored.value,
        "message": scales.saved_message(stored.question, stored.value),
    })
