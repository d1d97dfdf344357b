"""The permission rules of rounds as one matrix: role × round state × eligibility, frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_login import AnonymousUserMixin

from participation import permissions
from participation.accounts.models import User
from participation.rounds.models import Round

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
WINDOWS = {  # state at NOW: (opens, closes, stage)
    "draft": (datetime(2026, 12, 20, tzinfo=UTC), datetime(2027, 1, 31, tzinfo=UTC), "scheduled"),
    "open": (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 31, tzinfo=UTC), "scheduled"),
    "closed": (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 5, tzinfo=UTC), "scheduled"),
    "consolidation": (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 5, tzinfo=UTC), "consolidation"),
    "published": (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 5, tzinfo=UTC), "published"),
}
STATES = list(WINDOWS)
ROLES = ["visitor", "unconfirmed", "resident", "resident_with_code", "moderator", "admin"]


def person(role: str):
    if role == "visitor":
        return AnonymousUserMixin()
    user = User(id=1, email="x@example.org", display_name="X", session_token="t",
                role={"moderator": "moderator", "admin": "admin"}.get(role, "resident"),
                confirmed_at=None if role == "unconfirmed" else NOW)
    return user


def round_in(state: str, participation: str = "accounts", results: str = "after_close") -> Round:
    opens, closes, stage = WINDOWS[state]
    return Round(opens_at=opens, closes_at=closes, stage=stage, participation=participation,
                 results_visibility=results)


def test_state_follows_the_dates_and_the_steps():
    for state in STATES:
        assert round_in(state).state_at(NOW) == state
    open_round = round_in("open")
    assert open_round.state_at(open_round.opens_at) == "open"
    assert open_round.state_at(open_round.closes_at) == "closed"  # the closing moment is outside


def expected_rate(role: str, state: str, participation: str) -> bool:
    if state != "open" or role in ("visitor", "unconfirmed"):
        return False
    return participation == "accounts" or role == "resident_with_code"


@pytest.mark.parametrize("participation", ["accounts", "codes"])
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_can_rate(role, state, participation):
    verified = role == "resident_with_code"
    allowed = permissions.can_rate(person(role), round_in(state, participation), verified=verified, now=NOW)
    assert allowed == expected_rate(role, state, participation)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_can_view_round(role, state):
    expected = state != "draft" or role in ("moderator", "admin")
    assert permissions.can_view_round(person(role), round_in(state), now=NOW) == expected


@pytest.mark.parametrize("results", ["live", "after_close"])
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_can_see_results(role, state, results):
    if role == "admin":
        expected = True
    elif state == "draft":
        expected = False
    else:
        expected = results == "live" or state in ("closed", "consolidation", "published")
    assert permissions.can_see_results(person(role), round_in(state, results=results), now=NOW) == expected


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_administration_of_rounds(role, state):
    user, round_ = person(role), round_in(state)
    admin = role == "admin"
    assert permissions.can_manage_rounds(user) == admin
    assert permissions.can_edit_round(user, round_, now=NOW) == (admin and state == "draft")
    assert permissions.can_advance_round(user, round_, now=NOW) == (admin and state != "published")


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_can_redeem_code(role, state):
    expected = role not in ("visitor", "unconfirmed") and state == "open"
    assert permissions.can_redeem_code(person(role), round_in(state, "codes"), now=NOW) == expected


def test_deleted_accounts_cannot_rate():
    user = person("resident")
    user.deleted_at = NOW
    assert not permissions.can_rate(user, round_in("open"), now=NOW)
