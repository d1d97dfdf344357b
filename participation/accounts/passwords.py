"""Password rules and hashing, in one place.

Length plus a guessability estimate (zxcvbn: dictionaries of common passwords, names and
keyboard patterns) instead of composition rules, as NIST SP 800-63B recommends.
"""

from __future__ import annotations

from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 128
# zxcvbn score 0–4; 2 means roughly 10^6–10^8 guesses: refuses common and patterned choices.
MIN_SCORE = 2
HASH_METHOD = "scrypt"
# Used to spend the same time on unknown accounts as on known ones.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method=HASH_METHOD)


def problem(password: str, related: list[str] | None = None) -> str | None:
    """Why this password cannot be used, in the user's language; None when it is fine."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(num)d characters.", num=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(num)d characters.", num=MAX_LENGTH)
    inputs = [value for value in (related or []) if value]
    if zxcvbn(password[:100], user_inputs=inputs)["score"] < MIN_SCORE:
        return _(
            "This password is too common or too easy to guess. "
            "Try a few unrelated words or a longer phrase."
        )
    return None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


def verify(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(password_hash, password)
