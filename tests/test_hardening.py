"""Findings of the outside security review (issue 7), each with the request that broke it.

Visible texts are asserted in English where they matter (users with language="en",
visitors with Accept-Language: en); otherwise status codes, error codes and the database.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.accounts.models import User
from participation.comments.models import Report
from participation.text import TextError, clean_display_name, clean_text, mixes_scripts

from .conftest import PASSWORD, Client
from .test_accounts import register
from .test_comments import EN, ITEM, api, stored, write

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")


def assert_secure(response) -> None:
    for header in SECURITY_HEADERS:
        assert header in response.headers, header


@pytest.fixture
def anna(make_user, login):
    user = make_user(language="en")
    login()
    return user


# --- invisible and control characters (one rule for forms, API and names) -----------------------

@pytest.mark.parametrize(("text", "code"), [
    ("a\x00b", "control_characters"),
    ("Preis\x85wert", "control_characters"),  # C1 (NEL)
    ("\x1b[31mrot", "control_characters"),
    ("abc\u202edcba", "bidi_characters"),
    ("x\u2066y", "bidi_characters"),
])
def test_control_and_bidi_characters_are_refused(text, code):
    with pytest.raises(TextError) as refused:
        clean_text(text)
    assert refused.value.code == code


@pytest.mark.parametrize("text", ["\u200b", "\ufeff", " \u200b\u200c \n", "\u00a0\u2060", ""])
def test_text_of_only_invisible_characters_is_empty(text):
    assert clean_text(text) == ""


def test_text_is_nfc_with_newlines_and_keeps_emoji_joiners():
    assert clean_text("Mu\u0308nster\r\nzweite\rdritte\tZeile ") == "Münster\nzweite\ndritte\tZeile"
    family = "\U0001f469\u200d\U0001f467"
    assert clean_text(family) == family


@pytest.mark.parametrize(("body", "code"), [
    ("Ein\x00Text", "control_characters"),
    ("\u200b\ufeff", "empty_body"),
    ("\x85", "control_characters"),
    ("gut \u202eesöb", "bidi_characters"),
])
def test_comment_form_and_api_refuse_the_same_characters(client, db, frozen, make_round, anna, body, code):
    round_ = make_round()
    response = write(client, round_.id, body, headers=EN)
    assert response.status_code == 422
    assert "invisible" in response.get_data(as_text=True) or "direction" in response.get_data(as_text=True) \
        or "Please write something" in response.get_data(as_text=True)
    answer = api(client, "POST", f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments",
                 {"body": body, "stance": "support"})
    assert answer.status_code == 422
    assert answer.get_json()["error"]["code"] == code
    assert stored(db) == []


def test_comments_are_stored_in_nfc(client, db, frozen, make_round, anna):
    round_ = make_round()
    assert write(client, round_.id, "Mu\u0308nster ist scho\u0308n").status_code == 302
    [comment] = stored(db)
    assert comment.body == "Münster ist schön"


def test_report_texts_share_the_rule(client, db, frozen, make_round, make_user, anna):
    round_ = make_round()
    write(client, round_.id, "Ein Beitrag")
    [comment] = stored(db)
    make_user("bert@example.org", name="Bert", language="en")
    bert = Client(client.application.test_client())
    bert.submit("/login", {"email": "bert@example.org", "password": PASSWORD})
    answer = api(bert, "POST", f"/api/v1/comments/{comment.id}/reports", {"reason": "other", "text": "a\x00b"})
    assert answer.status_code == 422
    assert answer.get_json()["error"]["code"] == "control_characters"
    assert db.scalar(sa.select(sa.func.count()).select_from(Report)) == 0


# --- display names ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "\u041coderation",  # Cyrillic М + Latin
    "Stadt Münster", "STADT MÜNSTER", "stadt  muenster", "Moderation", "Administration",
    "Smart City Münster",  # the configured site name
    "Ｍｏｄｅｒａｔｉｏｎ",  # full-width, folded by NFKC
    "Ad\u200bmin", "Anna\u202e", "Anna\r\nBoss", "Anna\x00", "\u200b",
    "Αdministration",  # Greek Alpha
    "Moderation Team", "Stadt Münster – Presse", "Die Stadtverwaltung",
    "Anna\ue000", "Anna\U000e0041",  # private use; a tag character
])
def test_impersonating_or_invisible_display_names_are_refused(client, db, name):
    response = register(client, name=name)
    assert response.status_code == 422
    assert db.scalar(sa.select(User).where(User.email == "ben@example.org")) is None


@pytest.mark.parametrize("name", ["Ben", "Jürgen Müller", "Иван Петров", "山田 太郎", "José-María", "Anna 2",
                                  "Badminton-Fan", "Anna aus Münster"])
def test_ordinary_names_in_any_script_are_fine(client, db, name):
    assert register(client, name=name).status_code == 200
    assert db.scalar(sa.select(User.display_name).where(User.email == "ben@example.org")) == name


def test_staff_may_use_reserved_names_residents_may_not(client, db, make_user, login):
    make_user("mod@example.org", name="Mia", role="moderator", language="en")
    login("mod@example.org")
    response = client.submit("/konto", {"display_name": "Moderation", "language": "en", "district": ""})
    assert response.status_code == 302
    db.expire_all()
    assert db.scalar(sa.select(User.display_name).where(User.email == "mod@example.org")) == "Moderation"
    assert clean_display_name("Stadt Münster", staff=True) == "Stadt Münster"
    with pytest.raises(TextError):
        clean_display_name("\u041coderation", staff=True)  # look-alikes are refused for everyone


def test_mixed_scripts_only_within_a_word():
    assert mixes_scripts("P\u0430ypal")
    assert not mixes_scripts("Иван")
    assert not mixes_scripts("東京タワー")


# --- 1: links in mail come from PARTICIPATION_BASE_URL; other hosts are refused ------------------

def test_a_forged_host_gets_a_clean_400_and_mails_no_link(app, client, make_user, mailbox):
    app.config["SERVER_NAME"] = None  # as in production: the page must render without it
    make_user()
    token = client.csrf_token()
    response = client.post("/passwort-vergessen", data={"email": "anna@example.org", "csrf_token": token},
                           headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert_secure(response)
    assert mailbox.to("anna@example.org") == []
    api_answer = client.get("/api/v1/strategy", headers={"Host": "evil.example"})
    assert api_answer.status_code == 400 and api_answer.get_json()["error"]["code"] == "bad_request"


def test_mail_links_use_the_configured_address(app, client, make_user, mailbox):
    make_user()
    app.config["BASE_URL"] = "https://beteiligung.example.org"
    # The request comes in for "localhost" (as behind a proxy that rewrites Host).
    response = client.submit("/passwort-vergessen", {"email": "anna@example.org"})
    assert response.status_code == 200
    link = mailbox.link("anna@example.org", "/passwort-neu/")
    assert link.startswith("https://beteiligung.example.org/passwort-neu/")


def test_trusted_hosts_come_from_the_base_url_plus_the_operators_list(monkeypatch, tmp_path):
    import config

    monkeypatch.setenv("PARTICIPATION_ENV", "production")
    monkeypatch.setenv("PARTICIPATION_SECRET_KEY", "x" * 48)
    monkeypatch.setenv("PARTICIPATION_DATABASE_URL", "sqlite://")
    monkeypatch.setenv("PARTICIPATION_BASE_URL", "https://beteiligung.muenster.de/")
    monkeypatch.setenv("PARTICIPATION_TRUSTED_HOSTS", "app1.intern, app2.intern")
    loaded = config.load(str(tmp_path))
    assert loaded["BASE_URL"] == "https://beteiligung.muenster.de"
    assert loaded["TRUSTED_HOSTS"] == ["beteiligung.muenster.de", "app1.intern", "app2.intern"]
    monkeypatch.setenv("PARTICIPATION_BASE_URL", "beteiligung.muenster.de")
    with pytest.raises(config.ConfigError, match="BASE_URL"):
        config.load(str(tmp_path))
    monkeypatch.setenv("PARTICIPATION_ENV", "development")
    monkeypatch.delenv("PARTICIPATION_BASE_URL")
    monkeypatch.setenv("PORT", "5123")
    assert config.load(str(tmp_path))["BASE_URL"] == "http://127.0.0.1:5123"


# --- 3: error pages after a database error, without touching the database ------------------------

@pytest.fixture
def failing_routes(app):
    """Routes that break the transaction the way a real bug would (a unique violation)."""
    from flask_login import current_user

    from participation import db as database

    def duplicate_email():
        session = database.session()
        _ = current_user.is_authenticated  # the page had loaded the user already
        session.add(User(email="anna@example.org", display_name="Twin"))
        session.flush()  # IntegrityError; the session is now unusable until rolled back
        return "unreachable"

    app.add_url_rule("/test-fails", "test_fails", duplicate_email)
    app.add_url_rule("/api/v1/test-fails", "api_test_fails", duplicate_email)
    app.config["TESTING"] = False  # production behaviour: the handler answers instead of raising
    return app


def test_the_500_page_survives_a_database_error(failing_routes, client, make_user, login, engine):
    make_user(language="en")
    login()
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get("/test-fails", headers=EN)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 500
    assert_secure(response)
    html = response.get_data(as_text=True)
    assert "Something went wrong on our side" in html
    # After the failing INSERT: only the rollback to the savepoint, no query for the error page.
    after = statements[[i for i, s in enumerate(statements) if "INSERT INTO user_account" in s][-1] + 1:]
    assert not [s for s in after if s.lstrip().upper().startswith("SELECT")], after

    answer = client.get("/api/v1/test-fails")
    assert answer.status_code == 500
    assert answer.get_json()["error"]["code"] == "server_error"
    assert_secure(answer)


# --- 5: request size limits -----------------------------------------------------------------------

def test_huge_forms_are_refused_with_413(client, make_user):
    token = client.csrf_token()
    many_fields = {f"f{i}": "x" for i in range(2000)} | {"csrf_token": token}
    response = client.post("/login", data=many_fields, headers={"Accept-Language": "en"})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert_secure(response)
    big = client.post("/login", data={"email": "x" * 2_000_000, "csrf_token": token})
    assert big.status_code == 413
    answer = client.post("/api/v1/rounds/1/items/vision/comments", data=b'{"body": "' + b"x" * 2_000_000 + b'"}',
                         content_type="application/json", headers={"X-CSRFToken": token})
    assert answer.status_code == 413
    assert answer.get_json()["error"]["code"] == "too_large"


def test_size_limits_are_configurable(monkeypatch, tmp_path):
    import config

    monkeypatch.setenv("PARTICIPATION_MAX_CONTENT_LENGTH", "5000000")
    monkeypatch.setenv("PARTICIPATION_MAX_FORM_PARTS", "300")
    loaded = config.load(str(tmp_path))
    assert (loaded["MAX_CONTENT_LENGTH"], loaded["MAX_FORM_PARTS"]) == (5_000_000, 300)


# --- 2, 6, 7, 9: log-in, log-out and passwords ----------------------------------------------------

@pytest.fixture
def hash_checks(monkeypatch):
    """Counts the real scrypt checks (they still run)."""
    from participation.accounts import passwords

    calls = []
    real = passwords.check_password_hash

    def counted(stored_hash, password):
        calls.append(stored_hash)
        return real(stored_hash, password)

    monkeypatch.setattr(passwords, "check_password_hash", counted)
    return calls


def test_unknown_addresses_cost_the_same_hash_work(client, make_user, hash_checks):
    make_user()
    client.submit("/login", {"email": "anna@example.org", "password": "Falsches-Passwort-1"})
    known = list(hash_checks)
    hash_checks.clear()
    client.submit("/login", {"email": "nobody@example.org", "password": "Falsches-Passwort-1"})
    assert len(known) == len(hash_checks) == 1
    assert hash_checks[0].startswith("scrypt:") and hash_checks[0].split("$")[0] == known[0].split("$")[0]


def test_logout_ends_the_session_for_a_copied_cookie(app, client, make_user, login):
    make_user()
    login()
    cookie = client.get_cookie("session")
    thief = app.test_client()
    thief.set_cookie("session", cookie.value, domain="localhost")
    assert thief.get("/konto").status_code == 200
    client.submit("/logout")
    assert client.get("/konto").status_code == 302
    assert thief.get("/konto").status_code == 302  # redirected to the log-in page
    login()  # and the owner can log in again
    assert client.get("/konto").status_code == 200


@pytest.mark.parametrize("password", ["anna.schmidt@example.org1", "Anna Schmidt!", "Anna.Schmidt1"])
def test_change_and_reset_refuse_passwords_made_of_the_account(client, db, make_user, login, mailbox, password):
    make_user("anna.schmidt@example.org", name="Anna Schmidt")
    login("anna.schmidt@example.org")
    response = client.submit("/konto/passwort", {"current_password": PASSWORD, "password": password})
    assert response.status_code == 422
    client.submit("/logout")
    client.submit("/passwort-vergessen", {"email": "anna.schmidt@example.org"})
    link = mailbox.link("anna.schmidt@example.org", "/passwort-neu/").removeprefix("http://localhost")
    assert client.submit(link, {"password": password}).status_code == 422


# --- 4: bad input in paths, query strings and forms is a 4xx -------------------------------------

def _cursor(values) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", ["/strategie/a%00b", "/strategie/1.0/vision%00", "/api/v1/strategy/1.0/items/a%00b"])
def test_nul_bytes_in_paths_are_unknown_pages(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert_secure(response)


def test_nul_bytes_in_item_keys_of_rounds(client, frozen, make_round, anna):
    round_ = make_round()
    assert client.get(f"/runden/{round_.id}/a%00b").status_code == 404
    answer = client.get(f"/api/v1/rounds/{round_.id}/items/a%00b/comments")
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "not_found"
    assert client.get(f"/runden/{round_.id}/{ITEM}?sort=%00").status_code == 400
    # In a query string no field can report it: one clear 400 in the user's language.
    answer = client.get(f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments?cursor=a%00b", headers=EN)
    assert answer.status_code == 400
    assert answer.get_json()["error"] == {"code": "invalid_characters",
                                          "message": "The input contains a NUL character, which cannot be stored."}


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_comment_cursors_at_the_ends_of_time_are_refused(client, frozen, make_round, anna, moment):
    round_ = make_round()
    cursor = _cursor([moment, 5])
    page = client.get(f"/runden/{round_.id}/{ITEM}?cursor={cursor}", headers=EN)
    assert page.status_code == 200  # the first page, with a note about the link
    assert "This page link is not valid." in page.get_data(as_text=True)
    answer = client.get(f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments?cursor={cursor}")
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "bad_cursor"


def test_numbers_beyond_64_bits_in_query_strings_and_forms(client, db, frozen, make_round, make_user, login):
    make_user("admin@example.org", name="Ada", role="admin")
    login("admin@example.org")
    huge = str(2**70)
    for query in (f"page={huge}", f"actor={huge}", f"page=-{huge}"):
        assert client.get(f"/verwaltung/protokoll?{query}").status_code == 200, query
    round_ = make_round()
    write(client, round_.id, "Der erste Beitrag")
    [comment] = stored(db)
    response = client.submit(f"/runden/{round_.id}/beitraege/{huge}/antworten", {"body": "x", "stance": "question"})
    assert response.status_code == 404
    answer = api(client, "POST", f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments",
                 {"body": "Antwort", "stance": "question", "parent_id": 2**63})
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "parent_not_found"
    assert stored(db, parent_id=comment.id) == []


# --- 11, 12: blocked people and codes; draft rounds are invisible everywhere ---------------------

def test_blocked_people_cannot_redeem_codes(client, db, frozen, make_round, anna):
    from participation.db import utcnow
    from participation.rounds.models import InvitationCode
    from participation.rounds.services import generate_codes

    round_ = make_round(participation="codes")
    [code] = generate_codes(db, round_, 1)
    db.get(User, anna.id).blocked_until = utcnow() + timedelta(days=7)
    db.commit()
    response = client.submit(f"/runden/{round_.id}/code", {"code": code.code}, headers=EN)
    assert response.status_code == 302
    assert "blocked" in client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    db.expire_all()
    assert db.get(InvitationCode, code.id).redeemed_by_id is None


def test_the_rating_form_does_not_reveal_a_draft_round(client, db, frozen, make_round, anna):
    round_ = make_round(state="draft")
    response = client.submit(f"/runden/{round_.id}/bewertung/{ITEM}", {"agreement": "4"})
    assert response.status_code == 404
    # A well-formed rating: a malformed body is refused (400) before any round is looked up.
    assert api(client, "PUT", f"/api/v1/rounds/{round_.id}/items/{ITEM}/rating",
               {"question": "agreement", "value": 4}).status_code == 404


# --- 13: hostile YAML in `strategy import` --------------------------------------------------------

def _laughs(levels: int = 9) -> str:
    """The "billion laughs": each level lists the one before ten times."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


