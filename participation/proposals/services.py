"""Use cases of the consolidation. Plain functions: they take the acting user, flush, never commit.

A proposal moves through the states of ``TRANSITIONS`` (one table, one place): a moderator
writes it and submits it for review, another moderator (or an admin) recommends it or asks
for changes — never its author (four eyes) — and an admin decides with a public reason once
the round has closed. Every step is in the audit log. The decision gives the comments the
proposal cites their outcome, unless a moderator set one explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session, selectinload

from .. import permissions
from ..accounts.models import User
from ..comments.models import STANCES, Comment
from ..db import utcnow
from ..moderation.services import audit
from ..results.services import QuestionResult, round_results
from ..rounds.models import Round, RoundItem
from ..strategy.models import StrategyItem
from .models import DECIDED, KINDS, OUTCOMES, PLACE_KINDS, TEXT_FIELDS, CommentOutcome, Proposal, ProposalComment

LANGUAGES = ("de", "en")
TITLE_MAX = 300
TEXT_MAX = 20_000
RATIONALE_MAX = 5_000
EXPLANATION_MAX = 2_000
MAX_CITED = 500
WORKBENCH_PAGE = 50

# (from, to) → the action; nothing else is possible.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "in_review"): "submit",
    ("changes_requested", "in_review"): "submit",
    ("in_review", "changes_requested"): "request_changes",
    ("in_review", "recommended"): "recommend",
    **{("recommended", decided): "decide" for decided in DECIDED},
    **{(state, "withdrawn"): "withdraw" for state in permissions.WITHDRAWABLE_PROPOSAL_STATES},
}
ALLOWED = {
    "submit": permissions.can_submit_proposal,
    "request_changes": permissions.can_review_proposal,
    "recommend": permissions.can_review_proposal,
    "decide": permissions.can_decide_proposal,
    "withdraw": permissions.can_withdraw_proposal,
}
# What a decision means for the comments the proposal cites; the stronger outcome wins when
# several decided proposals cite one comment.
DERIVED_OUTCOMES = {"accepted": "incorporated", "accepted_modified": "partly", "rejected": "not_adopted"}
DERIVED_RANK = {"incorporated": 3, "partly": 2, "not_adopted": 1}
ACTIVE = sa.and_(Proposal.state != "withdrawn")


class ProposalError(ValueError):
    """A use case refused; ``code`` is stable for the API, ``message`` is for people."""

    def __init__(self, code: str, message: str, status: int = 422):
        self.code = code
        self.message = message
        self.status = status
        super().__init__(message)


def _not_allowed(message: str | None = None) -> ProposalError:
    return ProposalError("not_allowed", message or _("You are not allowed to do this."), 403)


# --- writing a proposal ------------------------------------------------------------------------

@dataclass
class ProposalData:
    kind: str
    item_key: str | None = None
    # {"title": {"de": …, "en": …}, "summary": …, "body": …}; for "amend" a missing field stays as it is.
    texts: dict[str, dict[str, str | None]] = field(default_factory=dict)
    rationale_de: str | None = None
    rationale_en: str | None = None
    comment_ids: list[int] = field(default_factory=list)
    place_kind: str | None = None
    place_parent_key: str | None = None
    place_position: int | None = None


def _clean(value: object, limit: int, code: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProposalError(code, _("Please enter text."))
    value = value.replace("\r\n", "\n").strip()
    if len(value) > limit:
        raise ProposalError(code, _("Use at most %(num)d characters.", num=limit))
    return value or None


@dataclass
class _Checked:
    item: StrategyItem | None
    parent: StrategyItem | None
    texts: dict[str, str | None]
    rationale_de: str
    rationale_en: str | None
    comment_ids: list[int]


def _check(db: Session, round_: Round, data: ProposalData) -> _Checked:
    if data.kind not in KINDS:
        raise ProposalError("unknown_kind", _("Choose what the proposal does: amend, add, remove or keep."))
    item = parent = None
    if data.kind != "add":
        item = db.scalars(
            sa.select(StrategyItem).join(RoundItem, RoundItem.item_id == StrategyItem.id)
            .where(RoundItem.round_id == round_.id, StrategyItem.key == (data.item_key or ""))
        ).first()
        if item is None:
            raise ProposalError("unknown_item", _("Choose an item of this round."))
    else:
        if data.place_kind not in PLACE_KINDS:
            raise ProposalError("place_required", _("Say whether a target picture or a guiding coordinate is added."))
        if data.place_kind == "target":
            parent = db.scalars(sa.select(StrategyItem).where(
                StrategyItem.version_id == round_.version_id, StrategyItem.kind == "field",
                StrategyItem.key == (data.place_parent_key or ""))).first()
            if parent is None:
                raise ProposalError("unknown_field", _("Choose the field of action the target picture belongs to."))
        if data.place_position is not None and not (isinstance(data.place_position, int)
                                                    and 1 <= data.place_position <= 1000):
            raise ProposalError("bad_position", _("The position is a number from 1 to 1000."))
    texts: dict[str, str | None] = {}
    for name in TEXT_FIELDS:
        given = data.texts.get(name) or {}
        for language in LANGUAGES:
            limit = TITLE_MAX if name == "title" else TEXT_MAX
            texts[f"{name}_{language}"] = (
                _clean(given.get(language), limit, f"invalid_{name}") if data.kind in ("amend", "add") else None)
    if data.kind == "add" and not texts["title_de"]:
        raise ProposalError("title_required", _("A new item needs a German title."))
    if data.kind == "amend" and not any(
            value is not None and value != (getattr(item, column) or None) for column, value in texts.items()):
        raise ProposalError("nothing_changed", _("The proposed text is the same as the current one. "
                                                     "To keep the item as it is, choose “keep”."))
    rationale_de = _clean(data.rationale_de, RATIONALE_MAX, "invalid_rationale")
    if not rationale_de:
        raise ProposalError("rationale_required", _("Please give the reasons for the proposal in German."))
    rationale_en = _clean(data.rationale_en, RATIONALE_MAX, "invalid_rationale")
    ids = data.comment_ids or []
    if not isinstance(ids, list) or any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
        raise ProposalError("invalid_comments", _("Comments are given by their numbers."))
    ids = sorted(set(ids))
    if len(ids) > MAX_CITED:
        raise ProposalError("too_many_comments", _("Cite at most %(num)d comments.", num=MAX_CITED))
    if ids:
        found = set(db.scalars(sa.select(Comment.id).where(
            Comment.id.in_(ids), Comment.round_id == round_.id, Comment.parent_id.is_(None),
            Comment.state == "visible")))
        if found != set(ids):
            raise ProposalError("comment_not_in_round",
                                _("Only visible comments of this round can be cited (not replies)."))
    return _Checked(item, parent, texts, rationale_de, rationale_en, ids)


def _apply(proposal: Proposal, data: ProposalData, checked: _Checked) -> None:
    proposal.kind = data.kind
    proposal.item_id = checked.item.id if checked.item else None
    proposal.place_kind = data.place_kind if data.kind == "add" else None
    proposal.place_parent_id = checked.parent.id if checked.parent else None
    proposal.place_position = data.place_position if data.kind == "add" else None
    for column, value in checked.texts.items():
        setattr(proposal, column, value)
    proposal.rationale_de = checked.rationale_de
    proposal.rationale_en = checked.rationale_en
    existing = {link.comment_id: link for link in proposal.links}
    proposal.links = [existing.get(cid) or ProposalComment(comment_id=cid) for cid in checked.comment_ids]
    proposal.updated_at = utcnow()


def create_proposal(db: Session, round_: Round, author: User, data: ProposalData) -> Proposal:
    if not permissions.can_create_proposal(author, round_):
        raise _not_allowed(_("Proposals can be written by moderators while the round is open, closed or "
                             "in consolidation."))
    checked = _check(db, round_, data)
    proposal = Proposal(round_id=round_.id, author_id=author.id, state="draft", created_at=utcnow())
    proposal.links = []
    _apply(proposal, data, checked)
    db.add(proposal)
    db.flush()
    audit(db, author, "proposal.created", "proposal", proposal.id, None, round=round_.id, kind=proposal.kind)
    return proposal


def edit_proposal(db: Session, proposal: Proposal, author: User, data: ProposalData) -> Proposal:
    round_ = db.get(Round, proposal.round_id)
    if not permissions.can_edit_proposal(author, proposal, round_):
        raise _not_allowed(_("Only its author can change a proposal, as a draft or when changes were asked for."))
    checked = _check(db, round_, data)
    _apply(proposal, data, checked)
    db.flush()
    audit(db, author, "proposal.edited", "proposal", proposal.id)
    return proposal


# --- the review workflow -------------------------------------------------------------------------

def allowed_targets(user: User, proposal: Proposal, round_: Round) -> list[str]:
    """The states this person can move the proposal to now (for the buttons on its page)."""
    return [to for (source, to), action in TRANSITIONS.items()
            if source == proposal.state and ALLOWED[action](user, proposal, round_)]


def analysis_of(db: Session, round_: Round, item: StrategyItem) -> dict | None:
    """The item's consensus, division and uncertainty figures from the round's analysis (opinion
    groups), or None while nobody answered on it."""
    from ..analysis.services import item_figures

    figures = item_figures(db, round_, item)
    return figures if figures and figures.get("answered") else None


def evidence_of(db: Session, round_: Round, item_id: int | None) -> dict:
    """The item's rating figures now, all participants and verified ones, and its consensus and
    division figures, as stored JSON."""
    if item_id is None:
        return {"ratings": None, "ratings_verified": None, "analysis": None}
    every = round_results(db, round_, item_id=item_id).get(item_id, {})
    verified = round_results(db, round_, verified_only=True, item_id=item_id).get(item_id, {})
    return {
        "ratings": {q: (every.get(q) or QuestionResult(q)).as_json() for q in round_.questions},
        "ratings_verified": {q: (verified.get(q) or QuestionResult(q)).as_json() for q in round_.questions},
        "analysis": analysis_of(db, round_, db.get(StrategyItem, item_id)),
    }


def transition(db: Session, proposal: Proposal, user: User, to: str, reason: str | None = None,
               texts: dict[str, dict[str, str | None]] | None = None) -> Proposal:
    """Move the proposal to ``to``: 403 not_allowed, 409 invalid_transition, 422 reason_required."""
    round_ = db.get(Round, proposal.round_id)
    if not permissions.can_moderate(user):
        raise _not_allowed()
    action = TRANSITIONS.get((proposal.state, to))
    if action is None:
        raise ProposalError("invalid_transition", _("A proposal in this state cannot be moved there."), 409)
    state = round_.state
    if action == "decide" and state not in permissions.DECISION_STATES:
        raise ProposalError("round_not_closed", _("Decisions are possible once the round has closed."), 409)
    if state not in permissions.CONSOLIDATION_STATES:
        raise ProposalError("round_finished", _("The consolidation of this round is finished."), 409)
    if not ALLOWED[action](user, proposal, round_):
        if action in ("recommend", "request_changes") and proposal.author_id == user.id:
            raise _not_allowed(_("Four eyes: another moderator has to review your proposal."))
        if action == "decide":
            raise _not_allowed(_("Only the administration decides on proposals."))
        raise _not_allowed()
    reason = _clean(reason, RATIONALE_MAX, "invalid_reason")
    if action == "decide" and not reason:
        raise ProposalError("reason_required", _("Every decision needs a public reason."))
    if action == "request_changes" and not reason:
        raise ProposalError("reason_required", _("Please say what should be changed."))
    now = utcnow()
    source = proposal.state
    if action == "submit":
        proposal.evidence = evidence_of(db, round_, proposal.item_id)
        proposal.snapshot_at = now
        proposal.reviewer_id = None
    elif action in ("recommend", "request_changes"):
        proposal.reviewer_id = user.id
        proposal.review_note = reason
    elif action == "decide":
        if to == "accepted_modified" and texts and any(
                value for given in texts.values() for value in (given or {}).values()):
            if proposal.kind not in ("amend", "add"):
                raise ProposalError("no_text", _("Only amendments and additions have a text to modify."))
            checked = _check(db, round_, ProposalData(
                kind=proposal.kind, item_key=proposal.item.key if proposal.item else None,
                texts=texts, rationale_de=proposal.rationale_de, rationale_en=proposal.rationale_en,
                comment_ids=proposal.comment_ids, place_kind=proposal.place_kind,
                place_parent_key=proposal.place_parent.key if proposal.place_parent else None,
                place_position=proposal.place_position))
            for column, value in checked.texts.items():
                setattr(proposal, column, value)
        proposal.decision_reason = reason
        proposal.decided_at = now
        proposal.decided_by_id = user.id
    proposal.state = to
    proposal.updated_at = now
    db.flush()
    audit(db, user, f"proposal.{to}", "proposal", proposal.id, reason, from_state=source)
    if action == "decide":
        _derive(db, proposal.comment_ids, user)
    return proposal


def rivals(db: Session, proposal: Proposal) -> list[Proposal]:
    """Other accepted, not superseded proposals of the round on the same item: the conflicts
    composing the next version stops at, and what this one can be superseded by."""
    if proposal.item_id is None:
        return []
    return list(db.scalars(sa.select(Proposal).where(
        Proposal.round_id == proposal.round_id, Proposal.item_id == proposal.item_id, Proposal.id != proposal.id,
        Proposal.state.in_(("accepted", "accepted_modified")), Proposal.superseded_by_id.is_(None))
        .order_by(Proposal.id)))


def supersede(db: Session, proposal: Proposal, user: User, by_id: int | None, reason: str | None) -> Proposal:
    """Mark an accepted proposal as superseded by another accepted one on the same item, so that
    composing the next version applies only the other (audited, with a reason)."""
    if not permissions.can_supersede_proposal(user, proposal):
        raise _not_allowed(_("Only the administration resolves conflicts between accepted proposals."))
    by = next((rival for rival in rivals(db, proposal) if rival.id == by_id), None)
    if by is None:
        raise ProposalError("invalid_supersede",
                            _("Choose another accepted proposal of this round on the same item."))
    reason = _clean(reason, RATIONALE_MAX, "invalid_reason")
    if not reason:
        raise ProposalError("reason_required", _("Please say why the other proposal wins."))
    proposal.superseded_by_id = by.id
    proposal.updated_at = utcnow()
    db.flush()
    audit(db, user, "proposal.superseded", "proposal", proposal.id, reason, by=by.id)
    return proposal


# --- comment outcomes ------------------------------------------------------------------------------

def _derive(db: Session, comment_ids: list[int], user: User | None) -> None:
    """Give comments without an explicit outcome the one their decided proposals imply."""
    if not comment_ids:
        return
    _lock_comments(db, comment_ids)
    rows = db.execute(
        sa.select(ProposalComment.comment_id, Proposal.id, Proposal.state, Proposal.decision_reason)
        .join(Proposal, Proposal.id == ProposalComment.proposal_id)
        .where(ProposalComment.comment_id.in_(comment_ids), Proposal.state.in_(tuple(DERIVED_OUTCOMES)))
        .order_by(Proposal.decided_at, Proposal.id)
    ).all()
    best: dict[int, tuple[str, int, str | None]] = {}
    for comment_id, proposal_id, state, reason in rows:
        code = DERIVED_OUTCOMES[state]
        if comment_id not in best or DERIVED_RANK[code] > DERIVED_RANK[best[comment_id][0]]:
            best[comment_id] = (code, proposal_id, reason)
    existing = {o.comment_id: o for o in db.scalars(
        sa.select(CommentOutcome).where(CommentOutcome.comment_id.in_(comment_ids)))}
    now = utcnow()
    for comment_id in comment_ids:
        outcome = existing.get(comment_id)
        if outcome is not None and outcome.explicit:
            continue
        if comment_id not in best:
            if outcome is not None:
                db.delete(outcome)
            continue
        code, proposal_id, reason = best[comment_id]
        if outcome is None:
            outcome = CommentOutcome(comment_id=comment_id, explicit=False)
            db.add(outcome)
        outcome.outcome, outcome.proposal_id, outcome.explanation = code, proposal_id, reason
        outcome.set_by_id, outcome.set_at = getattr(user, "id", None), now
    db.flush()


def set_outcome(db: Session, round_: Round, comment_ids: list[int], user: User, outcome: str | None,
                explanation: str | None) -> int:
    """A moderator's outcome for one or several comments (``None`` hands them back to the
    decisions of the proposals that cite them). Answers how many comments were set."""
    if not permissions.can_set_outcome(user, round_):
        raise _not_allowed(_("Outcomes are set by moderators until the round is published."))
    if outcome is not None and outcome not in OUTCOMES:
        raise ProposalError("unknown_outcome", _("Please choose an outcome."))
    ids = sorted({i for i in comment_ids if isinstance(i, int) and not isinstance(i, bool)})
    if not ids:
        raise ProposalError("no_comments", _("Please select at least one comment."))
    explanation = _clean(explanation, EXPLANATION_MAX, "invalid_explanation")
    if outcome is not None and not explanation:
        raise ProposalError("explanation_required", _("Please explain the outcome to the authors."))
    found = set(db.scalars(sa.select(Comment.id).where(
        Comment.id.in_(ids), Comment.round_id == round_.id, Comment.parent_id.is_(None), Comment.state == "visible")
        .with_for_update()))
    if found != set(ids):
        raise ProposalError("comment_not_in_round", _("Only visible comments of this round can get an outcome."))
    existing = outcomes_for(db, ids)
    now = utcnow()
    for comment_id in ids:
        row = existing.get(comment_id)
        if outcome is None:
            if row is not None and row.explicit:
                db.delete(row)
        else:
            if row is None:
                row = CommentOutcome(comment_id=comment_id)
                db.add(row)
            row.outcome, row.explanation, row.explicit, row.proposal_id = outcome, explanation, True, None
            row.set_by_id, row.set_at = user.id, now
        audit(db, user, "comment.outcome", "comment", comment_id, explanation, outcome=outcome)
    db.flush()
    if outcome is None:
        _derive(db, ids, user)
    return len(ids)


def _lock_comments(db: Session, comment_ids: list[int]) -> None:
    """One outcome row per comment: two moderators (or decisions) on the same comments go one
    after the other (PostgreSQL row locks; SQLite serialises writing requests anyway)."""
    db.execute(sa.select(Comment.id).where(Comment.id.in_(comment_ids)).order_by(Comment.id).with_for_update())


def outcomes_for(db: Session, comment_ids: list[int]) -> dict[int, CommentOutcome]:
    if not comment_ids:
        return {}
    return {o.comment_id: o for o in db.scalars(
        sa.select(CommentOutcome).where(CommentOutcome.comment_id.in_(comment_ids)))}


def public_outcomes(db: Session, round_: Round, comment_ids: list[int], viewer=None) -> dict[int, CommentOutcome]:
    """Outcomes as the viewer may see them: everybody once the round is published, moderators
    and admins before (no query otherwise)."""
    if viewer is None:
        from flask_login import current_user as viewer
    if not permissions.can_see_outcomes(viewer, round_):
        return {}
    return outcomes_for(db, comment_ids)


def citations_for(db: Session, comment_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """{comment id: [(proposal id, state), …]} for the proposals (not withdrawn) that cite them."""
    if not comment_ids:
        return {}
    out: dict[int, list[tuple[int, str]]] = {}
    for comment_id, proposal_id, state in db.execute(
        sa.select(ProposalComment.comment_id, Proposal.id, Proposal.state)
        .join(Proposal, Proposal.id == ProposalComment.proposal_id)
        .where(ProposalComment.comment_id.in_(comment_ids), ACTIVE).order_by(Proposal.id)
    ):
        out.setdefault(comment_id, []).append((proposal_id, state))
    return out


def _top_level(round_: Round) -> sa.ColumnElement[bool]:
    return sa.and_(Comment.round_id == round_.id, Comment.parent_id.is_(None), Comment.state == "visible")


def _cited() -> sa.Exists:
    return sa.exists().where(ProposalComment.comment_id == Comment.id, ProposalComment.proposal_id == Proposal.id,
                             ACTIVE)


def _has_outcome() -> sa.Exists:
    return sa.exists().where(CommentOutcome.comment_id == Comment.id)


@dataclass
class Progress:
    total: int = 0
    done: int = 0  # with an outcome
    cited: int = 0  # no outcome yet, but cited by a proposal under way

    @property
    def open(self) -> int:
        return self.total - self.done - self.cited


def progress(db: Session, round_: Round) -> dict[int, Progress]:
    """Per item of the round: visible comments, how many have an outcome, how many are cited (one query)."""
    rows = db.execute(
        sa.select(
            Comment.item_id, sa.func.count(),
            sa.func.sum(sa.case((_has_outcome(), 1), else_=0)),
            sa.func.sum(sa.case((sa.and_(~_has_outcome(), _cited()), 1), else_=0)),
        ).where(_top_level(round_)).group_by(Comment.item_id)
    )
    return {item_id: Progress(total, done or 0, cited or 0) for item_id, total, done, cited in rows}


def comments_without_outcome(db: Session, round_: Round) -> list[tuple[StrategyItem, int]]:
    """Items with visible comments that have no outcome yet, and how many: what blocks publishing."""
    rows = db.execute(
        sa.select(StrategyItem, sa.func.count(Comment.id))
        .join(Comment, Comment.item_id == StrategyItem.id)
        .where(_top_level(round_), ~_has_outcome())
        .group_by(StrategyItem.id).order_by(StrategyItem.id)
    ).all()
    return [(item, count) for item, count in rows]


def publication_refusal(db: Session, round_: Round) -> str | None:
    """Why the round cannot be published yet (comments without outcome), or None."""
    missing = comments_without_outcome(db, round_)
    if not missing:
        return None
    total = sum(count for _item, count in missing)
    places = "; ".join(f"{item.title} ({count})" for item, count in missing)
    return ngettext("%(num)d comment has no outcome yet: %(places)s.",
                    "%(num)d comments have no outcome yet: %(places)s.", total, places=places)


# --- reading -------------------------------------------------------------------------------------

@dataclass
class WorkbenchFilters:
    stance: str | None = None
    unprocessed: bool = False
    helpful: bool = False
    replies: bool = False

    @classmethod
    def from_args(cls, args) -> WorkbenchFilters:
        return cls(stance=args.get("stance") if args.get("stance") in STANCES else None,
                   unprocessed=args.get("open") == "1", helpful=args.get("helpful") == "1",
                   replies=args.get("replies") == "1")

    def query(self) -> dict[str, str]:
        out = {"stance": self.stance, "open": "1" if self.unprocessed else None,
               "helpful": "1" if self.helpful else None, "replies": "1" if self.replies else None}
        return {k: v for k, v in out.items() if v}


def workbench_comments(db: Session, round_: Round, item: StrategyItem, filters: WorkbenchFilters,
                       page: int = 1, page_size: int = WORKBENCH_PAGE) -> tuple[list[Comment], int, int]:
    """One page of an item's visible comments for the workbench, how many match, and the page
    shown (a page beyond the last shows the last): three queries, however many comments exist."""
    query = sa.select(Comment).where(_top_level(round_), Comment.item_id == item.id)
    if filters.stance:
        query = query.where(Comment.stance == filters.stance)
    if filters.unprocessed:
        query = query.where(~_has_outcome(), ~_cited())
    if filters.helpful:
        query = query.where(Comment.helpful_count > 0)
    if filters.replies:
        query = query.where(Comment.reply_count > 0)
    total = db.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    page = min(max(page, 1), max(1, -(-total // page_size)))
    order = (Comment.helpful_count.desc(), Comment.id) if filters.helpful else (Comment.created_at, Comment.id)
    comments = list(db.scalars(query.order_by(*order).offset((page - 1) * page_size).limit(page_size)
                               .options(selectinload(Comment.author))))
    return comments, total, page


def current_text(proposal: Proposal, name: str, language: str) -> str:
    """The item's text as it stands ('' for additions)."""
    if proposal.item is None:
        return ""
    return getattr(proposal.item, f"{name}_{language}") or ""


