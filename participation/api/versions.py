"""Comparing strategy versions and an item's history in the JSON API."""

from __future__ import annotations

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import db, permissions
from ..errors import json_error
from ..strategy.services import version_by_number
from ..versions.models import EditorialChange
from ..versions.services import compare, history, rounds_with_key, summary, texts_of
from .views import bp


def _editorial_json(change: EditorialChange) -> dict:
    return {
        "id": change.id,
        "reason": change.reason,
        "fields": change.fields,
        "before": change.before,
        "after": change.after,
        "created_at": change.created_at.isoformat(),
    }


def _version_param(name: str):
    number = request.args.get(name, "").strip()
    if not number:
        return None, json_error(400, "bad_request", _("The parameter %(name)s is required.", name=name))
    version = version_by_number(db.session(), number)
    if version is None or not permissions.can_view_version(current_user, version):
        return None, json_error(404, "not_found", _("There is no version %(number)s.", number=number))
    return version, None


@bp.get("/strategy/compare")
def strategy_compare():
    older, error = _version_param("from")
    if error is not None:
        return error
    newer, error = _version_param("to")
    if error is not None:
        return error
    compared = compare(db.session(), older, newer)
    return jsonify({
        "from": older.number,
        "to": newer.number,
        "summary": summary(compared),
        "url": url_for("versions.compare", a=older.number, b=newer.number, _external=True),
        "items": [
            {
                "key": entry.key,
                "kind": entry.kind,
                "change": entry.change,
                "before": texts_of(entry.before),
                "after": texts_of(entry.after),
                "proposals": entry.proposals,
                "editorial": [_editorial_json(change) for change in entry.editorial],
            }
            for entry in compared
        ],
    })


@bp.get("/strategy/items/<path:key>/history")
def strategy_item_history(key: str):
    session = db.session()
    steps = history(session, key, include_drafts=permissions.can_see_drafts(current_user))
    if not steps:
        return json_error(404, "not_found", _("There is no item %(key)s.", key=key))
    rounds = [r for r in rounds_with_key(session, key) if permissions.can_view_round(current_user, r)]
    return jsonify({
        "key": key,
        "url": url_for("versions.history", key=key, _external=True),
        "versions": [
            {
                "version": step.version.number,
                "state": step.version.state,
                "published_at": step.version.published_at.isoformat() if step.version.published_at else None,
                "change": step.change,
                "texts": texts_of(step.item),
                "proposals": step.proposals,
                "editorial": [_editorial_json(change) for change in step.editorial],
            }
            for step in steps
        ],
        "rounds": [{"id": r.id, "url": url_for("rounds.show", round_id=r.id, _external=True)} for r in rounds],
    })
