"""The console script and the mail outbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from participation.accounts.models import User
from participation.mail import services as mail
from participation.mail.models import OutboxMessage

from .conftest import PASSWORD, free_port

ROOT = Path(__file__).resolve().parent.parent


def test_users_create_makes_a_confirmed_account(app, db, client, login):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "Admin@Example.org", "--name", "Amt", "--role", "admin", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    admin = db.scalar(sa.select(User).where(User.email == "admin@example.org"))
    assert admin.role == "admin" and admin.is_confirmed
    assert login("admin@example.org").status_code == 302


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["users", "create", "a@example.org", "--name", "A", "--password-stdin"], "password1234\n", "too common"),
        (["users", "create", "not-an-address", "--name", "A", "--password-stdin"], PASSWORD + "\n", "not a valid e-mail"),
        (["users", "create", "a@example.org", "--name", "A", "--role", "king", "--password-stdin"], PASSWORD + "\n", "Invalid value"),
        (["users", "create", "a@example.org", "--name", "A"], "", "--password-stdin"),
        (["users", "create", "a@example.org", "--name", "x" * 61, "--password-stdin"], PASSWORD + "\n", "1 to 60"),
    ],
)
def test_users_create_refuses_bad_input(app, db, args, stdin, message):
    result = app.test_cli_runner().invoke(args=args, input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert db.scalar(sa.select(sa.func.count()).select_from(User).where(User.email == "a@example.org")) == 0


def test_users_create_refuses_a_second_account_for_an_address(app, make_user):
    make_user("anna@example.org")
    result = app.test_cli_runner().invoke(
        args=["users", "create", "anna@example.org", "--name", "A", "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 1 and "exists already" in result.output


def test_users_set_role(app, db, make_user):
    anna = make_user()
    result = app.test_cli_runner().invoke(args=["users", "set-role", "anna@example.org", "moderator"])
    assert result.exit_code == 0
    db.expire_all()
    assert db.get(User, anna.id).role == "moderator"


def _queue(app, db, recipient="anna@example.org"):
    with app.test_request_context():
        from participation import db as db_module

        session = db_module.session()
        user = User(email=recipient, display_name="Anna", language="en")
        message = mail.queue(session, recipient, "password_changed", "en", user=user, reset_url="http://x/")
        session.commit()
        return message.id


def test_mail_send_retries_then_delivers(app, db, mailbox, smtp_server, time_machine):
    time_machine.move_to("2026-12-01 10:00:00+00:00", tick=False)
    app.config.update(MAIL_PORT=free_port(), MAIL_DELIVER_INLINE=False)  # nobody listens there
    message_id = _queue(app, db)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["mail", "send"])
    assert "sent 0, to retry 1" in result.output
    db.expire_all()
    message = db.get(OutboxMessage, message_id)
    assert message.state == "queued" and message.attempts == 1 and message.last_error
    # The server is back, but the message is not due before its back-off has passed.
    app.config["MAIL_PORT"] = smtp_server.port
    assert "sent 0, to retry 0" in runner.invoke(args=["mail", "send"]).output
    time_machine.move_to("2026-12-01 10:01:01+00:00", tick=False)
    assert "sent 1" in runner.invoke(args=["mail", "send"]).output
    db.expire_all()
    message = db.get(OutboxMessage, message_id)
    assert message.state == "sent" and message.sent_at is not None and message.last_error is None
    assert len(mailbox.to("anna@example.org")) == 1


def test_mail_send_delivers_in_the_recipients_language(app, db, mailbox, smtp_server):
    app.config["MAIL_DELIVER_INLINE"] = False
    _queue(app, db, "bob@example.org")
    assert mailbox.to("bob@example.org") == []
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert "sent 1" in result.output
    message = mailbox.last_to("bob@example.org")
    assert message["Subject"] == "Your password was changed"
    assert message["Auto-Submitted"] == "auto-generated"


def test_mail_gives_up_after_max_attempts(app, db, time_machine):
    time_machine.move_to("2026-12-01 10:00:00+00:00", tick=False)
    app.config.update(MAIL_PORT=free_port(), MAIL_MAX_ATTEMPTS=2)
    message_id = _queue(app, db)
    runner = app.test_cli_runner()
    runner.invoke(args=["mail", "send"])
    time_machine.move_to("2026-12-01 10:05:00+00:00", tick=False)
    result = runner.invoke(args=["mail", "send"])
    assert "failed 1" in result.output
    db.expire_all()
    assert db.get(OutboxMessage, message_id).state == "failed"


def test_mail_is_queued_only_when_the_change_commits(app, db, mailbox):
    with app.test_request_context():
        from participation import db as db_module

        session = db_module.session()
        mail.queue(session, "carl@example.org", "password_changed", "de",
                   user=User(display_name="Carl"), reset_url="http://x/")
        session.rollback()
    assert db.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                     .where(OutboxMessage.recipient == "carl@example.org")) == 0


def test_development_mail_lands_in_files_and_links_are_printed(app, db, tmp_path, capsys):
    app.config.update(MAIL_BACKEND="file", MAIL_DIR=str(tmp_path / "mail"))
    client = app.test_client()
    from .conftest import Client

    Client(client).submit("/register", {"email": "dora@example.org", "display_name": "Dora",
                                         "password": PASSWORD, "consent": "y"})
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    assert "dora@example.org" in files[0].read_text()
    printed = capsys.readouterr().out
    assert "link: http://localhost/bestaetigen/" in printed


def test_console_script_is_installed_and_runs(tmp_path):
    script = Path(sys.executable).parent / "participation"
    assert script.exists()
    env = {**os.environ, "PARTICIPATION_ENV": "development", "PARTICIPATION_INSTANCE_PATH": str(tmp_path)}
    env.pop("PARTICIPATION_DATABASE_URL", None)
    for args in (["db", "upgrade"], ["strategy", "seed"], ["strategy", "seed"]):
        result = subprocess.run([str(script), *args], env=env, capture_output=True, text=True, cwd=ROOT, check=False)
        assert result.returncode == 0, result.stderr
    assert "exists already" in result.stdout
    result = subprocess.run([str(script), "strategy", "export", "1.0"], env=env, capture_output=True,
                            text=True, cwd=ROOT, check=True)
    assert result.stdout.startswith("# Strategy file")
    result = subprocess.run([str(script), "strategy", "export", "9.9"], env=env, capture_output=True,
                            text=True, cwd=ROOT, check=False)
    assert result.returncode == 1 and "no version '9.9'" in result.stderr


def test_demo_creates_an_open_round_to_click_through_once(app, db, client, login):
    from participation.comments.models import Comment
    from participation.ratings.models import Rating
    from participation.rounds.models import Round

    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    round_ = db.scalar(sa.select(Round))
    assert round_.state == "open" and round_.results_visibility == "live"
    assert db.scalar(sa.select(sa.func.count()).select_from(Rating)) > 100
    assert db.scalar(sa.select(sa.func.count()).select_from(Comment)) == 6
    # Through the services: the tallies agree with the ratings.
    verify = app.test_cli_runner().invoke(args=["ratings", "verify-tallies"])
    assert verify.exit_code == 0 and "exact" in verify.output, verify.output
    password = result.output.split("password: ")[1].split()[0]
    assert login("admin@example.org", password).status_code == 302
    assert "Beispielrunde" in client.get(f"/runden/{round_.id}").get_data(as_text=True)
    again = app.test_cli_runner().invoke(args=["demo"])
    assert again.exit_code == 0 and "no demo content added" in again.output
    assert db.scalar(sa.select(sa.func.count()).select_from(Round)) == 1