def proposed_text(proposal: Proposal, name: str, language: str) -> str:
    """What the proposal would make of the field: for amendments a field left out stays as it is;
    a removal leaves nothing; keeping leaves the current text."""
    if proposal.kind == "remove":
        return ""
    if proposal.kind == "keep":
        return current_text(proposal, name, language)
    value = getattr(proposal, f"{name}_{language}")
    if value is None and proposal.kind == "amend":
        return current_text(proposal, name, language)
    return value or ""


def get_proposal(db: Session, proposal_id: int, lock: bool = False) -> Proposal | None:
    """``lock`` for a transition: two people deciding at once go one after the other, and the
    second sees the first's outcome (PostgreSQL; SQLite serialises writing requests)."""
    if not 0 < proposal_id < 2**63:
        return None
    return db.get(Proposal, proposal_id, with_for_update=lock or None)


def _loaded():
    return (selectinload(Proposal.links), selectinload(Proposal.item), selectinload(Proposal.author),
            selectinload(Proposal.reviewer), selectinload(Proposal.decided_by), selectinload(Proposal.place_parent))


def proposals_of(db: Session, round_: Round, decided_only: bool = False, item_id: int | None = None) -> list[Proposal]:
    query = sa.select(Proposal).where(Proposal.round_id == round_.id).options(*_loaded())
    if decided_only:
        query = query.where(Proposal.state.in_(DECIDED))
    if item_id is not None:
        query = query.where(Proposal.item_id == item_id)
    return list(db.scalars(query.order_by(Proposal.id)))


