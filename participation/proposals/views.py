"""The consolidation: the moderators' workbench, the proposal editor and review, and the public
pages (proposals of a round, the Abwägungstabelle, "Meine Beiträge").

Every change is a POST form with a CSRF token that calls one service, commits once, says what
happened and goes back. A refused change shows the form again with the reason (422).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import db, permissions
from ..comments.labels import STANCE_LABELS
from ..comments.models import STANCES, Comment
from ..moderation.services import audit_of
from ..moderation.views import ACTION_LABELS as AUDIT_ACTIONS
from ..moderation.views import page_links
from ..ratings import scales
from ..ratings.models import VALUES
from ..results.services import QuestionResult, round_results
from ..rounds.models import Round
from ..rounds.services import get_round, grouped, scope_item, scope_items
from ..strategy.models import StrategyItem
from ..templating import is_safe_next
from ..worddiff import diff_html
from . import services
from .forms import (
    ACTION_LABELS,
    FIELD_LABELS,
    KIND_LABELS,
    OUTCOME_LABELS,
    PLACE_LABELS,
    STATE_LABELS,
    OutcomeForm,
    ProposalForm,
    SupersedeForm,
    TransitionForm,
)
from .models import DECIDED, TEXT_FIELDS, Proposal
from .services import LANGUAGES, ProposalData, ProposalError

bp = Blueprint("proposals", __name__, template_folder="templates")


@bp.app_context_processor
def _labels() -> dict:
    return {
        "outcome_labels": OUTCOME_LABELS,
        "proposal_state_labels": STATE_LABELS,
        "proposal_kind_labels": KIND_LABELS,
    }


@bp.context_processor
def template_helpers() -> dict:
    """What the proposal templates use; the printable report of a round (exports) uses it too."""
    return {
        "action_labels": ACTION_LABELS,
        "field_labels": FIELD_LABELS,
        "place_labels": PLACE_LABELS,
        "text_fields": TEXT_FIELDS,
        "languages": LANGUAGES,
        "word_diff": word_diff_markup,
        "proposed_text": services.proposed_text,
        "current_text": services.current_text,
        "evidence_results": evidence_results,
        "scales": scales,
        "stance_labels": STANCE_LABELS,
        "decided_states": DECIDED,
        "audit_action_label": lambda action: AUDIT_ACTIONS.get(action, action),
    }


def word_diff_markup(old: str | None, new: str | None) -> Markup:
    return diff_html(old, new, _("removed:"), _("added:"))


def evidence_results(evidence: dict | None, which: str = "ratings") -> dict[str, QuestionResult]:
    """The frozen figures as results again, so the same charts show them."""
    out: dict[str, QuestionResult] = {}
    for question, figures in ((evidence or {}).get(which) or {}).items():
        result = QuestionResult(question)
        result.counts = {value: int(figures["counts"].get(str(value), 0)) for value in VALUES}
        out[question] = result
    return out


def _round_or_404(round_id: int) -> Round:
    round_ = get_round(db.session(), round_id) if round_id < 2**63 else None
    if round_ is None or not permissions.can_view_round(current_user, round_):
        abort(404)
    return round_


def _workbench_round(round_id: int) -> Round:
    round_ = _round_or_404(round_id)
    permissions.require(permissions.can_use_workbench(current_user, round_))
    return round_


def _proposal_or_404(proposal_id: int) -> tuple[Proposal, Round]:
    proposal = services.get_proposal(db.session(), proposal_id, lock=request.method == "POST")
    if proposal is None:
        abort(404)
    return proposal, _workbench_round(proposal.round_id)


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value < 2**31 else None


# --- the workbench ---------------------------------------------------------------------------------

@bp.get("/moderation/runden/<int:round_id>")
@login_required
def workbench(round_id: int):
    round_ = _workbench_round(round_id)
    session = db.session()
    items = scope_items(session, round_)
    progress = services.progress(session, round_)
    total = services.Progress(
        sum(p.total for p in progress.values()), sum(p.done for p in progress.values()),
        sum(p.cited for p in progress.values()))
    return render_template(
        "proposals/workbench.html", round=round_, groups=grouped(items), progress=progress, total=total,
        empty=services.Progress(), proposals=services.proposals_of(session, round_),
    )


def _item_page(round_: Round, item: StrategyItem, outcome_form: OutcomeForm | None = None, status: int = 200):
    session = db.session()
    filters = services.WorkbenchFilters.from_args(request.args)
    page = _int_arg("page") or 1
    comments, matching, page = services.workbench_comments(session, round_, item, filters, page)
    pages = max(1, -(-matching // services.WORKBENCH_PAGE))
    ids = [c.id for c in comments]
    every = round_results(session, round_, item_id=item.id).get(item.id, {})
    verified = round_results(session, round_, verified_only=True, item_id=item.id).get(item.id, {})
    here = url_for("proposals.workbench_item", round_id=round_.id, key=item.key, page=page if page > 1 else None,
                   **filters.query())
    return render_template(
        "proposals/workbench_item.html", round=round_, item=item, comments=comments, matching=matching,
        page=page, pages=pages, page_links=page_links(page, pages), filters=filters, stances=STANCES,
        results={q: every.get(q) or QuestionResult(q) for q in round_.questions},
        results_verified={q: verified.get(q) or QuestionResult(q) for q in round_.questions},
        progress=services.progress(session, round_).get(item.id) or services.Progress(),
        outcomes=services.outcomes_for(session, ids), citations=services.citations_for(session, ids),
        proposals=services.proposals_of(session, round_, item_id=item.id),
        outcome_form=outcome_form or OutcomeForm(formdata=None, next=here), here=here,
        analysis=services.analysis_of(session, round_, item),
    ), status


@bp.get("/moderation/runden/<int:round_id>/<path:key>")
@login_required
def workbench_item(round_id: int, key: str):
    round_ = _workbench_round(round_id)
    item = scope_item(db.session(), round_, key)
    if item is None:
        abort(404)
    return _item_page(round_, item)


@bp.post("/moderation/runden/<int:round_id>/ergebnisse")
@login_required
def set_outcomes(round_id: int):
    """One outcome for the selected comments of an item."""
    round_ = _workbench_round(round_id)
    session = db.session()
    item = scope_item(session, round_, request.form.get("item", ""))
    if item is None:
        abort(404)
    form = OutcomeForm()
    if not form.validate_on_submit():
        return _item_page(round_, item, form, 422)
    try:
        count = services.set_outcome(session, round_, list(form.comments.data or []), current_user,
                                     form.outcome.data, form.explanation.data)
    except ProposalError as error:
        session.rollback()
        form.outcome.errors = [*form.outcome.errors, error.message]
        return _item_page(round_, item, form, error.status)
    session.commit()
    flash(ngettext("The outcome has been set for %(num)d comment.", "The outcome has been set for %(num)d comments.",
                   count), "success")
    back = form.next.data if is_safe_next(form.next.data) else url_for(
        "proposals.workbench_item", round_id=round_.id, key=item.key)
    return redirect(back)


# --- writing a proposal -------------------------------------------------------------------------------

def _prepare(form: ProposalForm, round_: Round) -> tuple[list[StrategyItem], dict[str, StrategyItem]]:
    session = db.session()
    items = scope_items(session, round_)
    form.item.choices = [("", _("— none (a new item) —"))] + [(i.key, i.title) for i in items]
    fields = list(session.scalars(sa.select(StrategyItem).where(
        StrategyItem.version_id == round_.version_id, StrategyItem.kind == "field").order_by(StrategyItem.position)))
    form.place_parent.choices = [("", _("— none —"))] + [(f.key, f.title) for f in fields]
    return items, {i.key: i for i in items}


def _data(form: ProposalForm) -> ProposalData:
    return ProposalData(
        kind=form.kind.data, item_key=form.item.data or None,
        texts={name: {lang: getattr(form, f"{name}_{lang}").data for lang in LANGUAGES} for name in TEXT_FIELDS},
        rationale_de=form.rationale_de.data, rationale_en=form.rationale_en.data,
        comment_ids=list(form.comments.data or []), place_kind=form.place_kind.data or None,
        place_parent_key=form.place_parent.data or None, place_position=form.place_position.data,
    )


def _fill_from_item(form: ProposalForm, item: StrategyItem | None) -> None:
    if item is None:
        return
    for name in TEXT_FIELDS:
        for lang in LANGUAGES:
            getattr(form, f"{name}_{lang}").data = getattr(item, f"{name}_{lang}") or ""


def _editor(round_: Round, form: ProposalForm, proposal: Proposal | None, by_key: dict, status: int = 200):
    session = db.session()
    ids = [i for i in form.comments.data or [] if 0 < i < 2**63]  # unvalidated in a preview
    cited = list(session.scalars(sa.select(Comment).where(Comment.id.in_(ids), Comment.round_id == round_.id)
                                 .order_by(Comment.created_at))) if ids else []
    item = by_key.get(form.item.data or "")
    return render_template(
        "proposals/editor.html", round=round_, form=form, proposal=proposal, item=item, cited=cited,
        diffs=_form_diffs(form, item), items_by_key=by_key,
    ), status


def _form_diffs(form: ProposalForm, item: StrategyItem | None) -> list[tuple[str, str, str, str]]:
    """(field, language, current, proposed) of the form, for the server-side preview."""
    out = []
    for name in TEXT_FIELDS:
        for lang in LANGUAGES:
            current = (getattr(item, f"{name}_{lang}") or "") if item is not None and form.kind.data != "add" else ""
            proposed = getattr(form, f"{name}_{lang}").data or ""
            if form.kind.data in ("amend", "add") and (current or proposed):
                out.append((name, lang, current, proposed))
    return out


@bp.route("/moderation/runden/<int:round_id>/vorschlaege/neu", methods=["GET", "POST"])
@login_required
def new_proposal(round_id: int):
    round_ = _workbench_round(round_id)
    permissions.require(permissions.can_create_proposal(current_user, round_))
    form = ProposalForm()
    _items, by_key = _prepare(form, round_)
    if request.method == "GET" or form.action.data == "select":
        # From the workbench (a selection of comments) or a link: a fresh form, nothing checked yet.
        if request.method == "GET":
            form.item.data = request.args.get("item", "")
            form.kind.data = request.args.get("kind") or "amend"
            form.comments.data = [int(v) for v in request.args.getlist("comment") if v.isdigit()][:500]
        _fill_from_item(form, by_key.get(form.item.data or ""))
        form.action.data = ""
        return _editor(round_, form, None, by_key)
    if form.action.data == "preview" or not form.validate_on_submit():
        return _editor(round_, form, None, by_key, 200 if form.action.data == "preview" else 422)
    session = db.session()
    try:
        proposal = services.create_proposal(session, round_, current_user, _data(form))
    except ProposalError as error:
        session.rollback()
        form.form_errors.append(error.message)
        return _editor(round_, form, None, by_key, error.status)
    session.commit()
    flash(_("The proposal has been saved as a draft."), "success")
    return redirect(url_for("proposals.show", proposal_id=proposal.id))


@bp.route("/moderation/vorschlaege/<int:proposal_id>/bearbeiten", methods=["GET", "POST"])
@login_required
def edit_proposal(proposal_id: int):
    proposal, round_ = _proposal_or_404(proposal_id)
    permissions.require(permissions.can_edit_proposal(current_user, proposal, round_))
    if request.method == "GET":
        form = ProposalForm(formdata=None, data={
            "kind": proposal.kind, "item": proposal.item.key if proposal.item else "",
            "place_kind": proposal.place_kind, "place_position": proposal.place_position,
            "place_parent": proposal.place_parent.key if proposal.place_parent else "",
            "rationale_de": proposal.rationale_de, "rationale_en": proposal.rationale_en,
            "comments": proposal.comment_ids,
            **{f"{n}_{lang}": services.proposed_text(proposal, n, lang) for n in TEXT_FIELDS for lang in LANGUAGES},
        })
    else:
        form = ProposalForm()
    _items, by_key = _prepare(form, round_)
    if request.method == "GET":
        return _editor(round_, form, proposal, by_key)
    if form.action.data == "preview" or not form.validate_on_submit():
        return _editor(round_, form, proposal, by_key, 200 if form.action.data == "preview" else 422)
    session = db.session()
    try:
        services.edit_proposal(session, proposal, current_user, _data(form))
    except ProposalError as error:
        session.rollback()
        form.form_errors.append(error.message)
        return _editor(round_, form, proposal, by_key, error.status)
    session.commit()
    flash(_("The proposal has been saved."), "success")
    return redirect(url_for("proposals.show", proposal_id=proposal.id))


# --- one proposal and its review ----------------------------------------------------------------------

def _proposal_page(proposal: Proposal, round_: Round, failed: TransitionForm | None = None, error: str | None = None,
                   status: int = 200, supersede_form: SupersedeForm | None = None):
    session = db.session()
    cited = list(session.scalars(sa.select(Comment).where(Comment.id.in_(proposal.comment_ids))
                                 .order_by(Comment.created_at))) if proposal.comment_ids else []
    targets = services.allowed_targets(current_user, proposal, round_)
    forms = {}
    for to in targets:
        if failed is not None and failed.to.data == to:
            forms[to] = failed
        else:
            forms[to] = TransitionForm(formdata=None, to=to, **{
                f"{n}_{lang}": services.proposed_text(proposal, n, lang) for n in TEXT_FIELDS for lang in LANGUAGES})
    rivals = services.rivals(session, proposal) if permissions.can_supersede_proposal(current_user, proposal) else []
    if supersede_form is None and rivals:
        supersede_form = SupersedeForm(formdata=None)
    if supersede_form is not None:
        supersede_form.by.choices = [(rival.id, _("Proposal %(num)s", num=rival.id)) for rival in rivals]
    return render_template(
        "proposals/proposal.html", round=round_, proposal=proposal, cited=cited, forms=forms,
        rivals=rivals, supersede_form=supersede_form if rivals else None,
        failed=failed.to.data if failed is not None else None, error=error,
        entries=audit_of(session, "proposal", proposal.id),
        four_eyes=proposal.state == "in_review" and proposal.author_id == current_user.id,
    ), status


@bp.get("/moderation/vorschlaege/<int:proposal_id>")
@login_required
def show(proposal_id: int):
    proposal, round_ = _proposal_or_404(proposal_id)
    return _proposal_page(proposal, round_)


@bp.post("/moderation/vorschlaege/<int:proposal_id>/status")
@login_required
def transition(proposal_id: int):
    proposal, round_ = _proposal_or_404(proposal_id)
    form = TransitionForm()
    if not form.validate_on_submit():
        return _proposal_page(proposal, round_, form, status=422)
    texts = None
    if form.to.data == "accepted_modified" and proposal.kind in ("amend", "add"):
        texts = {n: {lang: getattr(form, f"{n}_{lang}").data for lang in LANGUAGES} for n in TEXT_FIELDS}
    session = db.session()
    try:
        services.transition(session, proposal, current_user, form.to.data, form.reason.data, texts)
    except ProposalError as error:
        session.rollback()
        proposal, round_ = _proposal_or_404(proposal_id)
        return _proposal_page(proposal, round_, form, error.message, error.status)
    session.commit()
    flash(_("The proposal is now: %(state)s.", state=STATE_LABELS[proposal.state]), "success")
    return redirect(url_for("proposals.show", proposal_id=proposal.id))


@bp.post("/moderation/vorschlaege/<int:proposal_id>/ersetzt")
@login_required
def supersede(proposal_id: int):
    proposal, round_ = _proposal_or_404(proposal_id)
    permissions.require(permissions.can_supersede_proposal(current_user, proposal))
    form = SupersedeForm()
    form.by.choices = [(rival.id, "") for rival in services.rivals(db.session(), proposal)]
    if not form.validate_on_submit():
        return _proposal_page(proposal, round_, status=422, supersede_form=form)
    session = db.session()
    try:
        services.supersede(session, proposal, current_user, form.by.data, form.reason.data)
    except ProposalError as error:
        session.rollback()
        proposal, round_ = _proposal_or_404(proposal_id)
        return _proposal_page(proposal, round_, error=error.message, status=error.status)
    session.commit()
    flash(_("Proposal %(num)s is superseded by proposal %(by)s; composing the next version skips it.",
            num=proposal.id, by=proposal.superseded_by_id), "success")
    return redirect(url_for("proposals.show", proposal_id=proposal.id))


# --- public pages -------------------------------------------------------------------------------------

@bp.get("/runden/<int:round_id>/vorschlaege")
def public_list(round_id: int):
    round_ = _round_or_404(round_id)
    session = db.session()
    proposals = services.visible_proposals(session, round_, current_user)
    return render_template("proposals/public_list.html", round=round_, proposals=proposals,
                           published=round_.state == "published",
                           staff=permissions.can_use_workbench(current_user, round_))


@bp.get("/vorschlaege/<int:proposal_id>")
def permalink(proposal_id: int):
    """A proposal's stable address, as versions, their comparison and the Synopse cite it: the
    list of its round's proposals, where the viewer may see it there (the public once it is
    decided and the round published, staff always), else 404 (nobody learns of the others)."""
    session = db.session()
    proposal = services.get_proposal(session, proposal_id)
    if proposal is None:
        abort(404)
    round_ = _round_or_404(proposal.round_id)
    if not any(p.id == proposal.id for p in services.visible_proposals(session, round_, current_user)):
        abort(404)
    return redirect(url_for("proposals.public_list", round_id=round_.id) + f"#vorschlag-{proposal.id}")


@bp.get("/runden/<int:round_id>/abwaegung")
def consideration(round_id: int):
    round_ = _round_or_404(round_id)
    visible = permissions.can_see_outcomes(current_user, round_)
    rows = services.consideration_rows(db.session(), round_) if visible else []
    groups: list[tuple[StrategyItem, list]] = []
    for comment, item, outcome in rows:
        if not groups or groups[-1][0].id != item.id:
            groups.append((item, []))
        groups[-1][1].append((comment, outcome))
    proposals = {p.id: p for p in services.proposals_of(db.session(), round_, decided_only=True)} if visible else {}
    return render_template("proposals/consideration.html", round=round_, groups=groups, visible=visible,
                           proposals=proposals, count=len(rows))


@bp.get("/konto/beitraege")
@login_required
def my_comments():
    rows = services.comments_of_user(db.session(), current_user)
    return render_template("proposals/my_comments.html", rows=rows,
                           can_see=lambda round_: permissions.can_see_outcomes(current_user, round_))
