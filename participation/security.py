"""Security headers for every response; nothing on a page may come from another host.

Per-request signing kept to what changes (both are measured in ``benchmarks/ratio.py``):

- The CSRF token a page carries is the session's random token signed with the secret key
  (Flask-WTF). ``WTF_CSRF_TIME_LIMIT`` is None, so a signed token stays valid as long as its
  session: it is signed once per process and session token (``_CsrfTokens``), not on every page.
- A permanent (logged-in) session's cookie is re-issued to slide its expiry forward at most
  every ``SESSION_REFRESH_SECONDS`` (default one hour), and whenever the session changes, instead
  of being re-signed on every response: the session still ends
  ``PARTICIPATION_SESSION_LIFETIME_HOURS`` after the last activity, give or take that hour.

Request size limits: Werkzeug applies MAX_FORM_PARTS and MAX_FORM_MEMORY_SIZE to multipart
forms only; ``LimitedRequest`` applies them to ordinary (url-encoded) forms as well, before
parsing, so a body of 900,000 empty fields is refused in microseconds.
"""

import time
from collections import OrderedDict

from flask import Flask, Request, Response, g, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import RequestEntityTooLarge

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


class LimitedRequest(Request):
    def _load_form_data(self) -> None:
        if "form" not in self.__dict__ and self.mimetype == "application/x-www-form-urlencoded":
            body = self.get_data(cache=True)  # MAX_CONTENT_LENGTH applies here
            if self.max_form_memory_size is not None and len(body) > self.max_form_memory_size:
                raise RequestEntityTooLarge()
            if self.max_form_parts is not None and body.count(b"&") >= self.max_form_parts:
                raise RequestEntityTooLarge()
        super()._load_form_data()


class _CsrfTokens:
    """Signed CSRF tokens by session token, at most ``MAX`` (the oldest go first)."""

    MAX = 20_000

    def __init__(self) -> None:
        self.signed: OrderedDict[str, str] = OrderedDict()

    def prepare(self, field: str) -> None:
        raw = session.get(field)
        if not isinstance(raw, str):
            return  # generate_csrf makes one when a page needs it
        token = self.signed.get(raw)
        if token is None:
            token = generate_csrf()
            self.signed[raw] = token
            while len(self.signed) > self.MAX:
                self.signed.popitem(last=False)
        else:
            setattr(g, field, token)  # what generate_csrf() answers from for the rest of the request


class SlidingSessionInterface(SecureCookieSessionInterface):
    """Re-issue a permanent session's cookie when it changed or is older than the refresh period."""

    ISSUED = "_issued"

    def should_set_cookie(self, app: Flask, session) -> bool:  # noqa: ANN001 - Flask's signature
        now = int(time.time())
        due = (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]
               and now - int(session.get(self.ISSUED, 0)) >= app.config.get("SESSION_REFRESH_SECONDS", 3600))
        if not (session.modified or due):
            return False
        if session.permanent:
            session[self.ISSUED] = now  # saved with the cookie that is set now
        return True


def init_app(app: Flask) -> None:
    app.request_class = LimitedRequest
    app.session_interface = SlidingSessionInterface()
    tokens = _CsrfTokens()
    field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")

    @app.before_request
    def _csrf_token() -> None:
        if app.config.get("WTF_CSRF_TIME_LIMIT") is None:
            tokens.prepare(field)

    @app.after_request
    def _set_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
