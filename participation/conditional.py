"""Conditional requests for visitors: public pages send an ETag and answer 304 when unchanged.

A visitor's page differs from the last one they got only in its CSRF token (signed anew on
every request, but valid for the whole session), so the ETag is taken over the page without
it. A 304 lets the browser keep the page it has, token included. Pages for logged-in people are
personal and get no ETag. Pages kept by ``page_cache`` bring their ETag and ``Last-Modified`` (the
time they were rendered) along, so neither is computed per request.
``Cache-Control: private, no-cache`` keeps shared caches out and makes
browsers ask every time, so a changed page is never missed.
"""

from __future__ import annotations

import hashlib

from flask import Flask, Response, g, request
from flask_login import current_user

CONDITIONAL_TYPES = ("text/html", "application/json")


def _conditional(response: Response) -> Response:
    if (request.method not in ("GET", "HEAD") or response.status_code != 200 or response.direct_passthrough
            or response.mimetype not in CONDITIONAL_TYPES or current_user.is_authenticated
            or response.headers.get("Cache-Control", "").startswith("no-store")):
        return response
    kept = g.get("page_cache_validators")  # page_cache.py: computed once per rendering
    if kept:
        response.set_etag(kept[0], weak=True)
        response.headers["Last-Modified"] = kept[1]
    else:
        body = response.get_data()
        token = g.get("csrf_token")
        if token:
            body = body.replace(token.encode(), b"")
        response.set_etag(hashlib.blake2b(body, digest_size=16).hexdigest(), weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    app.after_request(_conditional)
