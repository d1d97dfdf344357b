"""Who may do what: small predicates, shared by views and templates.

Every view that changes or reveals something checks one of these, through ``require``.
Later steps add their actions here (rating, commenting, moderating) so the whole rule set
stays in one file and is tested as one matrix.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort

from .accounts.models import User
from .db import utcnow


def _is_user(user: Any) -> bool:
    return isinstance(user, User) and user.is_authenticated and user.is_active


def has_role(user: Any, *roles: str) -> bool:
    return _is_user(user) and user.role in roles


def can_see_drafts(user: Any) -> bool:
    """Draft strategy versions are for the administration until published."""
    return has_role(user, "admin", "moderator")


def can_view_version(user: Any, version: Any) -> bool:
    return version.state == "published" or can_see_drafts(user)


def can_edit_profile(user: Any) -> bool:
    return _is_user(user)


def can_administer(user: Any) -> bool:
    return has_role(user, "admin")


def can_moderate(user: Any) -> bool:
    return has_role(user, "moderator", "admin")


# --- consultation rounds -------------------------------------------------------------------
# ``now`` defaults to the current time; tests pass a frozen clock.

def _state(round_: Any, now: datetime | None) -> str:
    return round_.state_at(now or utcnow())


def can_manage_rounds(user: Any) -> bool:
    return has_role(user, "admin")


def can_view_round(user: Any, round_: Any, now: datetime | None = None) -> bool:
    """A round is public once it opens; before that only the administration sees it."""
    return _state(round_, now) != "draft" or has_role(user, "admin", "moderator")


def can_take_part(user: Any, round_: Any, verified: bool = False) -> bool:
    """Eligibility, whatever the round's state: a confirmed account, plus a code if required."""
    return _is_user(user) and (round_.participation == "accounts" or verified)


def can_rate(user: Any, round_: Any, verified: bool = False, now: datetime | None = None) -> bool:
    return _state(round_, now) == "open" and can_take_part(user, round_, verified) and not _blocked(user, now)


def can_redeem_code(user: Any, round_: Any, now: datetime | None = None) -> bool:
    """Blocked people cannot use up a (single-use) code either."""
    return _is_user(user) and _state(round_, now) == "open" and not _blocked(user, now)


def can_see_results(user: Any, round_: Any, now: datetime | None = None) -> bool:
    """Admins always; everybody else as the round promised (live, or once it has closed)."""
    if can_manage_rounds(user):
        return True
    state = _state(round_, now)
    if state == "draft":
        return False
    return round_.results_visibility == "live" or state in ("closed", "consolidation", "published")


def can_see_analysis(user: Any, round_: Any, now: datetime | None = None) -> bool:
    """Opinion groups, consensus and representativeness are shown exactly like the results."""
    return can_see_results(user, round_, now)


def can_see_group_membership(user: Any) -> bool:
    """Who is in which opinion group (by pseudonym) is for the administration only."""
    return has_role(user, "admin")


def can_download_open_data(round_: Any, now: datetime | None = None) -> bool:
    """The open-data set is public once the round is published and its results are public."""
    return _state(round_, now) == "published" and can_see_results(None, round_, now)


def can_export(user: Any) -> bool:
    """The administration's exports (every comment state, moderation reasons)."""
    return has_role(user, "admin")


def can_edit_round(user: Any, round_: Any, now: datetime | None = None) -> bool:
    return can_manage_rounds(user) and _state(round_, now) == "draft"


def can_advance_round(user: Any, round_: Any, now: datetime | None = None) -> bool:
    return can_manage_rounds(user) and _state(round_, now) != "published"


# --- discussion and moderation -------------------------------------------------------------

def _blocked(user: Any, now: datetime | None) -> bool:
    return _is_user(user) and user.is_blocked(now or utcnow())


def can_write(user: Any, now: datetime | None = None) -> bool:
    """A confirmed account that is not blocked: blocked people can read but not write."""
    return _is_user(user) and not _blocked(user, now)


def can_comment(user: Any, round_: Any, verified: bool = False, now: datetime | None = None) -> bool:
    """Writing comments is taking part: the round's eligibility rule applies (codes)."""
    return (can_write(user, now) and _state(round_, now) == "open"
            and (round_.participation == "accounts" or verified))


def _can_act_in_open_round(user: Any, round_: Any, now: datetime | None) -> bool:
    return can_write(user, now) and _state(round_, now) == "open"


def _is_author(user: Any, comment: Any) -> bool:
    return _is_user(user) and comment.author_id == user.id


def can_edit_comment(user: Any, comment: Any, round_: Any, now: datetime | None = None) -> bool:
    return (_is_author(user, comment) and _can_act_in_open_round(user, round_, now)
            and comment.state in ("visible", "pending"))


def can_delete_comment(user: Any, comment: Any, now: datetime | None = None) -> bool:
    """Authors may always take back what they wrote, unless a moderator hid it already."""
    return _is_author(user, comment) and comment.state in ("visible", "pending")


