"""Configuration from environment variables with the prefix ``PARTICIPATION_``.

Development works with no variables at all (SQLite in ``instance/``). With
``PARTICIPATION_ENV=production`` the app refuses to start unless a real secret key and
a database URL are set, so a forgotten variable cannot silently run production on defaults.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

PREFIX = "PARTICIPATION_"
ENVIRONMENTS = ("development", "production", "testing")
# Keys that are obviously placeholders; production refuses them.
WEAK_SECRET_KEYS = {"", "dev", "change-me", "changeme", "secret", "development"}
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(RuntimeError):
    """The environment does not describe a runnable app; the message says what is missing."""


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(PREFIX + name, default)


def _flag(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = _env(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"{PREFIX}{name} must be a whole number, not {value!r}") from exc


def load(instance_path: str) -> dict:
    """Read the configuration for one app instance from the environment."""
    env = _env("ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"{PREFIX}ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    production = env == "production"

    secret_key = _env("SECRET_KEY")
    database_url = _env("DATABASE_URL")
    if production:
        missing = []
        if not secret_key or secret_key.strip().lower() in WEAK_SECRET_KEYS:
            missing.append(
                f"{PREFIX}SECRET_KEY (a random value, e.g. "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        elif len(secret_key) < MIN_SECRET_KEY_LENGTH:
            missing.append(f"{PREFIX}SECRET_KEY is too short: use at least {MIN_SECRET_KEY_LENGTH} random characters")
        if not database_url:
            missing.append(f"{PREFIX}DATABASE_URL (e.g. postgresql+psycopg://user:password@host/dbname)")
        if not _env("BASE_URL"):
            missing.append(f"{PREFIX}BASE_URL (the public address, e.g. https://beteiligung.muenster.de)")
        if missing:
            raise ConfigError("Refusing to start in production. Missing or unsafe:\n  - " + "\n  - ".join(missing))
    if not secret_key:
        # Development and tests only: a per-instance key kept in instance/ so sessions survive
        # a restart, never a constant compiled into the code.
        secret_key = _instance_secret(instance_path)
    if not database_url:
        database_url = "sqlite:///" + str(Path(instance_path) / "participation.db")

    base_url, trusted_hosts = _public_address(env)

    mail_backend = _env("MAIL_BACKEND", "smtp" if production else "file")
    if mail_backend not in {"smtp", "file"}:
        raise ConfigError(f"{PREFIX}MAIL_BACKEND must be smtp or file, not {mail_backend!r}")

    return {
        "ENV": env,
        "TESTING": env == "testing",
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", production),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # How long a log-in lasts ("stay logged in" cookies as well).
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_int("SESSION_LIFETIME_HOURS", 24 * 14)),
        "REMEMBER_COOKIE_DURATION": timedelta(hours=_int("SESSION_LIFETIME_HOURS", 24 * 14)),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "PROXY_FIX": _int("PROXY_FIX", 0),  # number of trusted reverse proxies in front
        # Links in mail and from the console use this address, never the request's Host header;
        # requests for other hosts are refused (400).
        "BASE_URL": base_url,
        "TRUSTED_HOSTS": trusted_hosts,
        # Request size: a whole form fits easily; a flood of fields or megabytes does not.
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 1024 * 1024),
        "MAX_FORM_MEMORY_SIZE": _int("MAX_FORM_MEMORY_SIZE", 256 * 1024),
        "MAX_FORM_PARTS": _int("MAX_FORM_PARTS", 500),
        # Mail
        "MAIL_BACKEND": mail_backend,
        "MAIL_DELIVER_INLINE": _flag("MAIL_DELIVER_INLINE", not production),
        "MAIL_DIR": _env("MAIL_DIR") or str(Path(instance_path) / "mail"),
        "MAIL_SERVER": _env("MAIL_SERVER", "localhost"),
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USERNAME": _env("MAIL_USERNAME"),
        "MAIL_PASSWORD": _env("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL", False),
        "MAIL_TIMEOUT": _int("MAIL_TIMEOUT", 30),
        "MAIL_SENDER": _env("MAIL_SENDER", "Smart City Münster <beteiligung@localhost>"),
        "MAIL_MAX_ATTEMPTS": _int("MAIL_MAX_ATTEMPTS", 8),
        # Tokens in e-mails
        "CONFIRM_TOKEN_MAX_AGE": _int("CONFIRM_TOKEN_HOURS", 72) * 3600,
        "RESET_TOKEN_MAX_AGE": _int("RESET_TOKEN_HOURS", 2) * 3600,
        # Rate limits (Flask-Limiter): in memory by default, shared via Redis when set.
        "RATELIMIT_STORAGE_URI": _env("RATELIMIT_STORAGE_URL", "memory://"),
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        "RATELIMIT_LOGIN": _env("RATELIMIT_LOGIN", "10 per minute; 100 per hour"),
        # Failed log-ins per account and address, and (much higher) per account from anywhere.
        "RATELIMIT_LOGIN_PER_PAIR": _env("RATELIMIT_LOGIN_PER_PAIR", "10 per hour"),
        "RATELIMIT_LOGIN_PER_ACCOUNT": _env("RATELIMIT_LOGIN_PER_ACCOUNT", "200 per hour"),
        "RATELIMIT_MAIL": _env("RATELIMIT_MAIL", "5 per minute; 30 per hour"),
        # Per account, shared by the forms and the JSON API.
        "RATELIMIT_COMMENTS": _env("RATELIMIT_COMMENTS", "10 per minute; 60 per hour"),
        "RATELIMIT_REPORTS": _env("RATELIMIT_REPORTS", "10 per hour"),
        "RATELIMIT_HELPFUL": _env("RATELIMIT_HELPFUL", "60 per minute"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Languages and time
        "LANGUAGES": ("de", "en"),
        "BABEL_DEFAULT_LOCALE": "de",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
        "SITE_NAME": _env("SITE_NAME", "Smart City Münster"),
        "SQL_ECHO": _flag("SQL_ECHO", False),
        # Population shares per district and age bracket for the analysis (representativeness);
        # empty: the shipped Münster file.
        "POPULATION_FILE": _env("POPULATION_FILE"),
        # How often a cached analysis asks the database whether another process changed the
        # round's ratings (0: on every request); this process's own changes show at once.
        "ANALYSIS_RECHECK_SECONDS": _int("ANALYSIS_RECHECK_SECONDS", 5),
        # Exports compute the analysis parameters in a child process unless this process has
        # numpy and scikit-learn loaded already (participation/exports/analysis.py).
        "EXPORT_ANALYSIS_IN_CHILD": _flag("EXPORT_ANALYSIS_IN_CHILD", True),
        # PostgreSQL connections per app process (gunicorn worker): pool size plus overflow must
        # cover its threads; the server's max_connections must cover every process.
        "DB_POOL_SIZE": _int("DB_POOL_SIZE", 5),
        "DB_MAX_OVERFLOW": _int("DB_MAX_OVERFLOW", 5),
        "DB_POOL_TIMEOUT": _int("DB_POOL_TIMEOUT", 10),
        # Longest a single SQL statement may run on PostgreSQL (0: no limit); console commands
        # that load in bulk lift it for their own transaction.
        "DB_STATEMENT_TIMEOUT_MS": _int("DB_STATEMENT_TIMEOUT_MS", 15_000),
        # How long results may be served from the process's cache when another process changed
        # them (0: never cached); changes made by the same process show at once.
        "RESULTS_CACHE_SECONDS": _int("RESULTS_CACHE_SECONDS", 5),
        # How long a page rendered for visitors may be served when another process changed what
        # it shows (0: rendered per request); changes made by the same process show at once.
        "PAGE_CACHE_SECONDS": _int("PAGE_CACHE_SECONDS", 5),
    }


LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "::1"]


def _public_address(env: str) -> tuple[str, list[str]]:
    """The configured public address and the host names requests may carry.

    Development defaults to ``http://127.0.0.1:<PORT>``; tests to ``http://localhost``.
    Outside production the loopback names are trusted as well, so a local browser works.
    """
    default = "http://localhost" if env == "testing" else f"http://127.0.0.1:{os.environ.get('PORT') or 5000}"
    base_url = (_env("BASE_URL") or default).strip().rstrip("/")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"{PREFIX}BASE_URL must look like https://beteiligung.example.org, not {base_url!r}")
    hosts = [parts.hostname]
    hosts += [host.strip() for host in (_env("TRUSTED_HOSTS") or "").split(",") if host.strip()]
    if env != "production":
        hosts += LOOPBACK_HOSTS
    return base_url, list(dict.fromkeys(hosts))


def _instance_secret(instance_path: str) -> str:
    import secrets

    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
