"""Error pages in the user's language; JSON for the API."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .service_errors import ServiceError

log = logging.getLogger(__name__)


def messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        403: _("You are not allowed to do this."),
        404: _("This page does not exist."),
        405: _("This kind of request is not supported here."),
        413: _("The submitted data is too large."),
        429: _("Too many attempts. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Please try again later."),
    }


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_code(status: int) -> str:
    return {
        400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
        413: "too_large", 429: "rate_limited", 500: "server_error",
    }.get(status, "error")


def json_error(status: int, code: str, message: str):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def render_error(status: int, message: str | None = None, code: str | None = None):
    message = message or messages().get(status) or messages()[400]
    if wants_json():
        return json_error(status, code or error_code(status), message)
    return render_template("error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        if wants_json() and not current_user.is_authenticated:
            # Every API write needs an account: without a log-in that is the answer, not the token.
            return json_error(401, "not_logged_in", _("Please log in first."))
        return render_error(
            400,
            _("The form had expired or came from another site. Please try again."),
            "csrf_failed",
        )

    @app.errorhandler(ServiceError)
    def _refused(error: ServiceError):
        # A use case refused and no view showed it in a form: nothing it flushed is kept.
        if "db_session" in g:
            g.db_session.rollback()
        return render_error(error.status, error.message, error.code)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        status = error.code or 500
        response = render_error(status)
        if status == 405 and error.get_response().headers.get("Allow"):
            # Keep the Allow header the client needs.
            if isinstance(response, tuple):
                body, code = response
                return body, code, {"Allow": error.get_response().headers["Allow"]}
            response.headers["Allow"] = error.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):  # pragma: no cover - handled above
            return _http(error)
        if app.testing:
            raise error  # let the test show the traceback instead of a bland 500 page
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(InternalServerError.code)
