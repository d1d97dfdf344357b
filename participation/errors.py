"""Error pages in the user's language; JSON for the API."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, current_app, g, jsonify, make_response, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .accounts.models import User
from .extensions import login_manager
from .service_errors import ServiceError

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30
# What the page layout reads of the logged-in user (without loading anything).
SHOWN_USER_FIELDS = {"id", "role", "language", "deleted_at", "confirmed_at"}


def messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        403: _("You are not allowed to do this."),
        404: _("This page does not exist."),
        405: _("This kind of request is not supported here."),
        413: _("The submitted data is too large. Please shorten it and try again."),
        429: _("Too many attempts. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Please try again later."),
        503: _("The service is briefly unavailable. Please try again in a minute."),
    }


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_code(status: int) -> str:
    return {
        400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
        413: "too_large", 429: "rate_limited", 500: "server_error", 503: "unavailable",
    }.get(status, "error")


def json_error(status: int, code: str, message: str):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def render_error(status: int, message: str | None = None, code: str | None = None):
    _forget_database()
    message = message or messages().get(status) or messages()[400]
    if wants_json():
        return json_error(status, code or error_code(status), message)
    return render_template("error.html", status=status, message=message), status


def _forget_database() -> None:
    """Error pages never touch the database: roll back, and show the visitor as already known.

    The request's session may be broken (a failed statement, a lost connection); its objects
    are detached first, so the page can still read the user who was loaded, and a visitor
    not loaded yet is shown as logged out instead of being looked up.
    """
    g.pop("mail_queued", None)
    db_session = g.get("db_session")
    user = g.get("_login_user")
    if isinstance(user, User) and not sa.inspect(user).dict.keys() >= SHOWN_USER_FIELDS:
        g._login_user = login_manager.anonymous_user()  # expired by the failed transaction
    if db_session is not None:
        try:
            db_session.expunge_all()
            db_session.rollback()
        except Exception:  # noqa: BLE001 - a dead connection; it is discarded at teardown
            log.warning("Rolling back after an error failed", exc_info=True)
    if "_login_user" not in g:
        g._login_user = login_manager.anonymous_user()
    if request_ctx.url_adapter is None:
        # The host was refused (TRUSTED_HOSTS): build the page's links for our own address.
        base = urlsplit(current_app.config["BASE_URL"])
        request_ctx.url_adapter = current_app.url_map.bind(
            base.netloc, script_name=base.path or "/", url_scheme=base.scheme)


def unavailable(error: Exception):
    """The database is unreachable or overloaded: 503, try again shortly, no traceback."""
    log.error("Database unavailable on %s %s: %s", request.method, request.path,
              str(error).splitlines()[0] if str(error) else type(error).__name__)
    _forget_database()  # before any translated text: choosing the language may look up the user
    response = make_response(render_error(
        503, _("The service is briefly unavailable. Please try again in a minute."), "unavailable"))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        if wants_json() and not current_user.is_authenticated:
            # Every API write needs an account: without a log-in that is the answer, not the token.
            # (Asked before _forget_database: the database is fine here, the user may be loaded.)
            return json_error(401, "not_logged_in", _("Please log in first."))
        _forget_database()
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

    @app.errorhandler(sa.exc.DataError)
    def _data(error: sa.exc.DataError):
        # The database refused a value (a NUL byte, a number out of range) that no check
        # caught before: the request was bad, not the server.
        log.warning("Database refused a value on %s %s: %s", request.method, request.path,
                    str(error.orig).splitlines()[0] if error.orig else error)
        return render_error(400)

    app.register_error_handler(sa.exc.OperationalError, unavailable)
    app.register_error_handler(sa.exc.TimeoutError, unavailable)  # no pooled connection came free

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):  # pragma: no cover - handled above
            return _http(error)
        if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
            return unavailable(error)
        if app.testing:
            raise error  # let the test show the traceback instead of a bland 500 page
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(InternalServerError.code)
