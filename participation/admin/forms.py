"""Forms of the administration. Messages are lazy strings so they follow the user's language.

Dates are typed as Münster wall-clock time (``datetime-local`` inputs have no time zone); the
view converts them with ``berlin_to_utc`` before they reach the services.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import Form
from ..rounds.services import berlin_to_utc

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
CODES_MAX = 10_000
# The first is what browsers send and what the field renders; the others are for typing by hand.
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"]


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


# Shown in the form and on the round's page.
RESULTS_LABELS = {
    "live": _l("Visible while the round is open"),
    "after_close": _l("Hidden until the round closes"),
}
PARTICIPATION_LABELS = {
    "accounts": _l("Anyone with a confirmed account"),
    "codes": _l("Only participants with an invitation code"),
}
MODERATION_LABELS = {
    "post": _l("Live at once; moderators look afterwards (post-moderation)"),
    "pre": _l("Only after a moderator approved them (pre-moderation)"),
}
REPORT_THRESHOLD_MIN, REPORT_THRESHOLD_MAX = 1, 100


def _number_given(form, field) -> None:
    """A number typed as blank (or as letters) gets our message; an absent field keeps its default."""
    if field.raw_data and field.data is None:
        field.errors[:] = []
        raise StopValidation(_l("Please enter a whole number."))


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes; the template renders the options in groups (fieldsets)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class BerlinDateTimeField(DateTimeLocalField):
    """Shows only a valid time back: ``datetime-local`` cannot hold other text (the error says what was wrong)."""

    def _value(self) -> str:
        return super()._value() if self.data is not None else ""


def berlin_field(label) -> DateTimeLocalField:
    return BerlinDateTimeField(
        label,
        format=DATETIME_FORMATS,
        invalid_value_message=_l("Please enter a date and time, such as 2026-12-01 09:00."),
        validators=[InputRequired(message=_l("Please enter a date and time."))],
    )


class RoundForm(Form):
    version = SelectField(_l("Strategy version"), coerce=int, validate_choice=True)
    title_de = StringField(
        _l("Title (German)"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Please enter a German title.")),
            Length(max=TITLE_MAX, message=_l("Use at most %(max)d characters.")),
        ],
    )
    title_en = StringField(
        _l("Title (English, optional)"),
        filters=[_strip],
        validators=[Optional(), Length(max=TITLE_MAX, message=_l("Use at most %(max)d characters."))],
    )
    description_de = TextAreaField(
        _l("Description (German, optional)"),
        filters=[_strip],
        validators=[Optional(), Length(max=DESCRIPTION_MAX, message=_l("Use at most %(max)d characters."))],
    )
    description_en = TextAreaField(
        _l("Description (English, optional)"),
        filters=[_strip],
        validators=[Optional(), Length(max=DESCRIPTION_MAX, message=_l("Use at most %(max)d characters."))],
    )
    opens = berlin_field(_l("Opens"))
    closes = berlin_field(_l("Closes"))
    # Choices are the rateable items of the chosen version, set by the view.
    items = MultiCheckboxField(_l("Items in scope"), coerce=int, validate_choice=False)
    asks_importance = BooleanField(_l("Also ask how important each item is"))
    results_visibility = RadioField(
        _l("Results"),
        choices=[SelectChoice(value, label) for value, label in RESULTS_LABELS.items()],
        default="after_close",
        validators=[InputRequired(message=_l("Please choose when results are shown."))],
    )
    participation = RadioField(
        _l("Who may take part"),
        choices=[SelectChoice(value, label) for value, label in PARTICIPATION_LABELS.items()],
        default="accounts",
        validators=[InputRequired(message=_l("Please choose who may take part."))],
    )
    moderation = RadioField(
        _l("Comments"),
        choices=[SelectChoice(value, label) for value, label in MODERATION_LABELS.items()],
        default="post",
    )
    report_threshold = IntegerField(
        _l("Reports that hide a comment until a moderator looks at it"),
        default=3,
        validators=[
            _number_given,
            NumberRange(min=REPORT_THRESHOLD_MIN, max=REPORT_THRESHOLD_MAX,
                        message=_l("Choose a number from %(min)d to %(max)d.")),
        ],
    )

    def validate_closes(self, field: DateTimeLocalField) -> None:
        # The same rule (and message) as rounds.services, so every problem shows at once.
        if self.opens.data and field.data and berlin_to_utc(field.data) <= berlin_to_utc(self.opens.data):
            raise ValidationError(_l("The closing time must be after the opening time."))

    def validate_items(self, field: MultiCheckboxField) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one item for the round."))
        allowed = [choice.value for choice in field.choices]
        if set(field.data).isdisjoint(allowed):
            # Without JavaScript the checklist cannot follow a change of the version select:
            # offer the new version's items, all chosen, for the admin to check and resubmit.
            field.data = allowed
            raise ValidationError(
                _l("The strategy version was changed. Check the items of that version and save again.")
            )
        if not set(field.data) <= set(allowed):
            raise ValidationError(_l("Some chosen items do not belong to this strategy version."))


class AdvanceForm(Form):
    """The next step; ``state`` is what the admin saw, so a double click cannot skip a step."""

    state = HiddenField()
    # Only for publishing while comments have no outcome yet: why it is published anyway.
    override_reason = TextAreaField(
        _l("Reason for publishing although comments have no outcome (public)"),
        filters=[_strip],
        validators=[Optional(), Length(max=DESCRIPTION_MAX, message=_l("Use at most %(max)d characters."))],
    )
    # Set only by the confirmation page of the steps that cannot be undone (CONFIRM_STEPS).
    confirmed = HiddenField()


class ExtendForm(Form):
    """A later closing time for an open round."""

    closes = berlin_field(_l("New closing time"))


class CodesForm(Form):
    count = IntegerField(
        _l("Number of new codes"),
        default=100,
        validators=[
            InputRequired(message=_l("Please enter a number.")),
            NumberRange(min=1, max=CODES_MAX, message=_l("Choose between %(min)d and %(max)d codes.")),
        ],
    )
