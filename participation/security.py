"""Security headers for every response; nothing on a page may come from another host.

Request size limits: Werkzeug applies MAX_FORM_PARTS and MAX_FORM_MEMORY_SIZE to multipart
forms only; ``LimitedRequest`` applies them to ordinary (url-encoded) forms as well, before
parsing, so a body of 900,000 empty fields is refused in microseconds.
"""

from flask import Flask, Request, Response
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


def init_app(app: Flask) -> None:
    app.request_class = LimitedRequest
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
