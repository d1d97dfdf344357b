"""Names shown for the stored keys of stances and reasons."""

from flask_babel import lazy_gettext as _l

STANCE_LABELS = {
    "support": _l("Agreement"),
    "criticism": _l("Criticism"),
    "suggestion": _l("Suggestion"),
    "question": _l("Question"),
}
# Reasons for reports and for hiding ("off_topic" only for moderators).
REASON_LABELS = {
    "insult": _l("Insult"),
    "spam": _l("Spam"),
    "misinformation": _l("False information"),
    "privacy": _l("Privacy"),
    "off_topic": _l("Off topic"),
    "other": _l("Other"),
}
