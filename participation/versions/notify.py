"""Telling participants: one mail per publication to everyone who opted in.

The unsubscribe link carries a signed token (no expiry: an old mail's link still works) and
leads to a page whose button switches the mails off — a GET never changes anything, so mail
scanners that follow links cannot unsubscribe anyone.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, has_request_context, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..mail.services import queue
from ..strategy.models import StrategyVersion

UNSUBSCRIBE = "unsubscribe-strategy-updates"
# Where residents see what became of their contributions (consolidation, step 5).
CONTRIBUTIONS_PATH = "/konto/beitraege"


def base_url() -> str:
    """The public address of the site, for links in mail: configured, else from the request."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return url_for("strategy.home", _external=True).rstrip("/")


def public_url(endpoint: str, **values: object) -> str:
    """An absolute link to ``endpoint`` at the public address (see ``base_url``)."""
    return base_url() + url_for(endpoint, **values)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE)


def unsubscribe_token(user: User) -> str:
    return _serializer().dumps({"u": user.id})


def user_from_token(db: Session, token: str) -> User | None:
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = db.get(User, data["u"])
    return None if user is None or user.is_deleted else user


def subscribers(db: Session) -> list[User]:
    return list(db.scalars(
        sa.select(User).where(User.notify_strategy_updates.is_(True), User.confirmed_at.is_not(None),
                              User.deleted_at.is_(None), User.email.is_not(None)).order_by(User.id)
    ))


def notify_subscribers(db: Session, version: StrategyVersion) -> int:
    """Queue one mail per opted-in, confirmed account, in its language. Returns the count."""
    from .services import compare, summary

    recipients = subscribers(db)
    if not recipients:
        return 0
    counts = summary(compare(db, version.based_on, version)) if version.based_on else None
    context = {
        "version": version,
        "counts": counts,
        "version_link": public_url("strategy.overview", number=version.number),
        "compare_link": (public_url("versions.compare", a=version.based_on.number, b=version.number)
                         if version.based_on else None),
        "contributions_link": base_url() + CONTRIBUTIONS_PATH,
    }
    for user in recipients:
        queue(db, user.email, "strategy_updated", user.language, user_id=user.id, user=user,
              unsubscribe_link=public_url("versions.unsubscribe", token=unsubscribe_token(user)), **context)
    return len(recipients)
