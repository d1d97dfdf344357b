"""Public pages of consultation rounds: overview, an item to rate, results, codes."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import cache, db, page_cache, permissions
from ..comments.discussion import Discussion, discussion
from ..comments.forms import CommentForm
from ..db import utcnow
from ..proposals.services import public_outcomes
from ..query import Choice
from ..ratings import scales, tallies
from ..ratings.services import ratings_and_verification, ratings_of
from ..results.services import VERIFIED, QuestionResult
from ..strategy.models import StrategyItem
from .forms import RedeemCodeForm
from .models import Round
from .services import (
    RoundError,
    code_counts,
    get_round,
    grouped,
    is_verified,
    redeem_code,
    rounds_for,
)
from .viewer import viewer_state

bp = Blueprint("rounds", __name__, template_folder="templates")


@bp.app_context_processor
def _helpers() -> dict:
    return {"scale_label": scales.label}
SORTS = ("order", "agreement", "importance", "participation")
RESULT_SORT = Choice("sort", SORTS, "order")


def _round_or_404(round_id: int) -> Round:
    if round_id >= 2**63:  # beyond any id; the database driver would fail on it
        abort(404)
    round_ = get_round(db.session(), round_id)
    if round_ is None or not permissions.can_view_round(current_user, round_):
        abort(404)
    return round_


def _participant_context(round_: Round, verified: bool | None = None) -> dict:
    """What the page needs to know about the visitor's part in the round (two queries at most)."""
    session = db.session()
    if verified is None:
        verified = is_verified(session, current_user, round_) if current_user.is_authenticated else False
    block = None
    if current_user.is_authenticated and current_user.is_blocked(utcnow()):
        from ..moderation.services import blocks_of

        block = next(iter(blocks_of(session, current_user.id)), None)
    return {
        "verified": verified,
        "blocked": current_user.is_authenticated and current_user.is_blocked(utcnow()),
        "block": block,
        "can_rate": permissions.can_rate(current_user, round_, verified=verified),
        "eligible": permissions.can_take_part(current_user, round_, verified=verified),
        "can_see_results": permissions.can_see_results(current_user, round_),
    }


@bp.get("/runden")
def index():
    include_drafts = permissions.has_role(current_user, "admin", "moderator")
    return render_template("rounds/index.html", rounds=rounds_for(db.session(), include_drafts))


@bp.get("/runden/<int:round_id>")
def show(round_id: int):
    round_ = _round_or_404(round_id)
    session = db.session()
    items = cache.scope_items(session, round_)
    mine = ratings_of(session, round_, current_user)
    total_codes, _redeemed = code_counts(session, round_)
    groups = grouped(items)
    group_done = {
        group.key: sum(1 for item in group.items if "agreement" in mine.get(item.id, {})) for group in groups
    }
    return render_template(
        "rounds/show.html", round=round_, groups=groups, group_done=group_done, items=items, mine=mine,
        rated=sum(group_done.values()),
        start_item=next((i for i in items if "agreement" not in mine.get(i.id, {})), None),
        has_codes=total_codes > 0, code_form=RedeemCodeForm(), **_participant_context(round_),
    )


def _next_unrated(items: list[StrategyItem], current: StrategyItem, mine: dict) -> StrategyItem | None:
    """The next item without an agreement rating, after this one (wrapping round)."""
    index = next(i for i, item in enumerate(items) if item.id == current.id)
    for item in items[index + 1:] + items[:index]:
        if "agreement" not in mine.get(item.id, {}):
            return item
    return None


@bp.get("/runden/<int:round_id>/<path:key>")
def item(round_id: int, key: str):
    if current_user.is_authenticated:
        return _resident_item(round_id, key)
    # A visitor's page comes from the cache without a statement: the round is looked up (and its
    # visibility checked) only when the page is rendered.
    return page_cache.visitor_page(round_id, lambda: render_item(_round_or_404(round_id), key)[0])


def _find_item(round_: Round, key: str) -> tuple[list[StrategyItem], StrategyItem]:
    items = cache.scope_items(db.session(), round_)
    current = next((i for i in items if i.key == key), None)
    if current is None:
        abort(404)
    return items, current


