"""Pages of the version lifecycle.

Public: the comparison of two versions (word diff, inline or side by side), the printable
Synopse, an item's history, and the unsubscribe page of the update mails. Administration
(``/verwaltung/strategie``): compose a draft, edit its texts with a reason, publish it.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from .. import db, permissions, worddiff
from ..rounds.models import Round
from ..rounds.services import rounds_for
from ..strategy.models import StrategyItem, StrategyVersion
from ..strategy.services import LANGS, TEXT_FIELDS, all_versions, current_version, item_by_key, version_by_number
from . import services as version_services
from .forms import ComposeForm, DiscardForm, ItemEditForm, NotifyForm, PublishForm, UnsubscribeForm
from .notify import user_from_token
from .services import (
    TEXT_COLUMNS,
    VersionError,
    edit_item,
    rounds_with_key,
    summary,
    text_fingerprint,
    untraceable_keys,
)

bp = Blueprint("versions", __name__, template_folder="templates")

CHANGE_LABELS = {
    "unchanged": _l("unchanged"),
    "changed": _l("changed"),
    "added": _l("added"),
    "removed": _l("removed"),
    "first": _l("first version"),
}
FIELD_LABELS = {"title": _l("Title"), "summary": _l("Summary"), "body": _l("Text")}
LANG_LABELS = {"de": _l("German"), "en": _l("English")}


@bp.app_context_processor
def _helpers() -> dict:
    def superseded_by(version: StrategyVersion) -> StrategyVersion | None:
        """The current version, when ``version`` is an older published one."""
        if version is None or version.state != "published":
            return None
        current = current_version(db.session())
        return current if current is not None and current.id != version.id else None

    return {"superseded_by": superseded_by}


@bp.context_processor
def _labels() -> dict:
    return {
        "change_labels": CHANGE_LABELS,
        "field_labels": FIELD_LABELS,
        "lang_labels": LANG_LABELS,
        "text_fields": TEXT_FIELDS,
        "langs": LANGS,
        "word_diff": _word_diff,
    }


def _word_diff(before: StrategyItem | None, after: StrategyItem | None, name: str, lang: str) -> dict | None:
    """Inline and side-by-side HTML of one text, or None when both sides are empty."""
    old = getattr(before, f"{name}_{lang}", None) if before is not None else None
    new = getattr(after, f"{name}_{lang}", None) if after is not None else None
    if not old and not new:
        return None
    ops = worddiff.word_diff(old, new)
    return {
        "changed": worddiff.has_changes(ops),
        "inline": worddiff.render_inline(ops),
        "old": worddiff.render_side(ops, "old"),
        "new": worddiff.render_side(ops, "new"),
    }


def _visible_version(number: str) -> StrategyVersion:
    version = version_by_number(db.session(), number)
    if version is None or not permissions.can_view_version(current_user, version):
        abort(404)
    return version


# --- public: compare, Synopse, history -----------------------------------------------------------

@bp.get("/strategie/versionen/<a>/vergleich/<b>")
def compare(a: str, b: str):
    older, newer = _visible_version(a), _visible_version(b)
    view = "side" if request.args.get("ansicht") == "nebeneinander" else "inline"
    only_changes = request.args.get("alle") != "1"
    compared = version_services.compare(db.session(), older, newer)
    shown = [e for e in compared if e.change != "unchanged"] if only_changes else compared
    return render_template("versions/compare.html", older=older, newer=newer, compared=shown,
                           counts=summary(compared), view=view, only_changes=only_changes)


@bp.get("/strategie/versionen/<a>/vergleich/<b>/synopse")
def synopsis(a: str, b: str):
    older, newer = _visible_version(a), _visible_version(b)
    session = db.session()
    compared = [e for e in version_services.compare(session, older, newer) if e.change != "unchanged"]
    return render_template("versions/synopsis.html", older=older, newer=newer, compared=compared,
                           proposals=_visible_proposals(session, {i for e in compared for i in e.proposals}))


def _visible_proposals(session, ids: set[int]) -> dict:
    """The proposals of these ids that the viewer may read (their title and the reason of the
    decision go into the Synopse); one query per round they come from."""
    from ..proposals.models import Proposal
    from ..proposals.services import visible_proposals
    from ..rounds.services import get_round

    found = {}
    if not ids:
        return found
    for round_id in session.scalars(sa.select(Proposal.round_id).where(Proposal.id.in_(ids)).distinct()).all():
        round_ = get_round(session, round_id)
        if round_ is not None and permissions.can_view_round(current_user, round_):
            found.update({p.id: p for p in visible_proposals(session, round_, current_user) if p.id in ids})
    return found


@bp.get("/strategie/<path:key>/verlauf")
def history(key: str):
    session = db.session()
    steps = version_services.history(session, key, include_drafts=permissions.can_see_drafts(current_user))
    if not steps:
        abort(404)
    rounds = [r for r in rounds_with_key(session, key) if permissions.can_view_round(current_user, r)]
    latest = next((s.item for s in reversed(steps) if s.item is not None), None)
    return render_template("versions/history.html", key=key, steps=steps, rounds=rounds, latest=latest)


# --- telling participants -------------------------------------------------------------------------

@bp.post("/konto/benachrichtigungen")
@login_required
def notifications():
    form = NotifyForm()
    if not form.validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    user.notify_strategy_updates = bool(form.notify.data)
    db.session().commit()
    flash(_("You will get an e-mail when the strategy is updated.") if user.notify_strategy_updates
          else _("You will no longer get e-mails about updates of the strategy."), "success")
    return redirect(url_for("accounts.profile") + "#notifications-title")


@bp.route("/abmelden/strategie/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """No login needed: the signed token names the account. Only the POST changes anything."""
    session = db.session()
    user = user_from_token(session, token)
    if user is None:
        return render_template("versions/unsubscribe.html", user=None, form=None), 404
    form = UnsubscribeForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        user.notify_strategy_updates = False
        session.commit()
        return render_template("versions/unsubscribe.html", user=user, form=None, done=True)
    return render_template("versions/unsubscribe.html", user=user, form=form, done=False)


@bp.app_context_processor
def _notify_form() -> dict:
    def notify_form() -> NotifyForm:
        return NotifyForm(notify=bool(getattr(current_user, "notify_strategy_updates", False)))

    return {"notify_form": notify_form}


# --- administration ---------------------------------------------------------------------------------

def _require_admin() -> None:
    permissions.require(permissions.can_manage_strategy(current_user))


def _version_or_404(number: str) -> StrategyVersion:
    version = version_by_number(db.session(), number)
    if version is None:
        abort(404)
    return version


def _prepare_compose(form: ComposeForm) -> list[StrategyVersion]:
    session = db.session()
    published = [v for v in all_versions(session) if v.state == "published"]
    form.base.choices = [SelectChoice(v.id, _("%(number)s: %(title)s", number=v.number, title=v.title))
                         for v in published]
    rounds = rounds_for(session, include_drafts=True)
    form.round.choices = [SelectChoice(0, _("No round (editorial changes only)"))] + [
        SelectChoice(r.id, _("%(title)s (version %(number)s)", title=r.title, number=r.version.number))
        for r in rounds
    ]
    if request.method == "GET":
        current = current_version(session)
        form.base.data = current.id if current else None
        form.round.data = 0
    return published


def _admin_index(form: ComposeForm | None = None, problems: list[str] | None = None, status: int = 200):
    form = form or ComposeForm()
    _prepare_compose(form)
    return render_template("versions/admin_index.html", versions=all_versions(db.session()),
                           current=current_version(db.session()), form=form, problems=problems or []), status


@bp.get("/verwaltung/strategie")
@login_required
def admin_index():
    _require_admin()
    return _admin_index()


@bp.post("/verwaltung/strategie/zusammenstellen")
@login_required
def admin_compose():
    _require_admin()
    form = ComposeForm()
    published = _prepare_compose(form)
    if not form.validate_on_submit():
        return _admin_index(form, status=422)
    session = db.session()
    base = next((v for v in published if v.id == form.base.data), None)
    if base is None:
        form.base.errors = [_("Please choose a published version.")]
        return _admin_index(form, status=422)
    changes = []
    if form.round.data:
        round_ = session.get(Round, form.round.data)
        if round_ is None or round_.version_id != base.id:
            form.round.errors = [_("This round was not about the chosen version.")]
            return _admin_index(form, status=422)
        changes = version_services.accepted_changes(session, round_)  # the seam to consolidation
    try:
        result = version_services.compose(session, current_user._get_current_object(), base,
                                          form.number.data.strip(), changes)
    except VersionError as error:
        session.rollback()
        if error.code == "conflicts":
            return _admin_index(form, problems=error.details, status=422)
        form.number.errors = [error.message]
        return _admin_index(form, status=422)
    session.commit()
    counts = result.counts
    flash(_("Draft %(number)s has been composed: %(changed)d changed, %(added)d added, %(removed)d removed, "
            "%(unchanged)d unchanged.", number=result.version.number, **counts), "success")
    return redirect(url_for("versions.admin_version", number=result.version.number))


@bp.get("/verwaltung/strategie/<number>")
@login_required
def admin_version(number: str):
    _require_admin()
    version = _version_or_404(number)
    session = db.session()
    compared = version_services.compare(session, version.based_on, version) if version.based_on else None
    return render_template(
        "versions/admin_version.html", version=version, compared=compared,
        counts=summary(compared) if compared is not None else None,
        items=[] if compared is not None else version.items,
        untraceable=untraceable_keys(session, version),
    )


@bp.route("/verwaltung/strategie/<number>/<path:key>/bearbeiten", methods=["GET", "POST"])
@login_required
def admin_edit(number: str, key: str):
    _require_admin()
    version = _version_or_404(number)
    session = db.session()
    item = item_by_key(session, version, key)
    if item is None:
        abort(404)
    if version.state != "draft":
        flash(_("A published version cannot be changed."), "error")
        return redirect(url_for("versions.admin_version", number=number))
    if request.method == "GET":
        form = ItemEditForm(data={column: getattr(item, column) or "" for column in TEXT_COLUMNS},
                            started_from=text_fingerprint(item))
    else:
        form = ItemEditForm()
    if form.validate_on_submit():
        try:
            edit_item(session, current_user._get_current_object(), item,
                      {column: getattr(form, column).data for column in TEXT_COLUMNS}, form.reason.data,
                      started_from=form.started_from.data or None)
        except VersionError as error:
            session.rollback()
            item = item_by_key(session, version, key)
            if error.code == "changed_meanwhile":
                # Show the newer texts; the reason stays, the admin enters the change again.
                reason = form.reason.data
                current = {column: getattr(item, column) or "" for column in TEXT_COLUMNS}
                form = ItemEditForm(formdata=None, data=current, started_from=text_fingerprint(item), reason=reason)
                flash(error.message, "error")
            elif error.code.startswith("reason"):
                form.reason.errors = [*form.reason.errors, error.message]
            else:
                flash(error.message, "error")
        else:
            session.commit()
            flash(_("The text has been saved and the change recorded."), "success")
            return redirect(url_for("versions.admin_version", number=number) + f"#item-{item.id}")
    return render_template("versions/admin_edit.html", version=version, item=item, form=form), (
        200 if request.method == "GET" else 422)


@bp.route("/verwaltung/strategie/<number>/veroeffentlichen", methods=["GET", "POST"])
@login_required
def admin_publish(number: str):
    _require_admin()
    version = _version_or_404(number)
    session = db.session()
    if version.state != "draft":
        flash(_("Version %(number)s is published already.", number=number), "error")
        return redirect(url_for("versions.admin_version", number=number))
    form = PublishForm()
    if form.validate_on_submit():
        try:
            mails = version_services.publish(session, current_user._get_current_object(), version,
                                    form.adopted_on.data, form.council_reference.data)
        except VersionError as error:
            session.rollback()
            flash(error.message, "error")
        else:
            session.commit()
            flash(_("Version %(number)s is published and now the current strategy. %(mails)d e-mails are queued.",
                    number=number, mails=mails), "success")
            return redirect(url_for("versions.admin_version", number=number))
    compared = version_services.compare(session, version.based_on, version) if version.based_on else None
    return render_template("versions/admin_publish.html", version=version, form=form,
                           counts=summary(compared) if compared is not None else None,
                           untraceable=untraceable_keys(session, version)), (
        200 if request.method == "GET" else 422)


@bp.route("/verwaltung/strategie/<number>/verwerfen", methods=["GET", "POST"])
@login_required
def admin_discard(number: str):
    _require_admin()
    version = _version_or_404(number)
    if version.state != "draft":
        flash(_("A published version cannot be changed."), "error")
        return redirect(url_for("versions.admin_version", number=number))
    form = DiscardForm()
    if form.validate_on_submit():
        session = db.session()
        try:
            version_services.discard(session, current_user._get_current_object(), version)
        except VersionError as error:
            session.rollback()
            flash(error.message, "error")
            return redirect(url_for("versions.admin_version", number=number))
        session.commit()
        flash(_("Draft %(number)s has been discarded.", number=number), "success")
        return redirect(url_for("versions.admin_index"))
    return render_template("versions/admin_discard.html", version=version, form=form), (
        200 if request.method == "GET" else 422)
