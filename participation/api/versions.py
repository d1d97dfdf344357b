"""Comparing strategy versions and an item's history in the JSON API (answers: ``versions/schemas.py``)."""

from __future__ import annotations

from flask import jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import db, permissions
from ..errors import json_error
from ..query import Text
from ..strategy.services import version_by_number
from ..versions import schemas
from ..versions.models import EditorialChange
from ..versions.services import compare, history, rounds_with_key, summary, texts_of
from .endpoint import endpoint
from .views import bp

FROM = Text("from", "The older version's number, e.g. 1.0", required=True)
TO = Text("to", "The newer version's number, e.g. 2.0", required=True)


def _editorial_json(change: EditorialChange) -> dict:
    return {
        "id": change.id,
        "reason": change.reason,
        "fields": change.fields,
        "before": change.before,
        "after": change.after,
        "created_at": change.created_at.isoformat(),
    }


def _version_param(number: str):
    version = version_by_number(db.session(), number)
    if version is None or not permissions.can_view_version(current_user, version):
        return None, json_error(404, "not_found", _("There is no version %(number)s.", number=number))
    return version, None


@endpoint(bp, "GET", "/strategy/compare",
          "Every item of two versions: unchanged, changed, added or removed, with the reasons",
          answer=schemas.VersionComparison, query=(FROM, TO),
          errors={400: "A parameter is missing (bad_request)", 404: "A version does not exist (not_found)"})
def strategy_compare(query: dict):
    older, error = _version_param(query["from"])
    if error is not None:
        return error
    newer, error = _version_param(query["to"])
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


@endpoint(bp, "GET", "/strategy/items/<path:key>/history",
          "One item's texts through the versions, what changed and why, and its rounds",
          answer=schemas.ItemHistory, errors={404: "No version has this item (not_found)"})
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