def _page_context(round_: Round, items: list[StrategyItem], current: StrategyItem, context: dict,
                  thread: Discussion) -> dict:
    """What the item page shows alike to everybody with the same role and rights (``context``)."""
    session = db.session()
    position = next(i for i, entry in enumerate(items) if entry.id == current.id)
    return dict(
        round=round_, item=current, total=len(items), position=position + 1,
        previous_item=items[position - 1] if position > 0 else None,
        next_item=items[position + 1] if position + 1 < len(items) else None, scales=scales,
        discussion=thread, outcomes=public_outcomes(session, round_, [c.id for c in thread.page.comments]),
        can_comment=permissions.can_comment(current_user, round_, verified=context["verified"]), **context,
    )


def _results(round_: Round, current: StrategyItem, context: dict) -> dict | None:
    """The item's results box, if the viewer may see results."""
    if not context["can_see_results"]:
        return None
    found = cache.results(db.session(), round_, item_id=current.id).get(current.id, {})
    return {q: found.get(q) or QuestionResult(q) for q in round_.questions}


def _rating_context(items: list[StrategyItem], current: StrategyItem, mine: dict) -> dict:
    """The viewer's own part of the item page: their rating, progress and next item to rate."""
    return dict(
        mine=mine.get(current.id, {}), rated=sum(1 for entry in items if "agreement" in mine.get(entry.id, {})),
        next_unrated=_next_unrated(items, current, mine), just_saved=request.args.get("saved") == "1",
    )


def render_item(round_: Round, key: str, comment_form: CommentForm | None = None, status: int = 200):
    """The item page: the text, the rating, results and the discussion, rendered for this viewer.

    The comment form comes refilled with its errors when writing failed (status 422).
    """
    session = db.session()
    items, current = _find_item(round_, key)
    mine, verified = ratings_and_verification(session, round_, current_user)
    context = _participant_context(round_, verified)
    thread = discussion(session, round_, current, current_user, request.args, comment_form or CommentForm())
    return render_template(
        "rounds/item.html", **_page_context(round_, items, current, context, thread),
        **_rating_context(items, current, mine), results=_results(round_, current, context),
    ), status


def _resident_item(round_id: int, key: str):
    """The item page for someone logged in: shared by everybody of the same viewer class, with
    the personal parts filled in (``page_cache.shared_page``/``personalise``).

    Accounts with a block on record (their notices name dates and reasons), people with a comment
    waiting for approval on this item (only they see it) and pages with flashed messages are
    rendered just for them (``render_item``).
    """
    round_ = _round_or_404(round_id)
    user = current_user._get_current_object()
    if user.blocked_until is not None or flask_session.get("_flashes"):
        return render_item(round_, key)[0]
    session = db.session()
    items, current = _find_item(round_, key)
    state = viewer_state(session, user.id, round_.id, current.id)
    if state.pending:
        return render_item(round_, key)[0]
    context = _participant_context(round_, state.verified)
    viewer_class = (user.role, user.is_active, state.verified, round_.state_at(utcnow()))

    def render_shared() -> tuple[str, frozenset[tuple[int, int]]]:
        thread = discussion(session, round_, current, None, request.args, CommentForm())
        shown = [*thread.page.comments, *(r for replies in thread.page.replies.values() for r in replies)]
        html = render_template("rounds/item.html", personal=page_cache.Personal(user.id),
                               **_page_context(round_, items, current, context, thread))
        return html, frozenset((c.id, c.author_id) for c in shown)

    parts, shown = page_cache.shared_page(viewer_class, round_.id, render_shared)
    own = {cid for cid, author_id in shown if author_id == user.id}
    own_rating = _rating_context(items, current, state.mine)
    # The panel shows nothing but these facts (and the round): one rendering per state of them.
    rating = page_cache.fragment(
        ("rating", request.path, round_.id, viewer_class, tuple(sorted(own_rating["mine"].items())),
         own_rating["rated"], getattr(own_rating["next_unrated"], "id", None), own_rating["just_saved"]),
        lambda: render_template("rounds/_rating.html", round=round_, item=current, total=len(items), scales=scales,
                                **context, **own_rating))
    # The results box changes with every rating (of anybody): kept per tallies generation.
    results = page_cache.fragment(
        ("results", round_.id, current.id, viewer_class, context["can_see_results"], tallies.generation(round_.id)),
        lambda: render_template("rounds/_results_box.html", round=round_, scales=scales,
                                results=_results(round_, current, context)))
    keep = {"own": own.__contains__, "other": lambda cid: cid not in own,
            "reported": state.reported.__contains__, "unreported": lambda cid: cid not in state.reported}

    def value(kind: str, ident: str) -> str:
        if kind == "rating":
            return rating
        if kind == "results":
            return results
        is_marked = int(ident) in state.marked
        if kind == "pressed":
            return "true" if is_marked else "false"
        return "0" if is_marked else "1"  # "helpful": what the toggle sends next

    return page_cache.personalise(parts, lambda kind, cid: keep[kind](cid), value)


