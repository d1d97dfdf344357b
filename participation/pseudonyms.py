"""Pseudonymous participant ids, one key per round.

Exports and the analysis name participants without naming people: an online participant is the
HMAC of the account id under a key derived from the secret key and the round, so the same person
gets unrelated ids in two rounds and nobody without the secret key can link an id to an account.
An offline participant (a paper ballot) is its ballot id, which the administration printed itself.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app

PSEUDONYM_LENGTH = 16  # hex characters: 64 bits, no collisions among a city's participants


def round_key(round_id: int, secret_key: str | bytes | None = None) -> bytes:
    secret = secret_key if secret_key is not None else current_app.config["SECRET_KEY"]
    if isinstance(secret, str):
        secret = secret.encode()
    return hmac.new(secret, f"participant-pseudonym:round:{round_id}".encode(), hashlib.sha256).digest()


def pseudonymizer(round_id: int, secret_key: str | bytes | None = None):
    """A function user id -> pseudonym for one round (derives the round key once)."""
    key = round_key(round_id, secret_key)

    def pseudonym(user_id: int) -> str:
        return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_LENGTH]

    return pseudonym


def participant_pseudonym(round_id: int, user_id: int, secret_key: str | bytes | None = None) -> str:
    return pseudonymizer(round_id, secret_key)(user_id)


def ballot_pseudonym(code: str) -> str:
    """Offline ballots are named by their printed id, marked so it cannot look like an HMAC."""
    return f"ballot:{code}"
