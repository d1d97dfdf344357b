"""Flask extensions, created unbound here and bound to the app in ``create_app``."""

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
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


def login_pair_key() -> str:
    """Rate-limit key for log-ins per account and address: guessing from one place ends early,
    while the owner elsewhere is not locked out."""
    return login_account_key() + "|" + get_remote_address()


def failed_login(response) -> bool:
    """Only failed attempts count against an account; a successful log-in redirects."""
    return response.status_code != 302


def config_limit(name: str):
    """A limit string read from the app config at request time (so tests and operators set it)."""
    return lambda: current_app.config[name]


def account_key() -> str:
    """Rate-limit key for writing: the account, so one person cannot spread out over addresses."""
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return get_remote_address()


# Writing in the discussion, counted per account across the forms and the JSON API.
comment_limit = limiter.shared_limit(config_limit("RATELIMIT_COMMENTS"), scope="comments",
                                     key_func=account_key, methods=["POST"])
report_limit = limiter.shared_limit(config_limit("RATELIMIT_REPORTS"), scope="reports",
                                    key_func=account_key, methods=["POST"])
helpful_limit = limiter.shared_limit(config_limit("RATELIMIT_HELPFUL"), scope="helpful",
                                     key_func=account_key, methods=["POST", "DELETE"])
