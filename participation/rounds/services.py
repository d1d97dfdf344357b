"""Use cases of consultation rounds. Plain functions: they flush, never commit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, joinedload, selectinload

from .. import permissions
from ..accounts.models import User
from ..db import utcnow
from ..service_errors import ServiceError
from ..strategy.models import StrategyItem, StrategyVersion
from ..strategy.services import load_tree
from .models import InvitationCode, Round, RoundItem

BERLIN = ZoneInfo("Europe/Berlin")
RATEABLE_KINDS = ("coordinate", "target")
# No 0/O, 1/I/L: codes are typed from paper.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
MAX_CODES = 10_000  # per request; more can be generated again


class RoundError(ServiceError):
    """A use case of rounds and ratings refused (see ``ServiceError``); the status follows the code."""

    STATUS = {"round_not_open": 403, "not_eligible": 403, "blocked": 403, "item_not_in_round": 404}

    def __init__(self, code: str, message: str, status: int | None = None):
        super().__init__(code, message, status or self.STATUS.get(code))


def berlin_to_utc(local: datetime) -> datetime:
    """A wall-clock time in Münster (as typed by an admin) as an aware UTC datetime."""
    return local.replace(tzinfo=BERLIN).astimezone(UTC)


def utc_to_berlin(value: datetime) -> datetime:
    return value.astimezone(BERLIN)


# --- queries -------------------------------------------------------------------------------

# Built once: every page of a round runs one of them (SQLAlchemy compiles each once per process).
_ROUND_BY_ID = sa.select(Round).where(Round.id == sa.bindparam("round_id"))
_ROUND_WITH_VERSION = _ROUND_BY_ID.options(joinedload(Round.version))


def get_round(db: Session, round_id: int) -> Round | None:
    """The round with its version (pages show the version's number), in one statement."""
    found = db.identity_map.get(db.identity_key(Round, round_id))
    if found is not None and "version" in found.__dict__:
        return found  # type: ignore[return-value]
    return db.execute(_ROUND_WITH_VERSION, {"round_id": round_id}).unique().scalar_one_or_none()


def get_round_only(db: Session, round_id: int) -> Round | None:
    """The round without its version (writes such as a rating need no more): a statement built
    once, about half the work of ``get_round``."""
    found = db.identity_map.get(db.identity_key(Round, round_id))
    if found is not None:
        return found  # type: ignore[return-value]
    return db.execute(_ROUND_BY_ID, {"round_id": round_id}).scalar_one_or_none()


def rounds_for(db: Session, include_drafts: bool, now: datetime | None = None) -> list[Round]:
    now = now or utcnow()
    query = sa.select(Round).order_by(Round.opens_at.desc(), Round.id.desc())
    if not include_drafts:
        query = query.where(sa.or_(Round.stage != "scheduled", Round.opens_at <= now))
    return list(db.scalars(query))


def open_rounds(db: Session, now: datetime | None = None) -> list[Round]:
    return list(db.scalars(sa.select(Round).where(Round.open_at(now or utcnow())).order_by(Round.closes_at)))


def open_rounds_with_item(db: Session, item: StrategyItem, now: datetime | None = None) -> list[Round]:
    """Open rounds that ask about this item."""
    return list(db.scalars(
        sa.select(Round)
        .join(RoundItem, RoundItem.round_id == Round.id)
        .where(Round.open_at(now or utcnow()), RoundItem.item_id == item.id)
        .order_by(Round.closes_at)
    ))


def scope_items(db: Session, round_: Round) -> list[StrategyItem]:
    """The items the round asks about, in reading order, with their fields loaded."""
    return list(
        db.scalars(
            sa.select(StrategyItem)
            .join(RoundItem, RoundItem.item_id == StrategyItem.id)
            .where(RoundItem.round_id == round_.id)
            .order_by(RoundItem.position)
            .options(selectinload(StrategyItem.parent))
        )
    )


def scope_item(db: Session, round_: Round, key: str) -> StrategyItem | None:
    return db.scalars(
        sa.select(StrategyItem)
        .join(RoundItem, RoundItem.item_id == StrategyItem.id)
        .where(RoundItem.round_id == round_.id, StrategyItem.key == key)
        .options(selectinload(StrategyItem.parent))
    ).first()


@dataclass
class ScopeGroup:
    """Items shown together: the guiding coordinates, or the targets of one field."""

    key: str
    title: str
    parent: StrategyItem | None
    items: list[StrategyItem] = field(default_factory=list)


def grouped(items: list[StrategyItem]) -> list[ScopeGroup]:
    groups: dict[str, ScopeGroup] = {}
    for item in items:
        if item.kind == "target" and item.parent is not None:
            group = groups.setdefault(item.parent.key, ScopeGroup(item.parent.key, item.parent.title, item.parent))
        else:
            group = groups.setdefault("coordinates", ScopeGroup("coordinates", _("Guiding coordinates"), None))
        group.items.append(item)
    return list(groups.values())


def rateable_items(db: Session, version: StrategyVersion) -> list[StrategyItem]:
    """Coordinates and targets of a version in reading order: a round's default scope."""
    tree = load_tree(db, version)
    return [item for item in tree.items if item.kind in RATEABLE_KINDS]


def is_verified(db: Session, user: User | None, round_: Round) -> bool:
    if user is None or not getattr(user, "id", None):
        return False
    return db.scalar(
        sa.select(sa.func.count()).select_from(InvitationCode)
        .where(InvitationCode.round_id == round_.id, InvitationCode.redeemed_by_id == user.id)
    ) > 0


# --- set-up by the administration ----------------------------------------------------------

@dataclass
class RoundData:
    version: StrategyVersion
    title_de: str
    title_en: str | None
    description_de: str | None
    description_en: str | None
    opens_at: datetime  # aware UTC
    closes_at: datetime
    item_ids: list[int]
    asks_importance: bool = False
    results_visibility: str = "after_close"
    participation: str = "accounts"
    moderation: str = "post"  # "pre": comments wait for approval
    report_threshold: int = 3  # reports from different people that hide a comment until reviewed


def _check(db: Session, data: RoundData) -> list[StrategyItem]:
    if data.version.state != "published":
        raise RoundError("version_not_published", _("Rounds can only ask about a published strategy version."))
    if not 1 <= data.report_threshold <= 100:
        raise RoundError("bad_threshold", _("Choose a number of reports from 1 to 100."))
    if data.closes_at <= data.opens_at:
        raise RoundError("closes_before_opening", _("The closing time must be after the opening time."))
    allowed = {item.id: item for item in rateable_items(db, data.version)}
    if not data.item_ids:
        raise RoundError("empty_scope", _("Choose at least one item for the round."))
    unknown = [i for i in data.item_ids if i not in allowed]
    if unknown:
        raise RoundError("item_not_in_version", _("Some chosen items do not belong to this strategy version."))
    chosen = set(data.item_ids)
    return [item for item in allowed.values() if item.id in chosen]


def _apply(round_: Round, data: RoundData, items: list[StrategyItem]) -> None:
    round_.version = data.version
    round_.title_de = data.title_de
    round_.title_en = data.title_en or None
    round_.description_de = data.description_de or None
    round_.description_en = data.description_en or None
    round_.opens_at = data.opens_at
    round_.closes_at = data.closes_at
    round_.asks_importance = data.asks_importance
    round_.results_visibility = data.results_visibility
    round_.participation = data.participation
    round_.moderation = data.moderation
    round_.report_threshold = data.report_threshold
    existing = {entry.item_id: entry for entry in round_.scope}
    round_.scope = [
        existing.get(item.id) or RoundItem(item_id=item.id) for item in items
    ]
    for position, entry in enumerate(round_.scope):
        entry.position = position


def _audit(db: Session, actor: User | None, action: str, round_: Round, via: str | None, **details: object) -> None:
    """Every step of the administration lands in the audit log; ``via="cli"`` marks the console."""
    from ..moderation.services import audit

    if via:
        details["via"] = via
    audit(db, actor, action, "round", round_.id, None, **details)


def _settings(round_: Round) -> dict:
    return {
        "title": round_.title_de,
        "opens": round_.opens_at.isoformat(timespec="seconds"),
        "closes": round_.closes_at.isoformat(timespec="seconds"),
        "items": len(round_.scope),
    }


def create_round(db: Session, data: RoundData, actor: User | None = None, via: str | None = None) -> Round:
    items = _check(db, data)
    round_ = Round()
    _apply(round_, data, items)
    db.add(round_)
    db.flush()
    _audit(db, actor, "round.created", round_, via, **_settings(round_))
    return round_


def update_round(db: Session, round_: Round, data: RoundData, actor: User | None = None,
                 via: str | None = None) -> Round:
    if round_.state != "draft":
        raise RoundError("not_editable", _("A round can only be changed until it opens."))
    items = _check(db, data)
    _apply(round_, data, items)
    db.flush()
    _audit(db, actor, "round.edited", round_, via, **_settings(round_))
    return round_


def extend_round(db: Session, round_: Round, closes_at: datetime, actor: User | None = None,
                 via: str | None = None) -> Round:
    """Move the closing time of an open round later; an earlier end is "close early" instead."""
    now = utcnow()
    if round_.state_at(now) != "open":
        raise RoundError("not_open", _("Only an open round can be extended."))
    if closes_at <= round_.closes_at:
        raise RoundError("not_later", _("The new closing time must be later than the current one."))
    before = round_.closes_at
    round_.closes_at = closes_at
    db.flush()
    _audit(db, actor, "round.extended", round_, via, before=before.isoformat(timespec="seconds"),
           closes=closes_at.isoformat(timespec="seconds"))
    return round_


# The audit action of the step taken from each state.
STEP_ACTIONS = {"draft": "round.opened", "open": "round.closed", "closed": "round.consolidation",
                "consolidation": "round.published"}


def advance(db: Session, round_: Round, actor: User | None = None, override_reason: str | None = None,
            via: str | None = None) -> str:
    """The administration's next step: open now, close early, consolidate, publish.

    Publishing is refused while visible comments have no outcome, unless an admin gives a
    written reason (kept in the audit log and shown on the transparency page). The console
    acts as ``actor=None`` with the operator's rights and ``via="cli"``.
    """
    now = utcnow()
    state = round_.state_at(now)
    override_reason = (override_reason or "").strip() or None
    details: dict = {"from_state": state}
    if state == "draft":
        round_.opens_at = now  # closes_at lies after it: the round was a draft until now
    elif state == "open":
        # Closing in the very second it opened still leaves the window one second long.
        round_.closes_at = max(now, round_.opens_at + timedelta(seconds=1))
        round_.closed_early_at = now
    elif state == "closed":
        round_.stage = "consolidation"
    elif state == "consolidation":
        from ..proposals.services import comments_without_outcome, publication_refusal

        refusal = publication_refusal(db, round_)
        if refusal is not None:
            if override_reason is None:
                raise RoundError("comments_open", refusal + " " + _(
                    "Give every comment an outcome, or publish anyway with a written reason."))
            if actor is not None and not permissions.can_publish_with_open_comments(actor):
                raise RoundError("not_allowed", _("Only an administrator can publish despite open comments."))
            details["open_comments"] = sum(count for _item, count in comments_without_outcome(db, round_))
        round_.stage = "published"
    else:
        raise RoundError("final_state", _("This round has no further step."))
    db.flush()
    new_state = round_.state_at(now)
    from ..moderation.services import audit

    if via:
        details["via"] = via
    if "open_comments" in details:
        audit(db, actor, "round.published_with_open_comments", "round", round_.id, override_reason, **details)
    else:
        audit(db, actor, STEP_ACTIONS[state], "round", round_.id, None, to_state=new_state, **details)
    return new_state


NEXT_STEP = {"draft": "open", "open": "close", "closed": "consolidate", "consolidation": "publish"}


# --- invitation codes ---------------------------------------------------------------------

def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return "-".join(raw[i:i + 4] for i in range(0, 12, 4))


def normalize_code(code: str) -> str:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(cleaned[i:i + 4] for i in range(0, len(cleaned), 4))


def generate_codes(db: Session, round_: Round, count: int, actor: User | None = None,
                   via: str | None = None) -> list[InvitationCode]:
    if not 1 <= count <= MAX_CODES:
        raise RoundError("bad_count", _("Choose between 1 and %(max)d codes.", max=MAX_CODES))
    # 31^12 possible codes: a clash is practically impossible, but checked all the same.
    wanted: set[str] = set()
    while len(wanted) < count:
        candidates = {_new_code() for _ in range(count - len(wanted))} - wanted
        taken = set(db.scalars(sa.select(InvitationCode.code).where(InvitationCode.code.in_(candidates))))
        wanted |= candidates - taken
    codes = [InvitationCode(round_id=round_.id, code=code) for code in sorted(wanted)]
    db.add_all(codes)
    db.flush()
    _audit(db, actor, "round.codes_generated", round_, via, count=len(codes))
    return codes


def codes_of(db: Session, round_: Round) -> list[InvitationCode]:
    return list(db.scalars(sa.select(InvitationCode).where(InvitationCode.round_id == round_.id)
                           .order_by(InvitationCode.id)))


def code_counts(db: Session, round_: Round) -> tuple[int, int]:
    total, redeemed = db.execute(
        sa.select(sa.func.count(), sa.func.count(InvitationCode.redeemed_by_id))
        .where(InvitationCode.round_id == round_.id)
    ).one()
    return total, redeemed


def redeem_code(db: Session, round_: Round, user: User, code: str) -> InvitationCode:
    """Mark the participant as verified for this round; each code works once."""
    if not permissions.can_redeem_code(user, round_):
        raise RoundError("not_allowed", _("You cannot redeem a code for this round."))
    if is_verified(db, user, round_):
        raise RoundError("already_verified", _("You have already redeemed a code for this round."))
    found = db.scalars(
        sa.select(InvitationCode).where(InvitationCode.code == normalize_code(code))
    ).first()
    if found is None or found.round_id != round_.id:
        raise RoundError("unknown_code", _("This code is not valid for this round. Please check what you typed."))
    # Claim it only if still free: two people typing the same code cannot both succeed.
    claimed = db.execute(
        sa.update(InvitationCode)
        .where(InvitationCode.id == found.id, InvitationCode.redeemed_by_id.is_(None))
        .values(redeemed_by_id=user.id, redeemed_at=utcnow())
    ).rowcount
    if claimed != 1:
        raise RoundError("code_used", _("This code has already been used."))
    from ..ratings import tallies

    tallies.participant_verified(db, round_.id, user.id)
    db.refresh(found)
    return found
