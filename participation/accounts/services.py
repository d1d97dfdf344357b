"""Account use cases. Plain functions: they take the actor and data, flush, never commit."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import utcnow
from ..mail import services as mail
from ..mail.models import OutboxMessage
from ..text import TextError, clean_display_name
from ..urls import public_url
from . import passwords, tokens
from .models import ROLES, User, new_session_token


def normalize_email(email: str) -> str:
    return email.strip().lower()


def user_by_email(db: Session, email: str) -> User | None:
    return db.scalars(sa.select(User).where(User.email == normalize_email(email))).first()


# Built once: every request of a logged-in person runs it (its SQL is compiled once per process).
_USER_BY_ID = sa.select(User).where(User.id == sa.bindparam("user_id"))


def user_by_session_id(db: Session, session_id: str) -> User | None:
    """Flask-Login's user loader: ``<id>:<session token>``; a rotated token ends the session."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.execute(_USER_BY_ID, {"user_id": int(user_id)}).scalar_one_or_none()
    if user is None or not hmac.compare_digest(user.session_token, token):
        return None
    return user


def _confirm_link(user: User, next_path: str | None = None) -> str:
    extra = {"n": next_path} if next_path else {}
    return public_url("accounts.confirm", token=tokens.make(user, tokens.CONFIRM, **extra))


def register(
    db: Session, email: str, display_name: str, password: str, language: str,
    next_path: str | None = None,
) -> User | None:
    """Create an unconfirmed account and send the confirmation link.

    An address that is already registered gets a note instead, and the caller answers the
    same either way, so the form does not reveal who has an account.
    """
    email = normalize_email(email)
    password_hash = passwords.hash_password(password)  # also when unused: same timing
    existing = user_by_email(db, email)
    if existing is not None:
        mail.queue(
            db, email, "already_registered", existing.language, user_id=existing.id,
            user=existing, login_url=public_url("accounts.login"),
            reset_url=public_url("accounts.forgot_password"),
            resend_url=public_url("accounts.resend_confirmation"),
        )
        return None
    now = utcnow()
    user = User(
        email=email, display_name=display_name, password_hash=password_hash,
        language=language, privacy_consent_at=now, created_at=now,
    )
    try:
        with db.begin_nested():  # the same address registered at the same moment: one wins
            db.add(user)
            db.flush()
    except sa.exc.IntegrityError:
        return None  # the caller answers as for any registered address
    send_confirmation(db, user, next_path)
    return user


def send_confirmation(db: Session, user: User, next_path: str | None = None) -> None:
    mail.queue(
        db, user.email or "", "confirm", user.language, user_id=user.id,
        user=user, link=_confirm_link(user, next_path),
        hours=_hours("CONFIRM_TOKEN_MAX_AGE"),
    )


def resend_confirmation(db: Session, email: str) -> None:
    """A new link for an unconfirmed account; silently nothing for any other address."""
    user = user_by_email(db, email)
    if user is not None and not user.is_confirmed:
        send_confirmation(db, user)


def confirm(db: Session, user: User) -> None:
    user.confirmed_at = utcnow()
    db.flush()


@dataclass
class LoginResult:
    user: User | None
    problem: str | None  # None, "wrong", "unconfirmed"


def authenticate(db: Session, email: str, password: str) -> LoginResult:
    user = user_by_email(db, email)
    # Unknown addresses get the same password-hash work as known ones (a dummy hash), so
    # the answer's timing does not tell who has an account.
    if not passwords.verify(user.password_hash if user is not None else None, password) or user is None:
        return LoginResult(None, "wrong")
    if not user.is_confirmed:
        return LoginResult(user, "unconfirmed")
    user.last_login_at = utcnow()
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)  # upgrade old hashes on log-in
    db.flush()
    return LoginResult(user, None)


def request_password_reset(db: Session, email: str) -> None:
    """Mail a reset link if the address belongs to an account; the caller answers the same."""
    user = user_by_email(db, email)
    if user is None:
        return
    link = public_url("accounts.reset_password", token=tokens.make(user, tokens.RESET))
    mail.queue(
        db, user.email or "", "reset_password", user.language, user_id=user.id,
        user=user, link=link, hours=_hours("RESET_TOKEN_MAX_AGE"),
    )


def set_password(db: Session, user: User, password: str) -> None:
    """New password; every other session of this user ends (the token changes)."""
    user.password_hash = passwords.hash_password(password)
    user.session_token = new_session_token()
    if not user.is_confirmed:
        # The reset link came by e-mail, which proves the address as well.
        user.confirmed_at = utcnow()
    db.flush()
    mail.queue(db, user.email or "", "password_changed", user.language, user_id=user.id, user=user,
               reset_url=public_url("accounts.forgot_password"))


def end_sessions(db: Session, user: User) -> None:
    """Log out everywhere: sessions and "stay logged in" cookies carry the old token."""
    user.session_token = new_session_token()
    db.flush()


def update_profile(
    db: Session, user: User, display_name: str, language: str, district: str | None,
    age_bracket: str | None = None,
) -> None:
    user.display_name = display_name
    user.language = language
    user.district = district or None
    user.age_bracket = age_bracket or None
    db.flush()


def create_user(
    db: Session, email: str, display_name: str, role: str, password: str
) -> User:
    """A confirmed account, for bootstrapping from the console."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if user_by_email(db, email) is not None:
        raise ValueError(f"an account with the address {normalize_email(email)} exists already")
    try:
        display_name = clean_display_name(display_name, staff=True)
    except TextError as error:
        raise ValueError(error.message) from None
    now = utcnow()
    user = User(
        email=normalize_email(email), display_name=display_name, role=role,
        password_hash=passwords.hash_password(password), confirmed_at=now, created_at=now,
        privacy_consent_at=None,
    )
    db.add(user)
    db.flush()
    return user


# --- your data and deleting the account ---------------------------------------------------

# Later features (ratings, comments, …) append a function returning (section name, data).
EXPORT_SECTIONS: list[Callable[[Session, User], tuple[str, Any]]] = []


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def export_data(db: Session, user: User) -> dict[str, Any]:
    data: dict[str, Any] = {
        "exported_at": _iso(utcnow()),
        "account": {
            "id": user.id,
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role,
            "language": user.language,
            "district": user.district,
            "age_bracket": user.age_bracket,
            "created_at": _iso(user.created_at),
            "privacy_consent_at": _iso(user.privacy_consent_at),
            "confirmed_at": _iso(user.confirmed_at),
            "last_login_at": _iso(user.last_login_at),
        },
        "emails": [
            {
                "subject": message.subject,
                "state": message.state,
                "created_at": _iso(message.created_at),
                "sent_at": _iso(message.sent_at),
            }
            for message in db.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.user_id == user.id).order_by(OutboxMessage.id)
            )
        ],
    }
    for section in EXPORT_SECTIONS:
        name, value = section(db, user)
        data[name] = value
    return data


def delete_account(db: Session, user: User) -> None:
    """Erase personal data; the row stays, nameless, so contributions remain anonymised."""
    db.execute(sa.delete(OutboxMessage).where(OutboxMessage.user_id == user.id))
    user.email = None
    user.display_name = None
    user.password_hash = None
    user.district = None
    user.age_bracket = None
    user.last_login_at = None
    user.privacy_consent_at = None
    user.session_token = new_session_token()
    user.deleted_at = utcnow()
    db.flush()


def _hours(config_key: str) -> int:
    from flask import current_app

    return current_app.config[config_key] // 3600
