"""Password rules and hashing, in one place.

Length plus a guessability estimate (zxcvbn: dictionaries of common passwords, names and
keyboard patterns) instead of composition rules, as NIST SP 800-63B recommends.
"""

from __future__ import annotations

import functools

from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 128
# zxcvbn score 0–4; 2 means roughly 10^6–10^8 guesses: refuses common and patterned choices.
MIN_SCORE = 2
# werkzeug's scrypt (N=2^15, r=8, p=1). The test suite lowers the cost (tests/conftest.py);
# everything else keeps this.
PRODUCTION_HASH_METHOD = "scrypt"
HASH_METHOD = PRODUCTION_HASH_METHOD


@functools.cache
def _dummy_hash(method: str) -> str:
    """Used to spend the same time on unknown accounts as on known ones."""
    return generate_password_hash("not-a-real-password", method=method)


def needs_rehash(password_hash: str | None) -> bool:
    """Made by another method or with other cost parameters than HASH_METHOD (e.g. an older
    default): the hash is renewed at the next log-in."""
    return (password_hash or "").split("$", 1)[0] != _dummy_hash(HASH_METHOD).split("$", 1)[0]


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
        check_password_hash(_dummy_hash(HASH_METHOD), password)
        return False
    return check_password_hash(password_hash, password)
