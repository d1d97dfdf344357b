"""The administration's area: consultation rounds (and, later, strategy versions and pages).

Every view is for admins only (``can_manage_rounds``); state changes are POST forms with a
CSRF token. Times are typed and shown as Münster wall-clock time and stored in UTC.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from .. import db, permissions
from ..proposals.services import publication_refusal
from ..results.services import participant_count
from ..rounds import services
from ..rounds.models import Round
from ..rounds.services import NEXT_STEP, RoundData, RoundError, ScopeGroup, berlin_to_utc, utc_to_berlin
from ..strategy.models import StrategyVersion
from ..strategy.services import all_versions, current_version
from ..templating import local_datetime
from .forms import (
    CODES_MAX,
    MODERATION_LABELS,
    PARTICIPATION_LABELS,
    REPORT_THRESHOLD_MAX,
    REPORT_THRESHOLD_MIN,
    RESULTS_LABELS,
    AdvanceForm,
    CodesForm,
    ExtendForm,
    RoundForm,
)
from .services import CODE_STATES
from .services import codes_csv as build_codes_csv

bp = Blueprint("admin", __name__, url_prefix="/verwaltung", template_folder="templates")

# The button for NEXT_STEP[state], and what pressing it does.
STEP_LABELS = {
    "open": _l("Open now"),
    "close": _l("Close early"),
    "consolidate": _l("Start consolidation"),
    "publish": _l("Publish results"),
}
STEP_EXPLANATIONS = {
    "open": _l("The round opens immediately instead of at its opening time. Participants can rate from now on."),
    "close": _l("The round ends now instead of at its closing time. No more ratings are accepted."),
    "consolidate": _l("Moderators start turning the ratings and comments into proposals. "
                      "Participants can no longer change anything."),
    # The confirmation page adds "This cannot be undone." to the steps it confirms.
    "publish": _l("The results of the consolidation are published. This is the last step."),
}
# Steps that cannot be undone are confirmed on a page of their own (works without JavaScript).
CONFIRM_STEPS = ("close", "publish")
CONFIRM_QUESTIONS = {
    "close": _l("Close this round now?"),
    "publish": _l("Publish the results now?"),
}
CONFIRM_BUTTONS = {
    "close": _l("Yes, close the round now"),
    "publish": _l("Yes, publish the results"),
}
# Which field shows a refusal of the round services.
ERROR_FIELDS = {
    "closes_before_opening": "closes",
    "empty_scope": "items",
    "item_not_in_version": "items",
    "bad_threshold": "report_threshold",
}


@bp.context_processor
def _labels() -> dict:
    return {
        "step_labels": STEP_LABELS,
        "step_explanations": STEP_EXPLANATIONS,
        "results_labels": RESULTS_LABELS,
        "participation_labels": PARTICIPATION_LABELS,
        "moderation_labels": MODERATION_LABELS,
        "report_threshold_range": (REPORT_THRESHOLD_MIN, REPORT_THRESHOLD_MAX),
        "codes_max": CODES_MAX,
        "confirm_steps": CONFIRM_STEPS,
        "confirm_questions": CONFIRM_QUESTIONS,
        "confirm_buttons": CONFIRM_BUTTONS,
    }


def _require_admin() -> None:
    permissions.require(permissions.can_manage_rounds(current_user))


def _round_or_404(round_id: int) -> Round:
    round_ = services.get_round(db.session(), round_id)
    if round_ is None:
        abort(404)
    return round_


# --- dashboard -------------------------------------------------------------------------------

@bp.get("/")
@login_required
def index():
    _require_admin()
    rounds = services.rounds_for(db.session(), include_drafts=True)
    return render_template("admin/index.html", rounds=rounds)


# --- creating and editing a round --------------------------------------------------------------

def _version_label(version: StrategyVersion) -> str:
    if version.state == "published":
        return _("%(number)s: %(title)s", number=version.number, title=version.title)
    return _("%(number)s: %(title)s (draft)", number=version.number, title=version.title)


def _prepare(form: RoundForm, round_: Round | None) -> tuple[StrategyVersion, list[ScopeGroup]] | None:
    """Fill the choices (on GET also the values); the version and groups the checklist shows."""
    session = db.session()
    versions = all_versions(session)
    if not versions:
        return None
    form.version.choices = [SelectChoice(v.id, _version_label(v)) for v in versions]
    by_id = {v.id: v for v in versions}
    default = round_.version if round_ is not None else (current_version(session) or versions[0])
    if request.method == "GET":
        form.version.data = default.id
    version = by_id.get(form.version.data) or default
    items = services.rateable_items(session, version)
    form.items.choices = [SelectChoice(item.id, item.title) for item in items]
    if request.method == "GET":
        form.items.data = [entry.item_id for entry in round_.scope] if round_ else [item.id for item in items]
    return version, services.grouped(items)


def _initial(round_: Round) -> dict:
    return {
        "title_de": round_.title_de,
        "title_en": round_.title_en,
        "description_de": round_.description_de,
        "description_en": round_.description_en,
        "opens": utc_to_berlin(round_.opens_at).replace(tzinfo=None),
        "closes": utc_to_berlin(round_.closes_at).replace(tzinfo=None),
        "asks_importance": round_.asks_importance,
        "results_visibility": round_.results_visibility,
        "participation": round_.participation,
        "moderation": round_.moderation,
        "report_threshold": round_.report_threshold,
    }


def _round_data(form: RoundForm, version: StrategyVersion) -> RoundData:
    return RoundData(
        version=version,
        title_de=form.title_de.data,
        title_en=form.title_en.data or None,
        description_de=form.description_de.data or None,
        description_en=form.description_en.data or None,
        opens_at=berlin_to_utc(form.opens.data),
        closes_at=berlin_to_utc(form.closes.data),
        item_ids=list(form.items.data),
        asks_importance=form.asks_importance.data,
        results_visibility=form.results_visibility.data,
        participation=form.participation.data,
        moderation=form.moderation.data,
        report_threshold=form.report_threshold.data,
    )


def _show_error(form: RoundForm, error: RoundError) -> None:
    field = getattr(form, ERROR_FIELDS.get(error.code, ""), None)
    if field is None:
        flash(error.message, "error")
    else:
        field.errors = [*field.errors, error.message]


def _form_page(form: RoundForm, round_: Round | None, groups: list[ScopeGroup]):
    status = 200 if request.method == "GET" else 422
    return render_template("admin/round_form.html", form=form, round=round_, groups=groups), status


def _no_version():
    flash(_("There is no strategy version yet. Import one before creating a round."), "error")
    return redirect(url_for("admin.index"))


@bp.route("/runden/neu", methods=["GET", "POST"])
@login_required
def new_round():
    _require_admin()
    form = RoundForm()
    prepared = _prepare(form, None)
    if prepared is None:
        return _no_version()
    version, groups = prepared
    if form.validate_on_submit():
        session = db.session()
        try:
            round_ = services.create_round(session, _round_data(form, version), actor=current_user)
        except RoundError as error:
            session.rollback()
            _show_error(form, error)
        else:
            session.commit()
            flash(_("The round “%(title)s” has been created.", title=round_.title), "success")
            return redirect(url_for("admin.round", round_id=round_.id))
    return _form_page(form, None, groups)


@bp.route("/runden/<int:round_id>/bearbeiten", methods=["GET", "POST"])
@login_required
def edit_round(round_id: int):
    _require_admin()
    round_ = _round_or_404(round_id)
    if not permissions.can_edit_round(current_user, round_):
        flash(_("A round can only be changed until it opens."), "error")
        return redirect(url_for("admin.round", round_id=round_.id))
    form = RoundForm(data=_initial(round_)) if request.method == "GET" else RoundForm()
    prepared = _prepare(form, round_)
    if prepared is None:
        return _no_version()
    version, groups = prepared
    if form.validate_on_submit():
        session = db.session()
        try:
            services.update_round(session, round_, _round_data(form, version), actor=current_user)
        except RoundError as error:
            session.rollback()
            if error.code == "not_editable":  # it opened while the form was being filled in
                flash(error.message, "error")
                return redirect(url_for("admin.round", round_id=round_id))
            _show_error(form, error)
        else:
            session.commit()
            flash(_("The round has been saved."), "success")
            return redirect(url_for("admin.round", round_id=round_.id))
    return _form_page(form, round_, groups)


# --- a round's page: state, next step, invitation codes ---------------------------------------

def _round_page(round_: Round, codes_form: CodesForm | None = None, status: int = 200,
                extend_form: ExtendForm | None = None):
    session = db.session()
    state = round_.state
    generated, redeemed = services.code_counts(session, round_)
    return render_template(
        "admin/round.html",
        round=round_,
        state=state,
        next_step=NEXT_STEP.get(state),
        advance_form=AdvanceForm(state=state),
        publication_refusal=publication_refusal(session, round_) if state == "consolidation" else None,
        codes_form=codes_form or CodesForm(),
        extend_form=extend_form or ExtendForm(data={"closes": utc_to_berlin(round_.closes_at).replace(tzinfo=None)}),
        can_generate_codes=state in CODE_STATES,
        scope_count=len(round_.scope),
        participants=participant_count(session, round_),
        verified_participants=participant_count(session, round_, verified_only=True),
        codes_generated=generated,
        codes_redeemed=redeemed,
    ), status


@bp.get("/runden/<int:round_id>")
@login_required
def round(round_id: int):  # the endpoint is admin.round
    _require_admin()
    return _round_page(_round_or_404(round_id))


@bp.post("/runden/<int:round_id>/weiter")
@login_required
def advance_round(round_id: int):
    _require_admin()
    round_ = _round_or_404(round_id)
    form = AdvanceForm()
    if not form.validate_on_submit():
        abort(400)
    if form.state.data != round_.state:
        # A second click, or another admin was quicker: never skip a step unseen.
        flash(_("The round has changed in the meantime. Please check its state and try again."), "error")
        return redirect(url_for("admin.round", round_id=round_id))
    step = NEXT_STEP.get(round_.state)
    if step in CONFIRM_STEPS and form.confirmed.data != "1":
        return redirect(url_for("admin.confirm_step", round_id=round_id))
    session = db.session()
    try:
        new_state = services.advance(session, round_, current_user, form.override_reason.data)
    except RoundError as error:
        session.rollback()
        flash(error.message, "error")
        if error.code == "comments_open":
            # Back to the confirmation page, where the reason for publishing anyway is asked.
            return redirect(url_for("admin.confirm_step", round_id=round_id))
    else:
        session.commit()
        flash({
            "open": _("The round is open now."),
            "closed": _("The round is closed. No more ratings are accepted."),
            "consolidation": _("Consolidation has started."),
            "published": _("The results are published."),
        }.get(new_state, _("The round has been updated.")), "success")
    return redirect(url_for("admin.round", round_id=round_id))


@bp.get("/runden/<int:round_id>/bestaetigen")
@login_required
def confirm_step(round_id: int):
    """Ask before a step that cannot be undone; the form posts to advance_round."""
    _require_admin()
    round_ = _round_or_404(round_id)
    state = round_.state
    step = NEXT_STEP.get(state)
    if step not in CONFIRM_STEPS:
        return redirect(url_for("admin.round", round_id=round_id))
    refusal = publication_refusal(db.session(), round_) if state == "consolidation" else None
    return render_template("admin/confirm_step.html", round=round_, step=step, publication_refusal=refusal,
                           form=AdvanceForm(state=state, confirmed="1"))


@bp.post("/runden/<int:round_id>/verlaengern")
@login_required
def extend_round(round_id: int):
    _require_admin()
    round_ = _round_or_404(round_id)
    if round_.state != "open":
        flash(_("Only an open round can be extended."), "error")
        return redirect(url_for("admin.round", round_id=round_id))
    form = ExtendForm()
    if not form.validate_on_submit():
        return _round_page(round_, extend_form=form, status=422)
    session = db.session()
    try:
        services.extend_round(session, round_, berlin_to_utc(form.closes.data), actor=current_user)
    except RoundError as error:
        session.rollback()
        form.closes.errors = [*form.closes.errors, error.message]
        return _round_page(_round_or_404(round_id), extend_form=form, status=422)
    session.commit()
    flash(_("The round now closes on %(when)s.", when=local_datetime(round_.closes_at)), "success")
    return redirect(url_for("admin.round", round_id=round_id))


@bp.post("/runden/<int:round_id>/codes")
@login_required
def generate_codes(round_id: int):
    _require_admin()
    round_ = _round_or_404(round_id)
    if round_.state not in CODE_STATES:
        flash(_("Invitation codes can only be generated until the round closes."), "error")
        return redirect(url_for("admin.round", round_id=round_id))
    form = CodesForm()
    if not form.validate_on_submit():
        return _round_page(round_, codes_form=form, status=422)
    session = db.session()
    try:
        codes = services.generate_codes(session, round_, form.count.data, actor=current_user)
    except RoundError as error:
        session.rollback()
        form.count.errors = [*form.count.errors, error.message]
        return _round_page(round_, codes_form=form, status=422)
    session.commit()
    flash(ngettext("%(num)d invitation code has been generated.", "%(num)d invitation codes have been generated.",
                   len(codes)), "success")
    return redirect(url_for("admin.round", round_id=round_id))


@bp.get("/runden/<int:round_id>/codes.csv")
@login_required
def codes_csv(round_id: int):
    _require_admin()
    round_ = _round_or_404(round_id)
    text = build_codes_csv(db.session(), round_)
    response = Response(text.encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="einladungscodes-runde-{round_.id}.csv"'
    response.headers["Cache-Control"] = "no-store"  # the codes are the keys to verified participation
    return response
