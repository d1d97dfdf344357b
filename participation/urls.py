"""Absolute addresses of the site, from the configured ``PARTICIPATION_BASE_URL`` only.

Mail links and the console's output never follow the request's ``Host`` (or
``X-Forwarded-Host``) header: a forged header would otherwise send a valid password-reset
link to the attacker's domain.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import current_app


def public_url(endpoint: str, _anchor: str | None = None, base_url: str | None = None, **values) -> str:
    """``url_for(endpoint, _external=True)``, but on the configured public address."""
    base = urlsplit(base_url or current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{quote(_anchor)}" if _anchor else url
