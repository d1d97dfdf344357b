from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..forms import Form


class RedeemCodeForm(Form):
    code = StringField(
        _l("Invitation code"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            DataRequired(message=_l("Please enter the code from your letter.")),
            Length(max=40, message=_l("This code is too long.")),
        ],
    )
