"""The JSON API, version 1: the blueprint, the strategy and the OpenAPI document.

Every route is declared with ``endpoint()`` (``endpoint.py``), which also documents it."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, url_for
from flask_login import current_user

from .. import db, permissions
from ..strategy.models import StrategyItem, StrategyVersion
from ..strategy.services import current_version, load_tree, version_by_number
from . import models
from .common import localized_json
from .endpoint import endpoint
from .openapi import document

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def item_json(item: StrategyItem, version: StrategyVersion) -> dict:
    data = {
        "key": item.key,
        "kind": item.kind,
        "position": item.position,
        "example": item.is_example,
        "title": localized_json(item, "title"),
        "summary": localized_json(item, "summary"),
        "body": localized_json(item, "body"),
        "url": url_for("strategy.item", number=version.number, key=item.key, _external=True),
    }
    if item.kind == "field":
        data["targets"] = [item_json(target, version) for target in item.children]
    return data


def version_json(version: StrategyVersion) -> dict:
    tree = load_tree(db.session(), version)
    return {
        "version": version.number,
        "state": version.state,
        "title": localized_json(version, "title"),
        "adopted_on": version.adopted_on.isoformat() if version.adopted_on else None,
        "published_at": version.published_at.isoformat() if version.published_at else None,
        "url": url_for("strategy.overview", number=version.number, _external=True),
        "vision": item_json(tree.vision, version) if tree.vision else None,
        "mission": item_json(tree.mission, version) if tree.mission else None,
        "coordinates": [item_json(item, version) for item in tree.coordinates],
        "fields": [item_json(item, version) for item in tree.fields],
    }


@endpoint(bp, "GET", "/strategy", "The current published strategy version as a tree",
          answer=models.StrategyVersion)
def strategy():
    version = current_version(db.session())
    if version is None:
        abort(404)
    return jsonify(version_json(version))


@endpoint(bp, "GET", "/strategy/versions/<number>", "One strategy version by its number, e.g. 1.0",
          answer=models.StrategyVersion)
def strategy_version(number: str):
    version = version_by_number(db.session(), number)
    if version is None or not permissions.can_view_version(current_user, version):
        abort(404)
    return jsonify(version_json(version))


@endpoint(bp, "GET", "/openapi.json", "This document")
def openapi():
    return jsonify(document(url_for("api.openapi", _external=True).removesuffix("/openapi.json")))
