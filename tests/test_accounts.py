"""Registration, confirmation, log-in, reset, profile, data download and deletion."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from participation.accounts.models import User
from participation.mail.models import OutboxMessage

from .conftest import PASSWORD


def comparable(response, *addresses: str) -> str:
    """The page without what differs on every request (CSRF tokens) or by the address typed."""
    html = re.sub(r'(content|value)="[\w.-]{40,}"', "TOKEN", response.get_data(as_text=True))
    for address in addresses:
        html = html.replace(address, "ADDRESS")
    return html


def confirm(client, link: str):
    return client.submit(link.removeprefix("http://localhost"))


def register(client, email="ben@example.org", name="Ben", password=PASSWORD, consent="y", **extra):
    data = {"email": email, "display_name": name, "password": password, **extra}
    if consent:
        data["consent"] = consent
    return client.submit("/register", data)


def user(db, email) -> User | None:
    db.expire_all()
    return db.scalars(sa.select(User).where(User.email == email)).first()


def test_register_confirm_by_mail_and_log_in(client, db, mailbox):
    response = register(client)
    assert response.status_code == 200
    assert "ben@example.org" in response.get_data(as_text=True)
    created = user(db, "ben@example.org")
    assert created is not None and created.confirmed_at is None
    assert created.privacy_consent_at is not None
    assert created.password_hash.startswith("scrypt:")

    # Unconfirmed accounts cannot log in; the page offers a new link.
    response = client.submit("/login", {"email": "ben@example.org", "password": PASSWORD})
    assert response.status_code == 403
    assert "/bestaetigung-erneut" in response.get_data(as_text=True)

    # The real SMTP server received the message; following the link confirms and logs in.
    message = mailbox.last_to("ben@example.org")
    assert "bestätigen" in message["Subject"] or "confirm" in message["Subject"].lower()
    link = mailbox.link("ben@example.org", "/bestaetigen/")
    page = client.get(link)  # opening the link only shows a button
    assert page.status_code == 200 and "ben@example.org" in page.get_data(as_text=True)
    assert user(db, "ben@example.org").confirmed_at is None
    response = confirm(client, link)
    assert response.status_code == 302
    assert user(db, "ben@example.org").confirmed_at is not None
    assert client.get("/konto").status_code == 200

    # The same link again: already used, sends to the log-in page.
    response = client.get(link)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")

    client.submit("/logout")
    assert client.get("/konto").status_code == 302
    response = client.submit("/login", {"email": "BEN@example.org ", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/konto").status_code == 200


def test_register_comes_back_to_the_page_it_started_from(client, mailbox):
    register(client, next="/strategie/mobilitaet-verkehr/zielbild-2")
    response = confirm(client, mailbox.link("ben@example.org", "/bestaetigen/"))
    assert response.headers["Location"].endswith("/strategie/mobilitaet-verkehr/zielbild-2")


def test_register_refuses_open_redirects(client, mailbox):
    register(client, next="https://evil.example/")
    response = confirm(client, mailbox.link("ben@example.org", "/bestaetigen/"))
    assert "evil" not in response.headers["Location"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "not-an-address"}, "email", "gültige E-Mail-Adresse"),
        ({"email": ""}, "email", "E-Mail-Adresse ein"),
        ({"password": "kurz"}, "password", "mindestens 10 Zeichen"),
        ({"password": "password1234"}, "password", "zu leicht zu erraten"),
        ({"password": "ben@example.org1"}, "password", "zu leicht zu erraten"),
        ({"consent": None}, "consent", "Datenschutzhinweisen zu"),
        ({"name": "x" * 61}, "display_name", "höchstens 60 Zeichen"),
        ({"name": "   "}, "display_name", "Anzeigenamen ein"),
    ],
)
def test_register_bad_input_is_explained_next_to_the_field(client, db, mailbox, changes, field, message):
    data = {"email": "ben@example.org", "name": "Ben", "password": PASSWORD, "consent": "y"} | changes
    response = register(client, **data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    # The error is linked to its field and the form is refilled.
    assert re.search(rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error', html) or re.search(
        rf'aria-describedby="[^"]*{field}-error[^"]*"[^>]*id="{field}"', html
    )
    assert f'id="{field}-error"' in html
    if field != "email" and changes.get("email") is None:
        assert 'value="ben@example.org"' in html
    assert db.scalar(sa.select(sa.func.count()).select_from(User).where(User.email == "ben@example.org")) == 0
    assert mailbox.messages == []


def test_register_answers_the_same_for_known_addresses(client, make_user, mailbox, db):
    make_user("anna@example.org")
    known = register(client, email="anna@example.org", name="Other")
    unknown = register(client, email="new@example.org", name="New")
    assert known.status_code == unknown.status_code == 200
    assert comparable(known, "anna@example.org") == comparable(unknown, "new@example.org")
    # The owner of the known address is told, not a second account created.
    assert "already" in mailbox.last_to("anna@example.org").get_content() or "bereits" in mailbox.last_to("anna@example.org").get_content()
    assert db.scalar(sa.select(sa.func.count()).select_from(User).where(User.email == "anna@example.org")) == 1


def test_resend_confirmation_sends_a_new_working_link(client, mailbox, db):
    register(client)
    client.submit("/bestaetigung-erneut", {"email": "ben@example.org"})
    assert len(mailbox.to("ben@example.org")) == 2
    response = confirm(client, mailbox.link("ben@example.org", "/bestaetigen/"))
    assert response.status_code == 302
    assert user(db, "ben@example.org").is_confirmed
    # Unknown addresses get the same answer and no mail.
    response = client.submit("/bestaetigung-erneut", {"email": "nobody@example.org"})
    assert response.status_code == 200 and mailbox.to("nobody@example.org") == []


@pytest.mark.parametrize("token", ["garbage", "eyJ1IjoxfQ.forged.signature"])
def test_forged_confirmation_links_offer_a_new_one(client, token):
    response = client.get(f"/bestaetigen/{token}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "/bestaetigung-erneut" in html


def test_expired_confirmation_link(client, mailbox, app, time_machine):
    time_machine.move_to("2026-12-01 10:00:00+00:00", tick=False)
    register(client)
    link = mailbox.link("ben@example.org", "/bestaetigen/")
    time_machine.move_to("2026-12-05 10:00:01+00:00", tick=False)  # 72 h later and a bit
    for response in (client.get(link), confirm(client, link)):
        assert response.status_code == 400
        assert "abgelaufen" in response.get_data(as_text=True)


def test_login_wrong_password_and_unknown_address_answer_alike(client, make_user):
    make_user()
    wrong = client.submit("/login", {"email": "anna@example.org", "password": "Falsches-Passwort-1"})
    unknown = client.submit("/login", {"email": "nobody@example.org", "password": "Falsches-Passwort-1"})
    assert wrong.status_code == unknown.status_code == 422
    assert "E-Mail-Adresse oder das Passwort" in wrong.get_data(as_text=True)
    assert "E-Mail-Adresse oder das Passwort" in unknown.get_data(as_text=True)


def test_login_redirects_only_to_this_site(client, make_user, login):
    make_user()
    assert login(next="/strategie/vision").headers["Location"].endswith("/strategie/vision")
    client.submit("/logout")
    assert login(next="//evil.example/x").headers["Location"] in ("/", "http://localhost/")


def test_login_is_rate_limited(app, client, make_user):
    app.config["RATELIMIT_ENABLED"] = True
    from participation.extensions import limiter

    limiter.enabled = True
    limiter.reset()
    app.config["RATELIMIT_LOGIN"] = "3 per minute"
    make_user()
    statuses = [
        client.submit("/login", {"email": "anna@example.org", "password": "Falsches-Passwort-1"}).status_code
        for _ in range(4)
    ]
    assert statuses == [422, 422, 422, 429]
    response = client.submit("/login", {"email": "anna@example.org", "password": PASSWORD})
    assert response.status_code == 429
    assert "Zu viele Versuche" in response.get_data(as_text=True)
    limiter.reset()


def test_password_reset_by_mail_ends_other_sessions(app, client, make_user, mailbox, db):
    make_user()
    other_device = app.test_client()
    from .conftest import Client

    other = Client(other_device)
    other.submit("/login", {"email": "anna@example.org", "password": PASSWORD})
    assert other.get("/konto").status_code == 200

    response = client.submit("/passwort-vergessen", {"email": "anna@example.org"})
    assert response.status_code == 200
    same = client.submit("/passwort-vergessen", {"email": "nobody@example.org"})
    assert comparable(response, "anna@example.org") == comparable(same, "nobody@example.org")
    assert mailbox.to("nobody@example.org") == []

    link = mailbox.link("anna@example.org", "/passwort-neu/")
    path = link.removeprefix("http://localhost")
    bad = client.submit(path, {"password": "kurz"})
    assert bad.status_code == 422 and "mindestens 10 Zeichen" in bad.get_data(as_text=True)
    ok = client.submit(path, {"password": "Neues-Passwort-Kastanie-7"})
    assert ok.status_code == 302
    # The link works once.
    again = client.get(path)
    assert again.status_code == 400 and "bereits verwendet" in again.get_data(as_text=True)
    # The other device is logged out; the new password works; a notice was sent.
    assert other.get("/konto").status_code == 302
    assert mailbox.last_to("anna@example.org")["Subject"]
    client.submit("/logout")
    assert client.submit("/login", {"email": "anna@example.org", "password": PASSWORD}).status_code == 422
    assert client.submit("/login", {"email": "anna@example.org", "password": "Neues-Passwort-Kastanie-7"}).status_code == 302


def test_change_password_keeps_this_session_and_ends_others(app, client, make_user, login):
    from .conftest import Client

    make_user()
    other = Client(app.test_client())
    other.submit("/login", {"email": "anna@example.org", "password": PASSWORD})
    login()
    wrong = client.submit("/konto/passwort", {"current_password": "nope", "password": "Neues-Passwort-Kastanie-7"})
    assert wrong.status_code == 422 and "nicht Ihr aktuelles Passwort" in wrong.get_data(as_text=True)
    response = client.submit("/konto/passwort", {"current_password": PASSWORD, "password": "Neues-Passwort-Kastanie-7"})
    assert response.status_code == 302
    assert client.get("/konto").status_code == 200
    assert other.get("/konto").status_code == 302


def test_profile_edit(client, make_user, login, db):
    make_user()
    login()
    response = client.submit("/konto", {"display_name": "Anna M.", "language": "en", "district": "hiltrup"})
    assert response.status_code == 302
    saved = user(db, "anna@example.org")
    assert (saved.display_name, saved.language, saved.district) == ("Anna M.", "en", "hiltrup")
    # The page now speaks English.
    assert "My account" in client.get("/konto").get_data(as_text=True)
    bad = client.submit("/konto", {"display_name": "", "language": "fr", "district": "mars"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Please enter a display name." in html and "Not a valid choice" in html
    assert user(db, "anna@example.org").district == "hiltrup"
    client.submit("/konto", {"display_name": "Anna", "language": "de", "district": ""})
    assert user(db, "anna@example.org").district is None


def test_download_my_data(client, make_user, login):
    make_user()
    login()
    client.submit("/konto", {"display_name": "Anna", "language": "de", "district": "ost"})
    response = client.get("/konto/daten")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == "anna@example.org"
    assert data["account"]["district"] == "ost"
    assert "password_hash" not in json.dumps(data)


def test_delete_account_erases_personal_data(client, make_user, login, db, mailbox):
    anna = make_user()
    login()
    client.submit("/passwort-vergessen", {"email": "anna@example.org"})
    assert db.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.user_id == anna.id))
    bad = client.submit("/konto/loeschen", {"password": PASSWORD})
    assert bad.status_code == 422 and "bestätigen" in bad.get_data(as_text=True)
    wrong = client.submit("/konto/loeschen", {"password": "nope", "confirm": "y"})
    assert wrong.status_code == 422
    response = client.submit("/konto/loeschen", {"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    db.expire_all()
    gone = db.get(User, anna.id)
    assert gone is not None and gone.deleted_at is not None
    assert (gone.email, gone.display_name, gone.password_hash, gone.district) == (None, None, None, None)
    assert db.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.user_id == anna.id)) == 0
    assert client.get("/konto").status_code == 302
    assert client.submit("/login", {"email": "anna@example.org", "password": PASSWORD}).status_code == 422
    # The address can be used for a new account.
    assert register(client, email="anna@example.org").status_code == 200
    assert user(db, "anna@example.org").id != anna.id


def test_logout_needs_post(client, make_user, login):
    make_user()
    login()
    assert client.get("/logout").status_code == 405
    assert client.get("/konto").status_code == 200


def test_profile_requires_login_and_comes_back(client):
    response = client.get("/konto")
    assert response.status_code == 302
    assert "/login?next=%2Fkonto" in response.headers["Location"]


def test_production_hashes_with_werkzeugs_scrypt_and_old_hashes_are_renewed_on_log_in(client, db, make_user,
                                                                                      login, monkeypatch):
    from werkzeug.security import generate_password_hash

    from participation.accounts import passwords

    assert passwords.PRODUCTION_HASH_METHOD == "scrypt"
    assert passwords._dummy_hash("scrypt").startswith("scrypt:32768:8:1$")  # N=2^15, r=8, p=1
    anna = make_user()
    anna.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")  # an older kind
    db.commit()
    assert passwords.needs_rehash(anna.password_hash)
    assert login().status_code == 302
    db.refresh(anna)
    assert not passwords.needs_rehash(anna.password_hash)
    assert anna.password_hash.split("$")[0] == passwords._dummy_hash(passwords.HASH_METHOD).split("$")[0]