def visible_proposals(db: Session, round_: Round, viewer) -> list[Proposal]:
    """Moderators and admins see every proposal; the public the decided ones, once published."""
    if permissions.can_use_workbench(viewer, round_):
        return proposals_of(db, round_)
    if round_.state == "published":
        return proposals_of(db, round_, decided_only=True)
    return []


def consideration_rows(db: Session, round_: Round) -> list[tuple[Comment, StrategyItem, CommentOutcome | None]]:
    """Every visible top-level comment of the round with its item and outcome, in reading order
    (the Abwägungstabelle): one query."""
    return [tuple(row) for row in db.execute(
        sa.select(Comment, StrategyItem, CommentOutcome)
        .join(StrategyItem, StrategyItem.id == Comment.item_id)
        .join(RoundItem, sa.and_(RoundItem.item_id == Comment.item_id, RoundItem.round_id == round_.id))
        .outerjoin(CommentOutcome, CommentOutcome.comment_id == Comment.id)
        .where(_top_level(round_))
        .order_by(RoundItem.position, Comment.created_at, Comment.id)
        .options(selectinload(Comment.author))
    )]


def comments_of_user(db: Session, user: User) -> list[tuple[Comment, Round, StrategyItem, CommentOutcome | None]]:
    """Everything a person wrote (not deleted), newest first, with round, item and outcome: one query."""
    return [tuple(row) for row in db.execute(
        sa.select(Comment, Round, StrategyItem, CommentOutcome)
        .join(Round, Round.id == Comment.round_id)
        .join(StrategyItem, StrategyItem.id == Comment.item_id)
        .outerjoin(CommentOutcome, CommentOutcome.comment_id == Comment.id)
        .where(Comment.author_id == user.id, Comment.state != "deleted")
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )]


