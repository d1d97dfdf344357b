"""Account forms. Messages are lazy strings so they follow the user's language."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, StopValidation, ValidationError

from ..forms import Form
from ..templating import AGE_BRACKET_LABELS, DISTRICT_LABELS
from ..text import TextError, clean_display_name
from . import passwords
from .models import AGE_BRACKETS, DISTRICTS

DISPLAY_NAME_MAX = 60


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _lower(value: str | None) -> str | None:
    return value.strip().lower() if isinstance(value, str) else value


def email_field(label=None) -> EmailField:
    return EmailField(
        label or _l("E-mail address"),
        filters=[_lower],
        validators=[
            DataRequired(message=_l("Please enter your e-mail address.")),
            Length(max=254, message=_l("This e-mail address is too long.")),
            Email(message=_l("Please enter a valid e-mail address, such as name@example.org."),
                  check_deliverability=False),
        ],
    )


class DisplayName:
    """The shared text rules plus look-alikes and reserved names (``form.staff`` may use those)."""

    def __call__(self, form: Form, field: StringField) -> None:
        try:
            field.data = clean_display_name(
                field.data or "", staff=getattr(form, "staff", False), site_name=current_app.config["SITE_NAME"]
            )
        except TextError as error:
            raise StopValidation(error.message) from None


def display_name_field() -> StringField:
    return StringField(
        _l("Display name"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Please enter a display name.")),
            DisplayName(),
            Length(max=DISPLAY_NAME_MAX, message=_l("Use at most %(max)d characters.")),
        ],
    )


class NewPassword:
    """Length and guessability, with the other fields of the form as context."""

    def __call__(self, form: Form, field: PasswordField) -> None:
        related = [getattr(form, name).data for name in ("email", "display_name") if hasattr(form, name)]
        # Change and reset forms ask only for the password: the view names the account's own data.
        related += getattr(form, "account_inputs", [])
        message = passwords.problem(field.data or "", related=[str(r) for r in related if r])
        if message:
            raise ValidationError(message)


def new_password_field(label=None) -> PasswordField:
    return PasswordField(
        label or _l("Password"),
        validators=[InputRequired(message=_l("Please choose a password.")), NewPassword()],
    )


class RegisterForm(Form):
    email = email_field()
    display_name = display_name_field()
    password = new_password_field()
    consent = BooleanField(
        _l("I have read the privacy notice and agree that my data is processed as described there."),
        validators=[DataRequired(message=_l("Please agree to the privacy notice to create an account."))],
    )
    next = HiddenField()


class LoginForm(Form):
    email = email_field()
    password = PasswordField(
        _l("Password"), validators=[InputRequired(message=_l("Please enter your password."))]
    )
    remember = BooleanField(_l("Stay logged in on this device"))
    next = HiddenField()


class EmailForm(Form):
    """Forgotten password and a new confirmation link ask only for the address."""

    email = email_field()


class ResetPasswordForm(Form):
    password = new_password_field(_l("New password"))


class ProfileForm(Form):
    display_name = display_name_field()
    language = SelectField(
        _l("Language"),
        choices=[
            SelectChoice("de", "Deutsch", render_kw={"lang": "de"}),
            SelectChoice("en", "English", render_kw={"lang": "en"}),
        ],
        validators=[DataRequired()],
    )
    district = SelectField(
        _l("City district (optional)"),
        choices=[SelectChoice("", _l("Prefer not to say"))]
        + [SelectChoice(key, DISTRICT_LABELS[key]) for key in DISTRICTS],
        validate_choice=True,
    )
    age_bracket = SelectField(
        _l("Age (optional)"),
        choices=[SelectChoice("", _l("Prefer not to say"))]
        + [SelectChoice(key, AGE_BRACKET_LABELS[key]) for key in AGE_BRACKETS],
        default="",  # not sent (an older form): not stated
        validate_choice=True,
    )


class ChangePasswordForm(Form):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(message=_l("Please enter your current password."))],
    )
    password = new_password_field(_l("New password"))


class DeleteAccountForm(Form):
    password = PasswordField(
        _l("Your password"),
        validators=[InputRequired(message=_l("Please enter your password to confirm."))],
    )
    confirm = BooleanField(
        _l("Yes, delete my account. I understand that this cannot be undone."),
        validators=[DataRequired(message=_l("Please confirm that you want to delete your account."))],
    )
