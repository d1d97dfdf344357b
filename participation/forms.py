"""The base of every form: text fields follow the rules of ``participation.text``.

Comment bodies and display names are cleaned by their services; every other text field — a
round's title, a proposal's wording, a moderation note — is checked here, so a control character
pasted from a word processor (a vertical tab is Word's manual line break) or a bidirectional
override is refused next to the field instead of being stored and breaking an export later.
Passwords are left alone (they are never shown, only hashed).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField

from .text import TextError, clean_text


class Form(FlaskForm):
    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001 - WTForms' signature
        valid = super().validate(extra_validators)
        for field in self:
            if not isinstance(field, StringField) or isinstance(field, PasswordField):
                continue
            if not isinstance(field.data, str) or not field.data:
                continue
            try:
                clean_text(field.data)
            except TextError as error:
                if error.message not in field.errors:
                    field.errors = [*field.errors, error.message]
                valid = False
        return valid
