"""Forms for composing, editing and publishing versions, and for the update mails."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from ..forms import Form
from ..strategy.services import LIMITS
from .services import REASON_MAX, REFERENCE_MAX


class ComposeForm(Form):
    base = SelectField(_l("Based on the published version"), coerce=int,
                       validators=[InputRequired(message=_l("Please choose a version."))])
    round = SelectField(_l("Accepted proposals of the round"), coerce=int, validate_choice=True)
    number = StringField(
        _l("Number of the new version"),
        validators=[DataRequired(message=_l("Please enter a version number.")), Length(max=20),
                    Regexp(r"^[0-9]+(?:\.[0-9]+){0,2}$", message=_l("A version number looks like 2.0 or 2.1.0."))],
    )


class ItemEditForm(Form):
    title_de = StringField(_l("Title (German)"), validators=[
        DataRequired(message=_l("The German title must not be empty.")), Length(max=LIMITS["title"])])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=LIMITS["title"])])
    summary_de = TextAreaField(_l("Summary (German)"), validators=[Optional(), Length(max=LIMITS["summary"])])
    summary_en = TextAreaField(_l("Summary (English)"), validators=[Optional(), Length(max=LIMITS["summary"])])
    body_de = TextAreaField(_l("Text (German)"), validators=[Optional(), Length(max=LIMITS["body"])])
    body_en = TextAreaField(_l("Text (English)"), validators=[Optional(), Length(max=LIMITS["body"])])
    reason = TextAreaField(
        _l("Reason for the change"),
        validators=[DataRequired(message=_l("Please give a reason for the change.")), Length(max=REASON_MAX)],
    )
    # The texts the editor started from (a fingerprint), so a concurrent save is not undone.
    started_from = HiddenField()


class PublishForm(Form):
    adopted_on = DateField(_l("Date of the council decision (optional)"), validators=[Optional()])
    council_reference = StringField(_l("Reference of the council decision (optional)"),
                                    validators=[Optional(), Length(max=REFERENCE_MAX)])
    confirm = BooleanField(
        _l("Yes, publish this version. It becomes the current strategy and can no longer be changed."),
        validators=[DataRequired(message=_l("Please confirm that you want to publish this version."))],
    )


class DiscardForm(Form):
    confirm = BooleanField(
        _l("Yes, discard this draft with all its editorial changes."),
        validators=[DataRequired(message=_l("Please confirm that you want to discard this draft."))],
    )


class NotifyForm(Form):
    notify = BooleanField(_l("Notify me when the strategy is updated"))


class UnsubscribeForm(Form):
    """Only the CSRF token: the button is the confirmation."""
