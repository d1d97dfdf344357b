"""The permission rules of rounds as one matrix: role × round state × eligibility, frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_login import AnonymousUserMixin

from participation import permissions
from participation.accounts.models import User
from participation.comments.models import Comment
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


# --- discussion: visitor, resident, blocked resident, author, moderator, admin × round state ----
DISCUSSION_ROLES = ["visitor", "resident", "blocked", "author", "moderator", "admin"]


def discussion_person(role: str):
    if role == "visitor":
        return AnonymousUserMixin()
    user = User(id={"author": 7}.get(role, 1), email="x@example.org", display_name="X", session_token="t",
                role=role if role in ("moderator", "admin") else "resident", confirmed_at=NOW)
    if role == "blocked":
        user.blocked_until = datetime(2027, 1, 1, tzinfo=UTC)
    return user


def a_comment(state: str = "visible") -> Comment:
    return Comment(id=99, author_id=7, state=state, round_id=1, item_id=1)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", DISCUSSION_ROLES)
def test_discussion_permissions(role, state):
    user, round_, comment = discussion_person(role), round_in(state), a_comment()
    writer = role in ("resident", "author", "moderator", "admin")
    open_ = state == "open"
    assert permissions.can_comment(user, round_, now=NOW) == (writer and open_)
    assert permissions.can_edit_comment(user, comment, round_, now=NOW) == (role == "author" and open_)
    assert permissions.can_delete_comment(user, comment, now=NOW) == (role == "author")
    assert permissions.can_mark_helpful(user, comment, round_, now=NOW) == (writer and open_ and role != "author")
    assert permissions.can_report(user, comment, now=NOW) == (writer and role != "author")
    assert permissions.can_moderate(user) == (role in ("moderator", "admin"))
    assert permissions.can_view_audit_log(user) == (role == "admin")
    # Blocked people read but neither write nor rate.
    assert permissions.can_rate(user, round_, now=NOW) == (writer and open_)


@pytest.mark.parametrize("comment_state", ["visible", "pending", "hidden", "deleted"])
def test_comment_state_limits_actions(comment_state):
    author, other, round_ = discussion_person("author"), discussion_person("resident"), round_in("open")
    comment = a_comment(comment_state)
    assert permissions.can_edit_comment(author, comment, round_, now=NOW) == (comment_state in ("visible", "pending"))
    assert permissions.can_delete_comment(author, comment, now=NOW) == (comment_state in ("visible", "pending"))
    assert permissions.can_mark_helpful(other, comment, round_, now=NOW) == (comment_state == "visible")
    assert permissions.can_report(other, comment, now=NOW) == (comment_state == "visible")


def test_a_block_ends_by_itself():
    user = discussion_person("blocked")
    assert not permissions.can_write(user, now=NOW)
    assert permissions.can_write(user, now=datetime(2027, 1, 2, tzinfo=UTC))


# --- consolidation: every action × role × round state × proposal state -------------------------
# "author" is the moderator who wrote the proposal, "admin_author" an admin who wrote it.
CONSOLIDATION_ROLES = ["visitor", "resident", "blocked", "author", "moderator", "admin", "admin_author"]
PROPOSAL_STATES = ["draft", "in_review", "changes_requested", "recommended", "accepted", "accepted_modified",
                   "rejected", "deferred", "withdrawn"]


def consolidation_person(role: str):
    if role == "visitor":
        return AnonymousUserMixin()
    user = User(id=7 if role in ("author", "admin_author") else 1, email="x@example.org", display_name="X",
                session_token="t", confirmed_at=NOW,
                role={"author": "moderator", "moderator": "moderator", "admin": "admin",
                      "admin_author": "admin"}.get(role, "resident"))
    if role == "blocked":
        user.blocked_until = datetime(2027, 1, 1, tzinfo=UTC)
    return user


def expected_consolidation(action: str, role: str, state: str, proposal_state: str) -> bool:
    staff = role in ("author", "moderator", "admin", "admin_author")
    admin = role in ("admin", "admin_author")
    author = role in ("author", "admin_author")
    working = state in ("open", "closed", "consolidation")
    return {
        "use_workbench": staff and state != "draft",
        "create": staff and working,
        "edit": author and working and proposal_state in ("draft", "changes_requested"),
        "submit": author and working and proposal_state in ("draft", "changes_requested"),
        "withdraw": (author or admin) and working
        and proposal_state in ("draft", "in_review", "changes_requested", "recommended"),
        "review": staff and not author and working and proposal_state == "in_review",
        "decide": admin and state in ("closed", "consolidation") and proposal_state == "recommended",
        "set_outcome": staff and working,
        "see_outcomes": (staff and state != "draft") or state == "published",
        "view_proposal": (staff and state != "draft") or (
            state == "published" and proposal_state in ("accepted", "accepted_modified", "rejected", "deferred")),
        "publish_with_open_comments": admin,
    }[action]


@pytest.mark.parametrize("proposal_state", PROPOSAL_STATES)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", CONSOLIDATION_ROLES)
def test_consolidation_permissions(role, state, proposal_state):
    from participation.proposals.models import Proposal

    user, round_ = consolidation_person(role), round_in(state)
    proposal = Proposal(id=5, author_id=7, state=proposal_state, round_id=1)
    actual = {
        "use_workbench": permissions.can_use_workbench(user, round_, now=NOW),
        "create": permissions.can_create_proposal(user, round_, now=NOW),
        "edit": permissions.can_edit_proposal(user, proposal, round_, now=NOW),
        "submit": permissions.can_submit_proposal(user, proposal, round_, now=NOW),
        "withdraw": permissions.can_withdraw_proposal(user, proposal, round_, now=NOW),
        "review": permissions.can_review_proposal(user, proposal, round_, now=NOW),
        "decide": permissions.can_decide_proposal(user, proposal, round_, now=NOW),
        "set_outcome": permissions.can_set_outcome(user, round_, now=NOW),
        "see_outcomes": permissions.can_see_outcomes(user, round_, now=NOW),
        "view_proposal": permissions.can_view_proposal(user, proposal, round_, now=NOW),
        "publish_with_open_comments": permissions.can_publish_with_open_comments(user),
    }
    assert actual == {action: expected_consolidation(action, role, state, proposal_state) for action in actual}
