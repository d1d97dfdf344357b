"""Public pages of the strategy: home, overview, one page per item."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from .. import db, permissions
from ..rounds.services import RATEABLE_KINDS, open_rounds, open_rounds_with_item
from .services import (
    all_versions,
    current_version,
    item_by_key,
    load_tree,
    neighbours,
    version_by_number,
)

bp = Blueprint("strategy", __name__, template_folder="templates")


def _version_or_404(number: str | None):
    session = db.session()
    version = version_by_number(session, number) if number else current_version(session)
    if version is None or not permissions.can_view_version(current_user, version):
        abort(404)
    return version


@bp.get("/")
def home():
    session = db.session()
    version = current_version(session)
    tree = load_tree(session, version) if version else None
    return render_template("strategy/home.html", version=version, tree=tree, open_rounds=open_rounds(session))


@bp.get("/strategie")
@bp.get("/strategie/versionen/<number>")
def overview(number: str | None = None):
    version = _version_or_404(number)
    tree = load_tree(db.session(), version)
    return render_template(
        "strategy/overview.html", version=version, tree=tree, pinned=number is not None
    )


@bp.get("/strategie/versionen")
def versions():
    visible = [v for v in all_versions(db.session()) if permissions.can_view_version(current_user, v)]
    return render_template("strategy/versions.html", versions=visible, current=current_version(db.session()))


@bp.get("/strategie/<path:key>")
@bp.get("/strategie/versionen/<number>/<path:key>")
def item(key: str, number: str | None = None):
    session = db.session()
    version = _version_or_404(number)
    found = item_by_key(session, version, key)
    if found is None:
        abort(404)
    tree = load_tree(session, version)
    previous_item, next_item = neighbours(tree, found)
    return render_template(
        "strategy/item.html",
        version=version,
        item=found,
        previous_item=previous_item,
        next_item=next_item,
        pinned=number is not None,
        rounds=open_rounds_with_item(session, found) if found.kind in RATEABLE_KINDS else [],
    )


def item_url(item, version=None, pinned: bool = False, external: bool = False) -> str:
    """Stable URL of an item: by key, within the current version unless pinned to one."""
    from flask import url_for

    if pinned and version is not None:
        return url_for("strategy.item", number=version.number, key=item.key, _external=external)
    return url_for("strategy.item", key=item.key, _external=external)


@bp.app_context_processor
def _helpers() -> dict:
    return {"item_url": item_url}
