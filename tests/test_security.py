"""CSRF, headers, cookies, escaping and the production guard."""

from __future__ import annotations

import re

import pytest

import config
from participation import create_app

from .conftest import PASSWORD

STATE_CHANGES = [
    ("/login", {"email": "anna@example.org", "password": PASSWORD}),
    ("/register", {"email": "x@example.org", "display_name": "X", "password": PASSWORD, "consent": "y"}),
    ("/logout", {}),
    ("/sprache", {"language": "en"}),
    ("/passwort-vergessen", {"email": "anna@example.org"}),
    ("/bestaetigung-erneut", {"email": "anna@example.org"}),
]


@pytest.mark.parametrize(("path", "data"), STATE_CHANGES)
def test_every_form_needs_the_csrf_token(client, make_user, path, data):
    make_user()
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "Formular" in response.get_data(as_text=True)


def test_logged_in_forms_need_the_csrf_token(client, make_user, login):
    make_user()
    login()
    for path, data in [("/konto", {"display_name": "Evil", "language": "de"}),
                       ("/konto/passwort", {"current_password": PASSWORD, "password": "Neues-Passwort-Kastanie-7"}),
                       ("/konto/loeschen", {"password": PASSWORD, "confirm": "y"})]:
        assert client.post(path, data=data).status_code == 400
    assert client.get("/konto").status_code == 200


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    for path in ("/api/v1/strategy", "/does-not-exist"):
        assert "Content-Security-Policy" in client.get(path).headers


def test_pages_have_no_inline_script_or_style_and_no_other_hosts(client):
    for path in ("/", "/strategie", "/strategie/vision", "/register", "/login", "/seite/datenschutz"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert "<style" not in html and " style=" not in html, path
        assert not re.search(r'(src|href)="(https?:)?//', html.replace('href="https://www.ldi.nrw.de', "")), path


def test_session_cookie_flags_in_production(monkeypatch, tmp_path):
    monkeypatch.setenv("PARTICIPATION_ENV", "production")
    monkeypatch.setenv("PARTICIPATION_SECRET_KEY", "x" * 48)
    monkeypatch.setenv("PARTICIPATION_DATABASE_URL", f"sqlite:///{tmp_path}/p.db")
    monkeypatch.setenv("PARTICIPATION_BASE_URL", "https://beteiligung.example.org")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["MAIL_BACKEND"] == "smtp"
    app.extensions["db_engine"].dispose()


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, ["PARTICIPATION_SECRET_KEY", "PARTICIPATION_DATABASE_URL", "PARTICIPATION_BASE_URL"]),
        ({"PARTICIPATION_SECRET_KEY": "change-me", "PARTICIPATION_DATABASE_URL": "sqlite://"}, ["PARTICIPATION_SECRET_KEY"]),
        ({"PARTICIPATION_SECRET_KEY": "short-but-real"}, ["too short", "PARTICIPATION_DATABASE_URL"]),
        ({"PARTICIPATION_SECRET_KEY": "y" * 40}, ["PARTICIPATION_DATABASE_URL"]),
    ],
)
def test_production_refuses_to_start_without_secrets(monkeypatch, env, missing):
    monkeypatch.setenv("PARTICIPATION_ENV", "production")
    monkeypatch.delenv("PARTICIPATION_SECRET_KEY", raising=False)
    monkeypatch.delenv("PARTICIPATION_DATABASE_URL", raising=False)
    monkeypatch.delenv("PARTICIPATION_BASE_URL", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(config.ConfigError) as info:
        create_app()
    for name in missing:
        assert name in str(info.value)


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("PARTICIPATION_ENV", "staging")
    with pytest.raises(config.ConfigError, match="PARTICIPATION_ENV"):
        create_app()


def test_development_keeps_a_generated_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("PARTICIPATION_ENV", "development")
    monkeypatch.delenv("PARTICIPATION_SECRET_KEY", raising=False)
    first = config.load(str(tmp_path))
    second = config.load(str(tmp_path))
    assert first["SECRET_KEY"] == second["SECRET_KEY"] and len(first["SECRET_KEY"]) >= 48
    assert first["DATABASE_URL"] == f"sqlite:///{tmp_path}/participation.db"


def test_user_input_is_escaped(client, mailbox):
    name = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    response = client.submit("/register", {"email": "x@example.org", "display_name": name,
                                           "password": "kurz", "consent": "y"})
    html = response.get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_language_switch_is_remembered_and_safe(client):
    response = client.submit("/sprache", {"language": "en", "next": "/strategie"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/strategie")
    assert "HttpOnly" in response.headers["Set-Cookie"]
    assert '<html lang="en">' in client.get("/strategie").get_data(as_text=True)
    evil = client.submit("/sprache", {"language": "de", "next": "https://evil.example/"})
    assert "evil" not in evil.headers["Location"]
    assert '<html lang="de">' in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_accept_language_on_a_first_visit(client):
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en-US,en;q=0.8"}).get_data(as_text=True)
    assert '<html lang="de">' in client.get("/", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)
    assert '<html lang="de">' in client.get("/").get_data(as_text=True)


def test_a_sessions_csrf_token_is_signed_once_and_stays_valid(client, make_user, login):
    make_user()
    first = client.csrf_token()
    assert client.csrf_token() == first  # kept per session token, not signed anew per page
    login()
    token = client.csrf_token()
    response = client.post("/konto", data={"display_name": "Anna B", "language": "de", "csrf_token": token})
    assert response.status_code != 400  # the token passed (without it: 400, see above)
    assert client.post("/konto", data={"display_name": "Anna B", "language": "de"}).status_code == 400
    other = client.application.test_client()  # another session never gets this token
    page = other.get("/seite/impressum").get_data(as_text=True)
    assert token not in page and first not in page


def test_logging_in_gives_a_new_csrf_token(client, make_user, login):
    """A token seen before logging in (a shared computer, a saved page) is no key to the account."""
    make_user()
    before = client.csrf_token()
    login()
    after = client.csrf_token()
    assert after != before
    form = {"display_name": "Anna B", "language": "de"}
    assert client.post("/konto", data=form | {"csrf_token": before}).status_code == 400
    assert client.post("/konto", data=form | {"csrf_token": after}).status_code != 400


def test_the_language_chosen_before_logging_in_stays(client, db, make_user, login):
    """A German profile, English chosen in the header before logging in: the next page and the
    "logged in" message are English, and the profile now says so."""
    user = make_user(language="de")
    assert client.submit("/sprache", {"language": "en", "next": "/login"}).status_code in (302, 303)
    response = login()
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<html lang="en">' in page and "You are logged in." in page
    db.refresh(user)
    assert user.language == "en"


def test_a_logged_in_session_cookie_slides_at_most_once_per_refresh_period(app, client, make_user, login):
    make_user()
    login()

    def sets_cookie() -> bool:
        return any(h.startswith("session=") for h in client.get("/konto").headers.getlist("Set-Cookie"))

    sets_cookie()  # the first request after logging in stamps the session
    assert not sets_cookie() and not sets_cookie()  # not re-signed on every response
    app.config["SESSION_REFRESH_SECONDS"] = 0
    assert sets_cookie()  # the period is over: the expiry slides forward
