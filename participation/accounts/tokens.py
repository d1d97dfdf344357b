"""Signed, expiring tokens for links in e-mails (confirmation, password reset).

A token carries a fingerprint of the state it may change, so it works once: after the
address is confirmed or the password changed, the same link reports "already used".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from .models import User

CONFIRM = "confirm-email"
RESET = "reset-password"


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def _fingerprint(user: User, purpose: str) -> str:
    state = (user.email or "") if purpose == CONFIRM else (user.password_hash or "")
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def make(user: User, purpose: str, **extra: str) -> str:
    return _serializer(purpose).dumps({"u": user.id, "f": _fingerprint(user, purpose), **extra})


@dataclass
class Checked:
    status: str  # "ok", "expired", "invalid", "used"
    user: User | None = None
    data: dict | None = None


def check(db: Session, token: str, purpose: str) -> Checked:
    max_age = current_app.config["CONFIRM_TOKEN_MAX_AGE" if purpose == CONFIRM else "RESET_TOKEN_MAX_AGE"]
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        return Checked("expired")
    except BadSignature:
        return Checked("invalid")
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return Checked("invalid")
    user = db.get(User, data["u"])
    if user is None or user.is_deleted:
        return Checked("invalid")
    if data.get("f") != _fingerprint(user, purpose):
        return Checked("used", user, data)
    if purpose == CONFIRM and user.is_confirmed:
        return Checked("used", user, data)
    return Checked("ok", user, data)
