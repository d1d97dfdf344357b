"""Queue mail with the change that causes it; deliver it later with retries.

``queue`` only adds a row to the outbox in the caller's transaction, so a message exists
exactly when the change it reports was committed. ``deliver_due`` sends what is due, by SMTP
or (in development) as files under ``instance/mail/``.
"""

from __future__ import annotations

import contextlib
import logging
import re
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, g, render_template
from flask_babel import force_locale
from sqlalchemy.orm import Session

from .. import db
from ..db import utcnow
from .models import OutboxMessage

log = logging.getLogger(__name__)
URL_RE = re.compile(r"https?://\S+")
BATCH_SIZE = 100


def queue(
    session: Session,
    recipient: str,
    template: str,
    language: str,
    user_id: int | None = None,
    **context: object,
) -> OutboxMessage:
    """Render ``mail/<template>.txt`` in the recipient's language and add it to the outbox.

    The template's first line is ``Subject: …``; the rest is the body.
    """
    with force_locale(language):
        rendered = render_template(f"mail/{template}.txt", **context)
    first, _, body = rendered.lstrip().partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"mail/{template}.txt must start with a 'Subject:' line")
    message = OutboxMessage(
        recipient=recipient,
        subject=first.removeprefix("Subject:").strip(),
        body_text=body.strip() + "\n",
        user_id=user_id,
    )
    session.add(message)
    session.flush()
    g.mail_queued = True
    return message


def _backoff(attempts: int) -> timedelta:
    # 1, 2, 4, … minutes, at most six hours between tries.
    return timedelta(minutes=min(2 ** (attempts - 1), 360))


def _as_email(message: OutboxMessage) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = current_app.config["MAIL_SENDER"]
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(localtime=False)
    sender_domain = current_app.config["MAIL_SENDER"].rpartition("@")[2].strip("> ")
    mail["Message-ID"] = make_msgid(domain=sender_domain or None)
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message.body_text)
    return mail


class _SMTPTransport:
    def __init__(self) -> None:
        self.connection: smtplib.SMTP | None = None

    def send(self, mail: EmailMessage) -> None:
        if self.connection is None:
            self.connection = self._connect()
        self.connection.send_message(mail)

    def _connect(self) -> smtplib.SMTP:
        config = current_app.config
        host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
        if config["MAIL_USE_SSL"]:
            context = ssl.create_default_context()
            connection: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            connection = smtplib.SMTP(host, port, timeout=timeout)
            if config["MAIL_USE_TLS"]:
                connection.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        return connection

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.connection.quit()
            self.connection = None


class _FileTransport:
    """Development: each message becomes an .eml file; links are printed on the console."""

    def __init__(self) -> None:
        self.directory = Path(current_app.config["MAIL_DIR"])

    def send(self, mail: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%d-%H%M%S-%f")
        path = self.directory / f"{stamp}.eml"
        path.write_bytes(bytes(mail))
        body = mail.get_content()
        links = URL_RE.findall(body)
        lines = [f"Mail to {mail['To']}: {mail['Subject']} ({path})"]
        lines += [f"    link: {link}" for link in links]
        print("\n".join(lines), flush=True)  # noqa: T201 - the console is the developer's inbox

    def close(self) -> None:
        pass


def _claim_next(session: Session) -> OutboxMessage | None:
    """Lock one due message; other senders running at the same time skip it."""
    return session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.state == "queued", OutboxMessage.next_attempt_at <= utcnow())
        .order_by(OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()


def deliver_due(session: Session, limit: int = BATCH_SIZE) -> dict[str, int]:
    """Send queued messages that are due, committing after each so none is sent twice."""
    config = current_app.config
    counts = {"sent": 0, "retry": 0, "failed": 0}
    transport = _SMTPTransport() if config["MAIL_BACKEND"] == "smtp" else _FileTransport()
    try:
        for _ in range(limit):
            message = _claim_next(session)
            if message is None:
                break
            message.attempts += 1
            try:
                transport.send(_as_email(message))
            except (OSError, smtplib.SMTPException) as exc:
                transport.close()
                message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if message.attempts >= config["MAIL_MAX_ATTEMPTS"]:
                    message.state = "failed"
                    counts["failed"] += 1
                    log.error("Giving up on mail %s after %s attempts: %s", message.id, message.attempts, exc)
                else:
                    message.next_attempt_at = utcnow() + _backoff(message.attempts)
                    counts["retry"] += 1
                    log.warning("Mail %s not sent (attempt %s): %s", message.id, message.attempts, exc)
            else:
                message.state = "sent"
                message.sent_at = utcnow()
                message.last_error = None
                counts["sent"] += 1
            session.commit()
    finally:
        transport.close()
        session.rollback()
    return counts


def init_app(app: Flask) -> None:
    if not app.config["MAIL_DELIVER_INLINE"]:
        return

    @app.after_request
    def _deliver_inline(response):
        # Development and tests: deliver right after the request committed its mail.
        if g.pop("mail_queued", False):
            try:
                deliver_due(db.session())
            except Exception:  # a broken mail server must not break the page
                log.exception("Inline mail delivery failed; the message stays queued")
                db.session().rollback()
        return response
