"""Registration, confirmation, log-in and -out, password reset, profile, data, deletion."""

from __future__ import annotations

import json
import re

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as http_session
from flask_babel import gettext as _
from flask_babel import refresh as refresh_locale
from flask_login import current_user, login_required, login_user, logout_user

from .. import db, permissions
from ..extensions import config_limit, failed_login, limiter, login_account_key, login_manager, login_pair_key
from ..i18n import LANGUAGE_COOKIE, current_language
from ..templating import is_safe_next
from . import passwords, services, tokens
from .forms import (
    ChangePasswordForm,
    DeleteAccountForm,
    EmailForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from .models import LANGUAGES

bp = Blueprint("accounts", __name__, template_folder="templates")
# Limits what sends mail; a form sent back with errors (422) sends none and does not count, so
# people typing at a workshop's shared address are not locked out by their own typos.
mail_limit = limiter.limit(config_limit("RATELIMIT_MAIL"), methods=["POST"],
                           deduct_when=lambda response: response.status_code < 400)


def init_login(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None  # the login page explains itself
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(session_id: str):
        user = services.user_by_session_id(db.session(), session_id)
        return user if user is not None and user.is_active else None


def _start_session(user, remember: bool = False) -> None:
    """Log in; the session lasts PARTICIPATION_SESSION_LIFETIME_HOURS. The CSRF token of the
    visit before is dropped: whoever may have seen it (a shared computer, a page saved before
    logging in) cannot use it for the account; the next page gets a new one."""
    http_session.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    http_session.permanent = True
    login_user(user, remember=remember)
    # The language last chosen on this device (the switch in the header, before logging in) is
    # the person's newest choice: it becomes the profile's. Messages of this request follow it.
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES and chosen != user.language:
        user.language = chosen
        db.session().commit()
    refresh_locale()


def _next_target(default: str = "strategy.home") -> str:
    target = request.values.get("next")
    return target if is_safe_next(target) else url_for(default)


# --- registration and confirmation ---------------------------------------------------------

@bp.route("/register", methods=["GET", "POST"])
@mail_limit
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"))
    form = RegisterForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        next_path = form.next.data if is_safe_next(form.next.data) else None
        services.register(
            db.session(), form.email.data, form.display_name.data, form.password.data,
            current_language(), next_path,
        )
        db.session().commit()
        return render_template("accounts/check_mail.html", email=form.email.data, purpose="register")
    return render_template("accounts/register.html", form=form), 200 if request.method == "GET" else 422


@bp.route("/bestaetigen/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """The link shows a button; only pressing it (POST) confirms.

    So a mail scanner that opens every link cannot confirm an address on its own, and no
    state changes by GET.
    """
    session = db.session()
    checked = tokens.check(session, token, tokens.CONFIRM)
    if checked.status == "used":
        flash(_("Your e-mail address is already confirmed. You can log in."), "info")
        return redirect(url_for("accounts.login"))
    if checked.status != "ok" or checked.user is None:
        return render_template("accounts/bad_link.html", status=checked.status, purpose="confirm"), 400
    if request.method == "GET":
        return render_template("accounts/confirm.html", token=token, email=checked.user.email)
    services.confirm(session, checked.user)
    session.commit()
    _start_session(checked.user)
    flash(_("Thank you! Your e-mail address is confirmed and you are logged in."), "success")
    next_path = (checked.data or {}).get("n")
    return redirect(next_path if is_safe_next(next_path) else url_for("strategy.home"))


@bp.route("/bestaetigung-erneut", methods=["GET", "POST"])
@mail_limit
def resend_confirmation():
    form = EmailForm(email=request.args.get("email", ""))
    if form.validate_on_submit():
        services.resend_confirmation(db.session(), form.email.data)
        db.session().commit()
        return render_template("accounts/check_mail.html", email=form.email.data, purpose="resend")
    return render_template("accounts/resend.html", form=form), 200 if request.method == "GET" else 422


# --- log-in and log-out ------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(config_limit("RATELIMIT_LOGIN"), methods=["POST"])
@limiter.limit(config_limit("RATELIMIT_LOGIN_PER_PAIR"), methods=["POST"], key_func=login_pair_key,
               deduct_when=failed_login)
@limiter.limit(config_limit("RATELIMIT_LOGIN_PER_ACCOUNT"), methods=["POST"], key_func=login_account_key,
               deduct_when=failed_login)
def login():
    if current_user.is_authenticated:
        return redirect(_next_target())
    form = LoginForm(next=request.args.get("next", ""))
    problem = None
    if form.validate_on_submit():
        session = db.session()
        result = services.authenticate(session, form.email.data, form.password.data)
        if result.problem is None and result.user is not None:
            session.commit()
            _start_session(result.user, remember=form.remember.data)
            flash(_("You are logged in."), "success")
            return redirect(_next_target())
        problem = result.problem
    status = 200 if request.method == "GET" else (403 if problem == "unconfirmed" else 422)
    return render_template("accounts/login.html", form=form, problem=problem), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        # A copy of the session cookie (or a "stay logged in" cookie) stops working as well.
        services.end_sessions(db.session(), current_user._get_current_object())
        db.session().commit()
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("strategy.home"))


# --- password reset ----------------------------------------------------------------------

@bp.route("/passwort-vergessen", methods=["GET", "POST"])
@mail_limit
def forgot_password():
    form = EmailForm()
    if form.validate_on_submit():
        services.request_password_reset(db.session(), form.email.data)
        db.session().commit()
        return render_template("accounts/check_mail.html", email=form.email.data, purpose="reset")
    return render_template("accounts/forgot.html", form=form), 200 if request.method == "GET" else 422


@bp.route("/passwort-neu/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    session = db.session()
    checked = tokens.check(session, token, tokens.RESET)
    if checked.status != "ok" or checked.user is None:
        return render_template("accounts/bad_link.html", status=checked.status, purpose="reset"), 400
    form = ResetPasswordForm()
    form.account_inputs = _account_inputs(checked.user)
    if form.validate_on_submit():
        services.set_password(session, checked.user, form.password.data)
        session.commit()
        _start_session(checked.user)
        flash(
            _("Your new password has been set. You are logged in here and have been logged out on all other devices."),
            "success",
        )
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/reset.html", form=form), 200 if request.method == "GET" else 422


def _account_inputs(user) -> list[str]:
    """What a password must not be built from: the address, its parts and the name."""
    email = user.email or ""
    values = [email, email.partition("@")[0], user.display_name or ""]
    words = re.split(r"[\W_]+", " ".join(values[1:]))  # "anna.schmidt" → anna, schmidt
    return [value for value in values + words if len(value) > 2]


# --- profile -----------------------------------------------------------------------------

@bp.route("/konto", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user if request.method == "GET" else None)
    form.staff = permissions.can_moderate(current_user)
    if request.method == "GET":
        form.district.data = current_user.district or ""
        form.age_bracket.data = current_user.age_bracket or ""
    elif form.validate_on_submit():
        services.update_profile(
            db.session(), current_user, form.display_name.data, form.language.data, form.district.data,
            age_bracket=form.age_bracket.data,
        )
        db.session().commit()
        flash(_("Your profile has been saved."), "success")
        response = redirect(url_for("accounts.profile"))
        _remember_language(response, current_user.language)
        return response
    return _profile_page(profile_form=form, status=200 if request.method == "GET" else 422)


def _profile_page(profile_form=None, password_form=None, status: int = 200):
    return render_template(
        "accounts/profile.html",
        profile_form=profile_form or ProfileForm(
            obj=current_user, district=current_user.district or "", age_bracket=current_user.age_bracket or ""),
        password_form=password_form or ChangePasswordForm(),
    ), status


@bp.post("/konto/passwort")
@login_required
def change_password():
    form = ChangePasswordForm()
    form.account_inputs = _account_inputs(current_user)
    if form.validate_on_submit():
        if not passwords.verify(current_user.password_hash, form.current_password.data):
            form.current_password.errors = [_("This is not your current password.")]
        else:
            user = current_user._get_current_object()
            services.set_password(db.session(), user, form.password.data)
            db.session().commit()
            _start_session(user)  # this session carries the new token; others end
            flash(_("Your password has been changed. You have been logged out on all other devices."), "success")
            return redirect(url_for("accounts.profile"))
    return _profile_page(password_form=form, status=422)


@bp.get("/konto/daten")
@login_required
def download_data():
    data = services.export_data(db.session(), current_user)
    response = Response(
        json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json"
    )
    response.headers["Content-Disposition"] = 'attachment; filename="meine-daten.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/konto/loeschen", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if passwords.verify(current_user.password_hash, form.password.data):
            user = current_user._get_current_object()
            services.delete_account(db.session(), user)
            db.session().commit()
            logout_user()
            flash(_("Your account has been deleted. Your personal data has been erased."), "success")
            return redirect(url_for("strategy.home"))
        form.password.errors = [_("This is not your password.")]
    return render_template("accounts/delete.html", form=form), 200 if request.method == "GET" else 422


# --- language ----------------------------------------------------------------------------

def _remember_language(response: Response, language: str) -> None:
    response.set_cookie(
        LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )


@bp.post("/sprache")
def set_language():
    language = request.form.get("language")
    if language not in LANGUAGES:
        language = current_language()
    if current_user.is_authenticated and current_user.language != language:
        current_user.language = language
        db.session().commit()
    response = redirect(_next_target())
    _remember_language(response, language)
    return response