def can_mark_helpful(user: Any, comment: Any, round_: Any, now: datetime | None = None) -> bool:
    return (_can_act_in_open_round(user, round_, now) and not _is_author(user, comment)
            and comment.state == "visible")


def can_answer_officially(user: Any) -> bool:
    """Writing "as the city" (an official reply) is for the city's own people."""
    return can_moderate(user) and can_write(user)


def can_report(user: Any, comment: Any, now: datetime | None = None) -> bool:
    """Reports are possible after the round too: unlawful content must go at any time."""
    return can_write(user, now) and not _is_author(user, comment) and comment.state == "visible"


def can_view_revisions(user: Any) -> bool:
    return can_moderate(user)


def can_block(user: Any, target: Any) -> bool:
    return (can_moderate(user) and getattr(target, "role", None) == "resident"
            and getattr(target, "id", None) != user.id)


def can_view_audit_log(user: Any) -> bool:
    return has_role(user, "admin")


# --- consolidation: proposals and comment outcomes -------------------------------------------
# Proposals are written and reviewed from the opening of a round until it is published; the
# administration decides once it has closed. After publication nothing changes any more.
CONSOLIDATION_STATES = ("open", "closed", "consolidation")
DECISION_STATES = ("closed", "consolidation")
EDITABLE_PROPOSAL_STATES = ("draft", "changes_requested")
WITHDRAWABLE_PROPOSAL_STATES = ("draft", "in_review", "changes_requested", "recommended")
DECIDED_PROPOSAL_STATES = ("accepted", "accepted_modified", "rejected", "deferred")


def _is_proposal_author(user: Any, proposal: Any) -> bool:
    return _is_user(user) and proposal.author_id == user.id


def can_use_workbench(user: Any, round_: Any, now: datetime | None = None) -> bool:
    return can_moderate(user) and _state(round_, now) != "draft"


def can_create_proposal(user: Any, round_: Any, now: datetime | None = None) -> bool:
    return can_moderate(user) and _state(round_, now) in CONSOLIDATION_STATES


def can_edit_proposal(user: Any, proposal: Any, round_: Any, now: datetime | None = None) -> bool:
    """Only its author changes a proposal, and only before review or when changes were asked for."""
    return (can_create_proposal(user, round_, now) and _is_proposal_author(user, proposal)
            and proposal.state in EDITABLE_PROPOSAL_STATES)


def can_submit_proposal(user: Any, proposal: Any, round_: Any, now: datetime | None = None) -> bool:
    return can_edit_proposal(user, proposal, round_, now)


def can_withdraw_proposal(user: Any, proposal: Any, round_: Any, now: datetime | None = None) -> bool:
    return (can_create_proposal(user, round_, now)
            and (_is_proposal_author(user, proposal) or has_role(user, "admin"))
            and proposal.state in WITHDRAWABLE_PROPOSAL_STATES)


def can_review_proposal(user: Any, proposal: Any, round_: Any, now: datetime | None = None) -> bool:
    """Four eyes: a moderator or admin other than the author recommends or asks for changes."""
    return (can_create_proposal(user, round_, now) and not _is_proposal_author(user, proposal)
            and proposal.state == "in_review")


def can_decide_proposal(user: Any, proposal: Any, round_: Any, now: datetime | None = None) -> bool:
    return (has_role(user, "admin") and _state(round_, now) in DECISION_STATES
            and proposal.state == "recommended")


def can_supersede_proposal(user: Any, proposal: Any) -> bool:
    """Resolving a conflict between two accepted proposals on one item is the administration's."""
    return (has_role(user, "admin") and proposal.state in ("accepted", "accepted_modified")
            and proposal.superseded_by_id is None)


def can_set_outcome(user: Any, round_: Any, now: datetime | None = None) -> bool:
    return can_moderate(user) and _state(round_, now) in CONSOLIDATION_STATES


def can_see_outcomes(user: Any, round_: Any, now: datetime | None = None) -> bool:
    """Outcomes, decisions and reasons become public with the publication of the round."""
    return can_use_workbench(user, round_, now) or _state(round_, now) == "published"


def can_view_proposal(user: Any, proposal: Any, round_: Any, now: datetime | None = None) -> bool:
    return can_use_workbench(user, round_, now) or (
        _state(round_, now) == "published" and proposal.state in DECIDED_PROPOSAL_STATES)


def can_publish_with_open_comments(user: Any) -> bool:
    """Only an admin publishes a round whose comments are not all answered, with a reason."""
    return has_role(user, "admin")


def require(allowed: bool) -> None:
    """Answer 403 unless the predicate holds."""
    if not allowed:
        abort(403)


# --- strategy versions ------------------------------------------------------------------------

def can_manage_strategy(user: Any) -> bool:
    """Compose, edit, compare and publish strategy versions: the administration."""
    return has_role(user, "admin")


# Exposed to templates as ``can.<name>(...)``.
TEMPLATE_PREDICATES = {
    name: func
    for name, func in globals().copy().items()
    if name.startswith("can_") and callable(func)
}
