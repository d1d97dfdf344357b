"""The one shape of a refused use case: a stable ``code`` for programs, a ``message`` for people
and the HTTP ``status`` that fits. Services raise subclasses (``RoundError``, ``CommentError``,
``ModerationError``); views that show the problem in a form catch them, and whatever reaches the
app is answered in one place (``errors.init_app``): an error page, or JSON under ``/api/``."""

from __future__ import annotations


class ServiceError(ValueError):
    status = 422  # the default for "understood, but not possible"

    def __init__(self, code: str, message: str, status: int | None = None):
        self.code = code
        self.message = message
        if status is not None:
            self.status = status
        super().__init__(message)
