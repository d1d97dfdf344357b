"""Forms of the moderation: one small POST form per decision.

Messages are lazy strings so they follow the moderator's language. Every decision form carries
``next``, the page to return to (checked by the view: only paths on this site).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from ..comments.labels import REASON_LABELS
from ..comments.models import HIDE_REASONS
from ..forms import Form

NOTE_MAX = 1000

# How long a block lasts: days, or None for good.
BLOCK_DURATIONS = {"7": 7, "30": 30, "forever": None}
BLOCK_LABELS = {
    "7": _l("7 days"),
    "30": _l("30 days"),
    "forever": _l("For good"),
}


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _note(label) -> TextAreaField:
    return TextAreaField(
        label, filters=[_strip],
        validators=[Optional(), Length(max=NOTE_MAX, message=_l("Use at most %(max)d characters."))],
    )


class DecisionForm(Form):
    """Approve, or unmark/mark official: nothing to fill in but where to go back to."""

    next = HiddenField()


class RestoreForm(DecisionForm):
    note = _note(_l("Why it is shown again (optional, for the audit log)"))


class HideForm(DecisionForm):
    reason = SelectField(
        _l("Reason (shown to everyone)"),
        choices=[SelectChoice("", _l("Choose a reason"))]
        + [SelectChoice(key, REASON_LABELS[key]) for key in HIDE_REASONS],
            validate_choice=False,  # AnyOf says it in our words
        validators=[AnyOf(HIDE_REASONS, message=_l("Please choose a reason."))],
    )
    note = _note(_l("Note to the author (optional)"))


class OfficialForm(DecisionForm):
    official = HiddenField()  # "1" to mark, "0" to unmark


class BlockForm(DecisionForm):
    duration = SelectField(
        _l("Block for"),
        choices=[SelectChoice(key, label) for key, label in BLOCK_LABELS.items()],
        default="7",
        validate_choice=False,
        validators=[AnyOf(tuple(BLOCK_DURATIONS), message=_l("Please choose how long the block lasts."))],
    )
    reason = TextAreaField(
        _l("Reason (for the audit log)"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Please give a reason.")),
            Length(max=NOTE_MAX, message=_l("Use at most %(max)d characters.")),
        ],
    )


class UnblockForm(DecisionForm):
    reason = _note(_l("Why the block is lifted (optional, for the audit log)"))
