"""The two five-point scales and their wording, shared by pages, API messages and results."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# Shown from 1 to 5, then "no answer" (0).
ORDER = (1, 2, 3, 4, 5, 0)

LABELS = {
    "agreement": {
        1: _l("Strongly disagree"),
        2: _l("Tend to disagree"),
        3: _l("Partly agree, partly disagree"),
        4: _l("Tend to agree"),
        5: _l("Strongly agree"),
        0: _l("No answer"),
    },
    "importance": {
        1: _l("Not important at all"),
        2: _l("Less important"),
        3: _l("Moderately important"),
        4: _l("Quite important"),
        5: _l("Very important"),
        0: _l("No answer"),
    },
}

QUESTION_NAMES = {"agreement": _l("Agreement"), "importance": _l("Importance")}


def label(question: str, value: int) -> str:
    return str(LABELS[question][value])


def saved_message(question: str, value: int | None) -> str:
    """The confirmation after saving, the same for the plain form and the JSON API."""
    name = str(QUESTION_NAMES[question])
    if value is None:
        return _("%(question)s: your rating was withdrawn.", question=name)
    return _("%(question)s saved: %(answer)s.", question=name, answer=label(question, value))


def legend(question: str, kind: str) -> str:
    """The question as asked about one item."""
    if question == "agreement":
        return _("How far do you agree with this guiding coordinate?") if kind == "coordinate" else _(
            "How far do you agree with this target picture?")
    return _("How important is this guiding coordinate to you?") if kind == "coordinate" else _(
        "How important is this target picture to you?")
