"""Flask extensions, created unbound here and bound to the app in ``create_app``."""

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()


def _limiter_key() -> str:
    return get_remote_address()


limiter = Limiter(key_func=_limiter_key, default_limits=[])


def login_account_key() -> str:
    """Rate-limit key for log-ins per account, whatever address they come from."""
    email = (request.form.get("email") or "").strip().lower()
    return "login-account:" + email


def config_limit(name: str):
    """A limit string read from the app config at request time (so tests and operators set it)."""
    return lambda: current_app.config[name]