@bp.route("/runden/<int:round_id>/code", methods=["GET", "POST"])
@login_required
def redeem(round_id: int):
    round_ = _round_or_404(round_id)
    form = RedeemCodeForm(code=request.args.get("code", ""))
    session = db.session()
    if is_verified(session, current_user, round_):
        flash(_("You are a verified participant of this round."), "info")
        return redirect(url_for("rounds.show", round_id=round_id))
    if not permissions.can_redeem_code(current_user, round_):
        if round_.state == "open":  # open, so the person is blocked
            flash(_("Your account is blocked at the moment, so you cannot redeem a code."), "error")
        else:
            flash(_("Codes can only be redeemed while the round is open."), "error")
        return redirect(url_for("rounds.show", round_id=round_id))
    if form.validate_on_submit():
        try:
            redeem_code(session, round_, current_user, form.code.data)
        except RoundError as error:
            session.rollback()
            form.code.errors = [error.message]
        else:
            session.commit()
            flash(_("Thank you! Your code is redeemed: you take part as a verified participant."), "success")
            return redirect(url_for("rounds.show", round_id=round_id))
    status = 200 if request.method == "GET" else 422
    return render_template("rounds/redeem.html", round=round_, form=form), status


def _sort_key(sort: str, results: dict):
    def mean(item: StrategyItem, question: str) -> float:
        result = results.get(item.id, {}).get(question)
        return result.mean if result is not None and result.mean is not None else -1.0

    if sort == "agreement":
        return lambda item: -mean(item, "agreement")
    if sort == "importance":
        return lambda item: -mean(item, "importance")
    if sort == "participation":
        return lambda item: -(results.get(item.id, {}).get("agreement") or QuestionResult("agreement")).n
    return None


@bp.get("/runden/<int:round_id>/ergebnisse")
def results(round_id: int):
    round_ = _round_or_404(round_id)
    if not permissions.can_see_results(current_user, round_):
        return render_template("rounds/results_hidden.html", round=round_), 403
    session = db.session()
    verified_only = VERIFIED.read(request.args, blank_is_default=True) == "1"
    sort = RESULT_SORT.read(request.args, blank_is_default=True)
    if sort == "importance" and not round_.asks_importance:
        sort = "order"
    items = cache.scope_items(session, round_)
    found = cache.results(session, round_, verified_only=verified_only)
    key = _sort_key(sort, found)
    ordered = sorted(items, key=key) if key else items
    total_codes, redeemed = code_counts(session, round_)
    by_channel = cache.participation(session, round_, verified_only=verified_only)
    return render_template(
        "rounds/results.html", round=round_, items=ordered, sort=sort, verified_only=verified_only,
        results={item.id: {q: found.get(item.id, {}).get(q) or QuestionResult(q) for q in round_.questions}
                 for item in items},
        participants=sum(by_channel.values()), by_channel=by_channel,
        has_verified=redeemed > 0 or total_codes > 0, scales=scales,
    )