def publication_overrides(db: Session, round_: Round):
    """The written reasons with which an admin published despite comments without outcome."""
    from ..moderation.models import AuditEntry

    return list(db.scalars(sa.select(AuditEntry).where(
        AuditEntry.object_type == "round", AuditEntry.object_id == round_.id,
        AuditEntry.action == "round.published_with_open_comments").order_by(AuditEntry.created_at)))


# --- "download my data" ------------------------------------------------------------------------------

def export_outcomes(db: Session, user: User) -> tuple[str, list[dict]]:
    """What became of my comments, as far as it is public (or visible to me): outcome, explanation,
    proposal and the published version it went into."""
    return "comment_outcomes", [
        {"comment": comment.id, "round": round_.id, "item": item.key, "outcome": outcome.outcome,
         "explanation": outcome.explanation, "proposal": outcome.proposal_id, "version": outcome.version,
         "set_at": outcome.set_at.isoformat()}
        for comment, round_, item, outcome in comments_of_user(db, user)
        if outcome is not None and permissions.can_see_outcomes(user, round_)
    ]


def _register_export() -> None:
    from ..accounts.services import EXPORT_SECTIONS

    if export_outcomes not in EXPORT_SECTIONS:
        EXPORT_SECTIONS.append(export_outcomes)


_register_export()
