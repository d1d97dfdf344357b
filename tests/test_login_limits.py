"""Finding 6 of the security review: guessing passwords must not lock the owner out.

Limits count failed log-ins per account and address pair, with a much higher cap per
account. The app is created with rate limits on, as in production (Flask-Limiter registers
its after-request hook, which counts only failures, at start-up).
"""

from __future__ import annotations

import pytest

from .conftest import PASSWORD, Client


@pytest.fixture
def app_config(app_config):
    return {**app_config, "RATELIMIT_ENABLED": True}


@pytest.fixture
def limits(app):
    from participation.extensions import limiter

    limiter.reset()
    yield app.config
    limiter.reset()


def _login_from(client, address, password):
    return client.submit("/login", {"email": "anna@example.org", "password": password},
                         environ_base={"REMOTE_ADDR": address})


def test_guessing_from_one_address_does_not_lock_the_owner_out(limits, app, make_user):
    limits["RATELIMIT_LOGIN"] = "1000 per hour"
    make_user()
    attacker = Client(app.test_client())
    statuses = [_login_from(attacker, "203.0.113.9", f"Falsch-{i}-Passwort").status_code for i in range(20)]
    assert statuses[:10] == [422] * 10 and set(statuses[10:]) == {429}
    # The attacker's address stays blocked even with the right password …
    assert _login_from(attacker, "203.0.113.9", PASSWORD).status_code == 429
    # … while the owner at home logs in.
    owner = Client(app.test_client())
    assert _login_from(owner, "198.51.100.7", PASSWORD).status_code == 302


def test_many_addresses_still_meet_the_account_cap(limits, app, make_user):
    limits["RATELIMIT_LOGIN_PER_ACCOUNT"] = "5 per hour"
    make_user()
    client = Client(app.test_client())
    for i in range(5):
        assert _login_from(client, f"203.0.113.{i}", "Falsch-Passwort-1").status_code == 422
    assert _login_from(client, "203.0.113.99", "Falsch-Passwort-1").status_code == 429


def test_successful_log_ins_do_not_count_as_guesses(limits, app, make_user):
    limits["RATELIMIT_LOGIN_PER_PAIR"] = "2 per hour"
    make_user()
    for _ in range(4):
        client = Client(app.test_client())
        assert _login_from(client, "198.51.100.7", PASSWORD).status_code == 302


def test_only_forms_that_send_mail_count_against_the_mail_limit(limits, client):
    """Typos on the registration form (422, no mail sent) do not use up the mail limit."""
    from .test_accounts import register

    limits["RATELIMIT_MAIL"] = "2 per minute"
    wrong = {"email": "kein-mail", "display_name": "Anna", "password": "kurz"}
    assert [client.submit("/register", wrong).status_code for _ in range(4)] == [422] * 4
    statuses = [register(client, email=f"neu{i}@example.org", name=f"Neu {i}").status_code for i in range(3)]
    assert statuses == [200, 200, 429]
