"""Forms of the discussion. The rules (lengths, stances, reasons) live in the services, which
answer a ``CommentError``; the views put its message next to the field it concerns."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice

from ..forms import Form
from .labels import REASON_LABELS, STANCE_LABELS
from .models import BODY_MAX, REPORT_REASONS, REPORT_TEXT_MAX, STANCES

# Which field a service error belongs to; other errors concern the whole form.
ERROR_FIELDS = {
    "empty_body": "body",
    "body_too_long": "body",
    "control_characters": "body",
    "bidi_characters": "body",
    "duplicate": "body",
    "unknown_stance": "stance",
    "unknown_reason": "reason",
    "text_required": "text",
    "text_too_long": "text",
}


class _Form(Form):
    def add_error(self, code: str, message: str) -> None:
        """Put a service error next to its field, or on the form as a whole."""
        name = ERROR_FIELDS.get(code)
        if name is not None and name in self:
            self[name].errors = [*self[name].errors, message]
        else:
            self.form_errors.append(message)


class CommentForm(_Form):
    # validate_choice=False: an unknown stance is refused by the service, with its message.
    stance = RadioField(_l("Your stance"), choices=[SelectChoice(key, STANCE_LABELS[key]) for key in STANCES],
                        validate_choice=False)
    body = TextAreaField(_l("Your comment"), render_kw={"maxlength": BODY_MAX, "rows": 6})


class ReplyForm(CommentForm):
    body = TextAreaField(_l("Your reply"), render_kw={"maxlength": BODY_MAX, "rows": 4})


class EditForm(_Form):
    body = TextAreaField(_l("Your comment"), render_kw={"maxlength": BODY_MAX, "rows": 8})


class ReportForm(_Form):
    reason = RadioField(_l("Reason"), choices=[SelectChoice(key, REASON_LABELS[key]) for key in REPORT_REASONS],
                        validate_choice=False)
    text = TextAreaField(_l("What is wrong with it?"), render_kw={"maxlength": REPORT_TEXT_MAX, "rows": 4})

