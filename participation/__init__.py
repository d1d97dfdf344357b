"""Citizen participation platform: revise a city's Smart City strategy with its residents."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter, ValidationError

import config


class BoundedIntConverter(IntegerConverter):
    """Ids in URLs beyond what the database stores are simply unknown: 404 on every route.

    The stock converter refuses with ``ValidationError``, after which werkzeug reports the
    methods of sibling rules on the same path (a 405 for POST where only GET is left). Raising
    ``NotFound`` ends the matching with one answer for every method.
    """

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> int:
        try:
            return super().to_python(value)
        except ValidationError:
            raise NotFound() from None


class _NoNul:
    """A path segment with a NUL names nothing we store (PostgreSQL text cannot hold it): 404."""

    def to_python(self, value: str) -> str:
        if "\x00" in value:
            raise NotFound()
        return super().to_python(value)  # type: ignore[misc]


class NoNulUnicodeConverter(_NoNul, UnicodeConverter):
    pass


class NoNulPathConverter(_NoNul, PathConverter):
    pass


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build and wire the application; nothing is configured at import time."""
    instance_path = os.environ.get("PARTICIPATION_INSTANCE_PATH") or None
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=False)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.load(app.instance_path))
    if overrides:
        app.config.update(overrides)
    if app.config["ENV"] != "testing":
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    if app.config["PROXY_FIX"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    from . import conditional, db, errors, input_guard, security, templating
    from .extensions import babel, csrf, limiter, login_manager
    from .i18n import select_locale
    from .models import load_all

    load_all()
    # Ids in URLs beyond what the database stores are simply unknown (404), not a 500.
    app.url_map.converters["int"] = BoundedIntConverter
    app.url_map.converters["default"] = app.url_map.converters["string"] = NoNulUnicodeConverter
    app.url_map.converters["path"] = NoNulPathConverter
    db.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=os.path.join(app.root_path, os.pardir, "translations"),
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    input_guard.init_app(app)
    conditional.init_app(app)

    from .accounts.views import bp as accounts_bp
    from .accounts.views import init_login
    from .admin.views import bp as admin_bp
    from .analysis.views import bp as analysis_bp
    from .api.views import bp as api_bp
    from .comments.views import bp as comments_bp
    from .exports.views import bp as exports_bp
    from .mail.services import init_app as init_mail
    from .moderation.views import bp as moderation_bp
    from .pages.views import bp as pages_bp
    from .proposals.views import bp as proposals_bp
    from .ratings.views import bp as ratings_bp
    from .rounds.views import bp as rounds_bp
    from .strategy.views import bp as strategy_bp
    from .versions.views import bp as versions_bp

    init_login(app)
    init_mail(app)
    app.register_blueprint(strategy_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(rounds_bp)
    app.register_blueprint(ratings_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(comments_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(versions_bp)
    app.register_blueprint(analysis_bp)
    app.register_blueprint(proposals_bp)
    app.register_blueprint(exports_bp)
    # The JSON API authenticates with the session and checks the X-CSRFToken header on writes.
    from .api import analysis as _api_analysis  # noqa: F401
    from .api import comments as _api_comments  # noqa: F401  (add their routes to api_bp)
    from .api import proposals as _api_proposals  # noqa: F401
    from .api import rounds as _api_rounds  # noqa: F401
    from .api import versions as _api_versions  # noqa: F401  (adds compare and history to api_bp)

    app.register_blueprint(api_bp)

    from .cli import register_commands

    register_commands(app)
    return app
