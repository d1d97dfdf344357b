"""Who may do what: small predicates, shared by views and templates.

Every view that changes or reveals something checks one of these, through ``require``.
Later steps add their actions here (rating, commenting, moderating) so the whole rule set
stays in one file and is tested as one matrix.
"""

from __future__ import annotations

from typing import Any

from flask import abort

from .accounts.models import User


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


def require(allowed: bool) -> None:
    """Answer 403 unless the predicate holds."""
    if not allowed:
        abort(403)


# Exposed to templates as ``can.<name>(...)``.
TEMPLATE_PREDICATES = {
    name: func
    for name, func in globals().copy().items()
    if name.startswith("can_") and callable(func)
}
