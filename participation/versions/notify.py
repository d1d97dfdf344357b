"""Telling participants: one mail per publication to everyone who opted in.

The unsubscribe link carries a signed token (no expiry: an old mail's link still works) and
leads to a page whose button switches the mails off — a GET never changes anything, so mail
scanners that follow links cannot unsubscribe anyone.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, g, has_request_context, render_template, request, url_for
from flask_babel import force_locale
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..mail.models import OutboxMessage
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


def unsubscribe_token(user_id: int) -> str:
    return _serializer().dumps({"u": user_id})


def user_from_token(db: Session, token: str) -> User | None:
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = db.get(User, data["u"])
    return None if user is None or user.is_deleted else user


# Stand-ins for what differs per recipient: the mail is rendered once per language.
_NAME, _LINK, _TOKEN = "\x00name\x00", "\x00unsubscribe\x00", "placeholder"
BATCH = 1000


def _render(language: str, context: dict) -> tuple[str, str]:
    with force_locale(language):
        text = render_template("mail/strategy_updated.txt", user_name=_NAME, unsubscribe_link=_LINK, **context)
    first, _, body = text.lstrip().partition("\n")
    return first.removeprefix("Subject:").strip(), body.strip() + "\n"


def notify_subscribers(db: Session, version: StrategyVersion) -> int:
    """Queue one mail per opted-in, confirmed account, in its language. Returns the count.

    The messages go to the outbox in the caller's transaction, like ``mail.services.queue``,
    but rendered once per language and inserted in batches: one ``queue`` call per recipient
    took 2 ms each (20 s for 10,000 subscribers, see ``benchmarks/versions.py``).
    """
    from .services import compare, summary

    recipients = db.execute(
        sa.select(User.id, User.email, User.display_name, User.language)
        .where(User.notify_strategy_updates.is_(True), User.confirmed_at.is_not(None),
               User.deleted_at.is_(None), User.email.is_not(None)).order_by(User.id)
    ).all()
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
    rendered = {language: _render(language, context) for language in {r.language for r in recipients}}
    unsubscribe = public_url("versions.unsubscribe", token=_TOKEN).removesuffix(_TOKEN)
    rows = []
    for recipient in recipients:
        subject, body = rendered[recipient.language]
        token = unsubscribe_token(recipient.id)
        rows.append({
            "recipient": recipient.email, "subject": subject, "user_id": recipient.id,
            "body_text": body.replace(_NAME, recipient.display_name or "").replace(_LINK, unsubscribe + token),
        })
    for first in range(0, len(rows), BATCH):
        db.execute(sa.insert(OutboxMessage), rows[first:first + BATCH])
    g.mail_queued = True
    return len(rows)
