"""Forms of the consolidation. Messages are lazy strings so they follow the user's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional, ValidationError

from ..forms import Form
from .models import KINDS, OUTCOMES, PLACE_KINDS
from .services import EXPLANATION_MAX, RATIONALE_MAX, TEXT_MAX, TITLE_MAX

KIND_LABELS = {
    "amend": _l("Amend the text of an item"),
    "add": _l("Add a new item"),
    "remove": _l("Remove an item"),
    "keep": _l("Keep an item unchanged"),
}
PLACE_LABELS = {"target": _l("Target picture (in a field of action)"), "coordinate": _l("Guiding coordinate")}
OUTCOME_LABELS = {
    "incorporated": _l("Incorporated"),
    "partly": _l("Partly incorporated"),
    "not_adopted": _l("Not adopted"),
    "out_of_scope": _l("Out of scope"),
    "duplicate": _l("Duplicate"),
    "noted": _l("Noted"),
}
STATE_LABELS = {
    "draft": _l("Draft"),
    "in_review": _l("In review"),
    "changes_requested": _l("Changes requested"),
    "recommended": _l("Recommended"),
    "accepted": _l("Accepted"),
    "accepted_modified": _l("Accepted with changes"),
    "rejected": _l("Rejected"),
    "deferred": _l("Deferred to a later version"),
    "withdrawn": _l("Withdrawn"),
}
# The button that moves a proposal to a state.
ACTION_LABELS = {
    "in_review": _l("Submit for review"),
    "changes_requested": _l("Request changes"),
    "recommended": _l("Recommend"),
    "accepted": _l("Accept"),
    "accepted_modified": _l("Accept with changes"),
    "rejected": _l("Reject"),
    "deferred": _l("Defer"),
    "withdrawn": _l("Withdraw"),
}
FIELD_LABELS = {
    "title_de": _l("Title (German)"), "title_en": _l("Title (English)"),
    "summary_de": _l("Summary (German)"), "summary_en": _l("Summary (English)"),
    "body_de": _l("Text (German)"), "body_en": _l("Text (English)"),
}


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _text(label, limit: int, area: bool = True):
    field = TextAreaField if area else StringField
    return field(label, filters=[_strip],
                 validators=[Optional(), Length(max=limit, message=_l("Use at most %(max)d characters."))])


def _comment_ids(form, field) -> None:
    """Ids beyond 64 bits name no comment (and the database driver could not look them up)."""
    if any(not 0 < value < 2**63 for value in field.data or ()):
        raise ValidationError(_l("Choose comments from the list."))


class ProposalForm(Form):
    kind = RadioField(
        _l("What does the proposal do?"), choices=[SelectChoice(k, KIND_LABELS[k]) for k in KINDS],
        default="amend", validate_choice=False,
        validators=[AnyOf(KINDS, message=_l("Choose what the proposal does."))],
    )
    item = SelectField(_l("Item"), validate_choice=False)  # choices: the round's items, set by the view
    place_kind = RadioField(
        _l("New item is a"), choices=[SelectChoice(k, PLACE_LABELS[k]) for k in PLACE_KINDS], validate_choice=False,
        validators=[Optional()],
    )
    place_parent = SelectField(_l("Field of action of the new target picture"), validate_choice=False)
    place_position = IntegerField(_l("Position (optional)"), validators=[
        Optional(), NumberRange(min=1, max=1000, message=_l("The position is a number from 1 to 1000."))])
    title_de = _text(_l("Title (German)"), TITLE_MAX, area=False)
    title_en = _text(_l("Title (English)"), TITLE_MAX, area=False)
    summary_de = _text(_l("Summary (German)"), TEXT_MAX)
    summary_en = _text(_l("Summary (English)"), TEXT_MAX)
    body_de = _text(_l("Text (German)"), TEXT_MAX)
    body_en = _text(_l("Text (English)"), TEXT_MAX)
    rationale_de = TextAreaField(_l("Reasons (German)"), filters=[_strip], validators=[
        DataRequired(message=_l("Please give the reasons for the proposal in German.")),
        Length(max=RATIONALE_MAX, message=_l("Use at most %(max)d characters."))])
    rationale_en = _text(_l("Reasons (English, optional)"), RATIONALE_MAX)
    comments = SelectMultipleField(_l("Cited comments"), coerce=int, validate_choice=False,
                                   validators=[_comment_ids])
    action = HiddenField()  # "preview" shows the diff without saving


class TransitionForm(Form):
    to = HiddenField(validators=[AnyOf(tuple(STATE_LABELS))])
    reason = _text(_l("Reason"), RATIONALE_MAX)
    # accepted_modified: the administration's version of the text
    title_de = _text(_l("Title (German)"), TITLE_MAX, area=False)
    title_en = _text(_l("Title (English)"), TITLE_MAX, area=False)
    summary_de = _text(_l("Summary (German)"), TEXT_MAX)
    summary_en = _text(_l("Summary (English)"), TEXT_MAX)
    body_de = _text(_l("Text (German)"), TEXT_MAX)
    body_en = _text(_l("Text (English)"), TEXT_MAX)


class SupersedeForm(Form):
    """Resolve a conflict: this accepted proposal gives way to another on the same item."""

    by = SelectField(_l("Superseded by proposal"), coerce=int, validate_choice=False)
    reason = TextAreaField(_l("Why the other proposal wins (required)"), filters=[_strip], validators=[
        DataRequired(message=_l("Please say why the other proposal wins.")),
        Length(max=RATIONALE_MAX, message=_l("Use at most %(max)d characters."))])


class OutcomeForm(Form):
    """One outcome for the selected comments (bulk)."""

    comments = SelectMultipleField(_l("Selected comments"), coerce=int, validate_choice=False,
                                   validators=[_comment_ids])
    outcome = SelectField(
        _l("Outcome"), choices=[SelectChoice("", _l("Choose an outcome"))]
        + [SelectChoice(k, OUTCOME_LABELS[k]) for k in OUTCOMES], validate_choice=False,
        validators=[AnyOf(OUTCOMES, message=_l("Please choose an outcome."))],
    )
    explanation = TextAreaField(_l("Explanation for the authors (public)"), filters=[_strip], validators=[
        DataRequired(message=_l("Please explain the outcome to the authors.")),
        Length(max=EXPLANATION_MAX, message=_l("Use at most %(max)d characters."))])
    next = HiddenField()