HOSTILE = {
    "aliases": (_laughs(), "aliases (*name) may only repeat a plain value"),
    "many-aliases": ("x: &x 1\ny: [" + ", ".join(["*x"] * 500) + "]\n", "more than 100 aliases"),
    "deep": ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 20 levels deep"),
    "deep-mapping": ("".join("  " * i + f"k{i}:\n" for i in range(300)), "nested more than 20 levels deep"),
    "nul": ("format: 1\nversion: {number: '1.0', title: {de: a\x00b}}\n", "NUL byte"),
    "escaped-nul": ('format: 1\nversion: {number: "9.0", title: {de: "a\\0b"}}\n', "control characters"),
    "bad-date": ("format: 1\nversion: {number: '9.0', adopted_on: 2026-02-30, title: {de: T}}\n", "cannot be read"),
    "python-tag": ("!!python/object/apply:os.system ['true']\n", "not valid YAML"),
    "many-errors": ("format: 1\nversion: {number: '9.0', title: {de: T}}\ncoordinates:\n"
                    + "".join(f"  - {{key: 'K{i}', bogus{i}: 1}}\n" for i in range(20000)), "more errors not shown"),
    "huge": ("# " + "x" * 2_100_000 + "\n", "too large"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_strategy_files_get_a_clean_message_and_exit_1(app, tmp_path, name):
    text, expected = HOSTILE[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["strategy", "import", str(path)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert expected in result.output
    assert "Traceback" not in result.output
    assert len(result.output.splitlines()) <= 60  # the first 50 problems, not millions


# --- found on the way ------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["/\\evil.example", "/\\/evil.example", "/\t/evil.example", "/\n/evil.example"])
def test_log_in_does_not_redirect_to_other_sites_by_backslash_or_control_characters(client, make_user, target):
    make_user()
    response = client.submit("/login", {"email": "anna@example.org", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_behind_a_proxy_a_forged_forwarded_host_is_refused(app_config):
    from participation import create_app

    proxied = create_app({**app_config, "PROXY_FIX": 1, "SERVER_NAME": None})
    try:
        client = proxied.test_client()
        response = client.get("/", headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"})
        assert response.status_code == 400
        assert_secure(response)
        assert "evil.example" not in response.get_data(as_text=True)
    finally:
        proxied.extensions["db_engine"].dispose()


def test_nul_in_any_other_form_field_is_refused_before_it_reaches_the_database(client, app_config):
    """Fields without a text check of their own (log-in, admin and moderation forms) get one 400."""
    answer = client.submit("/login", {"email": "anna\x00@example.org", "password": "x"},
                           headers={"Accept-Language": "en"})
    assert answer.status_code == 400
    assert "NUL character" in answer.get_data(as_text=True)
